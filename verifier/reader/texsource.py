"""LaTeX sources: sections as derivations, display environments as chains, `%!` comment lines as where blocks.

The file is only read, never run: its own \\newcommand macros are expanded by text substitution
(texmacros.py), and a position is file:line:column of the .tex itself.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass

from verifier.reader.document import BlockError, Document, read_layout_document
from verifier.reader.markdown import Block, Layout, Section
from verifier.reader.texmacros import MacroError, Macros, closing_brace, definitions

ROWS = {"align", "align*", "gather", "gather*", "eqnarray", "eqnarray*", "flalign", "flalign*", "alignat",
        "alignat*"}
ONE_ROW = {"equation", "equation*", "multline", "multline*", "displaymath", "math"}
ENVIRONMENTS = "|".join(re.escape(name) for name in sorted(ROWS | ONE_ROW, key=len, reverse=True))
STRUCTURE = re.compile(
    r"\\(?:sub)*section\*?\s*(?:\[[^\]]*\])?\s*\{|\\begin\{(" + ENVIRONMENTS + r")\}|\\\[|\$\$|\\begin\{document\}"
)
WHERE_LINE = re.compile(r"^(\s*)%!(.*)$")
COMMENT = re.compile(r"(?<!\\)%.*$", flags=re.MULTILINE)
LABEL = re.compile(r"\\label\s*\{([^{}]*)\}|\\(?:nonumber|notag)\b|\\tag\*?\s*\{[^{}]*\}")
ALIGNMENT_LINES = re.compile(r"\\begin\{split\}|\\end\{split\}")


@dataclass(frozen=True)
class Trace:
    """A block whose macros were expanded: where it starts, its expansion and where each character came from."""

    line: int
    column: int
    expanded: str
    origin: tuple[int, ...]  # offsets in the file
    lines: tuple[int, ...]  # the file's line starts (to turn an offset back into line and column)

    def back(self, line: int, column: int) -> tuple[int, int] | None:
        """A position in the expansion as the file's line and column; None when it is not in this block."""
        rows = self.expanded.split("\n")
        row = line - self.line
        if not 0 <= row < len(rows):
            return None
        within = column - self.column if row == 0 else column - 1
        offset = sum(len(r) + 1 for r in rows[:row]) + within
        if not 0 <= within <= len(rows[row]) or offset >= len(self.origin):
            return None
        return _place(list(self.lines), self.origin[offset])


@dataclass(frozen=True)
class Display:
    """A display's formula text, where it starts in the file (0-based offset), and its environment."""

    text: str
    offset: int
    environment: str
    end: int


def read_tex(text: str, path: str) -> Document:
    """The derivations of a LaTeX source (see the README for what is read)."""
    macros = definitions(text)
    traces: list[Trace] = []
    layout, problems = tex_layout(text, macros, path, traces)
    document = _traced_back(read_layout_document(layout, path), traces)
    errors = sorted((*document.errors, *problems), key=lambda e: (e.line, e.column))
    return dataclasses.replace(document, errors=tuple(errors))


def _traced_back(document: Document, traces: list[Trace]) -> Document:
    """Positions inside expanded macros moved back to where the file writes them."""
    if not traces:
        return document
    ordered = sorted(traces, key=lambda t: (t.line, t.column), reverse=True)

    def back(line: int, column: int) -> tuple[int, int]:
        for trace in ordered:
            if (trace.line, trace.column) <= (line, column):
                return trace.back(line, column) or (line, column)
        return line, column

    derivations = tuple(
        dataclasses.replace(read, steps=tuple(
            dataclasses.replace(step, **dict(zip(("line", "column"), back(step.line, step.column), strict=True)))
            for step in read.steps))
        for read in document.derivations)
    errors = tuple(dataclasses.replace(e, **dict(zip(("line", "column"), back(e.line, e.column), strict=True)))
                   for e in document.errors)
    return dataclasses.replace(document, derivations=derivations, errors=errors)


def tex_layout(text: str, macros: Macros, path: str, traces: list[Trace]) -> tuple[Layout, list[BlockError]]:
    """The source cut into sections of display blocks, with its `%!` where lines; and what could not be read."""
    scan = _Scan(text, macros, path, traces)
    scan.run()
    sections = scan.sections
    header = _share_where(sections, _where_lines(text))
    found = [s.close() for s in sections[1:] if s.blocks]
    if sections[0].blocks:  # displays before any section: a derivation named after the file
        found.insert(0, sections[0].close(path))
    return Layout(tuple(header), tuple(found), None), scan.problems


def _share_where(sections: list[_Open], where: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """Give each section the where lines between its heading and the next; return those before the first."""
    ends = [s.line for s in sections[1:]] + [10**9]
    for section, end in zip(sections[1:], ends[1:], strict=True):
        section.where.extend(w for w in where if section.line <= w[0] < end)
    return [w for w in where if w[0] < ends[0]]


class _Scan:
    """One pass over the source: headings open sections, displays add blocks to the section open."""

    def __init__(self, text: str, macros: Macros, path: str, traces: list[Trace]) -> None:
        self.text, self.macros, self.path, self.traces = text, macros, path, traces
        self.masked = COMMENT.sub(lambda m: " " * len(m.group()), text)  # a comment opens no section or display
        self.lines = _line_starts(text)
        self.sections: list[_Open] = [_Open("", None, 1)]
        self.problems: list[BlockError] = []

    def run(self) -> None:
        """Read the headings and displays in order (from \\begin{document} when there is one)."""
        position = prose_from = max(self.masked.find(r"\begin{document}"), 0)
        for match in STRUCTURE.finditer(self.masked, position):
            if match.start() < position:
                continue
            if match.group() == r"\begin{document}":
                position = prose_from = match.end()
            elif "section" in match.group():
                heading, position = _section(self.text, self.masked, match, self.lines)
                self.sections.append(heading)
                prose_from = position
            else:
                end = self.display(match, _prose(self.masked[prose_from:match.start()]))
                if end is None:
                    return
                position = prose_from = end

    def display(self, match: re.Match[str], prose: str) -> int | None:
        """Add the display `match` opens to the open section; where it ends, or None if it never does."""
        display = _display(self.text, self.masked, match)
        if display is None:
            line, column = _place(self.lines, match.start())
            self.problems.append(BlockError(self.path, line, column,
                                            f"'{match.group()}' opens a display that is never closed"))
            return None
        for block in _blocks(display, self.lines, self.macros, self.path, self.problems, self.traces):
            self.sections[-1].blocks.append(dataclasses.replace(block, prose=prose))
            prose = ""
        return display.end


@dataclass
class _Open:
    """A section being read."""

    title: str
    anchor: str | None
    line: int
    blocks: list[Block] = dataclasses.field(default_factory=list)
    where: list[tuple[int, str]] = dataclasses.field(default_factory=list)

    def close(self, path: str = "") -> Section:
        title = self.title or re.sub(r"\.tex$", "", path.rsplit("/", 1)[-1])
        return Section(title, self.anchor, self.line, tuple(self.blocks), tuple(self.where))


def _line_starts(text: str) -> list[int]:
    starts = [0]
    starts += [m.end() for m in re.finditer("\n", text)]
    return starts


def _place(starts: list[int], offset: int) -> tuple[int, int]:
    """A 0-based offset as a 1-based line and column."""
    low, high = 0, len(starts) - 1
    while low < high:
        middle = (low + high + 1) // 2
        if starts[middle] <= offset:
            low = middle
        else:
            high = middle - 1
    return low + 1, offset - starts[low] + 1


def _where_lines(text: str) -> list[tuple[int, str]]:
    """The `%!` lines as (line, text), `%!` blanked so columns stay those of the file; a bare `%! where` skipped."""
    found = []
    for number, line in enumerate(text.split("\n"), start=1):
        match = WHERE_LINE.match(line)
        if match and match.group(2).strip().lower() not in ("", "where", "where:"):
            found.append((number, match.group(1) + "  " + match.group(2)))
    return found


def _section(text: str, masked: str, match: re.Match[str], lines: list[int]) -> tuple[_Open, int]:
    """A \\section{...} heading (and the \\label just after it, as its id); where the text after it starts."""
    end = closing_brace(masked, match.end())
    title = text[match.end():end] if end is not None else ""
    after = end + 1 if end is not None else match.end()
    label = re.match(r"\s*\\label\s*\{([A-Za-z0-9_.:-]+)\}", masked[after:])
    anchor = label.group(1).split(":")[-1] if label else None
    if label:
        after += label.end()
    line, _ = _place(lines, match.start())
    return _Open(" ".join(title.split()), anchor, line), after


def _display(text: str, masked: str, match: re.Match[str]) -> Display | None:
    """The formula of the display that `match` opens, or None if it never closes."""
    token = match.group()
    environment = match.group(1) or ("$$" if token == "$$" else r"\[")
    closer = {"$$": "$$", r"\[": r"\]"}.get(environment, rf"\end{{{environment}}}")
    end = masked.find(closer, match.end())
    if end < 0:
        return None
    return Display(text[match.end():end], match.end(), environment, end + len(closer))


def _blocks(display: Display, lines: list[int], macros: Macros, path: str, problems: list[BlockError],
            traces: list[Trace]) -> list[Block]:
    """The display as blocks: one per row of an align or gather (or a split inside), else one."""
    formula = LABEL.sub(lambda m: " " * len(m.group()), display.text)
    rows = display.environment in ROWS or bool(ALIGNMENT_LINES.search(formula))
    formula = ALIGNMENT_LINES.sub(lambda m: " " * len(m.group()), formula)
    pieces = _rows(formula) if rows else [(0, _top_level(formula, keep_rows=False))]
    blocks = []
    for start, row in pieces:
        if not row.strip():
            continue
        line, column = _place(lines, display.offset + start)
        try:
            expanded, origin = macros.expand_traced(row)
        except MacroError as error:
            problems.append(BlockError(path, line, column, str(error)))
            continue
        if expanded != row:
            start = display.offset + start
            traces.append(Trace(line, column, expanded, tuple(start + o for o in origin), tuple(lines)))
        blocks.append(Block(expanded, line, column))
    return blocks


def _rows(formula: str) -> list[tuple[int, str]]:
    """The rows between top-level `\\\\` (offset in the formula, text with alignment `&` blanked)."""
    blanked = _top_level(formula, keep_rows=True)
    rows, start = [], 0
    for index, mark in _top_level_marks(formula):
        if mark == "\\\\":
            rows.append((start, blanked[start:index]))
            start = index + 2
    rows.append((start, blanked[start:]))
    return rows


def _top_level(formula: str, keep_rows: bool) -> str:
    """`formula` with its top-level `&` (and, unless `keep_rows`, its top-level `\\\\`) blanked, same length."""
    out = list(formula)
    for index, mark in _top_level_marks(formula):
        if mark == "&" or not keep_rows:
            out[index:index + len(mark)] = " " * len(mark)
    return "".join(out)


def _top_level_marks(formula: str) -> list[tuple[int, str]]:
    """Where `&` and `\\\\` stand outside all braces and \\begin...\\end environments, in one pass."""
    depth = 0
    marks = []
    for match in re.finditer(r"\\begin\{[^{}]*\}|\\end\{[^{}]*\}|\\\\|\\.|[{}&]", formula):
        token = match.group()
        if token.startswith(r"\begin") or token == "{":
            depth += 1
        elif token.startswith(r"\end") or token == "}":
            depth -= 1
        elif token in ("&", "\\\\") and depth == 0:
            marks.append((match.start(), token))
    return marks


def _prose(text: str) -> str:
    """The words between two displays, without LaTeX's commands."""
    text = re.sub(r"\\[A-Za-z]+\*?(\{[^{}]*\})?", lambda m: (m.group(1) or "")[1:-1], text)
    return " ".join(text.split())
