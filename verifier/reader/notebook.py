"""Jupyter notebooks: their Markdown cells read as one Markdown file, each line traced back to its cell."""

from __future__ import annotations

import json
from functools import lru_cache

from verifier.reader.document import BlockError, Document, read_text

CELL_SEPARATOR = ""  # an empty line between cells, so a cell's last line never runs into the next cell's first


def markdown_cells(text: str) -> list[tuple[int, str]]:
    """(cell number counted from 1, source) of each Markdown cell, read with nbformat."""
    import nbformat

    notebook = nbformat.reads(text, as_version=nbformat.NO_CONVERT)
    cells = notebook.get("cells") if "cells" in notebook else [
        cell for sheet in notebook.get("worksheets", []) for cell in sheet.get("cells", [])]  # nbformat 3
    return [(number, _source(cell)) for number, cell in enumerate(cells, start=1)
            if cell.get("cell_type") == "markdown"]


def _source(cell: dict) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


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
    _ORIGINS[path] = origin
    return read_text(markdown, path)


_ORIGINS: dict[str, tuple[tuple[int, int], ...]] = {}


@lru_cache(maxsize=64)
def _origin_from_file(path: str) -> tuple[tuple[int, int], ...]:
    try:
        with open(path, encoding="utf-8") as stream:
            return joined(markdown_cells(stream.read()))[1]
    except (OSError, ValueError, json.JSONDecodeError):
        return ()


def cell_location(path: str, line: int, column: int | None = None) -> str:
    """`notes.ipynb:cell_3:12:5`: the cell (counted from 1, as Jupyter shows them) and the line in it."""
    origin = _ORIGINS.get(path) or _origin_from_file(path)
    place = "" if column is None else f":{column}"
    if 1 <= line <= len(origin):
        cell, in_cell = origin[line - 1]
        return f"{path}:cell_{cell}:{in_cell}{place}"
    return f"{path}:{line}{place}"
