"""Matrix expressions at concrete sizes as explicit matrices, each entry of a declared matrix a plain symbol.

The engine's view of a symbolic-size step at one choice of sizes: the screen and the numeric cross-check
evaluate these. Gradients are taken here by differentiating explicit entries, the way `verifier.tensor`
defines them in index notation: the function is written down to the variable (definitions that depend on it
expanded), differentiated in the variable's entries, and then every definition is expanded.
"""

from __future__ import annotations

from collections.abc import Mapping

import sympy as sp
from sympy.matrices.expressions.matexpr import MatrixElement

from verifier.tensor import Elementwise, EntryMatrix, Gradient, Indicator, Loss, Positive, Softmax, VectorJacobian

Parents = dict[sp.Symbol, sp.MatrixSymbol]


class NoExplicitForm(ValueError):
    """A matrix expression this module cannot write out entry by entry."""


def element_symbol(matrix: sp.MatrixSymbol, i: int, j: int) -> sp.Symbol:
    """The plain symbol for one entry of a matrix at a concrete size: `W[2,3]` (1-based, as notes count)."""
    return sp.Symbol(f"{matrix.name}[{i + 1},{j + 1}]", real=True)


def _written_out(expr: sp.Basic) -> sp.Basic:
    """Sums to numbers written term by term, outermost first, without evaluating their bodies: `doit` would take an
    entry of a gradient, (dL/dZ)_kj, before the definitions are written out, and find 0."""
    if isinstance(expr, sp.Sum):  # the outermost index first: an inner bound may name it
        *inner, (dummy, lo, hi) = expr.limits
        terms = []
        for value in range(int(lo), int(hi) + 1):
            at = {dummy: sp.Integer(value)}
            body = expr.function.xreplace(at)
            terms.append(sp.Sum(body, *(tuple(limit.xreplace(at)) for limit in inner)) if inner else body)
        return _written_out(sp.Add(*terms))
    if not expr.args or isinstance(expr, sp.MatrixExpr | MatrixElement):
        return expr
    return expr.func(*(_written_out(a) for a in expr.args))


class Explicit:
    """Explicit forms at concrete sizes, sharing the work on common parts; `parents` records each symbol's matrix."""

    def __init__(self, definitions: Mapping[sp.MatrixSymbol, sp.MatrixExpr], scalars: Mapping[sp.Symbol, sp.Expr],
                 held: frozenset[sp.MatrixSymbol] = frozenset()) -> None:
        self.definitions = dict(definitions)
        self.scalars = dict(scalars)
        self.held = held  # matrices kept as their own symbols (a gradient's variable, while it is taken)
        self.parents: Parents = {}
        self._done: dict[sp.Basic, sp.ImmutableMatrix] = {}

    def matrix(self, expr: sp.MatrixExpr) -> sp.ImmutableMatrix:
        """The explicit matrix of `expr` (its sizes numbers)."""
        if expr not in self._done:
            self._done[expr] = sp.ImmutableMatrix(self._matrix(expr))
        return self._done[expr]

    def _matrix(self, expr: sp.MatrixExpr) -> sp.MatrixBase:
        if isinstance(expr, sp.MatrixSymbol):
            if expr in self.definitions and expr not in self.held:
                return self.matrix(self.definitions[expr])
            return self.symbols(expr)
        if isinstance(expr, sp.MatMul):
            result: sp.Basic = sp.S.One
            for factor in expr.args:
                value = self.matrix(factor) if isinstance(factor, sp.MatrixExpr) else self.scalar(factor)
                result = result * value
            return result
        if isinstance(expr, sp.MatAdd):
            parts = [self.matrix(a) for a in expr.args]
            return sum(parts[1:], parts[0])
        if isinstance(expr, sp.HadamardProduct):
            parts = [self.matrix(a) for a in expr.args]
            result = parts[0]
            for part in parts[1:]:
                result = result.multiply_elementwise(part)
            return result
        if isinstance(expr, sp.MatPow) and expr.exp.is_Integer and expr.exp > 0:  # X X is kept as X**2
            return self.matrix(expr.base) ** int(expr.exp)
        if isinstance(expr, sp.HadamardPower):  # Z * Z elementwise is kept as Z**2 elementwise
            return self.matrix(expr.base).applyfunc(lambda e: e**expr.exp)
        if isinstance(expr, sp.Transpose):
            return self.matrix(expr.arg).T
        if isinstance(expr, Elementwise):
            return self.matrix(expr.args[1]).applyfunc(expr.args[0])
        if isinstance(expr, EntryMatrix):
            rows, cols = (int(d) for d in expr.shape)
            return sp.Matrix(rows, cols, lambda a, b: self.scalar(expr._entry(a, b)))
        if isinstance(expr, Indicator):
            return self.matrix(expr.args[0]).applyfunc(Positive)
        if isinstance(expr, Softmax):
            return self._softmax(self.matrix(expr.args[0]), bool(expr.args[1]))
        if isinstance(expr, sp.OneMatrix):
            return sp.ones(*(int(d) for d in expr.shape))
        if isinstance(expr, sp.ZeroMatrix):
            return sp.zeros(*(int(d) for d in expr.shape))
        if isinstance(expr, sp.Identity):
            return sp.eye(int(expr.shape[0]))
        if isinstance(expr, Gradient):
            return self.gradient(expr)
        if isinstance(expr, VectorJacobian):
            return self.jacobian(expr)
        if isinstance(expr, sp.DiagMatrix):
            column = self.matrix(expr.args[0])
            return sp.diag(*column)
        if isinstance(expr, sp.DiagonalOf):
            square = self.matrix(expr.arg)
            return sp.Matrix([square[k, k] for k in range(square.rows)])
        raise NoExplicitForm(f"{type(expr).__name__} has no explicit form at concrete sizes")

    def symbols(self, matrix: sp.MatrixSymbol) -> sp.ImmutableMatrix:
        """A matrix of plain symbols, one per entry."""
        rows, cols = (int(d) for d in matrix.shape)
        entries = sp.ImmutableMatrix(rows, cols, lambda i, j: element_symbol(matrix, i, j))
        self.parents.update({e: matrix for e in entries})
        return entries

    @staticmethod
    def _softmax(z: sp.MatrixBase, by_rows: bool) -> sp.MatrixBase:
        exps = z.applyfunc(sp.exp)
        if by_rows:
            return sp.Matrix(z.rows, z.cols, lambda i, j: exps[i, j] / sum(exps[i, k] for k in range(z.cols)))
        return sp.Matrix(z.rows, z.cols, lambda i, j: exps[i, j] / sum(exps[k, j] for k in range(z.rows)))

    def scalar(self, expr: sp.Expr) -> sp.Expr:
        """A scalar with its sums written out and every matrix part explicit."""
        if isinstance(expr, sp.MatrixExpr):
            return self.matrix(expr)[0, 0]
        for _ in range(len(self.scalars) + 1):
            expanded = expr.xreplace(self.scalars)
            if expanded == expr:
                break
            expr = expanded
        return self._outermost(_written_out(expr)).replace(lambda e: isinstance(e, sp.Derivative), lambda e: e.doit())

    def _outermost(self, expr: sp.Basic) -> sp.Basic:
        """Matrix parts of a scalar made explicit from the outside in (a trace before the product inside it)."""
        if isinstance(expr, MatrixElement | Loss | sp.Trace) or (isinstance(expr, sp.MatrixExpr) and expr.shape == (
                1, 1)):
            return self._scalar_part(expr)
        if not expr.args or isinstance(expr, sp.MatrixExpr):
            return expr
        return expr.func(*(self._outermost(a) for a in expr.args))

    def _scalar_part(self, part: sp.Basic) -> sp.Expr:
        if isinstance(part, MatrixElement):
            return self.matrix(part.parent)[int(part.i), int(part.j)]
        if isinstance(part, Loss):  # its value and first derivatives: c + sum G_ij Z_ij, c, G free (tensor.scalar_form)
            gradient, argument = self.matrix(part.gradient()), self.matrix(part.argument)
            return self.matrix(part.value())[0, 0] + sum(g * z for g, z in zip(gradient, argument, strict=True))
        if isinstance(part, sp.Trace):
            return self.matrix(part.arg).trace()
        return self.matrix(part)[0, 0]

    def jacobian(self, jacobian: VectorJacobian) -> sp.MatrixBase:
        """ds/dz: s written down to z with z's entries as symbols, differentiated, then z expanded."""
        variable = jacobian.variable
        below = Explicit(self.definitions, self.scalars, frozenset({variable}))
        column, entries = below.matrix(jacobian.function), below.symbols(variable)
        derivative = column.jacobian(entries)
        self.parents.update(below.parents)
        if variable not in self.definitions:
            return derivative
        return derivative.xreplace(dict(zip(entries, self.matrix(variable), strict=True)))

    def gradient(self, gradient: Gradient) -> sp.MatrixBase:
        """dL/dV: L written down to V with V's entries as symbols, differentiated, then V expanded."""
        variable = gradient.variable
        below = Explicit(self.definitions, self.scalars, frozenset({variable}))  # the rest expanded: constants in V
        function = below.scalar(gradient.function)
        entries = below.symbols(variable)
        derivative = sp.ImmutableMatrix(*entries.shape, lambda i, j: sp.diff(function, entries[i, j]))
        values = self.matrix(variable) if variable in self.definitions else None
        self.parents.update(below.parents)
        if values is None:
            return derivative
        return derivative.xreplace(dict(zip(entries, values, strict=True)))
