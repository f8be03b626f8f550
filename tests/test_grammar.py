"""The grammar's meaning, rule by rule: each formula against the SymPy expression it must read as, compared
structurally (`==` on SymPy trees), so that d/dx x^2 is never confused with 2x."""

import pytest
import sympy as sp

from verifier.reader.latex import ParseError, read_chain
from verifier.reader.names import Names

x, y, z, a, b, c, k, w, N = (sp.Symbol(name, real=True) for name in "xyzabckwN")
x1, x2, x3 = (sp.Symbol(f"x_{i}", real=True) for i in (1, 2, 3))
z1, z2, z3 = (sp.Symbol(f"z_{i}", real=True) for i in (1, 2, 3))


def sigmoid(u: sp.Expr) -> sp.Expr:
    return 1 / (1 + sp.exp(-u))


def read(latex: str) -> list[sp.Expr | None]:
    return [e.expr for e in read_chain(latex, Names(), labels=False).elements]


STRUCTURE = [
    # derivative operators and their scope
    (r"\frac{d}{dx} x^2", sp.Derivative(x**2, x)),
    (r"\frac{\mathrm{d}}{\mathrm{d}x} x^2", sp.Derivative(x**2, x)),
    (r"\frac{d}{{dx}} x^2", sp.Derivative(x**2, x)),
    (r"\frac{\partial^2}{\partial x^2} x^3", sp.Derivative(x**3, (x, 2))),
    (r"\nabla_x x^2", sp.Derivative(x**2, x)),
    (r"\frac{d}{dx} x^2 \cdot e^x", sp.Derivative(x**2 * sp.exp(x), x)),
    (r"\frac{d}{dx} (x^2) \cdot e^x", sp.Derivative(x**2, x) * sp.exp(x)),
    (r"\frac{d}{dx} x^2 + 1", sp.Derivative(x**2, x) + 1),
    (r"2 \frac{d}{dx} x", 2 * sp.Derivative(x, x)),
    (r"\frac{d}{dx}\sin x \cos x", sp.Derivative(sp.sin(x) * sp.cos(x), x)),
    (r"\frac{\mathrm{d}y}{\mathrm{d}x}", sp.Derivative(y, x)),
    # functions with and without parentheses
    (r"\log \sigma(x)", sp.log(sigmoid(x))),
    (r"\ln\sigma(z)", sp.log(sigmoid(z))),
    (r"\log \sum_{j=1}^{3} e^{z_j}", sp.log(sp.exp(z1) + sp.exp(z2) + sp.exp(z3))),
    (r"\sin^2 x + \cos^2 x", sp.sin(x) ** 2 + sp.cos(x) ** 2),
    (r"\log(x) y", sp.log(x) * y),
    (r"\log x y", sp.log(x * y)),
    (r"\sigma(x)(1-\sigma(x))", sigmoid(x) * (1 - sigmoid(x))),
    (r"\mathrm{ReLU}(x)", sp.Max(0, x)),
    (r"\max\{0, x\}", sp.Max(0, x)),
    (r"\sinh^{-1} x", sp.asinh(x)),
    (r"\sigma^{-1}(x)", sp.log(x / (1 - x))),  # inverse functions by their formula: logit
    (r"\Phi^{-1}(x)", sp.sqrt(2) * sp.erfinv(2 * x - 1)),  # the normal quantile
    (r"tanh(x)", sp.tanh(x)),
    (r"k!", sp.factorial(k)),
    (r"\sqrt[3]{x}", sp.root(x, 3)),
    # sums and products with their bounds
    (r"\sum_{i=1}^{3} x_i", x1 + x2 + x3),
    (r"\sum^{3}_{i=1} x_i", x1 + x2 + x3),
    (r"\prod_{i=1}^{3} x_i", x1 * x2 * x3),
    (r"\sum_{i=1}^{3} \sum_{j=1}^{3} \delta_{ij} x_i", x1 + x2 + x3),
    (r"\sum_{i=1}^{3} x_{i+1} - x_4", sp.Symbol("x_2", real=True) + x3 + sp.Symbol("x_4", real=True)
     - sp.Symbol("x_4", real=True)),
    (r"{\frac {d}{dx}}{\text{sec}}(x)", sp.Derivative(sp.sec(x), x)),
    (r"{{\tanh}^{-1}} x", sp.atanh(x)),
    (r"\Gamma(x) \psi(x)", sp.gamma(x) * sp.polygamma(0, x)),
    (r"\Gamma + 1", sp.Symbol("Gamma", real=True) + 1),
    (r"\gamma(a, x) + \Gamma(a, x)", sp.lowergamma(a, x) + sp.uppergamma(a, x)),  # by the number of arguments
    (r"\gamma(1 - x)", sp.Symbol("gamma", real=True) * (1 - x)),  # one argument: the letter times a bracket
    (r"\zeta(a, x)", sp.zeta(a, x)),
    (r"\mathrm{e}^x", sp.exp(x)),
    (r"{\sech} 2x", sp.sech(2 * x)),  # a function name in braces takes the factors after it, as \sech 2x does
    (r"{\cos} x y", sp.cos(x * y)),
    (r"2 {\sin} x \cos x", 2 * sp.sin(x) * sp.cos(x)),  # ... up to the next function
    (r"\sigma z (1 - \sigma(z))", sigmoid(z) * (1 - sigmoid(z))),  # a name not in braces takes one factor
    (r"max(x, 0)", sp.Max(0, x)),  # m·a·x of two arguments means nothing: one reading
    ("\u03c6 + \u03d5", 2 * sp.Symbol("phi", real=True)),  # both phis are \phi (\phi(x) the normal density)
    (r"{{{\mathop{\rm sech}\nolimits} }^2}x", sp.sech(x) ** 2),  # MathType's operator names
    (r"\operatorname{erfinv}(x)", sp.erfinv(x)),
    (r"\text{Sigmoid}(x)", sigmoid(x)),
    (r"\operatorname{log1p}(x)", sp.log(1 + x)),
    (r"\operatorname{arcsec}(x)", sp.asec(x)),
    (r"\psi(x) / -\Gamma(x)", sp.polygamma(0, x) / -sp.gamma(x)),
    # plain-text notation: d/dx, dy/dx, a power in brackets, (a).(b)
    (r"d/dx(x^2)", sp.Derivative(x**2, x)),
    (r"d/dx x^2 + 1", sp.Derivative(x**2, x) + 1),
    (r"dy/dx", sp.Derivative(y, x)),
    ("\u2202z/\u2202x", sp.Derivative(z, x)),
    (r"(x^2 - 1)^(1/2)", sp.sqrt(x**2 - 1)),
    (r"e^(x) + (x + 1)^(2)", sp.exp(x) + (x + 1) ** 2),  # no layer index on e or on a bracket
    (r"(a).(b)", a * b),
    (r"d/2", sp.Symbol("d", real=True) / 2),
    # spacing before a letter, a unary minus after a product sign, a scalar indicator, cases rows
    (r"(a + 1)\,x", (a + 1) * x),
    (r"z * -\log(x)", -z * sp.log(x)),
    (r"x \cdot -y", -x * y),
    (r"\mathbb{1}(x > 0)", sp.Piecewise((1, x > 0), (0, True))),
    (r"\mathbb{1}\{x \leq 1\}", sp.Piecewise((1, x <= 1), (0, True))),
    (r"\begin{cases} 0 & \text{if~} x \le -3, \\ 1 & \text{otherwise} \end{cases}",
     sp.Piecewise((0, x <= -3), (1, True))),
    (r"\begin{cases} 0 & \text{if } -3 \le x \le 3 \\ 1 & \text{otherwise} \end{cases}",
     sp.Piecewise((0, (x >= -3) & (x <= 3)), (1, True))),
    (r"\begin{cases} x & x > 0 \\ 0 & \text{otherwise.} \end{cases}", sp.Piecewise((x, x > 0), (0, True))),
    (r"\operatorname{atan2}(y, x)", sp.atan2(y, x)),
    (r"\lfloor x \rfloor + \left\lceil y \right\rceil", sp.floor(x) + sp.ceiling(y)),
    (r"\max(x, y, z) - \min(x, y, z, 1)", sp.Max(x, y, z) - sp.Min(x, y, z, 1)),  # three or four arguments
    (r"e^{2 \times x} + x^{2\times3}", sp.exp(2 * x) + x**6),  # a power, where no matrix is labelled with a shape
    # the normal density, its second parameter the variance
    (r"\mathcal{N}(x \mid a, 4)", sp.exp(-(x - a) ** 2 / 8) / sp.sqrt(8 * sp.pi)),
    (r"\mathcal{N}(x; 0, 1)", sp.exp(-x**2 / 2) / sp.sqrt(2 * sp.pi)),
    # letters typed as Unicode
    ("\u03c3(x)", sigmoid(x)),
    ("\u0177 - y", sp.Symbol("yhat", real=True) - y),
    ("x\u0302 + \u0101", sp.Symbol("xhat", real=True) + sp.Symbol("abar", real=True)),
    ("\\frac{\u2202}{\u2202x} x^2", sp.Derivative(x**2, x)),
    ("\u2113 + \u03bb", sp.Symbol("ell", real=True) + sp.Symbol("lambda", real=True)),
    # ProofWiki's macros: \map {f} {x} is f(x), \d the differential d
    (r"\map {\dfrac \d {\d x} } {\tanh x}", sp.Derivative(sp.tanh(x), x)),
    (r"\map \ln {x^2}", sp.log(x**2)),
    (r"\frac{\d}{\d x} x^2", sp.Derivative(x**2, x)),
    # absolute values and norms
    (r"\rvert x \lvert", sp.Abs(x)),
    (r"|x|", sp.Abs(x)),
    (r"|x| |y|", sp.Abs(x) * sp.Abs(y)),
    (r"\lvert x \rvert", sp.Abs(x)),
    (r"\left| x - 1 \right|", sp.Abs(x - 1)),
    (r"|x - |y||", sp.Abs(x - sp.Abs(y))),
    (r"\|x\|^2", sp.Abs(x) ** 2),
    # names
    (r"\hat y", sp.Symbol("yhat", real=True)),
    (r"\bar{x}", sp.Symbol("xbar", real=True)),
    (r"\tilde{x}", sp.Symbol("xtilde", real=True)),
    (r"\ell", sp.Symbol("ell", real=True)),
    (r"\text{net}_2", sp.Symbol("net_2", real=True)),  # words with a subscript are a name, not prose
    (r"W^{(2)}_{ij}", sp.Symbol("W_ij2", real=True)),
    (r"w^{[l]}", sp.Symbol("w_l", real=True)),
    # punctuation, dashes, boxes, transposes
    (r"\boxed{x^2}", x**2),
    (r"x^2,", x**2),
    (r"x^2.", x**2),
    ("x \u2013 y", x - y),
    ("x \u2212 y", x - y),
    (r"x^\top y", x * y),
    (r"w^T x", w * x),
    (r"\begin{cases} 1 & x = y \\ 0 & \text{otherwise} \end{cases}", sp.Piecewise((1, sp.Eq(x, y)), (0, True))),
    (r"-\frac{1}{N}\sum_{i=1}^{2} y_i \log \hat{y}_i",
     sp.Mul(-1, 1 / N, sp.Symbol("y_1", real=True) * sp.log(sp.Symbol("yhat_1", real=True))
            + sp.Symbol("y_2", real=True) * sp.log(sp.Symbol("yhat_2", real=True)))),
]


@pytest.mark.parametrize(("latex", "expected"), STRUCTURE)
def test_each_rule_reads_as_its_structure(latex: str, expected: sp.Expr) -> None:
    assert read(latex) == [expected]


def test_a_line_break_with_spacing_and_a_lead_in_between_expressions() -> None:
    chain = read_chain(r"x \\[6pt] = x \Rightarrow y = y", Names(), labels=False)
    assert [e.expr for e in chain.elements] == [x, x, y, y]
    assert [e.restarts for e in chain.elements] == [False, False, True, False]


CHAINS = [  # (formula, the expressions of its chain, which of them start a new equation)
    (r"x =& \ y \\ =& \ z", [x, y, z], [False, False, False]),  # =& aligns as &= does
    (r"x &= y = \\ &\quad - z", [x, y, -z], [False, False, False]),  # after '=', the next row is the next piece
    (r"x = \\ y", [x, y], [False, False]),
    (r"\boxed{x = y} = z", [x, y, z], [False, False, False]),
    (r"\begin{aligned} x &= y \\ z &= w \end{aligned}", [x, y, z, w], [False, False, True, False]),
    (r"x &= y \\ - z &= w", [x, y, -z, w], [False, False, True, False]),
    (r"x &= y \\ &\quad + z \\ &\quad - w \\ &= a", [x, y + z - w, a], [False, False, False]),
    (r"x = y \Rightarrow \\ \\ \Rightarrow z = w", [x, y, z, w], [False, False, True, False]),
    (r"\begin{cases} 1 & x > 0 \\ -1 & x \leq 0 \end{cases} = y",
     [sp.Piecewise((1, x > 0), (-1, True)), y], [False, False]),
    # \qquad between two equations, each with its own '=', starts the second (it was a product of both sides)
    (r"x = y \qquad z = w", [x, y, z, w], [False, False, True, False]),
    (r"x = y, \quad z = w.", [x, y, z, w], [False, False, True, False]),
    (r"x = y \qquad z = w \qquad a = b", [x, y, z, w, a, b], [False, False, True, False, True, False]),
    # ... and is a space anywhere else: inside brackets, after an operator, before a note, +, = or a row
    (r"x = \frac{1}{2} \quad y", [x, y / 2], [False, False]),
    (r"x \quad y = z", [x * y, z], [False, False]),
    (r"x = y \qquad z \Rightarrow a = b", [x, y * z, a, b], [False, False, True, False]),
    (r"x = \left(y \quad z\right) = w", [x, y * z, w], [False, False, False]),
    (r"x = \sum_{i=1}^{2} \quad y", [x, 2 * y, ], [False, False]),
    (r"x = y \quad = z", [x, y, z], [False, False, False]),
    (r"x = y \quad + z", [x, y + z], [False, False]),
    (r"x = y \quad \text{and} \quad z = w", [x, y, z, w], [False, False, True, False]),
]


@pytest.mark.parametrize(("latex", "expressions", "restarts"), CHAINS)
def test_rows_and_boxes_of_a_chain(latex: str, expressions: list[sp.Expr], restarts: list[bool]) -> None:
    chain = read_chain(latex, Names(), labels=False)
    assert [e.expr for e in chain.elements] == expressions
    assert [e.restarts for e in chain.elements] == restarts


@pytest.mark.parametrize("latex", [r"x^2 \quad[\text{apply the chain rule}]", r"x^2 \; (\text{apply the chain rule})"])
def test_words_alone_in_brackets_are_a_justification(latex: str) -> None:
    (element,) = read_chain(latex, Names(), labels=False).elements
    assert (element.expr, element.note) == (x**2, "apply the chain rule")


BECAUSE = [  # (formula, each element's expression and note): \because and what follows on its row justify the piece
    (r"x = 2y \because y = x/2", [(x, ""), (2 * y, "y = x/2")]),
    (r"x &= 2y & \because \text{half} \\ &= z", [(x, ""), (2 * y, "half"), (z, "")]),
    (r"x &= y && \because \text{sum rule} \\ &= z", [(x, ""), (y, "sum rule"), (z, "")]),
    (r"x = y \quad [\text{a}] \because b", [(x, ""), (y, "a; b")]),
    (r"x = y \because", [(x, ""), (y, "")]),
]


@pytest.mark.parametrize(("latex", "noted"), BECAUSE)
def test_because_and_the_rest_of_its_row_is_a_justification(latex: str, noted: list[tuple[sp.Expr, str]]) -> None:
    assert [(e.expr, e.note) for e in read_chain(latex, Names(), labels=False).elements] == noted


def test_a_continued_row_is_shown_with_the_row_it_continues() -> None:
    _, second = read_chain(r"x &= y \\ &\quad + z", Names(), labels=False).elements
    assert second.source == r"y \\ &\quad + z"


READINGS = [  # (formula, the chosen reading in words, the other reading's expression)
    (r"\frac{d}{dx} x^2 \cdot e^x", "the derivative of the whole product", sp.exp(x) * sp.Derivative(x**2, x)),
    (r"\sinh^{-1} x", "\\sinh^{-1} read as the inverse function", 1 / sp.sinh(x)),
    (r"tanh(x)", "'tanh' read as the function tanh", sp.Symbol("t", real=True) * a * sp.Symbol("n", real=True)
     * sp.Symbol("h", real=True) * x),
    (r"w^T x", "^T read as a transpose", w ** sp.Symbol("T", real=True) * x),
    (r"1/2x^2", "/ divides by 2 only", 1 / (2 * x**2)),
    (r"\log x^2", "\\log applied to x^2", sp.log(x) ** 2),
    (r"\sigma^{-1}(x)", "\\sigma^{-1} read as the inverse function", 1 + sp.exp(-x)),
    (r"1 / -2x", "/ divides by -2 only", 1 / (-2 * x)),
    (r"\Phi^{-1}(x)", "\\Phi^{-1} read as the inverse function", 1 / ((1 + sp.erf(x / sp.sqrt(2))) / 2)),
    (r"\operatorname{erf}^{-1}(x)", "\\erf^{-1} read as the inverse function", 1 / sp.erf(x)),
]


@pytest.mark.parametrize(("latex", "chosen", "other"), READINGS)
def test_an_ambiguous_construct_keeps_its_other_reading(latex: str, chosen: str, other: sp.Expr) -> None:
    (element,) = read_chain(latex, Names(), labels=False).elements
    assert element.read_as == chosen
    assert [expr for expr, _ in element.alternatives] == [other]


def test_a_function_of_a_fraction_has_no_power_reading() -> None:
    (element,) = read_chain(r"\arctan\frac{1}{x}", Names(), labels=False).elements  # x^-1 with no power written
    assert element.expr == sp.atan(1 / x) and element.alternatives == ()


def test_a_bracket_right_after_a_derivative_is_its_argument_with_no_other_reading() -> None:
    (element,) = read_chain(r"\frac{d}{dx} (x^2) e^x", Names(), labels=False).elements
    assert element.expr == sp.Derivative(x**2, x) * sp.exp(x) and element.alternatives == ()


def test_letters_side_by_side_are_listed() -> None:
    (element,) = read_chain("xy + ab", Names(), labels=False).elements
    assert element.letter_products == ("xy", "ab")


REFUSED = [
    (r"x \approx y", "\\approx is not an equality"),
    (r"x \pm y", "two formulas"),
    (r"\sum_i x_i", "define one size"),
    (r"\sum_{i=1}^{n} x_i", "sums of a given size"),
    (r"x_i + \sum_{i=1}^{2} x_i", "used outside its sum"),
    (r"\frac{d^2}{dx} x", "orders of the d's"),
    (r"\operatorname{ReLU}^{-1}(x)", "inverse function, which backproof cannot compute"),
    (r"\sum_{i=1}^{50} \sum_{j=1}^{50} \sum_{k=1}^{50} x_{ijk}", "more than 2000 terms"),
    ("\u03a3_i x_i", "unexpected character"),  # a plain-text sum, not the letter \Sigma
    (r"\mathcal{P}(x \mid a, 1)", "a conditional is read only in the normal density"),
    (r"x = y \\ z", "expected"),  # a row that is not an equation is not dropped or guessed
    (r"\boxed{x = y} \\ &\quad + z", "and there is none"),
    (r"x &= y \\ + z &= w", "write & before the +"),
    (r"\boxed{x = = y}", "nothing between two '=' signs"),
    (r"\map {x^2} {y}", "applies a function"),
    (r"{\cal{l}}_1(x)", "unknown macro \\cal"),  # the macro as written, not letters run together
    (r"x_1 + \cdots + x_3", "\\cdots is read only in a tuple"),  # not \cdot then s
    (r"W^(2) a^(1)", "a power or a layer index"),  # plain text's x^(1/2) is a power; W^(2) could be either
    (r"x^(n)", "a power or a layer index"),
    (r"\sqrt3.5", "TeX takes one digit here"),
    (r"x_1 + \dots + x_3", "\\dots is read only in a tuple"),  # not \dot{s}
    (r"\sqrt 36", "TeX takes one digit here"),  # TeX's \sqrt{3} 6, seldom what was meant
    (r"\frac{1}23", "TeX takes one digit here"),
    (r"dy_1/dx", "d.../d... reads as a derivative only as"),  # not y_1/x, with d cancelled
    (r"d^2y/dx^2", "d.../d... reads as a derivative only as"),
    ("\u03a0_i x_i", "unexpected character"),  # a plain-text product, not the letter \Pi
    (r"x = y \\ = \\ = z", "nothing between two '=' signs"),
    (r"\frac{d}{dx} \\ &\quad + x", "goes on with the expression above it"),
]


@pytest.mark.parametrize(("latex", "message"), REFUSED)
def test_what_cannot_be_read_is_refused_in_words(latex: str, message: str) -> None:
    with pytest.raises(ParseError) as caught:
        read_chain(latex, Names())
    assert message in caught.value.message


def test_plain_d_over_dx_is_refused_when_d_is_a_variable() -> None:
    from verifier.model import Var
    from verifier.reader.names import DEFAULT_DOMAIN

    names = Names().with_variable(Var(sp.Symbol("d", real=True), DEFAULT_DOMAIN))
    with pytest.raises(ParseError, match="d is a declared variable"):
        read_chain("d/dx x^2", names)


def test_a_thousand_term_sum_reads_term_by_term() -> None:
    (element, one) = read_chain(" + ".join(f"x_{{{i}}}" for i in range(1000)) + " = 1", Names()).elements
    assert len(element.expr.args) == 1000 and one.expr == 1


def test_every_rule_of_the_grammar_has_its_own_meaning() -> None:
    """No rule falls through to Lark's default (a bare tree): each has one Transformer method that reads it."""
    from verifier.reader.latex import GRAMMAR
    from verifier.reader.meaning import Reader

    named = {str(getattr(r.alias or r.origin.name, "name", r.alias or r.origin.name)) for r in GRAMMAR.rules
             if r.alias or not r.options.expand1}
    assert sorted(n for n in named if not n.startswith("_") and not hasattr(Reader, n)) == []


def test_the_unicode_greek_letters_each_grammar_lexes_are_the_tables() -> None:
    """The grammars' Unicode letters (formulas and where lines) and meaning.UNICODE_GREEK name the same set."""
    import re
    import unicodedata

    from verifier.reader import declarations
    from verifier.reader.latex import GRAMMAR
    from verifier.reader.meaning import COMBINING_ACCENTS, UNICODE_GREEK

    candidates = [chr(c) for c in (*range(0x370, 0x400), 0x2113)]
    greek = re.compile(GRAMMAR.get_terminal("GREEK").pattern.to_regexp())
    name = re.compile(declarations.GRAMMAR.get_terminal("NAME").pattern.to_regexp())
    assert {c for c in candidates if greek.fullmatch(c)} == set(UNICODE_GREEK)
    assert {c for c in candidates if name.fullmatch(c)} == set(UNICODE_GREEK)
    accented = GRAMMAR.get_terminal("ACCENTED").pattern.to_regexp()
    precomposed = [chr(c) for c in range(0xC0, 0x180) if re.fullmatch(accented, chr(c))]
    assert all(unicodedata.normalize("NFD", c)[1] in COMBINING_ACCENTS for c in precomposed)
    assert all(name.fullmatch(c) for c in precomposed)
