"""`python cli.py ...` from a checkout: the same command line as the installed `backproof` (verifier.cli)."""

import sys

if __name__ == "__main__":
    try:
        from verifier.cli import main
    except KeyboardInterrupt:  # Ctrl-C while SymPy loads: the same one line as later
        print("backproof: interrupted", file=sys.stderr)
        sys.exit(130)
    sys.exit(main())
