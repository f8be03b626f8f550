"""Where-block lines as tables: what each form declares, and where and why a bad line is refused."""

from __future__ import annotations

import time
from typing import Any

import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from verifier.model import Choice, Interval
from verifier.reader import declarations as where
from verifier.reader.declarations import Declarations, read_where
from verifier.reader.document import declarations
from verifier.reader.latex import ParseError
from verifier.reader.names import NORMAL_CDF, NORMAL_PDF, SIZE_DOMAIN, Names

x, z = sp.Symbol("x", real=True), sp.Symbol("z", real=True)
y1, y2 = sp.Symbol("y_1", integer=True), sp.Symbol("y_2", integer=True)
REAL, POSITIVE, UNIT = Interval(-6, 6, (True, True)), Interval(0, 6, (False, True)), Interval(0, 1)
NEGATIVE, NONNEGATIVE = Interval(-6, 0, (True, False)), Interval(0, 6, (False, True), (True, False))
PRELUDE = "x, z real\ny_1, y_2 in {0, 1}\nK = 3"


def read(text: str) -> Declarations:
    """The declarations of a where block: the prelude's lines, then `text`'s."""
    lines = [*PRELUDE.split("\n"), *text.split("\n")]
    return declarations(tuple(enumerate(lines, start=1)), Declarations(Names()))


def kind(symbol: sp.Symbol) -> str:
    """The symbol's assumptions in a word."""
    if symbol.is_integer:
        return "positive integer" if symbol.is_positive else "integer"
    if symbol.is_positive or symbol.is_negative:
        return "positive" if symbol.is_positive else "negative"
    return "nonnegative" if symbol.is_nonnegative else "real"


def fields(declared: Declarations) -> dict[str, Any]:
    """What the tables compare: variables (kind and domain), definitions, functions, sizes, constraints, kink."""
    names = declared.names
    kink = declared.kink
    return {
        "variables": {v.symbol.name: (kind(v.symbol), v.domain) for v in names.variables},
        "definitions": {s.name: m for s, m in names.definitions},
        "functions": dict(names.functions),
        "sizes": tuple(s.name for s in names.sizes),
        "constraints": [(c.eliminates, c.equals, c.statement) for c in declared.constraints],
        "kink": None if kink is None else (kink.symbol, kink.at, kink.value),
        "assignments": declared.assignments,
    }


# (where line, the fields it gives: variables are compared by name, only those listed)
READS: list[tuple[str, dict[str, Any]]] = [
    # kinds and sets, as read before the grammar
    ("a real", {"variables": {"a": ("real", REAL)}}),
    ("a positive", {"variables": {"a": ("positive", POSITIVE)}}),
    ("a negative", {"variables": {"a": ("negative", NEGATIVE)}}),
    ("a, b real", {"variables": {"a": ("real", REAL), "b": ("real", REAL)}}),
    ("a is real", {"variables": {"a": ("real", REAL)}}),
    ("a in (0, 1)", {"variables": {"a": ("positive", UNIT)}}),
    ("a in [-2, 2]", {"variables": {"a": ("real", Interval(-2, 2, closed=(True, True)))}}),
    ("a in [0, 2)", {"variables": {"a": ("nonnegative", Interval(0, 2, closed=(True, False)))}}),
    ("a in (0.1, 4)", {"variables": {"a": ("positive", Interval(0.1, 4))}}),
    ("y in {0, 1}", {"variables": {"y": ("integer", Choice((0, 1)))}}),
    ("y \\in \\{-1, 1\\}", {"variables": {"y": ("integer", Choice((-1, 1)))}}),
    ("w_{o1}, \\hat{y}_2 in (-2, 2)", {"variables": {"w_o1": ("real", Interval(-2, 2)),
                                                     "yhat_2": ("real", Interval(-2, 2))}}),
    # the notation of real notes: names
    ("\\sigma real", {"variables": {"sigma": ("real", REAL)}}),
    ("\\lambda > 0", {"variables": {"lambda": ("positive", POSITIVE)}}),
    ("\\psi real", {"variables": {"psi": ("real", REAL)}}),
    ("\\ell real", {"variables": {"ell": ("real", REAL)}}),
    ("\\bar{x} real", {"variables": {"xbar": ("real", REAL)}}),
    ("\\hat{y} in (0, 1)", {"variables": {"yhat": ("positive", UNIT)}}),
    ("\\hat y real", {"variables": {"yhat": ("real", REAL)}}),
    ("\\tilde{x} real", {"variables": {"xtilde": ("real", REAL)}}),
    ("x_i real", {"variables": {"x_i": ("real", REAL)}}),
    ("\\mathbf{x} real", {"variables": {"xbf": ("real", REAL)}}),  # bold names: names of their own (it was an error)
    ("\\boldsymbol{\\theta} real", {"variables": {"thetabf": ("real", REAL)}}),
    ("W^{(2)} real", {"variables": {"W_2": ("real", REAL)}}),
    ("e in (0, 1)", {"variables": {"e": ("positive", UNIT)}}),
    # names typed as Unicode
    ("\u03c3 in (0.5, 2)", {"variables": {"sigma": ("positive", Interval(0.5, 2))}}),
    ("\u03bc, \u2113 real", {"variables": {"mu": ("real", REAL), "ell": ("real", REAL)}}),
    ("\u0177 in (0, 1)", {"variables": {"yhat": ("positive", UNIT)}}),
    ("x\u0302 real", {"variables": {"xhat": ("real", REAL)}}),
    ("\u0177 = \u03c3(z)", {"definitions": {"K": 3, "yhat": 1 / (1 + sp.exp(-z))}}),
    # comparisons
    ("a > 0", {"variables": {"a": ("positive", POSITIVE)}}),
    ("a \\geq 0", {"variables": {"a": ("nonnegative", NONNEGATIVE)}}),  # 0 held (it was taken positive)
    ("a < 1", {"variables": {"a": ("real", Interval(-6, 1, (True, False)))}}),
    ("a > -2.5", {"variables": {"a": ("real", Interval(-2.5, 6, (False, True)))}}),
    ("a > 2", {"variables": {"a": ("positive", Interval(2, 8, (False, True)))}}),
    ("0 < a < 1", {"variables": {"a": ("positive", UNIT)}}),
    ("0 \\leq a \\leq 1", {"variables": {"a": ("nonnegative", Interval(0, 1, closed=(True, True)))}}),
    ("0 < a \\leq 1", {"variables": {"a": ("positive", Interval(0, 1, closed=(False, True)))}}),
    ("1 > a > 0", {"variables": {"a": ("positive", UNIT)}}),
    ("0 < a", {"variables": {"a": ("positive", POSITIVE)}}),
    # sets of numbers and unbounded intervals (sampled in a finite box)
    ("a \\in \\mathbb{R}", {"variables": {"a": ("real", REAL)}}),
    ("a \\in \\mathbb{R}_{>0}", {"variables": {"a": ("positive", POSITIVE)}}),
    ("a \\in \\mathbb{R}^+", {"variables": {"a": ("positive", POSITIVE)}}),
    ("a \\in \\mathbb{R}_{\\geq 0}", {"variables": {"a": ("nonnegative", NONNEGATIVE)}}),
    ("a \\in \\mathbb{R}_{<0}", {"variables": {"a": ("negative", NEGATIVE)}}),
    ("a \\in (0, \\infty)", {"variables": {"a": ("positive", POSITIVE)}}),
    ("a \\in (-\\infty, 0)", {"variables": {"a": ("real", NEGATIVE)}}),
    ("a \\in (-\\infty, \\infty)", {"variables": {"a": ("real", REAL)}}),
    ("p \\in (0,1)", {"variables": {"p": ("positive", UNIT)}}),
    # symbolic sizes
    ("n \\in \\mathbb{N}", {"variables": {"n": ("positive integer", SIZE_DOMAIN)}, "sizes": ("n",)}),
    ("n \\in \\mathbb{Z}_{>0}", {"sizes": ("n",)}),
    ("n positive integer", {"variables": {"n": ("positive integer", SIZE_DOMAIN)}, "sizes": ("n",)}),
    ("m, n are positive integers", {"sizes": ("m", "n")}),
    # functions
    ("f, g functions", {"functions": {"f": sp.Function("f"), "g": sp.Function("g")}}),
    ("f: \\mathbb{R} \\to \\mathbb{R}", {"functions": {"f": sp.Function("f")}}),
    ("f: \\mathbb{R}^n \\to \\mathbb{R}", {"functions": {"f": sp.Function("f")}}),
    ("\\Phi standard normal cdf", {"functions": {"Phi": NORMAL_CDF}}),
    ("\\Phi is the standard normal CDF", {"functions": {"Phi": NORMAL_CDF}}),
    ("\\phi standard normal pdf", {"functions": {"phi": NORMAL_PDF}}),
    ("\\phi: standard normal density", {"functions": {"phi": NORMAL_PDF}}),
    ("h(u) = u^2", {"functions": {"h": sp.Lambda(sp.Symbol("u", real=True), sp.Symbol("u", real=True) ** 2)}}),
    ("\\sigma(x) = \\frac{1}{1+e^{-x}}", {"functions": {"sigma": sp.Lambda(x, 1 / (1 + sp.exp(-x)))}}),
    # definitions
    ("a = \\sigma(z)", {"definitions": {"K": 3, "a": 1 / (1 + sp.exp(-z))}}),
    ("a := 2x", {"definitions": {"K": 3, "a": 2 * x}}),
    ("\\text{Sigmoid} = \\frac{1}{1+e^{-x}}", {"definitions": {"K": 3, "Sigmoid": 1 / (1 + sp.exp(-x))}}),
    ("s_i = i x for i from 1 to K", {"definitions": {"K": 3, "s_1": x, "s_2": 2 * x, "s_3": 3 * x}}),
    # a variance defines its standard deviation; a word with a subscript is a name
    ("\\sigma^2 = x^2 + 1", {"definitions": {"K": 3, "sigma": sp.sqrt(x**2 + 1)}}),
    ("\\sigma^{2} = 4", {"definitions": {"K": 3, "sigma": 2}}),
    ("\\text{net}_j = j x for j from 1 to 2", {"definitions": {"K": 3, "net_1": x, "net_2": 2 * x}}),
    # constraints, kinks and free indices
    ("constraint: y_1 + y_2 = 1", {"constraints": [(y2, 1 - y1, "y_1 + y_2 = 1")]}),
    ("constraint \\sum_{i=1}^2 y_i = 1", {"constraints": [(y2, 1 - y1, "\\sum_{i=1}^2 y_i = 1")]}),
    ("at x = 0 the derivative is 1.", {"kink": (x, 0, 1)}),
    ("at x = 0 the derivative is undefined", {"kink": (x, 0, None)}),
    ("indices i, r from 1 to 2, i \\neq r", {"assignments": ((("i", 1), ("r", 2)), (("i", 2), ("r", 1)))}),
    ("indices r from 1 to K", {"assignments": ((("r", 1),), (("r", 2),), (("r", 3),))}),
    # comments, blank lines, a trailing full stop or comma
    ("a real.", {"variables": {"a": ("real", REAL)}}),
    ("a real,", {"variables": {"a": ("real", REAL)}}),
    ("a real  % sampled in (-6, 6)", {"variables": {"a": ("real", REAL)}}),
    ("a real  # sampled in (-6, 6)", {"variables": {"a": ("real", REAL)}}),
    ("% a comment\n\n# another", {"variables": {}}),
]


@pytest.mark.parametrize(("line", "expected"), READS, ids=[line for line, _ in READS])
def test_a_where_line_declares(line: str, expected: dict[str, Any]) -> None:
    got = fields(read(line))
    for key, value in expected.items():
        if key == "variables":
            assert {name: got["variables"][name] for name in value} == value
        else:
            assert got[key] == value


# (where line, a fragment of the message, the column in the line as written)
REFUSED: list[tuple[str, str, int]] = [
    ("x is lovely", "found 'is', expected 'x real', 'x in (a, b)'", 3),
    ("= 3", "found '=', expected 'x real'", 1),
    ("  y in {-}", "found '-', expected a number", 9),
    ("y in {}", "found '}', expected a number", 7),
    ("x in (1.2.3, 4)", "'1.2.3' is not a number", 7),
    ("x in (4, 1)", "the interval (4, 1) is empty", 6),
    ("x in (0, 1", "found the end of the line, expected ')' or ']'", 11),
    ("x in (0, 1) (0, 2)", "found '(', expected the end of the line", 13),
    ("x in", "found the end of the line", 5),
    ("0 < a > 1", "both comparisons must point the same way", 7),
    ("2 < a < 1", "the interval (2, 1) is empty", 3),
    ("a > 1" + "0" * 30, "too narrow to sample", 3),
    ("a in (1, 1.00000000000000000001)", "too narrow to sample", 6),
    ("n \\in \\mathbb{Z}", "\\mathbb{Z} is not read", 7),
    ("x \\in \\mathbb{C}", "\\mathbb{C} is not read", 7),
    ("x in (0, 1" + "0" * 50 + ")", "a number of 51 digits", 10),
    ("a = (a+1)(a+2)", "a is defined in terms of itself", 1),
    ("a = b + 1\nb = 2a", "a is defined in terms of itself", 1),
    ("a = x +* 2", "found '*'", 8),
    ("a = ", "found the end of the line, expected a formula", 4),
    ("\\pi real", "'\\pi' is not a name", 1),
    ("\\frac{1}{2} real", "found '{', expected 'x real'", 6),
    ("constraint: y_1", "a constraint is an equation", 13),
    ("constraint: = 1", "a formula on each side", 13),
    ("constraint: \\sin(x) = z^2", "a constraint needs a declared symbol it can be solved for", 13),
    ("constraint: y_1 + y_2 = x +* 2", "found '*'", 28),
    ("at x = 1.2.3 the derivative is 0", "'1.2.3' is not a number", 8),
    ("at x = 0 the derivative is 1 +", "end of the formula", 30),
    ("indices i from 1 to 100", "indices run over 1 to 20 values", 16),
    ("indices i from 1 to L", "L is not a number or a name defined as one", 21),
    ("n \\in \\mathbb{N}\nindices i from 2 to n", "an index to a symbolic size runs from 1", 16),
    ("indices i from 1 to K, i \\neq r", "the relation must be between the declared indices", 23),
    ("s_i = x for i from 1 to 1000", "runs over 1 to 100 values", 20),
    ("\\sigma^2 = -1", "the square of a real number", 1),
    # a second kink convention replaced the first, unsaid (hardsigmoid's at -3 and 3)
    ("at x = -3 the derivative is 0\nat x = 3 the derivative is 0", "one kink convention per section is read", 4),
]


@pytest.mark.parametrize(("line", "message", "column"), REFUSED, ids=[line for line, _, _ in REFUSED])
def test_a_bad_where_line_is_refused_at_its_column(line: str, message: str, column: int) -> None:
    with pytest.raises(ParseError) as raised:
        read(line)
    lines = line.split("\n")
    assert message in raised.value.message
    assert raised.value.message.startswith("where block: ")
    assert (raised.value.line, raised.value.column) == (PRELUDE.count("\n") + 1 + len(lines), column)


def test_a_definition_of_a_thousand_terms_reads_quickly() -> None:
    started = time.perf_counter()
    declared = read("a = " + " + ".join(f"x_{{{i}}}" for i in range(1000)))
    assert len(dict(declared.names.definitions)[sp.Symbol("a", real=True)].args) == 1000
    assert time.perf_counter() - started < 5


@pytest.mark.parametrize(("line", "eliminated", "equals"), [
    # linear in the last declared symbol it holds: solved at once (sp.solve took over 2 s under load, and a file
    # then read or not depending on the machine's load)
    ("constraint: y_1 + y_2 = 1", "y_2", 1 - y1),
    ("constraint: y_1 + 2 y_2 = 1", "y_2", (1 - y1) / 2),
    ("constraint: y_2 = 1 - y_1", "y_2", 1 - y1),
])
def test_a_constraint_is_solved_for_its_last_declared_symbol(line: str, eliminated: str, equals: sp.Expr) -> None:
    ((symbol, value, _),) = fields(read(line))["constraints"]
    assert symbol.name == eliminated and sp.simplify(value - equals) == 0


def test_a_constraint_whose_solving_takes_long_is_stopped(monkeypatch: pytest.MonkeyPatch) -> None:
    def slow(*args: object) -> object:
        time.sleep(5)
        return sp.S.Zero

    monkeypatch.setattr(where, "SOLVE_SECONDS", 0.2)
    monkeypatch.setattr(where.sp, "expand", slow)
    started = time.perf_counter()
    with pytest.raises(ParseError, match=r"took more than 0\.2 s"):
        read("constraint: y_1 + y_2 = 1")
    assert time.perf_counter() - started < 2


WORDS = [
    "x", "y_1", "a", "K", "\\sigma", "\\hat{y}", "\\hat", "f", " ", " ", ",", ".", "(", ")", "[", "]", "{", "}",
    "\\{", "\\}", "0", "1", "-", "1.2.3", "2.5", "\\infty", "in", "\\in", "real", "positive", "functions",
    "positive integer", "=", ":=", ":", "<", ">", "\\geq", "\\mathbb{R}", "\\mathbb{N}", "_{>0}", "^+", "\\to",
    "constraint:", "at", "the derivative is", "undefined", "indices", "from", "to", "for", "i", "\\neq",
    "standard normal cdf", "%", "#", "\\frac", "+", "*", "^", "_", "e", "\\sum_{i=1}^K", "\\text{a}",
    "9" * 30, "0.00000000000000000001",
]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(WORDS), max_size=14).map("".join))
def test_a_where_line_raises_only_parse_errors(line: str) -> None:
    try:
        read_where(((1, line),), read(""))
    except ParseError as error:
        assert error.line == 1 and error.column >= 1


@pytest.mark.parametrize(("line", "shape"), [
    (r"X \in \mathbb{R}^{n \times 3}", ("n", "3")),
    (r"x \in \mathbb{R}^{n}", ("n", "1")),
    (r"b_1 \in \mathbb{R}^{1 \times h_1}", ("1", "h_1")),
    ("W \\in \u211d^{d \\times k}", ("d", "k")),
])
def test_a_matrix_is_declared_with_its_shape_and_its_letters_become_sizes(line: str, shape: tuple[str, str]) -> None:
    names = where.declare(line, Declarations(Names())).names
    (matrix,) = [v.symbol for v in names.variables if isinstance(v.symbol, sp.MatrixSymbol)]
    assert tuple(str(d) for d in matrix.shape) == shape
    assert {s.name for s in names.sizes} == {d for d in shape if not d.isdigit()}


@pytest.mark.parametrize(("line", "message", "column"), [
    (r"A \in \mathbb{R}^{0 \times 3}", "has no entries", 17),
    (r"A \in \mathbb{R}^{100000 \times 100000}", "up to 64: write a letter for a larger size", 17),
    (r"x \in \mathbb{R}^{65}", "up to 64", 17),
])
def test_a_shape_of_no_entries_or_too_many_to_write_out_is_an_error(line: str, message: str, column: int) -> None:
    with pytest.raises(ParseError, match=message) as raised:
        where.declare(line, Declarations(Names()))
    assert raised.value.column == column
