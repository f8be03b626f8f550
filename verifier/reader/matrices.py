"""What matrix notation means: products and sums of declared matrices, transposes, elementwise functions.

Matrices are SymPy matrix expressions over `MatrixSymbol`s with symbolic sizes; their shapes are checked by
the engine (`verifier.tensor.shape_problem`), never here, so a product that does not conform is read as written
and refuted, not rejected. Each function here takes values the formula reader has already built.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import sympy as sp
from sympy.core.function import UndefinedFunction
from sympy.matrices.expressions.matexpr import MatrixElement

from verifier.reader.formula import ParseError
from verifier.tensor import (
    Elementwise,
    EntryMatrix,
    Gradient,
    Indicator,
    Jacobian,
    Loss,
    ShapeClaim,
    Softmax,
    VectorJacobian,
    combined,
    same_size,
    shown,
)

BROADCAST = "row-vector broadcasting: {row} ({shape}) is added to every row of the {rows}-row term"
SCALAR = "scalar broadcasting: {number} is added to every entry of a {shape} matrix"
RELU_NAMES = frozenset({"ReLU", "relu"})
SOFTMAX_NAMES = frozenset({"softmax", "Softmax"})


def is_matrix(value: object) -> bool:
    """Whether a value read so far is a matrix (not a scalar)."""
    return isinstance(value, sp.MatrixExpr)


def index_length(body: sp.Expr, index: sp.Symbol) -> sp.Expr | None:
    """How far an index runs when it picks entries of matrices (Z_{ik}: Z's rows), when every entry agrees."""
    lengths = {size for e in body.atoms(MatrixElement) for at, size in zip((e.i, e.j), e.parent.shape, strict=True)
               if at == index - 1}
    return lengths.pop() if len(lengths) == 1 else None


def is_entry(value: object) -> bool:
    """Whether a value is an entry of a declared matrix (W_ij)."""
    return isinstance(value, MatrixElement) and isinstance(value.parent, sp.MatrixSymbol)


def derivative(value: sp.Expr, variable: sp.Basic, order: int, position: tuple[int, int]) -> sp.Expr:
    """d value / d variable: a gradient (the variable's shape) for a matrix variable, its entry for an entry."""
    if is_entry(variable):  # dL/dW_ij: entry (i, j) of dL/dW, taken as backprop takes it (below W held fixed)
        if order != 1 or (is_matrix(value) and value.shape != (1, 1)):
            raise ParseError("a derivative in an entry is read of a number, once", *position)
        return MatrixElement(Gradient(value, variable.parent), variable.i, variable.j)
    if not is_matrix(variable):
        return sp.Derivative(value, (variable, order))
    if order != 1:
        raise ParseError("a second derivative in a matrix is not read: write the gradient of the gradient's entries",
                         *position)
    if is_matrix(value) and value.shape[1] == 1 and variable.shape[1] == 1 and value.shape != (1, 1):
        return VectorJacobian(value, variable)  # ds/dz of a column in a column: a matrix (m x n)
    if is_matrix(value) and value.shape != (1, 1):
        return Jacobian(value, variable)  # refuted wherever a line uses it as a matrix
    return Gradient(value, variable)


def ones() -> sp.MatrixExpr:
    """`\\mathbf{1}`: a column of ones whose length the product it stands in gives (see `product`)."""
    return sp.OneMatrix(sp.Dummy("ones", integer=True, positive=True), 1)


def identity() -> sp.MatrixExpr:
    """`I` among matrices: the identity, whose size the product or sum it stands in gives."""
    return sp.Identity(sp.Dummy("ones", integer=True, positive=True))


def sized_alike(terms: list[sp.Expr]) -> list[sp.Expr]:
    """Terms of a sum or an elementwise product: a ones vector or an identity whose size is still open (1 1^T,
    \\lambda I) takes the shape of a term whose shape is known."""
    known = next((t.shape for t in terms if is_matrix(t) and not _pending_shape(t)), None)
    if known is None:
        return terms
    return [_sized_as(term, known) if is_matrix(term) and _pending_shape(term) else term for term in terms]


def _sized_as(term: sp.MatrixExpr, known: tuple[sp.Expr, sp.Expr]) -> sp.MatrixExpr:
    """`term` with its open sizes those of `known`, unless one open size would take two values (I against n x d)."""
    sizes: dict[sp.Expr, sp.Expr] = {}
    for size, wanted in zip(term.shape, known, strict=True):
        if is_open(size):
            if size in sizes and not same_size(sizes[size], wanted):
                return term
            sizes[size] = wanted
    return term.xreplace(sizes)


def product(values: list[sp.Expr]) -> sp.Expr:
    """The product of factors; a ones vector takes the length its neighbour in the product needs; a 1 x 1 factor
    among matrices (the (a^T x) of (a^T x) a) is the number it is; matrices are never merged into powers."""
    factors = list(values)
    if sum(is_matrix(f) for f in factors) > 1:
        factors = [as_number(f) if is_matrix(f) and f.shape == (1, 1) and not _pending_shape(f) else f for f in factors]
    factors = _sizes_met(factors)
    if any(is_matrix(f) for f in factors):
        if sum(is_matrix(f) for f in factors) > 1:
            return combined("times", lambda *fs: sp.MatMul(*fs, evaluate=False), *factors)
        return sp.Mul(*factors)
    return sp.Mul(*factors)


def _sizes_met(factors: list[sp.Expr]) -> list[sp.Expr]:
    """The factors with each open size (a ones vector's, an identity's) set where a neighbour fixes it, in every
    factor that has it: the inner sizes of a product agree."""
    while True:
        matrices = [f for f in factors if is_matrix(f)]
        found = next((pair for left, right in itertools.pairwise(matrices) if (pair := _meeting(left, right))), None)
        if found is None:
            return factors
        factors = [f.xreplace(dict((found,))) if is_matrix(f) else f for f in factors]


def _meeting(left: sp.MatrixExpr, right: sp.MatrixExpr) -> tuple[sp.Expr, sp.Expr] | None:
    """An open size and the size it takes where two neighbouring factors meet (their inner sizes), or None."""
    inner = (left.shape[1], right.shape[0])
    if is_open(inner[0]) and inner[0] != inner[1]:
        return inner[0], inner[1]
    if is_open(inner[1]) and inner[0] != inner[1]:
        return inner[1], inner[0]
    return None


def settled_sizes(expr: sp.Expr) -> sp.Expr:
    """`expr` with each size still open inside it once the whole line is read settled: a column of ones times a
    row of ones that nothing else sized is square (1^T (1 1^T X) / n); a size of the whole expression is left to
    the line before (every_size: the gradient 1 1^T of a sum of entries is m x n)."""
    while True:
        outer = set(expr.shape) if is_matrix(expr) else set()  # the line before sizes those (every_size)
        pair = next((pair for node in sp.preorder_traversal(expr) if isinstance(node, sp.MatMul)
                     for left, right in itertools.pairwise([a for a in node.args if is_matrix(a)])
                     if (pair := _square_ones(left, right)) and pair[0] not in outer), None)
        if pair is None:
            return expr
        expr = expr.xreplace(dict((pair,)))


def _square_ones(left: sp.MatrixExpr, right: sp.MatrixExpr) -> tuple[sp.Expr, sp.Expr] | None:
    if not (isinstance(left, sp.OneMatrix) and isinstance(right, sp.OneMatrix)) or left.shape[1] != 1:
        return None
    rows, cols = left.shape[0], right.shape[1]
    if is_open(rows) and rows != cols:
        return rows, cols
    if is_open(cols) and rows != cols:
        return cols, rows
    return None


def quotient(numerator: sp.Expr, denominator: sp.Expr, position: tuple[int, int]) -> sp.Expr:
    """numerator / denominator; a 1 x 1 matrix is the number it is (exp(x) / 1^T exp(x)); no matrix divides."""
    numerator, denominator = as_scalars([numerator, denominator])
    if is_matrix(denominator):
        raise ParseError("a division by a matrix is not read: write the inverse as a product", *position)
    return numerator / denominator


def lone_ones(expr: sp.Basic) -> bool:
    """Whether a ones vector or an identity in `expr` still waits for its size (no product or sum gave it one)."""
    return any(is_open(d) for ones in expr.atoms(sp.OneMatrix, sp.Identity) for d in ones.shape)


def _pending_shape(matrix: sp.MatrixExpr) -> bool:
    return any(is_open(d) for d in matrix.shape)


def is_open(size: sp.Expr) -> bool:
    """Whether a size is still open (a ones vector's or an identity's, waiting for a product or sum to give it)."""
    return isinstance(size, sp.Dummy) and size.name == "ones"


def element(matrix: sp.MatrixSymbol, indices: tuple[sp.Expr, ...], position: tuple[int, int]) -> sp.Expr:
    """`Y_{ic}`: an entry of a declared matrix, counted from 1 as notes count (`x_i` for a column)."""
    rows, cols = matrix.shape
    if len(indices) == 1 and (cols == 1 or rows == 1):
        (index,) = indices
        return matrix[index - 1, 0] if cols == 1 else matrix[0, index - 1]
    if len(indices) != 2:
        raise ParseError(f"an entry of the matrix {matrix} takes two indices, as in {matrix}_{{ij}}", *position)
    return matrix[indices[0] - 1, indices[1] - 1]


def tuple_of(entry: sp.Expr, index: sp.Symbol, first: sp.Expr, last: sp.Expr,
             position: tuple[int, int]) -> sp.MatrixExpr:
    """`(E_r)_{r=1}^{k}`: the row (1 x (k - first + 1)) whose entries are E at r = first, ..., k."""
    length = sp.expand(last - first + 1)
    if is_matrix(entry) or not first.is_Integer or length.is_positive is False or not length.is_integer:
        raise ParseError("a tuple (E_r)_{r=a}^{b} has numbers as entries, a whole number as its first index and at "
                         "least one entry", *position)
    unused = sp.Dummy("unused")
    return EntryMatrix(entry, sp.Tuple(unused, index), sp.Tuple(0, first), sp.Tuple(1, length))


def labelled(value: sp.Expr, rows: sp.Expr, cols: sp.Expr, position: tuple[int, int]) -> sp.MatrixExpr:
    """`Z^{n \\times 10}`: the matrix Z, labelled with its shape; a label Z does not have is kept, to be refuted."""
    if same_size(value.shape[0], rows) and same_size(value.shape[1], cols):
        return value
    return ShapeClaim(value, rows, cols)


def transpose(value: sp.Expr) -> sp.Expr:
    """value^T: a matrix's transpose; a scalar is its own."""
    return value.T if is_matrix(value) else value


def applied(name: str, function: object, arguments: list[sp.Expr], position: tuple[int, int],
            primes: int = 0) -> sp.Expr | None:
    """A function applied to a matrix: elementwise (`\\sigma'(Z)`: its derivative, elementwise), row-wise softmax,
    a trace or an unspecified loss.

    None when no argument is a matrix (the scalar reader goes on).
    """
    if not any(is_matrix(a) and a.shape != (1, 1) for a in arguments):
        return None
    if name == "max" and len(arguments) == 2 and 0 in arguments and any(is_matrix(a) for a in arguments):
        return relu(next(a for a in arguments if is_matrix(a)))  # max(Z, 0) and max(0, Z)
    if len(arguments) != 1:
        raise ParseError(f"{name} of a matrix takes one argument", *position)
    (matrix,) = arguments
    if primes:
        if not (isinstance(function, sp.Lambda) and len(function.variables) == 1) or primes > 2:
            raise ParseError(f"{name}' of a matrix is read for a known function of one argument", *position)
        (u,) = function.variables
        return Elementwise(sp.Lambda(u, sp.diff(function.expr, u, primes)), matrix)
    if name in RELU_NAMES:
        return relu(matrix)
    if name in SOFTMAX_NAMES:
        return Softmax(matrix, matrix.shape[1] != 1)
    if name in ("tr", "Tr", "trace"):
        return combined("trace", sp.Trace, matrix)
    if name == "diag" and matrix.shape[1] == 1:  # diag(s): the square matrix with s on its diagonal
        return sp.DiagMatrix(matrix)
    if name == "diag" and same_size(*matrix.shape):  # diag(A): the column of A's diagonal
        return sp.DiagonalOf(matrix)
    if name == "diag":
        raise ParseError(f"diag of a {shown(matrix.shape[0])} x {shown(matrix.shape[1])} matrix: diag takes a column "
                         "or a square matrix", *position)
    if isinstance(function, UndefinedFunction):
        return Loss(name, matrix)
    if isinstance(function, sp.Lambda) and len(function.variables) == 1:
        return Elementwise(function, matrix)
    raise ParseError(f"{name} cannot be applied to a matrix", *position)


@dataclass(frozen=True)
class Comparison:
    """`Z > 0` for a matrix Z: a condition on each entry, only read inside cases."""

    matrix: sp.Expr
    relation: str
    bound: sp.Expr


def pattern(pieces: list[tuple[sp.Expr, object]], position: tuple[int, int]) -> Indicator:
    """`cases` of 1 where Z > 0 and 0 where Z <= 0: the ReLU pattern 1[Z > 0]; nothing else is read."""
    values = {(value, c.relation, c.bound) for value, c in pieces if isinstance(c, Comparison)}
    matrices = {c.matrix for _, c in pieces if isinstance(c, Comparison)}
    above = {(1, ">", 0), (1, "\\gt", 0)}
    below = {(0, r, 0) for r in ("\\leq", "\\le", "<=", "\u2264")}
    if len(matrices) == 1 and len(pieces) == 2 and values & above and values & below:
        return indicator(matrices.pop())
    raise ParseError("cases on a matrix are read as 1 where Z > 0 and 0 where Z <= 0 (a ReLU's pattern)", *position)


def as_scalars(values: list[sp.Expr]) -> list[sp.Expr]:
    """1 x 1 matrices (a^T x) as the numbers they are, so that a function applies to them as to a number."""
    return [as_number(v) if is_matrix(v) and v.shape == (1, 1) else v for v in values]


def as_number(matrix: sp.MatrixExpr) -> sp.Expr:
    """The number a 1 x 1 matrix is: its entry; its trace where it holds a derivative whose entries are not known
    yet ((a^T dL/dz) with L = ell(z) defined later: taking the entry now would differentiate the bare name L)."""
    if any(isinstance(node, Gradient | VectorJacobian) for node in sp.preorder_traversal(matrix)):
        return sp.Trace(matrix)
    return matrix[0, 0]


def said_of(name: str, arguments: list[sp.Expr]) -> list[str]:
    """The reading a function of a matrix was given, when another is common: softmax of a column (over its
    entries, not each row's one entry), the norm of a matrix (Frobenius)."""
    (matrix,) = arguments if len(arguments) == 1 else (None,)
    if not is_matrix(matrix):
        return []
    if name in SOFTMAX_NAMES and matrix.shape[1] == 1:
        return [f"softmax({shown(matrix)}) of a column: over its {matrix.shape[0]} entries"]
    if name in ("exp", "log", "sqrt") and 1 not in matrix.shape and same_size(*matrix.shape):
        return [f"\\{name}({shown(matrix)}) of a square matrix: entry by entry (not the matrix {name})"]
    if name == "norm" and 1 not in matrix.shape:
        return [f"||{shown(matrix)}|| of a {matrix.shape[0]} x {matrix.shape[1]} matrix: the Frobenius norm"]
    return []


def relu(matrix: sp.MatrixExpr) -> sp.MatrixExpr:
    """ReLU(Z) = 1[Z > 0] * Z elementwise (differentiated region by region)."""
    return sp.HadamardProduct(indicator(matrix), matrix)


def indicator(matrix: sp.MatrixExpr) -> Indicator:
    """1[Z > 0]: the ReLU pattern of Z."""
    return Indicator(matrix)


def hadamard(left: sp.Expr, right: sp.Expr, position: tuple[int, int]) -> sp.Expr:
    """left * right elementwise (\\odot); for scalars, the product."""
    if is_matrix(left) and is_matrix(right):
        return combined("times elementwise", sp.HadamardProduct, *sized_alike([left, right]))
    if is_matrix(left) or is_matrix(right):
        return left * right
    raise ParseError("\\odot between two scalars: write a product", *position)


def summed(terms: tuple[sp.Expr, ...]) -> tuple[sp.Expr, tuple[str, ...]]:
    """A sum of terms; a 1 x c row added to r x c matrices is added to every row (the ML convention), said so."""
    if any(not is_matrix(t) for t in terms):  # a number plus a^T x: a number
        terms = tuple(as_scalars(list(terms)))
    terms = tuple(sized_alike(list(terms)))
    matrices = [t for t in terms if is_matrix(t)]
    if not matrices:
        return sp.Add(*terms), ()
    said: list[str] = []
    if len(matrices) != len(terms):  # 1 - y for a vector y: 1 in every entry (numpy's and the courses' reading)
        shape = matrices[0].shape
        numbers = [t for t in terms if not is_matrix(t) and t != 0]
        said = [SCALAR.format(number=shown(n), shape=f"{shape[0]} x {shape[1]}") for n in numbers]
        terms = tuple(t if is_matrix(t) else t * sp.OneMatrix(*shape) for t in terms if is_matrix(t) or t != 0)
    tall = [m for m in matrices if m.shape[0] != 1]
    if not tall:
        return combined("plus", sp.MatAdd, *terms), tuple(said)
    rows = tall[0].shape[0]
    kept = []
    for term in terms:
        if term.shape[0] == 1 and not same_size(rows, 1) and same_size(term.shape[1], tall[0].shape[1]):
            kept.append(sp.MatMul(sp.OneMatrix(rows, 1), term))
            said.append(BROADCAST.format(row=shown(term), shape=f"1 x {term.shape[1]}", rows=rows))
        else:
            kept.append(term)
    return combined("plus", sp.MatAdd, *kept), tuple(said)  # (a scalar's broadcast said first, then the rows')


def norm(value: sp.Expr) -> sp.Expr:
    """||X||: the Frobenius norm of a matrix (the Euclidean norm of a vector)."""
    return sp.sqrt(sp.Trace(value.T * value))
