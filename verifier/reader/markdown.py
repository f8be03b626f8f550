"""A Markdown file cut into sections (headings), display-math blocks, where blocks and prose."""

from __future__ import annotations

import re
from dataclasses import dataclass

HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*(?:\{#([A-Za-z0-9_.:-]+)\})?\s*#*\s*$")
FENCE = re.compile(r"^\s*(```+|~~~+)\s*([A-Za-z]*)")
HTML_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)  # blanked, lines kept: `<!-- $$ ... $$ -->` is no math
# a display: $$ ... $$, \[ ... \], or an equation environment written in the Markdown (as Jupyter and Pandoc read it)
DISPLAY_OPEN = re.compile(r"\$\$|\\\[|\\begin\s*\{(equation|align|gather|multline|eqnarray)(\*?)\}")
INLINE_CODE = re.compile(r"(`+)(?!`).*?(?<!`)\1(?!`)")  # `code`, ``co`de``: never math
BOM = "\ufeff"


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
    where: tuple[tuple[int, str], ...]  # (line, text) of its where-block lines, after those of the sections it is under


@dataclass(frozen=True)
class Problem:
    """Something in the file's layout that could not be read (an unclosed fence), at line:column."""

    line: int
    column: int
    message: str


@dataclass(frozen=True)
class Layout:
    """A file's file-wide where lines and its sections, in order."""

    where: tuple[tuple[int, str], ...]
    sections: tuple[Section, ...]
    unclosed: int | None  # the line of a `$$` that is never closed
    problems: tuple[Problem, ...] = ()


def read_layout(text: str, title: str) -> Layout:
    """Cut `text` into sections; before the first heading: the file-wide where block.

    A `$$` or a fence that is never closed is a problem at its line, and the lines after it are still read.
    """
    text = HTML_COMMENT.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), text)  # a comment is never read
    lines = [line[1:] if line.startswith(BOM) else line for line in text.split("\n")]
    reader = _Reader(lines, title)
    reader.run()
    reader.sections.extend(reader.current.close())
    return Layout(tuple(reader.header_where), tuple(reader.sections), None, tuple(reader.problems))


class _Reader:
    """The state of a pass over a file's lines."""

    def __init__(self, lines: list[str], title: str) -> None:
        self.lines = lines
        self.header_where: list[tuple[int, str]] = []
        self.sections: list[Section] = []
        self.current = _Open(title, None, 1)
        self.open: list[tuple[int, _Open]] = []  # the headings a new heading may be under, with their levels
        self.headed = False  # a heading has been read: where blocks belong to its section
        self.problems: list[Problem] = []

    def run(self) -> None:
        number = 0
        while number < len(self.lines):
            number = self.read_line(number) + 1

    def read_line(self, number: int) -> int:
        """Read the construct that starts on line `number`; the last line it takes."""
        line = self.lines[number]
        if heading := HEADING.match(line):
            self.sections.extend(self.current.close())
            level = len(heading.group(1))
            self.open = [(lvl, section) for lvl, section in self.open if lvl < level]
            self.current = _Open(heading.group(2), heading.group(3), number + 1, [s for _, s in self.open])
            self.open.append((level, self.current))
            self.headed = True
        elif fence := FENCE.match(line):
            return self.fenced(number, fence)
        elif DISPLAY_OPEN.search(_masked(line)):
            return self.displays(number)
        else:
            self.current.prose.append(line)
        return number

    def fenced(self, number: int, fence: re.Match[str]) -> int:
        body, end = _fenced(self.lines, number, fence.group(1))
        if end is None:
            column = fence.start(1) + 1
            self.problems.append(Problem(number + 1, column, f"'{fence.group(1)}' opens a fence that is never closed"))
            self.current.prose.append(self.lines[number])
            return number
        if fence.group(2).lower() == "where":
            (self.current.where if self.headed else self.header_where).extend(body)
        if fence.group(2).lower() == "math" and body:  # GitHub's display math
            self.current.add(Block("\n".join(text for _, text in body), body[0][0], 1))
        return end

    def displays(self, number: int) -> int:
        """Every display from line `number` on, several on one line included; the last line they take."""
        column = 0
        while opened := DISPLAY_OPEN.search(_masked(self.lines[number]), column):
            block, end = _display(self.lines, number, opened)
            if block is None:
                self.problems.append(Problem(number + 1, opened.start() + 1,
                                             f"'{opened.group()}' opens a block that is never closed"))
                return number
            self.current.add(block)
            number, column = end
        return number


class _Open:
    """A section being read."""

    def __init__(self, title: str, anchor: str | None, line: int, parents: list[_Open] | None = None) -> None:
        self.title, self.anchor, self.line = title, anchor, line
        self.parents = parents or []  # the sections this one is under: their where blocks hold here too
        self.blocks: list[Block] = []
        self.where: list[tuple[int, str]] = []
        self.prose: list[str] = []

    def add(self, block: Block) -> None:
        prose = " ".join(p.strip() for p in self.prose if p.strip())
        self.blocks.append(Block(block.text, block.line, block.column, prose))
        self.prose = []

    def close(self) -> list[Section]:
        if not self.blocks:
            return []
        inherited = [line for parent in self.parents for line in parent.where]
        return [Section(self.title, self.anchor, self.line, tuple(self.blocks), (*inherited, *self.where))]


def _masked(line: str) -> str:
    """The line with its inline code spans blanked out (a `$$` in code is not math)."""
    return INLINE_CODE.sub(lambda m: " " * len(m.group(0)), line)


def _fenced(lines: list[str], start: int, marker: str) -> tuple[list[tuple[int, str]], int | None]:
    """The lines inside the fence opening on line `start`, and the line that closes it (None: never closed)."""
    body = []
    number = start + 1
    while number < len(lines) and not lines[number].strip().startswith(marker):
        body.append((number + 1, lines[number]))
        number += 1
    return body, (number if number < len(lines) else None)


def _display(lines: list[str], start: int, opened: re.Match[str]) -> tuple[Block | None, tuple[int, int]]:
    """The block `opened` starts on line `start` (0-based); None if it never closes before the next heading or
    fence (the sections after it are still read).

    Also where reading goes on: the line of the closing delimiter and the column just after it.
    """
    closing = _closing(opened)
    rest = lines[start][opened.end():]
    if (close := closing.search(rest)) is not None:
        return Block(rest[:close.start()], start + 1, opened.end() + 1), (start, opened.end() + close.end())
    parts = [rest]
    for number in range(start + 1, len(lines)):
        if HEADING.match(lines[number]) or FENCE.match(lines[number]):  # math holds no heading: it is unclosed
            break
        if (close := closing.search(lines[number])) is not None:
            parts.append(lines[number][:close.start()])
            return Block("\n".join(parts), start + 1, opened.end() + 1), (number, close.end())
        parts.append(lines[number])
    return None, (start, len(lines[start]))


def _closing(opened: re.Match[str]) -> re.Pattern[str]:
    """What closes a display: `$$`, `\\]`, or the end of its environment."""
    if opened.group(1) is not None:
        return re.compile(r"\\end\s*\{" + opened.group(1) + re.escape(opened.group(2)) + r"\}")
    return re.compile(re.escape("$$" if opened.group() == "$$" else "\\]"))
