"""The kinds of file `check` reads (Markdown, Jupyter notebooks, LaTeX sources), each to a Document."""

from __future__ import annotations

import re
from pathlib import Path

from verifier.reader.document import Document, read_text

MARKDOWN = (".md", ".markdown")
SUFFIXES = (*MARKDOWN, ".ipynb", ".tex")


CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")  # and lone surrogates: never printable


def printable(text: str) -> str:
    """`text` with control characters (a terminal's escape sequences among them) shown as U+FFFD."""
    return CONTROL.sub("\ufffd", text)


def read_source(text: str, path: str) -> Document:
    """The derivations of a file's text, read as its suffix says (Markdown unless .ipynb or .tex); control
    characters (ESC that would drive the terminal, NUL) never reach a formula or the output."""
    text = printable(text)
    suffix = Path(path).suffix.lower()
    if suffix == ".ipynb":
        from verifier.reader.notebook import read_notebook

        return read_notebook(text, path)
    if suffix == ".tex":
        from verifier.reader.texsource import read_tex

        return read_tex(text, path)
    return read_text(text, path)


def location(path: str, line: int, column: int | None = None) -> str:
    """`file:line:column` as an editor takes it; in a notebook `file:cell_N:line:column`."""
    place = f"{line}" if column is None else f"{line}:{column}"
    if Path(path).suffix.lower() == ".ipynb":
        from verifier.reader.notebook import cell_location

        return printable(cell_location(path, line, column))
    return f"{printable(path)}:{place}"
