"""Reading LaTeX formulas and Markdown files: what each notation means, and what is refused."""

from pathlib import Path

import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from verifier.reader.document import MAX_FILE_BYTES, read_file, read_text
from verifier.reader.latex import ParseError, read_chain
from verifier.reader.names import Names

x, y, z, a, n = (sp.Symbol(name, real=True) for name in "xyzan")
x1, x2, x3 = (sp.Symbol(f"x_{i}", real=True) for i in (1, 2, 3))
E = sp.E


def sigmoid(u: sp.Expr) -> sp.Expr:
    return 1 / (1 + sp.exp(-u))


def one(latex: str) -> sp.Expr:
    """The single expression a formula reads as."""
    elements = read_chain(latex, Names(), labels=False).elements
    assert len(elements) == 1
    return elements[0].expr


READS_AS = [
    (r"\frac{1}{1+e^{-x}}", sigmoid(x)),
    (r"e^x", sp.exp(x)),
    (r"\exp(x)", sp.exp(x)),
    (r"\log x", sp.log(x)),
    (r"\ln(1 - a)", sp.log(1 - a)),
    (r"\log_2 a", sp.log(a, 2)),
    (r"\log_{10} (x)", sp.log(x, 10)),
    (r"\tanh^2(x)", sp.tanh(x) ** 2),
    (r"\sigma(z)(1 - \sigma(z))", sigmoid(z) * (1 - sigmoid(z))),
    (r"\sigma(z)^2", sigmoid(z) ** 2),
    (r"\max(0, x)", sp.Max(0, x)),
    (r"a(1-a)", a * (1 - a)),
    (r"2x", 2 * x),
    (r"xy", x * y),
    (r"x \cdot y \times 2", 2 * x * y),
    (r"x / 2", x / 2),
    (r"\left( x + 1 \right)^2", (x + 1) ** 2),
    (r"\left[ x \right]", x),
    (r"0.001x", x / 1000),
    (r"-(x)", -x),
    (r"- - x", x),
    (r"x_1 + x_{2}", x1 + x2),
    (r"\sum_{i=1}^{3} x_i", x1 + x2 + x3),
    (r"\sum_{i=1}^{3} x_i \cdot 2", 2 * (x1 + x2 + x3)),
    (r"\frac{d}{dx} x^2", sp.Derivative(x**2, x)),
    (r"\frac{\partial}{\partial x} (x) \cdot y", sp.Derivative(x, x) * y),
    (r"\frac{d}{dx} x y", sp.Derivative(x * y, x)),
    (r"\frac{dy}{dx}", sp.Derivative(y, x)),
    (r"\frac{d^2}{dx^2} x^3", sp.Derivative(x**3, (x, 2))),
    (r"\frac{\partial (1+e^{-z})^{-1}}{\partial z}", sp.Derivative((1 + sp.exp(-z)) ** -1, z)),
    (r"\sqrt{x}", sp.sqrt(x)),
    (r"\hat{y}_i", sp.Symbol("yhat_i", real=True)),
    (r"\omega_1", sp.Symbol("omega_1", real=True)),
    (r"a^{(4)}", sp.Symbol("a_4", real=True)),
    (r"\begin{cases} 1 & x > 0 \\ 0 & \text{otherwise} \end{cases}", sp.Piecewise((1, x > 0), (0, True))),
    (r"\begin{cases} 0, & x < 0 \\ 1, & x \geq 0 \end{cases}", sp.Piecewise((0, x < 0), (1, x >= 0))),
    (r"\pi x", sp.pi * x),
    (r"x \quad \text{by the chain rule}", x),
    (r"\sum_{i=1}^{3} -x_i", -(x1 + x2 + x3)),
    (r"\sum_{\substack{i=1, \\ i \neq 2}}^{3} x_i", x1 + x3),
]


@pytest.mark.parametrize(("latex", "expected"), READS_AS)
def test_notation_reads_as(latex: str, expected: sp.Expr) -> None:
    assert sp.simplify(one(latex) - expected) == 0 or one(latex) == expected


REFUSED = [
    (r"x +* 2", 1, 4, "found '*'"),
    (r"\foo x", 1, 1, "unknown macro \\foo"),
    (r"x \text{hello} y", 1, 3, "declare it"),
    (r"\frac1", 1, 6, "found the end of the formula"),  # \frac12 is TeX for 1/2
    (r"x_12", 1, 3, "x_{12}"),
    (r"\sum_{i=1}^{K} x_i", 1, 1, "sums of a given size"),
    (r"\log", 1, 1, "needs an argument"),
    (r"\max(1, 2, 3, 4, 5)", 1, 1, "takes 2 argument"),  # three or four arguments are read
    (r"(x, y)", 1, 1, "needs a function"),
    (r"x^{2}^{3}", 1, 6, "double superscript"),
    ("x\n  + )", 2, 5, "found ')'"),
    (r"x = = y", 1, 1, "nothing between"),
    (r"\partial x", 1, 1, "\\partial outside"),
    (r"__import__('os').system('ls')", 1, 1, "found '_'"),
]


@pytest.mark.parametrize(("latex", "line", "column", "message"), REFUSED)
def test_malformed_formulas_are_refused_with_a_position(latex: str, line: int, column: int, message: str) -> None:
    with pytest.raises(ParseError) as caught:
        read_chain(latex, Names())
    assert (caught.value.line, caught.value.column) == (line, column)
    assert message in caught.value.message


def test_e_is_eulers_number_unless_declared() -> None:
    from verifier.model import Interval, Var

    assert one("e^x") == sp.exp(x)
    names = Names().with_variable(Var(sp.Symbol("e", real=True), Interval(-1, 1)))
    assert read_chain("e x", names).elements[0].expr == sp.Symbol("e", real=True) * x


def test_labels_name_the_derivative_and_are_not_steps() -> None:
    chain = read_chain(r"\frac{d}{dx} = \frac{d}{dx} x^2 = 2x", Names())
    label, first, second = chain.elements
    assert label.label is not None and label.label.variable == x and label.expr is None
    assert first.expr == sp.Derivative(x**2, x) and second.expr == 2 * x


def test_a_chain_records_continuation_justification_and_dangling_equals() -> None:
    chain = read_chain(r"= 2x \text{power rule} =", Names())
    assert chain.continues and chain.dangling
    assert chain.elements[0].note == "power rule"


HOSTILE = [
    ("braces nested 10,000 deep", "{" * 10_000 + "x" + "}" * 10_000, "nested"),
    ("an exponent tower", r"2^{2^{2^{2^{2^{2}}}}}", "too large"),
    ("a chain of 10,000 steps", " = ".join(["x"] * 10_001), "the limit is"),
    ("a formula of a million characters", "x+" * 500_000 + "x", "the limit is"),
    ("a huge number", "9" * 500, "digits"),
    ("code", "__import__('os').system('echo hacked')", "found"),
    ("a lambda", "(lambda: 0)()", "unexpected character"),
]


@pytest.mark.parametrize(("what", "latex", "message"), HOSTILE, ids=[h[0] for h in HOSTILE])
def test_hostile_input_ends_in_a_clear_error(what: str, latex: str, message: str) -> None:
    with pytest.raises(ParseError) as caught:
        read_chain(latex, Names())
    assert message in caught.value.message


def test_a_ten_megabyte_file_is_refused_without_reading_it(tmp_path: Path) -> None:
    big = tmp_path / "big.md"
    big.write_text("$$x = x$$\n" * (10 * 1024 * 1024 // 10))
    document = read_file(big)
    assert not document.derivations
    assert f"the limit is {MAX_FILE_BYTES:,}" in document.errors[0].message


def test_a_bad_block_loses_nothing_else() -> None:
    document = read_text("# A\n\n$$x +* 2$$\n\n$$\\frac{d}{dx} x^2 = 2x$$\n\n# B\n\n$$\\frac{d}{dx} x = 1$$\n", "n.md")
    assert [e.describe() for e in document.errors] == ["n.md:3:6: found '*', expected a Greek letter, a function "
                                                       "such as \\log, a letter, a number, (, +, -, [, ..."]
    assert [d.derivation.id for d in document.derivations] == ["a", "b"]


def test_where_blocks_declare_domains_definitions_functions_kinks_and_constraints() -> None:
    text = """```where
a in (0, 1)
y in {0, 1}
f functions
\\text{Sigmoid} = \\frac{1}{1+e^{-x}}
h(u) = u^2
```

# D

```where
at x = 0 the derivative is 1
y_1, y_2 in [0, 1]
constraint: y_1 + y_2 = 1
```

$$\\frac{d}{dx} \\max(0, x) = \\begin{cases} 1 & x \\geq 0 \\\\ 0 & x < 0 \\end{cases}$$
"""
    document = read_text(text, "w.md")
    assert document.errors == ()
    derivation = document.derivations[0].derivation
    assert derivation.kink is not None and derivation.kink.value == 1
    assert [v.describe() for v in derivation.variables][:2] == ["a in (0, 1)", "y in {0, 1}"]


def test_free_indices_make_each_line_a_column_checked_entry_by_entry() -> None:
    text = """```where
K = 3
indices r from 1 to K
y_i = x_i^2 for i from 1 to K
```

# Entries

$$\\frac{\\partial y_r}{\\partial x_r} = 2 x_r = \\sum_{\\substack{i=1 \\\\ i \\neq r}}^K x_i$$
"""
    document = read_text(text, "i.md")
    assert document.errors == ()
    derivation = document.derivations[0].derivation
    assert derivation.function == sp.ImmutableMatrix([[sp.Derivative(sp.Symbol(f"y_{i}", real=True), xi)]
                                                      for i, xi in ((1, x1), (2, x2), (3, x3))])
    assert derivation.steps[0].expr == sp.ImmutableMatrix([[2 * x1], [2 * x2], [2 * x3]])
    assert derivation.steps[1].expr == sp.ImmutableMatrix([[x2 + x3], [x1 + x3], [x1 + x2]])


def test_a_bad_where_line_names_its_line() -> None:
    document = read_text("# D\n\n```where\nx is lovely\n```\n\n$$\\frac{d}{dx} x = 1$$\n", "w.md")
    assert document.errors[0].line == 4 and "expected 'x real'" in document.errors[0].message


ALPHABET = [
    *"xyze0123456789+-*/^_{}()[]=,.&' \n",
    r"\frac", r"\sum", r"\partial", r"\left(", r"\right)", r"\text{a}", r"\sigma", r"\log_2", r"\cdot",
    r"\begin{cases}", r"\end{cases}", r"\\", r"\hat", r"\max", r"\quad", r"\therefore", r"\foo", "d", "dx",
]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(ALPHABET), max_size=40).map("".join))
def test_the_parser_raises_only_its_own_error(text: str) -> None:
    try:
        chain = read_chain(text, Names())
    except ParseError:
        return
    assert chain.elements


def test_a_message_names_a_function_as_the_formula_wrote_it() -> None:
    document = read_text("# L\n\n```where\nx real\n\\mathcal{L}: \\mathbb{R} \\to \\mathbb{R}\n```\n\n"
                         "$$\\mathcal{L} + x = x + \\mathcal{L}$$\n")
    (error,) = document.errors
    assert "the function \\mathcal{L} needs an argument" in error.message  # it said Lcal, an internal name
