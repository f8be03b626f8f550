"""The command's entry, importing nothing heavy: Ctrl-C while SymPy loads ends with one line, like later."""

from __future__ import annotations

import sys

EXIT_INTERRUPTED = 130


def run(prog: str = "backproof") -> None:
    """Import the command line, then run it; an interrupt during the import exits 130 with one line."""
    try:
        from verifier.cli import main
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        sys.exit(EXIT_INTERRUPTED)
    sys.exit(main(prog=prog))
