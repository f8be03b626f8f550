"""`python -m verifier ...`: the same command line as the installed `backproof`."""

import sys

from verifier.cli import main

sys.exit(main(prog="python -m verifier"))
