"""LaTeX math as lecture notes write it, read into SymPy by a grammar and a Transformer (nothing is evaluated)."""

from __future__ import annotations

import itertools
import re
from dataclasses import replace
from importlib.resources import files

import sympy as sp
from lark import Lark, Token, Tree
from lark.exceptions import LarkError, UnexpectedCharacters, UnexpectedEOF, UnexpectedToken, VisitError

from verifier.budget import BudgetExceeded
from verifier.reader.formula import MAX_ELEMENTS, Chain, Element, Label, ParseError
from verifier.reader.meaning import Reader, Readings
from verifier.reader.names import Names

MAX_CHARS = 20_000
MAX_DEPTH = 40  # brackets and braces nested deeper than this are refused, not parsed
MAX_READINGS = 4  # ambiguous constructs read both ways in one chain; more is refused


ENDS_OPERAND = frozenset({"NUMBER", "LETTER", "GREEK", "NAMED", "RPAR", "RSQB", "RBRACE", "RBAR", "PRIME", "BANG",
                          "LAYER", "TRANSPOSE", "END_CASES", "FONT_LETTER", "INDICATOR", "ACCENTED", "RFLOOR",
                          "RCEIL", "SHAPE"})  # \|x - \mathbf{1} \mu\| and \|\mathbf{y}\| close their bars
STARTS_OPERAND = frozenset({"LETTER", "GREEK", "NUMBER", "FUNCTION", "FRAC", "LEIBNIZ_FRACTION", "PLAIN_FRACTION",
                            "SQRT", "LPAR", "ACCENT", "ACCENTED", "FONT_LETTER", "INDICATOR", "NAMED"})
OPERATORS = frozenset({"LEIBNIZ_OPERATOR", "PLAIN_OPERATOR", "BIG_OPERATOR", "NABLA"})
OPENS = frozenset({"LPAR", "LSQB", "LBRACE", "LBAR", "BEGIN_CASES", "LFLOOR", "LCEIL"})
CLOSES = frozenset({"RPAR", "RSQB", "RBRACE", "RBAR", "END_CASES", "RFLOOR", "RCEIL"})


class _Tokens:
    """Decides what a token means from those around it: whether each `|` opens or closes an absolute value (from
    the token before it), and whether a `\\quad` or `\\qquad` separates two equations (`\\frac{d}{dx}\\sin x = \\cos x
    \\qquad \\frac{d}{dx}\\cos x = -\\sin x`: at the top level, after an operand, not inside an operator, before what
    can start an equation) or is only a space."""

    always_accept = ("BAR", "WIDE")

    def process(self, stream):  # type: ignore[no-untyped-def]
        """The tokens with each BAR renamed LBAR or RBAR, and each WIDE kept only where it separates equations."""
        return _wide_spaces(_bars(stream))


def _bars(stream):  # type: ignore[no-untyped-def]
    depth, previous = 0, None
    for token in stream:
        if token.type == "BAR":
            closing = depth > 0 and previous in ENDS_OPERAND
            token = Token.new_borrow_pos("RBAR" if closing else "LBAR", token, token)
        if token.type == "LBAR":
            depth += 1
        elif token.type == "RBAR":
            depth = max(0, depth - 1)
        previous = token.type
        yield token


def _wide_spaces(stream):  # type: ignore[no-untyped-def]
    depth, previous, operator = 0, None, False
    for token in stream:
        if token.type == "WIDE":
            if depth == 0 and not operator and (previous in ENDS_OPERAND or previous == "COMMA"):
                yield token  # `\\cos x \\qquad`, `\\cos x, \\qquad`: a separator; anywhere else, a space
            continue
        if token.type in OPERATORS:
            operator = True  # until its operand starts: `\\frac{d}{dx} \\quad x^2` is one derivative
        elif depth == 0 and token.type in STARTS_OPERAND and previous not in ("SUB", "SUP"):
            operator = False
        opens = token.type in OPENS or (token.type not in CLOSES and str(token).rstrip().endswith("{"))
        depth = depth + 1 if opens else max(0, depth - 1) if token.type in CLOSES else depth
        previous = token.type
        yield token


GRAMMAR = Lark(
    files("verifier.reader").joinpath("grammar.lark").read_text(encoding="utf-8"),
    parser="lalr",
    propagate_positions=True,
    postlex=_Tokens(),
)

READABLE = {
    "RBRACE": "}", "LBRACE": "{", "RPAR": ")", "LPAR": "(", "RSQB": "]", "LSQB": "[", "EQ": "=", "PLUS": "+",
    "MINUS": "-", "TIMES": "\\cdot", "SLASH": "/", "SUP": "^", "SUB": "_", "COMMA": ",", "AMP": "&",
    "NUMBER": "a number", "LETTER": "a letter", "GREEK": "a Greek letter", "NAMED": "\\text{...}",
    "FRAC": "\\frac", "END_CASES": "\\end{cases}", "REL": "a comparison", "PUNCT": "a full stop",
    "$END": "the end of the formula", "FUNCTION": "a function such as \\log", "DIFF": "d or \\partial",
    "LEIBNIZ_OPERATOR": "\\frac{d}{dx}", "LEIBNIZ_FRACTION": "\\frac{dy}{dx}", "BIG_OPERATOR": "\\sum",
    "LBAR": "|", "RBAR": "|", "BAR": "|", "WIDE": "\\qquad", "BECAUSE": "\\because", "NORM_INDEX": "_2",
    "_BR": "a line break \\\\", "ACCENT": "an accent such as \\hat", "SQRT": "\\sqrt",
    "BEGIN_CASES": "\\begin{cases}", "BOXED": "\\boxed", "MAP": "\\map",
    "GIVEN": "\\mid", "NORMAL": "\\mathcal{N}", "PLAIN_OPERATOR": "d/dx",
    "PLAIN_FRACTION": "dy/dx", "NABLA": "\\nabla", "LEAD": "\\therefore",
    "LAYER": "a layer index ^{(l)}", "TRANSPOSE": "^\\top", "PRIME": "'", "BANG": "!", "APPROX": "\\approx",
    "PM": "\\pm", "FONT_LETTER": "\\mathcal{L}", "SUBSTACK": "\\substack", "LBRACE_ESC": "\\{", "RBRACE_ESC": "\\}",
    "IN": "\\in", "DOTS": "\\dots", "LFLOOR": "\\lfloor", "RFLOOR": "\\rfloor", "LCEIL": "\\lceil",
    "RCEIL": "\\rceil", "SHAPE": "a shape ^{n \\times 3}",
}


def read_chain(text: str, names: Names, variable: sp.Symbol | None = None, labels: bool = True,
               indices: dict[str, int | sp.Symbol] | None = None) -> Chain:
    """Read `A = B = C` (with \\\\ and & as aligned blocks write them); `indices` gives free indices values."""
    tree = parse_tree(text)
    first = _transform(tree, Reader(text, names, variable, labels, indices or {}, frozenset()))
    if len(first.ambiguities) > MAX_READINGS:
        raise ParseError(f"more than {MAX_READINGS} ambiguous constructs in one formula: add parentheses")
    elements = list(first.elements)
    chosen: dict[int, list[str]] = {}  # how each element's ambiguous constructs were read
    for key, (said, other) in first.ambiguities.items():
        try:
            flipped = _transform(tree, Reader(text, names, variable, labels, indices or {}, frozenset({key})))
        except ParseError:  # the other reading means nothing (m·a·x applied to two arguments): one reading, shown
            index = next((i for i, (start, end) in enumerate(first.spans) if start <= key < end), None)
        else:
            index = _add_reading(elements, flipped, key, other)
        if index is not None:
            chosen.setdefault(index, []).append(said)
    for index, said_here in chosen.items():
        elements[index] = replace(elements[index], read_as="; ".join(dict.fromkeys(said_here)))
    return Chain(tuple(elements), first.continues, first.undeclared, first.dangling)


def _transform(tree: Tree, reader: Reader) -> Readings:
    try:
        return reader.read(tree)
    except VisitError as error:
        if isinstance(error.orig_exc, ParseError):
            raise error.orig_exc from None
        if isinstance(error.orig_exc, RecursionError):
            raise ParseError("the formula is nested too deeply to read") from None
        if isinstance(error.orig_exc, BudgetExceeded):  # the reading time ran out inside a rule: said as such
            raise error.orig_exc from None
        raise


def _add_reading(elements: list[Element], flipped: Readings, key: int, other: str) -> int | None:
    """Record, on the element holding the ambiguous construct at `key`, the expression its other reading gives;
    the element's index, or None when that reading changes no expression."""
    index = next((i for i, (start, end) in enumerate(flipped.spans) if start <= key < end), None)
    if index is None or index >= len(elements):
        return None
    element, alternative = elements[index], flipped.elements[index]
    if element.label is not None or alternative.expr is None or alternative.expr == element.expr:
        return None
    elements[index] = replace(element, alternatives=(*element.alternatives, (alternative.expr, other)))
    return index


WIDE_SPACE = re.compile(r"\\q?quad(?![A-Za-z])")


def parse_tree(text: str) -> Tree:
    """The parse tree of a formula, after the size limits; lark's errors become ParseError."""
    _check_depth(text)
    if len(text) > MAX_CHARS:
        raise ParseError(f"formula of {len(text)} characters: the limit is {MAX_CHARS}")
    try:
        tree = GRAMMAR.parse(text)
    except UnexpectedToken as error:
        if error.token.type == "WIDE":  # no second equation after all (`\\sum_i \\quad x_i`): a space, as TeX has it
            return parse_tree(_spaced(text))
        raise _unexpected_token(text, error) from None
    except UnexpectedCharacters as error:
        raise _unexpected_character(text, error) from None
    except UnexpectedEOF as error:
        raise ParseError(f"the formula ends early, expected {_expected(error.expected)}") from None
    except LarkError as error:  # any other failure of the parser is still a parse error
        raise ParseError(f"cannot parse: {error}") from None
    return tree if _equations_apart(tree) else parse_tree(_spaced(text))


def _spaced(text: str) -> str:
    """The formula with each \\quad and \\qquad a plain space of its length (positions kept)."""
    return WIDE_SPACE.sub(lambda m: " " * len(m.group()), text)


def _equations_apart(tree: Tree) -> bool:
    """Whether every \\qquad read as a separator stands between two equations, each with its own `=`
    (`\\frac{1}{2} \\quad x^2 = y` is one equation with a space in it)."""
    links = [c.children[0].type for c in tree.find_data("link")]
    equations: list[list[str]] = [[]]  # the links of each equation, those that start one (WIDE, LEAD) first
    for link in links:
        if link in ("WIDE", "LEAD"):
            equations.append([link])
        else:
            equations[-1].append(link)
    return all("EQ" in before and "EQ" in after for before, after in itertools.pairwise(equations)
               if after[0] == "WIDE")


def _unexpected_token(text: str, error: UnexpectedToken) -> ParseError:
    token = error.token
    function = re.search(r"(\\[A-Za-z]+)\s*$", text[:token.start_pos] if token.type != "$END" else text)
    if function and GRAMMAR.get_terminal("FUNCTION").pattern.to_regexp() and re.fullmatch(
            GRAMMAR.get_terminal("FUNCTION").pattern.to_regexp(), function.group(1)):
        return ParseError(f"the function {function.group(1)} needs an argument", *_line_column(text, function.start()))
    if token.type == "$END":
        return ParseError(f"found the end of the formula, expected {_expected(error.expected)}",
                          error.line if error.line > 0 else 1, error.column if error.column > 0 else 1)
    if token.type == "DIFF" and str(token) == "\\partial":
        return ParseError("\\partial outside a derivative: write \\frac{\\partial}{\\partial x}", error.line,
                          error.column)
    if token.type == "GIVEN":
        return ParseError(f"{token}: a conditional is read only in the normal density, \\mathcal{{N}}(x \\mid \\mu, "
                          "\\sigma^2)", error.line, error.column)
    if token.type == "DOTS":
        return ParseError(f"{token} is read only in a tuple's index set, \\{{1, \\dots, k\\}}: write a sum of terms "
                          "as \\sum_{i=1}^{k}", error.line, error.column)
    if token.type == "APPROX":
        return ParseError("\\approx is not an equality: backproof checks equal steps only", error.line, error.column)
    return ParseError(f"found {str(token)!r}, expected {_expected(error.expected)}", error.line, error.column)


def _unexpected_character(text: str, error: UnexpectedCharacters) -> ParseError:
    rest = text[error.pos_in_stream:]
    if rest.startswith("\\"):
        macro = re.match(r"\\[A-Za-z]+|\\.?", rest, flags=re.DOTALL).group()  # type: ignore[union-attr]
        return ParseError(f"unknown macro {macro}", error.line, error.column)
    char = rest[:1]
    return ParseError(f"unexpected character {char!r}", error.line, error.column)


def _line_column(text: str, offset: int) -> tuple[int, int]:
    before = text[:offset]
    return before.count("\n") + 1, offset - (before.rfind("\n") + 1) + 1


def _expected(terminals: set[str]) -> str:
    readable = sorted({READABLE.get(t, t.lower()) for t in terminals}, key=lambda r: (not r.startswith("a "), r))
    return ", ".join(readable[:8]) + (", ..." if len(readable) > 8 else "")


def _check_depth(text: str) -> None:
    depth, line, column = 0, 1, 0
    for char in text:
        column += 1
        if char == "\n":
            line, column = line + 1, 0
        elif char in "{([":
            depth += 1
            if depth > MAX_DEPTH:
                raise ParseError(f"brackets nested more than {MAX_DEPTH} deep", line, column)
        elif char in "})]":
            depth -= 1


__all__ = [
    "MAX_CHARS", "MAX_DEPTH", "MAX_ELEMENTS", "Chain", "Element", "Label", "ParseError", "parse_tree", "read_chain",
]
