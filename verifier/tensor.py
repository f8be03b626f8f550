"""Matrices with symbolic sizes: their shapes as written, gradients, and entries in index notation."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass

import sympy as sp
from sympy.core.symbol import Str
from sympy.matrices.expressions.matexpr import MatrixElement
from sympy.printing.numpy import NumPyPrinter
from sympy.printing.str import StrPrinter

Definitions = Mapping[sp.MatrixSymbol, sp.MatrixExpr]
ROW, COL = sp.Symbol("_row", integer=True), sp.Symbol("_col", integer=True)  # the free indices of an entry


class Indicator(sp.MatrixExpr):
    """1[Z > 0], entry by entry: a ReLU's 0/1 pattern (0 at a kink), whose derivative is 0 on every region."""

    def __new__(cls, argument: sp.MatrixExpr) -> Indicator:
        return sp.Basic.__new__(cls, argument)

    @property
    def shape(self) -> tuple[sp.Expr, sp.Expr]:
        return self.args[0].shape

    def _entry(self, i: sp.Expr, j: sp.Expr, **kwargs: object) -> sp.Expr:
        return Positive(self.args[0][i, j])

    def _latex(self, printer: object) -> str:
        return rf"\mathbb{{1}}\left[{sp.latex(self.args[0])} > 0\right]"


class Elementwise(sp.MatrixExpr):
    """f(Z) entry by entry. SymPy's own ElementwiseApplyFunction applies f to a 1 x 1 matrix itself when the sizes
    are put in (at n = 1), which fails: this one stays elementwise at every size."""

    def __new__(cls, function: sp.Lambda, argument: sp.MatrixExpr) -> Elementwise:
        return sp.Basic.__new__(cls, function, argument)

    @property
    def shape(self) -> tuple[sp.Expr, sp.Expr]:
        return self.args[1].shape

    def _entry(self, i: sp.Expr, j: sp.Expr, **kwargs: object) -> sp.Expr:
        return self.args[0](self.args[1][i, j])

    def _latex(self, printer: object) -> str:
        function, argument = self.args
        return sp.latex(function.expr.xreplace({function.variables[0]: sp.Symbol(f"({sp.latex(argument)})")}))


class Positive(sp.Function):
    """1[z > 0] of one entry: opaque in index notation, its derivative 0 (region by region)."""

    nargs = 1

    def fdiff(self, argindex: int = 1) -> sp.Expr:
        return sp.S.Zero

    def _eval_evalf(self, prec: int) -> sp.Expr | None:
        value = self.args[0].evalf(prec)
        return (sp.S.One if value > 0 else sp.S.Zero) if value.is_extended_real else None

    def _numpycode(self, printer: NumPyPrinter) -> str:  # by the real part: a complex step passes through it
        greater, real = printer._module_format("numpy.greater"), printer._module_format("numpy.real")
        return f"{greater}({real}({printer._print(self.args[0])}), 0) * 1.0"


class LossGradient(sp.MatrixSymbol):
    """The partial derivatives of an unspecified loss at its argument: free entries, any loss realises them."""


class LossValue(sp.MatrixSymbol):
    """The value of an unspecified loss (1 x 1): free, so that its value and its gradient are independent."""


class Loss(sp.Expr):
    """ell(Z): a scalar function of a matrix left unspecified (any differentiable loss)."""

    def __new__(cls, name: str | Str, argument: sp.MatrixExpr) -> Loss:
        return sp.Expr.__new__(cls, name if isinstance(name, Str) else Str(name), argument)

    @property
    def argument(self) -> sp.MatrixExpr:
        """The matrix the loss is applied to."""
        return self.args[1]

    def gradient(self) -> LossGradient:
        """d ell / dZ at the argument, a matrix of free entries of the argument's shape."""
        return LossGradient(f"d{self.args[0]}/d{shown(self.argument)}", *self.argument.shape)

    def value(self) -> LossValue:
        """ell(Z) itself, a free 1 x 1 matrix (its entry is the value)."""
        return LossValue(f"{self.args[0]}({shown(self.argument)})", 1, 1)

    def _latex(self, printer: object) -> str:
        return rf"\operatorname{{{self.args[0]}}}\left({sp.latex(self.argument)}\right)"


class _Derivative(sp.MatrixExpr):
    """A derivative of `function` in the matrix `variable`, kept as written until its entries are asked for."""

    def __new__(cls, function: sp.Expr, variable: sp.MatrixSymbol) -> _Derivative:
        return sp.Basic.__new__(cls, sp.sympify(function), variable)

    @property
    def function(self) -> sp.Expr:
        """What is differentiated."""
        return self.args[0]

    @property
    def variable(self) -> sp.MatrixSymbol:
        """The matrix it is differentiated in."""
        return self.args[1]

    def _latex(self, printer: object) -> str:
        return rf"\frac{{\partial {sp.latex(self.function)}}}{{\partial {sp.latex(self.variable)}}}"


class Gradient(_Derivative):
    """dL/dV for a scalar L: V's shape, entry (i, j) the partial derivative of L in V[i, j]."""

    @property
    def shape(self) -> tuple[sp.Expr, sp.Expr]:
        return self.variable.shape

    def _entry(self, i: sp.Expr, j: sp.Expr, **kwargs: object) -> sp.Expr:
        return sp.diff(scalar_form(self.function), self.variable[i, j])


class VectorJacobian(_Derivative):
    """ds/dz of a column s in a column z: the m x n matrix of the partial derivatives ds_i/dz_j."""

    @property
    def shape(self) -> tuple[sp.Expr, sp.Expr]:
        return self.function.shape[0], self.variable.shape[0]

    def _entry(self, i: sp.Expr, j: sp.Expr, **kwargs: object) -> sp.Expr:
        return sp.diff(scalar_form(self.function[i, 0]), self.variable[j, 0])


class Jacobian(sp.MatrixExpr):
    """dZ/dW of a matrix in a matrix: four indices, no matrix. A line using it as one has a shape error."""

    def __new__(cls, function: sp.MatrixExpr, variable: sp.MatrixSymbol) -> Jacobian:
        return sp.Basic.__new__(cls, function, variable)

    @property
    def shape(self) -> tuple[sp.Expr, sp.Expr]:
        return self.args[0].shape  # never used as a shape: `shape_problem` reports it first

    def describe(self) -> str:
        """What it is, in words."""
        function, variable = self.args
        return (f"d{shown(function)}/d{shown(variable)} is the derivative of a {shape_text(function.shape)} matrix "
                f"in a {shape_text(variable.shape)} matrix: a tensor with four indices, not a matrix, so it cannot be "
                "multiplied or compared as one")

    def _latex(self, printer: object) -> str:
        return rf"\frac{{\partial {sp.latex(self.args[0])}}}{{\partial {sp.latex(self.args[1])}}}"


class Softmax(sp.MatrixExpr):
    """softmax along each row of Z (`by_rows`), or down each column (a column vector's entries)."""

    def __new__(cls, argument: sp.MatrixExpr, by_rows: bool | sp.Basic) -> Softmax:
        return sp.Basic.__new__(cls, argument, sp.true if by_rows else sp.false)

    @property
    def shape(self) -> tuple[sp.Expr, sp.Expr]:
        return self.args[0].shape

    def _entry(self, i: sp.Expr, j: sp.Expr, **kwargs: object) -> sp.Expr:
        z, by_rows = self.args[0], bool(self.args[1])
        k = sp.Dummy("k", integer=True)
        rows, cols = z.shape
        if by_rows:
            return sp.exp(z[i, j]) / sp.Sum(sp.exp(z[i, k]), (k, 0, cols - 1))
        return sp.exp(z[i, j]) / sp.Sum(sp.exp(z[k, j]), (k, 0, rows - 1))

    def _latex(self, printer: object) -> str:
        return rf"\operatorname{{softmax}}\left({sp.latex(self.args[0])}\right)"


class EntryMatrix(sp.MatrixExpr):
    """An equation between entries with free indices (dL/dW_ij = sum_k X_ki G_kj) as the matrix of its entries:
    entry (a, b) is `value` at row index = a + first row, column index = b + first column."""

    def __new__(cls, value: sp.Expr, indices: sp.Tuple, firsts: sp.Tuple, shape: sp.Tuple) -> EntryMatrix:
        return sp.Basic.__new__(cls, value, indices, firsts, shape)

    @property
    def shape(self) -> tuple[sp.Expr, sp.Expr]:
        return tuple(self.args[3])  # type: ignore[return-value]

    def _entry(self, i: sp.Expr, j: sp.Expr, **kwargs: object) -> sp.Expr:
        value, indices, firsts, _ = self.args
        return value.xreplace({s: at + first for s, at, first in zip(indices, (i, j), firsts, strict=True)})


class ShapeClaim(sp.MatrixExpr):
    """`Z_2^{n \\times 1}` as a diagram labels a matrix, where Z_2 has another shape: a shape error as written."""

    def __new__(cls, matrix: sp.MatrixExpr, rows: sp.Expr, cols: sp.Expr) -> ShapeClaim:
        return sp.Basic.__new__(cls, matrix, sp.sympify(rows), sp.sympify(cols))

    @property
    def shape(self) -> tuple[sp.Expr, sp.Expr]:
        return self.args[1], self.args[2]

    def _entry(self, i: sp.Expr, j: sp.Expr, **kwargs: object) -> sp.Expr:
        return self.args[0][i, j]

    def describe(self) -> str:
        """What is wrong with the label, in words."""
        matrix = self.args[0]
        return (f"{shown(matrix)} is {shape_text(matrix.shape)}, but the line labels it "
                f"{shown(matrix)}^{{{shape_text(self.shape)}}}")


class Mismatched(sp.MatrixExpr):
    """Matrices combined as a line writes them though their sizes, numbers, do not fit (A W with A n x 10 and W
    3 x 10), which SymPy refuses to build: kept as written, to be refuted as a shape error."""

    def __new__(cls, operation: str | Str, *operands: sp.MatrixExpr) -> Mismatched:
        return sp.Basic.__new__(cls, operation if isinstance(operation, Str) else Str(operation), *operands)

    @property
    def operation(self) -> str:
        """"times", "plus", "times elementwise" or "trace"."""
        return self.args[0].name

    @property
    def shape(self) -> tuple[sp.Expr, sp.Expr]:
        operands = self.args[1:]
        if self.operation == "trace":
            return sp.S.One, sp.S.One
        return (operands[0].shape[0], operands[-1].shape[1]) if self.operation == "times" else operands[0].shape


def combined(operation: str, build: Callable[..., sp.MatrixExpr], *operands: sp.MatrixExpr) -> sp.MatrixExpr:
    """`build(*operands)` (a product, a sum, an elementwise product), or the operands kept as `Mismatched` when
    their number sizes do not fit."""
    try:
        return build(*operands)
    except (sp.ShapeError, sp.matrices.exceptions.NonSquareMatrixError):
        return Mismatched(operation, *operands)


@dataclass(frozen=True)
class Unpaired:
    """Why the two sides of a step cannot be set side by side as matrices."""

    why: str
    shape_error: bool  # the line's shapes are wrong (it is refuted), rather than a notation not read (unproved)


def entry_ranges(*exprs: sp.Expr) -> tuple[dict[sp.Symbol, tuple[sp.Expr, sp.Expr]], Unpaired | None]:
    """The free indices of entries (W_ij is W[i - 1, j - 1]) with the values each takes, row indices first (in the
    order the first side uses them), and why they cannot be told (an index of two lengths, an index that is not one
    letter plus a number) or None."""
    found: dict[sp.Symbol, tuple[sp.Expr, sp.Expr]] = {}
    where: dict[sp.Symbol, str] = {}
    axis: dict[sp.Symbol, int] = {}
    sizes = {s for e in exprs for m in e.atoms(sp.MatrixSymbol) for d in m.shape for s in d.free_symbols}
    for expr in exprs:
        free = expr.free_symbols - sizes  # X_{ni}: n is X's number of rows, not an index
        for element in sorted(expr.atoms(MatrixElement), key=sp.default_sort_key):
            for position, (index, size) in enumerate(zip((element.i, element.j), element.parent.shape, strict=True)):
                symbols = index.free_symbols & free
                if not symbols:
                    continue
                (symbol,) = symbols if len(symbols) == 1 else (None,)
                offset = index - symbol if symbol is not None else None
                if symbol is None or offset.free_symbols:
                    return {}, Unpaired(f"the index {shown(index)} of {shown(element)} is not a letter plus a number",
                                        False)
                span = (-offset, size - 1 - offset)
                said = f"{size} in {shown(element)}"
                if symbol in found and any(sp.expand(a - b) != 0 for a, b in zip(found[symbol], span, strict=True)):
                    return {}, Unpaired(f"shape error: the index {symbol} runs to {where[symbol]} but to {said}", True)
                found[symbol], where[symbol] = span, said
                axis.setdefault(symbol, position)
    return dict(sorted(found.items(), key=lambda item: (axis[item[0]], item[0].name))), None


def _column_index(symbol: sp.Symbol, *exprs: sp.Expr) -> bool:
    """Whether `symbol` indexes columns wherever it indexes an entry (b_j of a row vector b)."""
    return all(symbol not in e.i.free_symbols for expr in exprs for e in expr.atoms(MatrixElement))


def number_matrix(value: sp.Expr) -> EntryMatrix:
    """A number as a 1 x 1 matrix, left as written (Identity(1) * value would evaluate a derivative in it)."""
    unused = sp.Dummy("unused")
    return EntryMatrix(value, sp.Tuple(unused, unused), sp.Tuple(0, 0), sp.Tuple(1, 1))


def entry_indices(expr: sp.Basic) -> set[sp.Symbol]:
    """The free symbols of `expr` that are indices of entries (i and j of W_ij), not variables."""
    free = expr.free_symbols
    return {s for e in expr.atoms(MatrixElement) for index in (e.i, e.j) for s in index.free_symbols & free}


def entry_matrices(before: sp.Expr, after: sp.Expr) -> tuple[EntryMatrix, EntryMatrix] | Unpaired:
    """Two sides of an equation between entries as the matrices of their entries, over the free indices' values.

    A side that is a matrix already (dL/db_3 = sum_i dL/dZ_{3ik}: a row, and its entry k) stays as it is.
    """
    if isinstance(before, sp.MatrixExpr) or isinstance(after, sp.MatrixExpr):
        entries = entry_matrices(*(2 * [after if isinstance(before, sp.MatrixExpr) else before]))
        if isinstance(entries, Unpaired):
            return entries
        return (before, entries[1]) if isinstance(before, sp.MatrixExpr) else (entries[0], after)
    ranges, problem = entry_ranges(before, after)
    if problem is not None:
        return problem
    if len(ranges) > 2:
        return Unpaired(f"{len(ranges)} free indices: an equation between entries has at most two (a row and a "
                        "column)", False)
    names = list(ranges)
    if len(names) == 1 and _column_index(names[0], before, after):  # b_j of a row: the one index is a column's
        names = [sp.Dummy("unused"), names[0]]
    padded = [*names, *(sp.Dummy("unused") for _ in range(2 - len(names)))]
    firsts = [ranges[s][0] if s in ranges else sp.S.Zero for s in padded]
    shape = [sp.expand(ranges[s][1] - ranges[s][0] + 1) if s in ranges else sp.S.One for s in padded]
    def wrapped(value: sp.Expr) -> EntryMatrix:
        return EntryMatrix(value, sp.Tuple(*padded), sp.Tuple(*firsts), sp.Tuple(*shape))
    return wrapped(before), wrapped(after)


def reached(exprs: Iterable[sp.Basic], meaning: Mapping[Hashable, sp.Basic],
            key: Callable[[sp.Basic], Hashable] = lambda name: name) -> set[Hashable]:
    """Every name (scalar or matrix, as `key` of it) the expressions use and, through `meaning`, the names those use."""
    seen: set[Hashable] = set()
    todo = [key(s) for e in exprs for s in e.atoms(sp.Symbol, sp.MatrixSymbol)]
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            if name in meaning:
                todo.extend(key(s) for s in meaning[name].atoms(sp.Symbol, sp.MatrixSymbol))
    return seen


def uses_matrices(exprs: tuple[sp.Basic, ...], definitions: tuple[tuple[sp.Basic, sp.Basic], ...]) -> bool:
    """Whether an expression, or a name in it through the definitions, holds matrices of this module's kind (dL/dc
    with L = ell(X W + c))."""
    if any(in_index_notation(e) for e in exprs):
        return True
    meaning = dict(definitions)
    return any(in_index_notation(meaning[name]) for name in reached(exprs, meaning) if name in meaning)


def in_index_notation(expr: object) -> bool:
    """Whether a step is checked here: a matrix expression with a symbolic size, or a gradient, loss or softmax."""
    if isinstance(expr, sp.Expr) and not isinstance(expr, sp.MatrixExpr):  # W_ij, (dL/dW)_ij, tr(A B), ell(Z)
        return expr.has(Loss) or any(in_index_notation(node) for node in sp.preorder_traversal(expr)
                                     if isinstance(node, sp.MatrixExpr))
    if not isinstance(expr, sp.MatrixExpr) or isinstance(expr, sp.MatrixBase):
        return False
    if expr.has(Gradient, VectorJacobian, Jacobian, Loss, Softmax, Indicator, Elementwise, ShapeClaim, Mismatched):
        return True
    return any(not d.is_Integer for m in expr.atoms(sp.MatrixSymbol) for d in m.shape)


class _Shown(StrPrinter):
    """Matrix expressions as notes write them: `x^T A x`, `dL/dZ`, `1[Z > 0] * Z` (elementwise)."""

    def _print_Transpose(self, expr: sp.Transpose) -> str:
        inner = self._print(expr.arg)
        return f"{inner}^T" if isinstance(expr.arg, sp.MatrixSymbol | sp.OneMatrix) else f"({inner})^T"

    def _print_MatMul(self, expr: sp.MatMul) -> str:
        return " ".join(f"({self._print(a)})" if isinstance(a, sp.MatAdd) else self._print(a) for a in expr.args)

    def _print_HadamardProduct(self, expr: sp.HadamardProduct) -> str:
        return " * ".join(f"({self._print(a)})" if isinstance(a, sp.MatAdd | sp.MatMul) else self._print(a)
                          for a in expr.args)

    def _print_OneMatrix(self, expr: sp.OneMatrix) -> str:
        return "1"

    def _print_Mismatched(self, expr: Mismatched) -> str:
        joint = {"times": " ", "plus": " + "}.get(expr.operation, " * ")
        return joint.join(f"({self._print(a)})" if isinstance(a, sp.MatAdd | sp.MatMul | Mismatched) else self._print(a)
                          for a in expr.args[1:])

    def _print_ShapeClaim(self, expr: ShapeClaim) -> str:
        return f"{self._print(expr.args[0])}^{{{shape_text(expr.shape)}}}"

    def _print_Gradient(self, expr: Gradient) -> str:
        return f"d{self._print(expr.function)}/d{self._print(expr.variable)}"

    def _print_MatrixElement(self, expr: MatrixElement) -> str:  # 1-based, as notes count: X[k, i] for X_{ki}
        parent = self._print(expr.parent)
        parent = parent if isinstance(expr.parent, sp.MatrixSymbol) else f"({parent})"
        return f"{parent}[{self._print(expr.i + 1)}, {self._print(expr.j + 1)}]"

    def _print_Elementwise(self, expr: Elementwise) -> str:
        function, argument = expr.args
        return self._print(function.expr.xreplace({function.variables[0]: sp.Symbol(f"({self._print(argument)})")}))

    def _print_Indicator(self, expr: Indicator) -> str:
        return f"1[{self._print(expr.args[0])} > 0]"

    def _print_Jacobian(self, expr: Jacobian) -> str:
        return f"d{self._print(expr.args[0])}/d{self._print(expr.args[1])}"


def shown(expr: sp.Basic) -> str:
    """An expression in the words of a message: `x^T A`, `dL/dZ_3 W_3^T`."""
    return _Shown().doprint(expr)


def shape_text(shape: tuple[sp.Expr, sp.Expr]) -> str:
    """`n x 3`, `1 x (k - 1)`."""
    return " x ".join(str(size) if size.is_Atom else f"({size})" for size in shape)


def same_size(a: sp.Expr, b: sp.Expr) -> bool:
    """Whether two sizes are equal for every value of the size symbols."""
    return sp.expand(a - b) == 0


def shape_problem(expr: sp.Basic) -> str | None:
    """Why an expression as written has no shape (a product that does not conform, a sum of unequal shapes, an
    entry whose summed index runs past its matrix)."""
    tensor = next((node for node in sp.preorder_traversal(expr) if isinstance(node, Jacobian)), None)
    if tensor is not None:  # said first: its own words, not a product it seems not to fit
        return f"shape error: {tensor.describe()}"
    claim = next((node for node in sp.preorder_traversal(expr) if isinstance(node, ShapeClaim)), None)
    if claim is not None:
        return f"shape error: {claim.describe()}"
    return _operand_problem(expr) or index_problem(expr)


def index_problem(expr: sp.Basic, bound: Mapping[sp.Symbol, tuple[sp.Expr, sp.Expr]] | None = None) -> str | None:
    """An entry whose index, summed between given bounds, may leave its matrix: sum_{i=1}^{k} Y_{ic} with Y n x k."""
    bound = dict(bound or {})
    if isinstance(expr, EntryMatrix):  # (E_r)_{r=1}^{k}: r takes the values of the tuple's entries
        value, indices, firsts, shape = expr.args
        for index, first, size in zip(indices, firsts, shape, strict=True):
            bound[index] = (first, first + size - 1)
        return index_problem(value, bound)
    if isinstance(expr, sp.Sum):
        for dummy, lo, hi in expr.limits:
            bound[dummy] = (lo, hi)
        return index_problem(expr.function, bound)
    if isinstance(expr, MatrixElement):
        for index, size, what in ((expr.i, expr.parent.shape[0], "rows"), (expr.j, expr.parent.shape[1], "columns")):
            dummies = index.free_symbols & set(bound)
            if len(dummies) != 1:
                continue
            (dummy,) = dummies
            offset = index - dummy
            lo, hi = bound[dummy]
            if offset.free_symbols or not (_provably(lo + offset >= 0) and _provably(size - 1 - hi - offset >= 0)):
                return (f"shape error: the index {dummy} of {shown(expr)} runs from {lo} to {hi}, but "
                        f"{shown(expr.parent)} has {size} {what}")
        return None
    return next((found for arg in expr.args if (found := index_problem(arg, bound)) is not None), None)


def _provably(condition: sp.Basic) -> bool:
    return bool(sp.simplify(condition) == sp.true)


def _operand_problem(expr: sp.Basic) -> str | None:
    """A product that does not conform, a sum or elementwise product of unequal shapes, a matrix-by-matrix
    derivative used as a matrix."""
    for node in sp.preorder_traversal(expr):
        operation, operands = _operation(node)
        if operation == "trace" and not same_size(*operands[0].shape):
            matrix = operands[0]
            return f"shape error: the trace of {shown(matrix)} ({shape_text(matrix.shape)}), not a square matrix"
        for left, right in itertools.pairwise(operands):
            if operation == "times" and not same_size(left.shape[1], right.shape[0]):
                return (f"shape error: {shown(left)} ({shape_text(left.shape)}) times {shown(right)} "
                        f"({shape_text(right.shape)}) does not conform ({left.shape[1]} columns against "
                        f"{right.shape[0]} rows)")
            if operation != "times" and not all(same_size(a, b) for a, b in zip(left.shape, right.shape, strict=True)):
                return (f"shape error: {shown(left)} ({shape_text(left.shape)}) {operation} {shown(right)} "
                        f"({shape_text(right.shape)}): the shapes differ")
    return None


def _operation(node: sp.Basic) -> tuple[str, list[sp.MatrixExpr]]:
    """How a node combines matrices ("times", "plus", "times elementwise") and its matrix operands."""
    if isinstance(node, Mismatched):
        return node.operation, list(node.args[1:])
    if isinstance(node, sp.Trace):
        return "trace", [node.arg]
    if isinstance(node, sp.MatMul):
        return "times", [a for a in node.args if isinstance(a, sp.MatrixExpr)]
    if isinstance(node, sp.MatAdd):
        return "plus", list(node.args)
    if isinstance(node, sp.HadamardProduct):
        return "times elementwise", list(node.args)
    return "", []


def scalar_form(expr: sp.Expr) -> sp.Expr:
    """A scalar in index notation: 1 x 1 matrix expressions as their entry, traces as sums, losses linearised.

    An unspecified loss ell(Z) becomes c + sum_ij G_ij Z_ij with c and G free: any value and any gradient at the
    point, which is all a first derivative uses (a second derivative of it is refused: `second_derivative`).
    """
    if isinstance(expr, sp.MatrixExpr):
        return scalar_form(expr[0, 0])
    expr = expr.replace(lambda e: isinstance(e, Loss), _linearised)
    expr = expr.replace(lambda e: isinstance(e, sp.Trace), lambda e: _trace(e.arg))
    return expr.replace(lambda e: isinstance(e, sp.MatrixExpr) and e.shape == (1, 1) and not isinstance(
        e, sp.MatrixSymbol), lambda e: e[0, 0])


def _linearised(loss: Loss) -> sp.Expr:
    i, j = sp.Dummy("i", integer=True), sp.Dummy("j", integer=True)
    rows, cols = loss.argument.shape
    return loss.value()[0, 0] + sp.Sum(loss.gradient()[i, j] * loss.argument[i, j], (i, 0, rows - 1),
                                       (j, 0, cols - 1))


def _trace(matrix: sp.MatrixExpr) -> sp.Expr:
    i = sp.Dummy("i", integer=True)
    return sp.Sum(matrix[i, i], (i, 0, matrix.shape[0] - 1))


def depends_on(symbol: sp.MatrixSymbol, target: sp.Symbol | sp.MatrixSymbol, definitions: Definitions) -> bool:
    """Whether a defined matrix depends, through the definitions, on `target` (a matrix, or a scalar such as c)."""
    return symbol == target or (symbol in definitions and target in reached((definitions[symbol],), definitions))


def held_fixed(definitions: Definitions, variable: sp.Symbol | sp.MatrixSymbol) -> set[sp.MatrixSymbol]:
    """The defined matrices that do not depend on `variable`: held as their own symbols while it is differentiated."""
    return {s for s in definitions if not depends_on(s, variable, definitions)}


def expand_entries(expr: sp.Expr, definitions: Definitions, keep: set[sp.MatrixSymbol] = frozenset(),
                   levels: int | None = None) -> sp.Expr:
    """Entries of defined matrices replaced by their index form, until none is left (except those of `keep`).

    With `levels`, only that many rounds (one: each defined entry by its definition, which may name others).
    """
    for _ in range(len(definitions) + 1 if levels is None else levels):
        expanded = expr.replace(
            lambda e: isinstance(e, MatrixElement) and e.parent in definitions and e.parent not in keep,
            lambda e: definitions[e.parent][e.i, e.j],
        )
        if expanded == expr:
            return expr
        expr = expanded
    return expr


def differentiated_columns(jacobian: VectorJacobian, definitions: Definitions) -> VectorJacobian:
    """ds/dz with s written down to z: the definitions that depend on z expanded, the rest held fixed."""
    variable = jacobian.variable
    held = frozenset(held_fixed(definitions, variable) | {variable})
    function = jacobian.function
    if isinstance(function, sp.MatrixSymbol) and function in definitions and function not in held:
        function = definitions[function]  # s = softmax(z): its meaning, then its entries written down to z
    index = sp.Dummy("i", integer=True)
    column = expand_entries(function[index, 0], definitions, held)
    return VectorJacobian(EntryMatrix(column, sp.Tuple(index, sp.Dummy("unused")), sp.Tuple(0, 0),
                                      sp.Tuple(function.shape[0], 1)), variable)


def differentiated(gradient: Gradient, definitions: Definitions, scalars: Mapping[sp.Symbol, sp.Expr]) -> Gradient:
    """dL/dV with L's meaning written down to V: the definitions that depend on V expanded, the rest held fixed."""
    variable = gradient.variable
    function = scalar_form(_expand_scalars(gradient.function, scalars))
    held = held_fixed(definitions, variable) | {variable}
    return Gradient(expand_entries(function, definitions, held), variable)


def scalar_derivative(derivative: sp.Derivative, definitions: Definitions, scalars: Mapping[sp.Symbol, sp.Expr],
                      ) -> sp.Expr:
    """d f / d c in a scalar c of what matrices are made of (Z = X W + c), the definitions that depend on c written
    out first, as `differentiated` does for a matrix."""
    (variable, order), = derivative.variable_count
    function = scalar_form(_expand_scalars(derivative.expr, scalars))
    held = held_fixed(definitions, variable)
    return sp.diff(expand_entries(function, definitions, held), variable, order)


def second_derivative(expr: sp.Basic, scalars: Mapping[sp.Symbol, sp.Expr]) -> str | None:
    """Why a gradient in `expr` cannot be taken: it differentiates a gradient (of an unspecified loss, whose second
    derivatives are unknown and would be taken as 0); None when every gradient is a first derivative."""
    for gradient in expr.atoms(Gradient):
        written = _expand_scalars(gradient.function, scalars)
        if written.has(Gradient, LossGradient):
            return f"d/d{shown(gradient.variable)} of {shown(written)} is a second derivative, which is not read"
    return None


def _expand_scalars(expr: sp.Expr, scalars: Mapping[sp.Symbol, sp.Expr]) -> sp.Expr:
    for _ in range(len(scalars) + 1):
        expanded = expr.xreplace(dict(scalars))
        if expanded == expr:
            return expr
        expr = expanded
    return expr


def defined_in(expr: sp.Expr, definitions: Definitions) -> set[sp.MatrixSymbol]:
    """The defined matrices whose entries `expr` holds."""
    return {e.parent for e in expr.atoms(MatrixElement) if e.parent in definitions}


def entry(expr: sp.MatrixExpr, definitions: Definitions, scalars: Mapping[sp.Symbol, sp.Expr],
          i: sp.Expr = ROW, j: sp.Expr = COL, keep: frozenset[sp.MatrixSymbol] = frozenset()) -> sp.Expr:
    """Entry (i, j) of a matrix expression in index notation, every definition expanded (but those of `keep`)."""
    expr = expr.replace(lambda e: isinstance(e, Gradient), lambda g: differentiated(g, definitions, scalars))
    expr = expr.replace(lambda e: isinstance(e, VectorJacobian), lambda g: differentiated_columns(g, definitions))
    value = scalar_form(expr) if expr.shape == (1, 1) else expr[i, j]
    value = value.replace(lambda e: isinstance(e, MatrixElement) and not isinstance(e.parent, sp.MatrixSymbol),
                          lambda e: e.parent._entry(e.i, e.j))  # an entry of a gradient, (dL/dZ)_kj
    value = value.replace(lambda e: isinstance(e, sp.Derivative) and len(e.variables) == 1 and e.variables[0].is_Symbol,
                          lambda e: scalar_derivative(e, definitions, scalars))  # dL/dc of a scalar c
    value = scalar_form(_expand_scalars(value, scalars))  # scalars in it (x / ||x||) in index notation too
    return expand_entries(value.doit(deep=False) if isinstance(value, sp.Derivative) else value, definitions, keep)
