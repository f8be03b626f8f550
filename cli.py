"""`python cli.py ...` from a checkout: the same command line as the installed `backproof` (verifier.cli)."""

from verifier.launch import run

if __name__ == "__main__":
    run()
