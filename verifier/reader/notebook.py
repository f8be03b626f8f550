"""Jupyter notebooks: their Markdown cells read as one Markdown file, each line traced back to its cell."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from verifier.reader.document import MAX_FILE_BYTES, BlockError, Document, file_text, read_text
from verifier.reader.sources import printable

CELL_SEPARATOR = ""  # an empty line between cells, so a cell's last line never runs into the next cell's first


def markdown_cells(text: str) -> list[tuple[int, str]]:
    """(cell number counted from 1, source) of each Markdown cell, read with nbformat (older formats converted)."""
    import warnings

    import nbformat

    raw = json.loads(text.removeprefix("\ufeff"))  # a notebook saved with a byte-order mark reads too
    if not isinstance(raw, dict) or not isinstance(raw.get("cells", []), list):
        raise ValueError("a notebook is a JSON object with a list of cells")
    with warnings.catch_warnings():  # nbformat warns of cells with no id: the file is still read
        warnings.simplefilter("ignore")
        notebook = nbformat.reads(text.removeprefix("\ufeff"), as_version=4)
    return [(number, _source(cell)) for number, cell in enumerate(notebook.cells, start=1)
            if isinstance(cell, dict) and cell.get("cell_type") == "markdown"]


def _source(cell: dict) -> str:
    source = cell.get("source", "")
    if isinstance(source, list) and all(isinstance(part, str) for part in source):
        return "".join(source)
    if isinstance(source, str):
        return source
    raise ValueError("a cell's source is text or a list of lines of text")


def joined(cells: list[tuple[int, str]]) -> tuple[str, tuple[tuple[int, int], ...]]:
    """The cells' Markdown as one text, and for each of its lines (from 1) the cell and the line in that cell."""
    lines: list[str] = []
    origin: list[tuple[int, int]] = []
    for number, source in cells:
        cell_lines = source.split("\n")
        lines += [*cell_lines, CELL_SEPARATOR]
        origin += [(number, line) for line in range(1, len(cell_lines) + 1)] + [(number, len(cell_lines) + 1)]
    return "\n".join(lines), tuple(origin)


def read_notebook(text: str, path: str) -> Document:
    """A notebook's derivations; a line number is the line of the cells' Markdown taken in order."""
    try:
        cells = markdown_cells(text)
    except Exception as error:  # nbformat raises many kinds (JSON, schema, version): each is one error here
        return Document(path, (), (BlockError(path, 1, 1, f"not a notebook nbformat can read: {error}"),))
    markdown, origin = joined(cells)
    if len(markdown) > MAX_FILE_BYTES:
        return Document(path, (), (BlockError(path, 1, 1, f"Markdown cells of more than {MAX_FILE_BYTES:,} "
                                                          f"characters: the limit is {MAX_FILE_BYTES:,}"),))
    _ORIGINS[path] = origin
    return read_text(printable(markdown), path)  # JSON escapes can hold what the file's text did not (\ud800)


_ORIGINS: dict[str, tuple[tuple[int, int], ...]] = {}


@lru_cache(maxsize=64)
def _origin_from_file(path: str) -> tuple[tuple[int, int], ...]:
    try:
        return joined(markdown_cells(file_text(path)))[1]  # bounded, and never a pipe
    except Exception:  # whatever the file holds now: no cell to name, the line stands
        return ()


def cell_and_line(path: str, line: int) -> tuple[int, int] | None:
    """The cell (counted from 1) and the line in it of a line of the notebook's Markdown; None if out of range."""
    origin = _ORIGINS.get(path) or _origin_from_file(path)
    return origin[line - 1] if 1 <= line <= len(origin) else None


def cell_location(path: str, line: int, column: int | None = None) -> str:
    """`notes.ipynb:cell_3:12:5`: the cell (counted from 1, as Jupyter shows them) and the line in it."""
    place = "" if column is None else f":{column}"
    found = cell_and_line(path, line)
    if found is None:
        return f"{path}:{line}{place}"
    return f"{path}:cell_{found[0]}:{found[1]}{place}"


def with_cells(entry: dict[str, Any]) -> dict[str, Any]:
    """A JSON entry with `file` and `line` in a notebook given as `cell` and the `line` in that cell."""
    found = cell_and_line(str(entry.get("file", "")), int(entry.get("line", 0)))
    return entry if found is None else entry | {"cell": found[0], "line": found[1]}
