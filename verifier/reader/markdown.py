"""A Markdown file cut into sections (headings), display-math blocks, where blocks and prose."""

from __future__ import annotations

import re
from dataclasses import dataclass

HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*(?:\{#([A-Za-z0-9_.:-]+)\})?\s*#*\s*$")
FENCE = re.compile(r"^\s*(```+|~~~+)\s*([A-Za-z]*)")


@dataclass(frozen=True)
class Block:
    """The math between `$$` and `$$`, where it starts in the file, and the prose just before it."""

    text: str
    line: int
    column: int  # 1-based column of the first character of `text` on its first line
    prose: str = ""


@dataclass(frozen=True)
class Section:
    """A heading and what follows it up to the next heading."""

    title: str
    anchor: str | None
    line: int
    blocks: tuple[Block, ...]
    where: tuple[tuple[int, str], ...]  # (line, text) of the section's where-block lines


@dataclass(frozen=True)
class Layout:
    """A file's file-wide where lines and its sections, in order."""

    where: tuple[tuple[int, str], ...]
    sections: tuple[Section, ...]
    unclosed: int | None  # the line of a `$$` that is never closed


def read_layout(text: str, title: str) -> Layout:
    """Cut `text` into sections; before the first heading: the file-wide where block."""
    lines = text.split("\n")
    header_where: list[tuple[int, str]] = []
    sections: list[Section] = []
    current = _Open(title, None, 1)
    number = 0
    unclosed = None
    while number < len(lines):
        line = lines[number]
        heading = HEADING.match(line)
        fence = FENCE.match(line)
        if heading:
            sections.extend(current.close())
            current = _Open(heading.group(2), heading.group(3), number + 1)
        elif fence:
            body, number = _fenced(lines, number, fence.group(1))
            if fence.group(2).lower() == "where":
                (current.where if sections or current.started else header_where).extend(body)
        elif "$$" in line:
            block, number = _display(lines, number)
            if block is None:
                unclosed = number + 1
                break
            current.add(block)
        else:
            current.prose.append(line)
        number += 1
    sections.extend(current.close())
    return Layout(tuple(header_where), tuple(sections), unclosed)


class _Open:
    """A section being read."""

    def __init__(self, title: str, anchor: str | None, line: int) -> None:
        self.title, self.anchor, self.line = title, anchor, line
        self.blocks: list[Block] = []
        self.where: list[tuple[int, str]] = []
        self.prose: list[str] = []
        self.started = anchor is not None or line > 1

    def add(self, block: Block) -> None:
        prose = " ".join(p.strip() for p in self.prose if p.strip())
        self.blocks.append(Block(block.text, block.line, block.column, prose))
        self.prose = []

    def close(self) -> list[Section]:
        if not self.blocks:
            return []
        return [Section(self.title, self.anchor, self.line, tuple(self.blocks), tuple(self.where))]


def _fenced(lines: list[str], start: int, marker: str) -> tuple[list[tuple[int, str]], int]:
    body = []
    number = start + 1
    while number < len(lines) and not lines[number].strip().startswith(marker):
        body.append((number + 1, lines[number]))
        number += 1
    return body, number


def _display(lines: list[str], start: int) -> tuple[Block | None, int]:
    """The `$$ ... $$` block opening on line `start` (0-based); None if it never closes."""
    first = lines[start]
    opening = first.index("$$")
    rest = first[opening + 2:]
    if "$$" in rest:
        return Block(rest[:rest.index("$$")], start + 1, opening + 3), start
    parts = [rest]
    number = start + 1
    while number < len(lines):
        if "$$" in lines[number]:
            parts.append(lines[number][:lines[number].index("$$")])
            return Block("\n".join(parts), start + 1, opening + 3), number
        parts.append(lines[number])
        number += 1
    return None, start
