"""Matrix calculus for every size: classic gradients in matrix notation, true ones proved, planted errors caught."""

import pytest
import sympy as sp

from verifier import verify
from verifier.canonical import RowSums, difference_terms
from verifier.context import Context
from verifier.every_size import check_every_size
from verifier.model import Choice, Var
from verifier.reader.document import read_text
from verifier.tensor import COL, ROW, Gradient, Loss, Softmax, entry
from verifier.verdicts import DerivationResult

SHAPES = r"""a \in \mathbb{R}^{n}
x \in \mathbb{R}^{n}
A \in \mathbb{R}^{n \times n}
B \in \mathbb{R}^{m \times n}
b \in \mathbb{R}^{m}
X \in \mathbb{R}^{n \times m}
C \in \mathbb{R}^{m \times n}
u \in \mathbb{R}^{n}
v \in \mathbb{R}^{m}
"""
LAYER = r"""X \in \mathbb{R}^{n \times d}
W \in \mathbb{R}^{d \times h}
b \in \mathbb{R}^{1 \times h}
\ell: \mathbb{R}^{n \times h} \to \mathbb{R}
Z = X W + b
L = \ell(Z)
"""
RELU = LAYER.replace(r"L = \ell(Z)", "A = \\text{ReLU}(Z)\nV \\in \\mathbb{R}^{h \\times k}\n"
                     "\\ell: \\mathbb{R}^{n \\times k} \\to \\mathbb{R}\nL = \\ell(A V)")
HIDDEN = r"""X \in \mathbb{R}^{n \times d}
W \in \mathbb{R}^{d \times h}
V \in \mathbb{R}^{h \times m}
Z = X W
Y = Z V
\ell: \mathbb{R}^{n \times m} \to \mathbb{R}
L = \ell(Y)
"""
COLUMNS = r"""a \in \mathbb{R}^{m}
W \in \mathbb{R}^{p \times m}
b \in \mathbb{R}^{p}
y \in \mathbb{R}^{p}
z = W a + b
h = \sigma(z)
C = \frac{1}{2} \|h - y\|^2
"""
SOFTMAX = r"""Z \in \mathbb{R}^{n \times k}
Y \in \mathbb{R}^{n \times k}
constraint: Y \mathbf{1} = \mathbf{1}
\hat{Y} = \operatorname{softmax}(Z)
L = -\frac{1}{n} \sum_{i=1}^{n} \sum_{c=1}^{k} Y_{ic} \log \hat{Y}_{ic}
"""

CASES = [  # (where block, the function's definition, the gradient as a line writes it, the verdict)
    (SHAPES, "f = a^T x", r"\frac{\partial f}{\partial x} = a", "proved"),
    (SHAPES, "f = a^T x", r"\frac{\partial f}{\partial x} = a^T", "refuted"),  # a row, not a column
    (SHAPES, "f = x^T A x", r"\frac{\partial f}{\partial x} = (A + A^T) x", "proved"),
    (SHAPES, "f = x^T A x", r"\frac{\partial f}{\partial x} = A x + A^T x", "proved"),
    (SHAPES, "f = x^T A x", r"\frac{\partial f}{\partial x} = 2 A x", "refuted"),  # A is not symmetric
    (SHAPES, r"f = \|B x - b\|^2", r"\frac{\partial f}{\partial x} = 2 B^T (B x - b)", "proved"),
    (SHAPES, r"f = \|B x - b\|^2", r"\frac{\partial f}{\partial x} = 2 B (B x - b)", "refuted"),  # no transpose
    (SHAPES, r"f = \|B x - b\|^2", r"\frac{\partial f}{\partial x} = B^T (B x - b)", "refuted"),  # no 2
    (SHAPES, "f = u^T X v", r"\frac{\partial f}{\partial X} = u v^T", "proved"),
    (SHAPES, "f = u^T X v", r"\frac{\partial f}{\partial X} = v u^T", "refuted"),
    (SHAPES, r"f = \operatorname{tr}(C X)", r"\frac{\partial f}{\partial X} = C^T", "proved"),
    (SHAPES, r"f = \operatorname{tr}(X^T A X)", r"\frac{\partial f}{\partial X} = (A + A^T) X", "proved"),
    (SHAPES, r"f = \operatorname{tr}(X^T A X)", r"\frac{\partial f}{\partial X} = 2 A X", "refuted"),
    (LAYER, "", r"\frac{\partial L}{\partial W} = X^T \frac{\partial L}{\partial Z}", "proved"),
    (LAYER, "", r"\frac{\partial L}{\partial W} = X \frac{\partial L}{\partial Z}", "refuted"),  # shapes
    (LAYER, "", r"\frac{\partial L}{\partial X} = \frac{\partial L}{\partial Z} W^T", "proved"),
    (LAYER, "", r"\frac{\partial L}{\partial b} = \mathbf{1}^T \frac{\partial L}{\partial Z}", "proved"),
    (LAYER, "", r"\frac{\partial L}{\partial b} = \mathbf{1}_n^T \frac{\partial L}{\partial Z}", "proved"),
    (LAYER, "", r"\frac{\partial L}{\partial b} = \mathbf{1}", "refuted"),  # its length from b's: a column for a row
    # entries with free indices, as courses write backprop
    (LAYER, "", r"\frac{\partial L}{\partial W_{ij}} = \sum_{k=1}^{n} X_{ki} \frac{\partial L}{\partial Z_{kj}}",
     "proved"),
    (LAYER, "", r"\frac{\partial L}{\partial W_{ij}} = \sum_{k=1}^{n} X_{kj} \frac{\partial L}{\partial Z_{ki}}",
     "refuted"),  # i runs over d rows of W, but over h columns of dL/dZ
    (LAYER, "", r"\frac{\partial L}{\partial X_{ij}} = \sum_{c=1}^{h} \frac{\partial L}{\partial Z_{ic}} W_{jc}",
     "proved"),
    (LAYER, "", r"\frac{\partial L}{\partial X_{ij}} = \sum_{c=1}^{h} \frac{\partial L}{\partial Z_{ic}} W_{jc} + "
                r"X_{ij}", "refuted"),
    (LAYER, "", r"\frac{\partial L}{\partial b_{j}} = \sum_{i=1}^{n} \frac{\partial L}{\partial Z_{ij}}", "proved"),
    (SHAPES, "f = x^T A x", r"\frac{\partial f}{\partial x_k} = \sum_{j=1}^{n} A_{kj} x_j + \sum_{i=1}^{n} A_{ik} x_i",
     "proved"),
    (SHAPES, "f = x^T A x", r"\frac{\partial f}{\partial x_k} = 2 \sum_{j=1}^{n} A_{kj} x_j", "refuted"),
    # an entry of the gradient in a layer below the loss (an independent review found its sums read as 0)
    (HIDDEN, "", r"\frac{\partial L}{\partial W_{ij}} = \sum_{k=1}^{n} X_{ki} \frac{\partial L}{\partial Z_{kj}}",
     "proved"),
    (HIDDEN, "", r"\frac{\partial L}{\partial W_{ij}} = 0", "refuted"),
    (HIDDEN, "", r"\frac{\partial L}{\partial X_{ij}} = \sum_{c=1}^{h} \frac{\partial L}{\partial Z_{ic}} W_{jc}",
     "proved"),
    # a layer of column vectors, as Nielsen's book writes it (sigma' of a vector crashed at a size of 1)
    (COLUMNS, "", r"\frac{\partial C}{\partial W} = ((h - y) \odot \sigma'(z)) a^T", "proved"),
    (COLUMNS, "", r"\frac{\partial C}{\partial a} = W^T ((h - y) \odot \sigma'(z))", "proved"),
    (COLUMNS, "", r"\frac{\partial C}{\partial b} = (h - y) \odot \sigma(z)", "refuted"),
    # a number in brackets among matrices is a number (an independent review found these refuted as shapes)
    (SHAPES, r"f = (\mathbf{1}^T x)^2", r"\frac{\partial f}{\partial x} = 2 (\mathbf{1}^T x) \mathbf{1}", "proved"),
    (SHAPES, r"f = (x^T x)^2", r"\frac{\partial f}{\partial x} = 4 (x^T x) x", "proved"),
    (SHAPES, r"f = (x^T A x)^2", r"\frac{\partial f}{\partial x} = 2 (x^T A x) (A + A^T) x", "proved"),
    (SHAPES, r"f = (x^T A x)^2", r"\frac{\partial f}{\partial A} = 2 x x^T (x^T A x)", "proved"),
    (SHAPES, r"f = (\mathbf{1}^T x) (a^T x)",
     r"\frac{\partial f}{\partial x} = (a^T x) \mathbf{1} + (\mathbf{1}^T x) a", "proved"),
    (SHAPES, r"f = \log(\mathbf{1}^T \exp(x))", r"\frac{\partial f}{\partial x} = \frac{\exp(x)}{\mathbf{1}^T \exp(x)}",
     "proved"),
    (SHAPES, "f = x^T A x", r"\frac{\partial f}{\partial x} = (A' + A) x", "proved"),  # A' read as the transpose
    (SHAPES.replace("u \\in", "c \\in \\mathbb{R}\nu \\in"), r"f = \|c x - a\|^2",
     r"\frac{\partial f}{\partial c} = 2 x^T (c x - a)", "proved"),  # a scalar in a matrix expression
    (SHAPES.replace("u \\in", "c \\in \\mathbb{R}\nu \\in"), r"f = \|c x - a\|^2",
     r"\frac{\partial f}{\partial c} = 2 c x^T (c x - a)", "refuted"),
    (LAYER, "", r"\frac{\partial L}{\partial b} = \mathbf{1}^T \frac{\partial L}{\partial Z} W", "refuted"),
    (RELU, "", r"\frac{\partial L}{\partial Z} = \frac{\partial L}{\partial A} \odot \mathbb{1}[Z > 0]", "proved"),
    (RELU, "", r"\frac{\partial L}{\partial Z} = \frac{\partial L}{\partial A}", "refuted"),  # the mask dropped
    (SOFTMAX, "", r"\frac{\partial L}{\partial Z} = \frac{1}{n}(\hat{Y} - Y)", "proved"),
    (SOFTMAX, "", r"\frac{\partial L}{\partial Z} = \hat{Y} - Y", "refuted"),  # not the mean
    (SOFTMAX, "", r"\frac{\partial L}{\partial Z} = \frac{1}{n}(Y - \hat{Y})", "refuted"),
    (SHAPES, r"f = \operatorname{tr}(X^T X)", r"\frac{\partial f}{\partial X} = 2 X", "proved"),
    (SHAPES, r"f = \operatorname{tr}(A A)", r"\frac{\partial f}{\partial A} = 2 A^T", "proved"),  # A A is A^2
    (SHAPES, r"f = \operatorname{tr}(A A)", r"\frac{\partial f}{\partial A} = 2 A", "refuted"),
    (SHAPES, r"f = \|x\|", r"\frac{\partial f}{\partial x} = \frac{x}{\|x\|}", "proved"),
    (SHAPES, r"f = (a^T x)^2", r"\frac{\partial f}{\partial x} = 2 a a^T x", "proved"),
    (SHAPES, r"f = \sigma(a^T x)", r"\nabla_x f = \sigma(a^T x) (1 - \sigma(a^T x)) a", "proved"),
    (SHAPES, r"f = \log(\mathbf{1}^T \exp(x))", r"\frac{\partial f}{\partial x} = \operatorname{softmax}(x)", "proved"),
    (SHAPES, r"f = \log(\mathbf{1}^T \exp(x))", r"\frac{\partial f}{\partial x} = \exp(x)", "refuted"),
    (RELU, "", r"\frac{\partial L}{\partial Z} = \frac{\partial L}{\partial A} \odot \mathbf{1}_{Z > 0}", "proved"),
    (RELU, "", r"\frac{\partial L}{\partial Z} = \frac{\partial L}{\partial A} \odot "
               r"\begin{cases} 1, Z > 0 \\ 0, Z \leq 0 \end{cases}", "proved"),
    (RELU, "", r"\frac{\partial L}{\partial Z} = \frac{\partial L}{\partial A} \cdot "
               r"\begin{cases} 1, Z > 0 \\ 0, Z \leq 0 \end{cases}", "refuted"),  # a matrix product: shapes
    (RELU, "", r"\frac{\partial L}{\partial Z} = \frac{\partial L}{\partial A} \cdot \frac{\partial A}{\partial Z}",
     "refuted"),  # dA/dZ has four indices
]


@pytest.mark.parametrize(("where", "function", "line", "verdict"), CASES)
def test_a_classic_gradient_in_matrix_notation_is_judged_for_every_size(where: str, function: str, line: str,
                                                                         verdict: str) -> None:
    text = f"# G\n\n```where\n{where}{function}\n```\n\n$${line}$$\n"
    document = read_text(text, "matrix.md")
    assert document.errors == ()
    (read,) = document.derivations
    result = verify(read.derivation, 5.0)
    *first, step = result.steps  # \nabla_x f = ...: the derivative itself is a step too
    assert all(s.verdict.verdict == "proved" for s in first)
    assert step.verdict.verdict == verdict, step.verdict
    if verdict == "proved":
        assert step.verdict.method.startswith("index notation")
        assert result.numeric is not None and result.numeric.passed
    else:  # a shape named in words, or an entry at sizes with a certified point
        example = step.verdict.counterexample
        assert step.verdict.shape_error or (example is not None and example.entry and example.bound)


def _checked(where: str, line: str) -> DerivationResult:
    """One display under a where block, read with no error and verified."""
    document = read_text(f"# E\n\n```where\n{where}```\n\n$${line}$$\n", "one.md")
    assert document.errors == ()
    return verify(document.derivations[0].derivation, 5.0)


def _layer_gradient(line: str) -> str:
    return "# G\n\n```where\n" + LAYER + "```\n\n$$" + line + "$$\n"


def test_a_number_added_to_a_vector_is_added_to_every_entry_and_said() -> None:
    where = "X \\in \\mathbb{R}^{n \\times d}\nw \\in \\mathbb{R}^{d}\ny \\in \\mathbb{R}^{n}\n" \
            "J = -\\frac{1}{n} (y^T \\log(\\sigma(X w)) + (1 - y)^T \\log(1 - \\sigma(X w)))\n"
    text = f"# G\n\n```where\n{where}```\n\n$$\\nabla_w J = \\frac{{1}}{{n}} X^T (\\sigma(X w) - y)$$\n"
    (read,) = read_text(text, "logistic.md").derivations
    result = verify(read.derivation, 5.0)
    assert [s.verdict.verdict for s in result.steps] == ["proved", "proved"] and result.numeric.passed
    said = read.derivation.steps[0].conventions
    assert any("scalar broadcasting: 1 is added to every entry of a n x 1 matrix" in c for c in said)


def test_a_product_that_does_not_conform_names_both_shapes() -> None:
    text = _layer_gradient(r"\frac{\partial L}{\partial W} = X \frac{\partial L}{\partial Z}")
    (read,) = read_text(text, "matrix.md").derivations
    (step,) = verify(read.derivation, 5.0).steps
    assert "X (n x d)" in step.verdict.shape_error and "(n x h)" in step.verdict.shape_error


def test_a_bias_added_to_every_row_is_said_with_the_derivation() -> None:
    text = _layer_gradient(r"\frac{\partial L}{\partial W} = X^T \frac{\partial L}{\partial Z}")
    (read,) = read_text(text, "matrix.md").derivations
    (said,) = read.derivation.steps[0].conventions
    assert said == "Z: row-vector broadcasting: b (1 x h) is added to every row of the n-row term"
    in_line = read_text(_layer_gradient("X W + b = X W + b"), "matrix.md").derivations[0].derivation.steps[-1]
    assert any("b (1 x h) is added to every row" in c for c in in_line.conventions)


N, K = sp.symbols("n k", integer=True, positive=True)
SIZES = (Var(N, Choice((2, 3))), Var(K, Choice((2, 3))))


def test_the_canonical_form_contracts_deltas_and_renames_dummies() -> None:
    x, a = sp.MatrixSymbol("x", N, 1), sp.MatrixSymbol("A", N, N)
    gradient = entry(Gradient(x.T * a * x, x), {}, {}, ROW, 0)
    assert difference_terms(gradient, entry((a + a.T) * x, {}, {}, ROW, 0), {ROW: (0, N - 1)}) == []
    assert difference_terms(gradient, entry(2 * a * x, {}, {}, ROW, 0), {ROW: (0, N - 1)}) != []


def test_a_row_sum_constraint_is_what_proves_softmax_cross_entropy() -> None:
    z, y = sp.MatrixSymbol("Z", N, K), sp.MatrixSymbol("Y", N, K)
    i, c = sp.symbols("i c", integer=True)
    loss = -sp.Sum(y[i, c] * sp.log(Softmax(z, True)[i, c]), (i, 0, N - 1), (c, 0, K - 1)) / N
    lhs, rhs = entry(Gradient(loss, z), {}, {}), entry((Softmax(z, True) - y) / N, {}, {})
    ranges = {ROW: (0, N - 1), COL: (0, K - 1)}
    assert difference_terms(lhs, rhs, ranges, (RowSums(y),)) == []
    assert difference_terms(lhs, rhs, ranges) != []  # without it, the step is not an identity


def test_an_unspecified_loss_is_proved_for_every_loss_and_screened_with_free_partials() -> None:
    x, w, z = sp.MatrixSymbol("X", N, 3), sp.MatrixSymbol("W", 3, K), sp.MatrixSymbol("Z", N, K)
    loss = Loss("ell", z)
    context = Context(variables=SIZES, definitions=((z, x * w),))
    proved = check_every_size(Gradient(loss, w), x.T * Gradient(loss, z), context)
    assert proved.verdict == "proved"
    refuted = check_every_size(Gradient(loss, w), (x.T * Gradient(loss, z)) * 2, context)
    assert refuted.verdict == "refuted" and "dell/dZ" in " ".join(refuted.counterexample.point)


LAYERED = r"""A^{(1)} \in \mathbb{R}^{n \times h}
W^{(2)} \in \mathbb{R}^{h \times k}
b^{(2)} \in \mathbb{R}^{1 \times k}
Z^{(2)} = A^{(1)} W^{(2)} + b^{(2)}
\ell: \mathbb{R}^{n \times k} \to \mathbb{R}
L = \ell(Z^{(2)})
"""


SQUARE = "A, B, C \\in \\mathbb{R}^{n \\times n}\nx \\in \\mathbb{R}^{n}\n"
COLUMN = "z \\in \\mathbb{R}^{k}\ns = \\operatorname{softmax}(z)\n"


@pytest.mark.parametrize(("where", "line", "verdict"), [
    (SQUARE, r"\operatorname{tr}(A^T B) = \operatorname{tr}(A B^T)", "proved"),
    (SQUARE, r"\operatorname{tr}(A B C) = \operatorname{tr}(C A B)", "proved"),
    (SQUARE, r"\operatorname{tr}(A B C) = \operatorname{tr}(B A C)", "refuted"),
    (SQUARE, r"\operatorname{tr}(A \odot B) = \operatorname{tr}(A B)", "refuted"),
    (SQUARE, r"(x^T x) x = x (x^T x)", "proved"),
    (SQUARE, r"x x = x \odot x", "refuted"),  # a column times a column does not conform
    # the Jacobian of a column in a column is a matrix
    (COLUMN, r"\frac{\partial s}{\partial z} = \operatorname{diag}(s) - s s^T", "proved"),
    (COLUMN, r"\frac{\partial s}{\partial z} = \operatorname{diag}(s) + s s^T", "refuted"),
    (COLUMN, r"\frac{\partial s}{\partial z} = \operatorname{diag}(s) - s^T s", "refuted"),  # a number, not k x k
    (COLUMN, r"\frac{\partial s}{\partial z} = \operatorname{diag}(s)", "refuted"),
    (COLUMN, r"\frac{\partial \tanh(z)}{\partial z} = \operatorname{diag}(1 - \tanh(z) \odot \tanh(z))", "proved"),
    (COLUMN, r"\operatorname{diag}(\operatorname{diag}(s)) = s", "proved"),
])
def test_equalities_of_matrices_traces_and_jacobians(where: str, line: str, verdict: str) -> None:
    result = _checked(where, line)
    *first, step = result.steps  # d tanh(z)/dz = ...: the derivative is a step of its own
    assert step.verdict.verdict == verdict, step.verdict
    assert all(s.verdict.verdict == "proved" for s in first)
    assert result.numeric is None or result.numeric.passed  # a Jacobian's rows against numerical gradients


def test_a_sum_whose_index_runs_past_its_matrix_is_a_shape_error() -> None:
    where = SOFTMAX.replace("\\sum_{i=1}^{n} \\sum_{c=1}^{k}", "\\sum_{i=1}^{k} \\sum_{c=1}^{n}")
    (error,) = read_text(f"# G\n\n```where\n{where}```\n\n$$x = x$$\n", "bounds.md").errors
    assert "the index" in error.message and "runs from 1 to k" in error.message


@pytest.mark.parametrize("line", [
    r"\frac{\partial L}{\partial W^{(2)}} = {A^{(1)}}^\top \frac{\partial L}{\partial Z^{(2)}}",
    r"\nabla_{W^{(2)}} L = (A^{(1)})^{\mathsf{T}} \nabla_{Z^{(2)}} L",
    r"\frac{\partial L}{\partial A^{(1)}} = \frac{\partial L}{\partial Z^{(2)}} \cdot (W^{(2)})^T",
])
def test_layer_indices_name_matrices(line: str) -> None:
    document = read_text(f"# G\n\n```where\n{LAYERED}```\n\n$${line}$$\n", "layers.md")
    assert document.errors == ()
    result = verify(document.derivations[0].derivation, 5.0)
    assert all(s.verdict.verdict == "proved" for s in result.steps) and result.numeric.passed


def test_a_subsection_reads_with_the_where_block_of_the_section_it_is_under() -> None:
    text = (f"# Layer\n\n```where\n{LAYER}```\n\n## Weights\n\n$$\\frac{{\\partial L}}{{\\partial W}} = X^T "
            "\\frac{\\partial L}{\\partial Z}$$\n\n## Bias\n\n```where\nL = \\ell(Z) + 0\n```\n\n"
            "$$\\frac{\\partial L}{\\partial b} = \\mathbf{1}^T \\frac{\\partial L}{\\partial Z}$$\n")
    document = read_text(text, "nested.md")
    assert document.errors == ()
    assert [d.derivation.id for d in document.derivations] == ["weights", "bias"]
    assert all(verify(d.derivation, 5.0).ok for d in document.derivations)


def test_the_numeric_check_runs_at_the_sizes_a_where_line_gives() -> None:
    text = f"# G\n\n```where\n{LAYER}numeric check at n = 5, d = 4, h = 7\n```\n\n" \
           "$$\\frac{\\partial L}{\\partial W} = X^T \\frac{\\partial L}{\\partial Z}$$\n"
    result = verify(read_text(text, "sizes.md").derivations[0].derivation, 5.0)
    assert result.numeric.passed and "28 entries, at n = 5, d = 4, h = 7" in result.numeric.method
    bad = read_text(text.replace("h = 7", "q = 7"), "sizes.md").errors
    assert len(bad) == 1 and "a declared size" in bad[0].message


def test_a_second_derivative_of_an_unspecified_loss_is_not_proved() -> None:
    line = r"\frac{\partial g}{\partial W} = 0"
    where = LAYER + "g = \\operatorname{tr}(\\frac{\\partial L}{\\partial Z}^T X W)\n"
    (read,) = read_text(f"# G\n\n```where\n{where}```\n\n$${line}$$\n", "second.md").derivations
    (step,) = verify(read.derivation, 5.0).steps
    assert step.verdict.verdict == "unproved" and "second derivative" in step.verdict.method


@pytest.mark.parametrize("line", [
    r"\frac{\partial L}{\partial b} = \sum_{i=1}^{n} \frac{\partial L}{\partial Z}",  # a matrix summed over an index
    r"\frac{\partial L}{\partial W} = (X^T)^2",  # a power of a matrix
    r"\frac{\partial L}{\partial W} = \mathbb{1}[X < 0]",  # only a ReLU's pattern 1[Z > 0] is read
    r"\frac{\partial L}{\partial W} = X^T \frac{\partial L}{\partial Z} + \operatorname{diag}(b)",  # no diag yet
])
def test_matrix_notation_it_cannot_read_is_a_located_error(line: str) -> None:
    document = read_text(f"# G\n\n```where\n{LAYER}```\n\n$${line}$$\n", "matrix.md")
    (error,) = document.errors
    assert error.line == 12 and error.column > 1 and error.message


def test_a_matrix_defined_in_terms_of_itself_is_refused() -> None:
    text = "# C\n\n```where\nW \\in \\mathbb{R}^{n \\times n}\nZ = Z W\n```\n\n$$Z = Z$$\n"
    (error,) = read_text(text, "c.md").errors
    assert "defined in terms of itself" in error.message and error.line == 5


TUPLE = r"""Z \in \mathbb{R}^{1 \times k}
y \in \mathbb{R}^{1 \times k}
z_r = Z_{1r}
constraint: y \mathbf{1} = \mathbf{1}
\hat{y} = \operatorname{softmax}(Z)
L = - \sum_{i=1}^k y_i \log \hat{y}_i
"""
WRITTEN_AS_TUPLE = TUPLE.replace("Z \\in \\mathbb{R}^{1 \\times k}\n", "Z = (z_1, \\dots, z_k)\n").replace(
    "z_r = Z_{1r}\n", "").replace("y \\in \\mathbb{R}^{1 \\times k}", "y = (y_1, y_2, \\ldots, y_k)")


@pytest.mark.parametrize(("where", "line", "verdict"), [
    (TUPLE, r"\frac{\partial L}{\partial Z} = \left(\frac{\partial L}{\partial z_r} \right)_{r \in \{1, \dots, k\}}",
     "proved"),
    (TUPLE, r"\frac{\partial L}{\partial Z} = (\hat{y}_r - y_r)_{r=1}^{k}", "proved"),
    (TUPLE, r"\frac{\partial L}{\partial Z} = (\hat{y}_r - y_r)_{r \in [k]}", "proved"),
    (TUPLE, r"\frac{\partial L}{\partial Z} = (\hat{y}_r - y_r)_{r \in \{1, 2, \dots, k\}}", "proved"),
    (WRITTEN_AS_TUPLE, r"\frac{\partial L}{\partial Z} = (\hat{y}_r - y_r)_{r=1}^{k} = \hat{y} - y", "proved"),
    # planted: the sign, an entry for another index, a tuple one entry short (a shape error)
    (TUPLE, r"\frac{\partial L}{\partial Z} = (y_r - \hat{y}_r)_{r=1}^{k}", "refuted"),
    (TUPLE, r"\frac{\partial L}{\partial Z} = (\hat{y}_1 - y_r)_{r=1}^{k}", "refuted"),
    (TUPLE, r"\frac{\partial L}{\partial Z} = (\hat{y}_r - y_r)_{r \in \{2, \dots, k\}}", "refuted"),
])
def test_a_row_written_as_the_tuple_of_its_entries(where: str, line: str, verdict: str) -> None:
    *first, step = _checked(where, line).steps
    assert all(s.verdict.verdict == "proved" for s in first)
    assert step.verdict.verdict == verdict, step.verdict
    if verdict == "refuted":
        example = step.verdict.counterexample
        assert step.verdict.shape_error or (example is not None and example.bound)


DIAGRAM = r"""X \in \mathbb{R}^{n \times 3}
W_1 \in \mathbb{R}^{3 \times 10}
b \in \mathbb{R}^{1 \times 10}
W_2 \in \mathbb{R}^{10 \times 6}
Z_1 = X W_1 + b
"""


@pytest.mark.parametrize(("line", "verdict", "said"), [
    (r"Z_1^{n \times 10} = X W_1^{3 \times 10} + b^{1 \times 10}", "proved", None),
    (r"Z_1 = Z_1^{n \times 6}", "refuted", "Z_1 is n x 10, but the line labels it Z_1^{n x 6}"),
    (r"Z_1 W_2 = Z_1 W_2^{10 \times 7}", "refuted", "W_2 is 10 x 6, but the line labels it W_2^{10 x 7}"),
    # number sizes that do not fit, which SymPy refuses to build: refuted as written, not an internal error
    (r"Z_1 W_2 = Z_1 W_1", "refuted", "Z_1 (n x 10) times W_1 (3 x 10) does not conform"),
    (r"Z_1 = X W_1 + W_2", "refuted", "X W_1 (n x 10) plus W_2 (10 x 6): the shapes differ"),
    (r"Z_1 = Z_1 \odot W_2", "refuted", "Z_1 (n x 10) times elementwise W_2 (10 x 6): the shapes differ"),
])
def test_a_shape_written_as_a_superscript_is_checked(line: str, verdict: str, said: str | None) -> None:
    document = read_text(f"# D\n\n```where\n{DIAGRAM}```\n\n$${line}$$\n", "diagram.md")
    assert document.errors == ()
    (step,) = verify(document.derivations[0].derivation, 5.0).steps
    assert step.verdict.verdict == verdict, step.verdict
    assert said is None or said in step.verdict.shape_error


@pytest.mark.parametrize(("where", "line", "message"), [
    (TUPLE, r"\frac{\partial L}{\partial Z} = z_{r=1}^{k}", "after the bracketed entry"),
    (TUPLE, r"\frac{\partial L}{\partial Z} = (z_r)_{r \in \{1, 3, \dots, k\}}", "counts up by one"),
    (TUPLE, r"\frac{\partial L}{\partial Z} = (Z)_{r=1}^{k}", "numbers as entries"),
    (TUPLE, r"y_1 + \dots + y_k = 1", "write a sum of terms"),
    (DIAGRAM, r"x^{2x \times 3} = x^6", "write the exponent with \\cdot"),  # on a number it is a power
    (DIAGRAM, r"Z_1 = Z_1^{m \times 10}", "m in a shape"),
])
def test_tuples_and_shape_labels_it_cannot_read_are_located_errors(where: str, line: str, message: str) -> None:
    (error,) = read_text(f"# T\n\n```where\n{where}```\n\n$${line}$$\n", "tuple.md").errors
    assert message in error.message and error.column > 1, error.message


@pytest.mark.parametrize(("line", "message"), [
    (r"Z = (z_1, z_3, \dots, z_k)", "counts one family from 1"),
    (r"Z = (z_1, \dots, w_k)", "counts one family from 1"),
    (r"Z = (z_1, z_2, z_3)", ""),  # no \dots: an ordinary definition, read by the formula reader
    (r"y = (z_1, \dots, z_k)", "declared otherwise"),  # y is a 1 x k row already, z names its entries: fine below
])
def test_a_row_defined_as_a_tuple_in_a_where_block(line: str, message: str) -> None:
    where = "y \\in \\mathbb{R}^{2 \\times k}\n" + line + "\n"
    errors = read_text(f"# T\n\n```where\n{where}```\n\n$$x = x$$\n", "tuple.md").errors
    assert (message in errors[0].message) if message else errors, errors


RIDGE = r"""X \in \mathbb{R}^{n \times d}
w \in \mathbb{R}^{d}
y \in \mathbb{R}^{n}
\lambda > 0
L = \|y - X w\|^2 + \lambda \|w\|^2
"""


@pytest.mark.parametrize(("where", "line", "verdict"), [
    # I among matrices is the identity, sized by the sum or product it stands in (it was a scalar: refuted)
    (RIDGE, r"\nabla_w L = 2 (X^T X + \lambda I) w - 2 X^T y", "proved"),
    (RIDGE, r"\nabla_w L = 2 (X^T X + 2 \lambda I) w - 2 X^T y", "refuted"),
    (SQUARE, r"A I_n = A", "proved"),
    (SQUARE, r"A I = 2 A", "refuted"),
    # a ones vector times its transpose, in a sum or an elementwise product (its size was left open: refuted)
    (SQUARE, r"A \odot \mathbf{1} \mathbf{1}^T = A", "proved"),
    ("X \\in \\mathbb{R}^{n \\times 3}\n", r"X \odot \mathbf{1}\mathbf{1}^T = X", "proved"),  # n ones by 3 ones
    ("X \\in \\mathbb{R}^{m \\times n}\nf = \\mathbf{1}^T X \\mathbf{1}\n", r"\nabla_X f = \mathbf{1} \mathbf{1}^T",
     "proved"),  # the whole line's 1 1^T is m x n, as the line before
    ("X \\in \\mathbb{R}^{n \\times 3}\n", r"X + \mathbf{1}\mathbf{1}^T = \mathbf{1}\mathbf{1}^T + X", "proved"),
    ("X \\in \\mathbb{R}^{n \\times d}\n\\mu = \\frac{1}{n} \\mathbf{1}^T X\n",
     r"\mathbf{1}^T (X - \mathbf{1} \mu) = 0", "proved"),
    # \delta_{ij} of the letters indexing entries is Kronecker's (it was an undeclared number)
    (COLUMN, r"\frac{\partial s_i}{\partial z_j} = s_i (\delta_{ij} - s_j)", "proved"),
    (COLUMN, r"\frac{\partial s_i}{\partial z_j} = s_j (\delta_{ij} - s_i) + s_i", "refuted"),
    # the trace of a matrix that is not square is a shape error (it raised inside SymPy at concrete sizes)
    ("A \\in \\mathbb{R}^{m \\times n}\n", r"\operatorname{tr}(A^T) = \operatorname{tr}(A)", "refuted"),
])
def test_identities_ones_deltas_and_traces_among_matrices(where: str, line: str, verdict: str) -> None:
    *first, step = _checked(where, line).steps
    assert all(s.verdict.verdict == "proved" for s in first)
    assert step.verdict.verdict == verdict, step.verdict
    if verdict == "refuted":
        assert step.verdict.shape_error or step.verdict.counterexample.bound


def test_a_tuple_whose_entry_leaves_the_matrix_is_a_shape_error() -> None:
    from sympy.matrices.expressions.matexpr import MatrixElement

    from verifier.tensor import EntryMatrix, shape_problem

    z, r, unused = sp.MatrixSymbol("Z", 1, K), sp.Dummy("r"), sp.Dummy("unused")
    entry = MatrixElement(Gradient(sp.Symbol("L"), z), 0, r)  # (dL/dZ)_{1, r+1}, as a mutant wrote it
    tuple_of = EntryMatrix(entry, sp.Tuple(unused, r), sp.Tuple(0, 1), sp.Tuple(1, K))
    assert "runs from 1 to k" in shape_problem(tuple_of)  # r = k picks column k + 1 of a row of k


@pytest.mark.parametrize(("where", "line", "verdict"), [
    # each raised inside the engine before (an internal error lost the derivation); found by an independent review
    ("x \\in \\mathbb{R}^{n}\ny \\in \\mathbb{R}^{m}\nf = \\mathbf{1}^T x y^T \\mathbf{1}\n",
     r"\nabla_x f = (\mathbf{1}^T y) \mathbf{1}", "proved"),  # a 0-based sum's index was taken positive
    ("X \\in \\mathbb{R}^{n \\times d}\n",
     r"\mathbf{1}^T \left(\frac{1}{n} \mathbf{1} \mathbf{1}^T X\right) = \mathbf{1}^T X", "proved"),  # 1 1^T square
    ("A \\in \\mathbb{R}^{n \\times n}\nx \\in \\mathbb{R}^{n}\nf = x^T A x\n",
     r"\frac{\partial f}{\partial x_k} = \sum_{i=1}^{n} \sum_{j=1}^{n} A_{ij} (\delta_{ik} x_j + x_i \delta_{jk})",
     "proved"),
    (LAYER.replace("b \\in \\mathbb{R}^{1 \\times h}\n", "").replace(" + b", ""),
     r"\frac{\partial L}{\partial W_{ij}} = \sum_{k=1}^{n-1} X_{ki} \frac{\partial L}{\partial Z_{kj}} + X_{ni} "
     r"\frac{\partial L}{\partial Z_{nj}}", "unproved"),  # X_{ni}: n read as an index (a third one): no crash
])
def test_inputs_that_raised_inside_the_engine_get_a_verdict(where: str, line: str, verdict: str) -> None:
    step = _checked(where, line).steps[-1]
    assert step.verdict.verdict == verdict, step.verdict
    assert "failed" not in step.verdict.method


def test_a_step_the_engine_fails_on_is_unproved_and_said(monkeypatch: pytest.MonkeyPatch) -> None:
    from verifier import check, isolation

    def broken(*args: object) -> None:
        raise IndexError("indices out of range")

    monkeypatch.setattr(isolation, "available", lambda: False)
    monkeypatch.setattr(check, "check_step_here", broken)
    verdict = check.check_step(sp.Symbol("x"), sp.Symbol("x") + 1, Context(()))
    assert verdict.verdict == "unproved" and "backproof failed on this step (IndexError" in verdict.method


def test_an_identity_nothing_sizes_and_a_delta_of_declared_numbers() -> None:
    where = "X \\in \\mathbb{R}^{n \\times 3}\nx, a, b real\n"
    (error,) = read_text(f"# E\n\n```where\n{where}```\n\n$$\\frac{{d}}{{dx}} I x^2 = 2 I x$$\n", "i.md").errors
    assert "nothing here gives its size" in error.message  # an internal error before
    (read,) = read_text(f"# E\n\n```where\n{where}```\n\n$$\\delta_{{ab}} a = \\delta_{{ab}} a$$\n", "d.md").derivations
    assert not read.derivation.steps[0].expr.has(sp.KroneckerDelta)  # a and b are numbers: delta_ab is a name


def test_exp_of_a_square_matrix_says_it_is_read_entry_by_entry() -> None:
    text = "# E\n\n```where\nA \\in \\mathbb{R}^{n \\times n}\n```\n\n$$\\exp(A) \\odot \\exp(A) = \\exp(2 A)$$\n"
    (read,) = read_text(text, "exp.md").derivations
    said = read.derivation.steps[0].conventions
    assert any("of a square matrix: entry by entry (not the matrix exp)" in c for c in said), said


SCALED = ("x \\in \\mathbb{R}^{n}\na \\in \\mathbb{R}^{n}\nz = a \\odot x\n"
          "\\ell: \\mathbb{R}^{n} \\to \\mathbb{R}\nL = \\ell(z)\n")
SOFTMAX_LOSS = ("z \\in \\mathbb{R}^{k}\ns = \\operatorname{softmax}(z)\n"
                "\\ell: \\mathbb{R}^{k} \\to \\mathbb{R}\nL = \\ell(s)\n")
SHIFTED = ("x \\in \\mathbb{R}^{1 \\times d}\n\\gamma \\in \\mathbb{R}^{1 \\times d}\n"
           "\\beta \\in \\mathbb{R}^{1 \\times d}\nm = \\frac{1}{d} x \\mathbf{1}\n"
           "y = \\gamma \\odot (x - m \\mathbf{1}^T) + \\beta\n"
           "\\ell: \\mathbb{R}^{1 \\times d} \\to \\mathbb{R}\nL = \\ell(y)\n")


BRACKETED_NUMBERS = [
    # a bracketed 1 x 1 product holding an unspecified loss's gradient is the number it is: it was read as 0 (the
    # entry taken before L = ell(z) was put in), so a bogus term was proved and true backward passes refuted
    (SCALED, r"\nabla_x L = a \odot \frac{\partial L}{\partial z} + \left(a^T \frac{\partial L}{\partial z}\right) a",
     "refuted"),
    (SCALED, r"\nabla_x L = a \odot \frac{\partial L}{\partial z}", "proved"),
    (SOFTMAX_LOSS, r"\frac{\partial L}{\partial z} = s \odot \left(\frac{\partial L}{\partial s} - "
                   r"\left(s^T \frac{\partial L}{\partial s}\right) \mathbf{1}\right)", "proved"),
    (SOFTMAX_LOSS, r"\frac{\partial L}{\partial z} = s \odot \left(\frac{\partial L}{\partial s} + "
                   r"\left(s^T \frac{\partial L}{\partial s}\right) \mathbf{1}\right)", "refuted"),
    (SHIFTED, r"\frac{\partial L}{\partial \beta} = \frac{\partial L}{\partial y} - \frac{1}{d} "
              r"\left(\frac{\partial L}{\partial y} \mathbf{1}\right) \mathbf{1}^T", "refuted"),
    (SHIFTED, r"\frac{\partial L}{\partial \beta} = \frac{\partial L}{\partial y}", "proved"),
]


MEAN = "x \\in \\mathbb{R}^{n}\n\\mu = \\frac{1}{n} \\mathbf{1}^T x\n"


DEFINED_NUMBERS = [
    # a 1 x 1 matrix a where line defines is the number it is where another definition uses it (mu^2 raised
    # 'MatPow base should be a matrix'; 1 mu in a product lost the derivation to a ShapeError)
    ("x \\in \\mathbb{R}^{n}\n\\mu = \\mathbf{1}^T x\nf = x^T x - \\mu^2\n", r"\nabla_x f = 2 x - 2 \mu \mathbf{1}",
     "proved"),
    ("x \\in \\mathbb{R}^{n}\n\\mu = \\mathbf{1}^T x\nf = x^T x - \\mu^2\n", r"\nabla_x f = 2 x - \mu \mathbf{1}",
     "refuted"),
    (MEAN + "f = (x - \\mathbf{1} \\mu)^T (x - \\mathbf{1} \\mu)\n", r"\nabla_x f = 2 (x - \mathbf{1} \mu)", "proved"),
    (MEAN + "f = (x - \\mathbf{1} \\mu)^T (x - \\mathbf{1} \\mu)\n", r"\nabla_x f = 2 x", "refuted"),
]


RIDGE = ("X \\in \\mathbb{R}^{n \\times d}\nw \\in \\mathbb{R}^{d}\ny \\in \\mathbb{R}^{n}\n\\lambda > 0\n"
         "f = \\|X w - y\\|_2^2 + \\lambda \\|w\\|_2^2\n")
DECAY = "W \\in \\mathbb{R}^{m \\times n}\n\\lambda > 0\nf = \\frac{\\lambda}{2} \\|W\\|_F^2\n"


BOLD = ("\\mathbf{X} \\in \\mathbb{R}^{n \\times d}\n\\mathbf{w} \\in \\mathbb{R}^{d}\n"
        "\\mathbf{y} \\in \\mathbb{R}^{n}\n")
INDEXED_NORMS = [
    # a bold name or a ones vector just before a closing \| closes it (it was read as an opening bar)
    (MEAN + "f = \\|x - \\mu \\mathbf{1}\\|^2\n", r"\nabla_x f = 2 (x - \mathbf{1} \mu)", "proved"),
    # bold names, as CS229 and Bishop write vectors and matrices (the where block refused them)
    (BOLD + "f = \\|\\mathbf{X} \\mathbf{w} - \\mathbf{y}\\|^2\n",
     r"\nabla_{\mathbf{w}} f = 2 \mathbf{X}^T (\mathbf{X} \mathbf{w} - \mathbf{y})", "proved"),
    (BOLD + "f = \\|\\mathbf{X} \\mathbf{w} - \\mathbf{y}\\|^2\n",
     r"\nabla_{\mathbf{w}} f = 2 \mathbf{X} (\mathbf{X} \mathbf{w} - \mathbf{y})", "refuted"),
    # norms with their index, as ridge regression and weight decay write them (each was "a subscript on something
    # that is not a name")
    (RIDGE, r"\nabla_w f = 2 X^T (X w - y) + 2 \lambda w", "proved"),
    (RIDGE, r"\nabla_w f = 2 X^T (X w - y) + \lambda w", "refuted"),
    (DECAY, r"\frac{\partial f}{\partial W} = \lambda W", "proved"),
    (DECAY, r"\frac{\partial f}{\partial W} = \lambda W^T", "refuted"),
]


@pytest.mark.parametrize(("where", "line", "verdict"), BRACKETED_NUMBERS + DEFINED_NUMBERS + INDEXED_NORMS)
def test_gradients_others_wrote_are_judged_for_every_size(where: str, line: str, verdict: str) -> None:
    step = _checked(where, line).steps[-1]
    assert step.verdict.verdict == verdict, step.verdict


def test_the_spectral_norm_of_a_matrix_is_refused_at_its_index() -> None:
    document = read_text("# S\n\n```where\nW \\in \\mathbb{R}^{m \\times n}\nf = \\|W\\|_2^2\n```\n\n"
                         "$$\\frac{\\partial f}{\\partial W} = 2 W$$\n", "one.md")
    (error,) = document.errors
    assert "spectral norm" in error.message and error.line == 5
