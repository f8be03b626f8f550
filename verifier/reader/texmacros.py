"""A LaTeX source's own \\newcommand macros, expanded in its formulas by text substitution: bounded, never run."""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_ROUNDS = 20  # a macro that still expands after this many rounds is recursive
MAX_EXPANDED_CHARS = 20_000  # as the reader's limit for one formula
NEWCOMMAND = re.compile(r"\\(?:re|provide)?newcommand\*?\s*(?:\{\s*\\([A-Za-z]+)\s*\}|\\([A-Za-z]+))\s*")
OPERATOR = re.compile(r"\\DeclareMathOperator\*?\s*\{\s*\\([A-Za-z]+)\s*\}\s*")
OTHER_DEFINITION = re.compile(r"\\(?:[gex]?def|let)\s*\\([A-Za-z]+)|\\DeclareRobustCommand\*?\s*\{?\s*\\([A-Za-z]+)")


class MacroError(ValueError):
    """A formula whose macros cannot be expanded safely."""


@dataclass(frozen=True)
class Macro:
    """A macro defined with \\newcommand (or \\DeclareMathOperator): its parameter count and body."""

    name: str
    parameters: int
    body: str


@dataclass(frozen=True)
class Macros:
    """The macros a source defines that can be expanded, and the names of those it defines in other ways."""

    expandable: dict[str, Macro]
    refused: dict[str, str]  # name -> why it is not expanded

    def expand(self, formula: str) -> str:
        """`formula` with every expandable macro replaced by its body; MacroError for a refused or runaway one."""
        return self.expand_traced(formula)[0]

    def expand_traced(self, formula: str) -> tuple[str, tuple[int, ...]]:
        """The expansion, and for each of its characters the index in `formula` it comes from (a body: its macro's)."""
        origin = tuple(range(len(formula)))
        for _ in range(MAX_ROUNDS):
            names = re.findall(r"\\([A-Za-z]+)", formula)
            for name in names:
                if name in self.refused:
                    raise MacroError(f"\\{name} {self.refused[name]}: backproof expands only \\newcommand "
                                     "definitions without an optional argument")
            if not any(name in self.expandable for name in names):
                return formula, origin
            formula, step = _expand_once(formula, self.expandable)
            origin = tuple(origin[i] for i in step)
            if len(formula) > MAX_EXPANDED_CHARS:
                raise MacroError(f"the formula's macros expand to more than {MAX_EXPANDED_CHARS:,} characters")
        raise MacroError(f"the formula's macros still expand after {MAX_ROUNDS} rounds (a macro that uses itself?)")


def definitions(source: str) -> Macros:
    """Every macro the source defines: \\newcommand without an optional argument is expandable, others are not."""
    expandable: dict[str, Macro] = {}
    refused: dict[str, str] = {}
    for match in NEWCOMMAND.finditer(source):
        name = match.group(1) or match.group(2)
        rest = source[match.end():]
        count = re.match(r"\[\s*(\d)\s*\]\s*", rest)
        if count is not None:
            rest = rest[count.end():]
        if rest.startswith("["):
            refused[name] = "has an optional argument"
            continue
        body = _group(rest)
        if body is None:
            refused[name] = "has a definition that is not one {...} group"
            continue
        expandable[name] = Macro(name, int(count.group(1)) if count else 0, body[0])
    for match in OPERATOR.finditer(source):
        body = _group(source[match.end():])
        if body is not None and re.fullmatch(r"[A-Za-z ]+", body[0]):
            expandable[match.group(1)] = Macro(match.group(1), 0, r"\operatorname{" + body[0].strip() + "}")
    for match in OTHER_DEFINITION.finditer(source):
        name = match.group(1) or match.group(2)
        if name not in expandable:
            refused[name] = "is defined with \\def, \\let or \\DeclareRobustCommand"
    return Macros(expandable, refused)


def _group(text: str) -> tuple[str, int] | None:
    """The content of the {...} group `text` starts with, and the index just after it; None if it does not."""
    end = closing_brace(text, 1) if text.startswith("{") else None
    return None if end is None else (text[1:end], end + 1)


def closing_brace(text: str, start: int) -> int | None:
    """The index of the `}` that closes the brace opened just before `start`, or None."""
    depth = 1
    for match in re.finditer(r"\\.|[{}]", text[start:], flags=re.DOTALL):
        depth += {"{": 1, "}": -1}.get(match.group(), 0)
        if depth == 0:
            return start + match.start()
    return None


def _argument(text: str) -> tuple[str, int] | None:
    """One macro argument at the start of `text`: a {...} group's content, a control word or one character."""
    stripped = len(text) - len(text.lstrip())
    rest = text[stripped:]
    if not rest:
        return None
    if rest.startswith("{"):
        group = _group(rest)
        return None if group is None else (group[0], stripped + group[1])
    token = re.match(r"\\[A-Za-z]+|\\.|.", rest, flags=re.DOTALL)
    assert token is not None
    return token.group(), stripped + token.end()


def _expand_once(formula: str, macros: dict[str, Macro]) -> tuple[str, list[int]]:
    """Every use of a macro in `formula` replaced by its body once (arguments substituted for #1..#9), and for
    each character of the result the index in `formula` it comes from."""
    out: list[str] = []
    origin: list[int] = []
    position = 0
    for match in re.finditer(r"\\([A-Za-z]+)", formula):
        if match.start() < position or match.group(1) not in macros:
            continue
        macro = macros[match.group(1)]
        end = match.end()
        arguments = []
        for _ in range(macro.parameters):
            argument = _argument(formula[end:])
            if argument is None:
                raise MacroError(f"\\{macro.name} needs {macro.parameters} arguments")
            arguments.append(argument[0])
            end += argument[1]
        body = _substituted(macro.body, tuple(arguments))
        separator = " " if re.match(r"[A-Za-z]", formula[end:end + 1]) and re.search(r"\\[A-Za-z]+$", body) else ""
        out += [formula[position:match.start()], body + separator]
        origin += [*range(position, match.start()), *[match.start()] * len(body + separator)]
        position = end
    out.append(formula[position:])
    origin += range(position, len(formula))
    return "".join(out), origin


def _substituted(body: str, arguments: tuple[str, ...]) -> str:
    """A macro's body with #1..#9 replaced by the arguments given (as TeX does, without adding braces)."""
    return re.sub(r"#([1-9])", lambda m: arguments[int(m.group(1)) - 1] if int(m.group(1)) <= len(arguments)
                  else m.group(0), body)
