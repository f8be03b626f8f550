"""`python cli.py ...` from a checkout: the same command line as the installed `backproof` (verifier.cli)."""

import sys

from verifier.cli import main

if __name__ == "__main__":
    sys.exit(main())
