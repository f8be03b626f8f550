"""The kinds of file `check` reads (Markdown, Jupyter notebooks, LaTeX sources), each to a Document."""

from __future__ import annotations

from pathlib import Path

from verifier.reader.document import Document, read_text

MARKDOWN = (".md", ".markdown")
SUFFIXES = (*MARKDOWN, ".ipynb", ".tex")


def read_source(text: str, path: str) -> Document:
    """The derivations of a file's text, read as its suffix says (Markdown unless .ipynb or .tex)."""
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

        return cell_location(path, line, column)
    return f"{path}:{place}"
