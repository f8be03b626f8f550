"""`python -m verifier ...`: the same command line as the installed `backproof`."""

from verifier.launch import run

run(prog="python -m verifier")
