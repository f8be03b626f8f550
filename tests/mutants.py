"""Planted errors: small, typical mistakes applied to a correct step."""

from __future__ import annotations

from collections.abc import Callable

import sympy as sp
from sympy.matrices.expressions.matexpr import MatrixElement


def first(expr: sp.Expr, wanted: Callable[[sp.Expr], bool]) -> sp.Expr | None:
    """The first subexpression (pre-order, outside derivatives' variable lists) that is `wanted`."""
    for node in sp.preorder_traversal(expr):
        if wanted(node):
            return node
    return None


def sign_flipped(expr: sp.Expr, variable: sp.Symbol) -> sp.Expr | None:
    return -expr


def doubled(expr: sp.Expr, variable: sp.Symbol) -> sp.Expr | None:
    return 2 * expr


def term_dropped(expr: sp.Expr, variable: sp.Symbol) -> sp.Expr | None:
    total = first(expr, lambda n: isinstance(n, sp.Add) and len(n.args) > 1)
    if total is None:
        return None
    return expr.xreplace({total: sp.Add(*total.args[1:])})


def variable_swapped(expr: sp.Expr, variable: sp.Symbol) -> sp.Expr | None:
    """The variable replaced by a fresh one (`swapped`), which the test declares with the same domain."""
    if variable not in expr.free_symbols:
        return None
    return expr.xreplace({variable: swapped(variable)})


def exponent_changed(expr: sp.Expr, variable: sp.Symbol) -> sp.Expr | None:
    power = first(expr, lambda n: isinstance(n, sp.Pow) and n.exp.is_number)
    if power is None:
        return None
    return expr.xreplace({power: sp.Pow(power.base, power.exp + 1)})


def swapped(variable: sp.Symbol) -> sp.Symbol:
    """The fresh symbol a swapped variable becomes (a matrix of the same shape, for a matrix)."""
    if isinstance(variable, sp.MatrixSymbol):
        return sp.MatrixSymbol(f"{variable.name}_swapped", *variable.shape)
    if isinstance(variable, MatrixElement):  # x_k: the same entry of another matrix
        return MatrixElement(swapped(variable.parent), variable.i, variable.j)
    return sp.Symbol(f"{variable.name}_swapped", **variable.assumptions0)


MUTATIONS = {
    "sign flipped": sign_flipped,
    "factor of 2": doubled,
    "term dropped": term_dropped,
    "variable swapped": variable_swapped,
    "exponent changed": exponent_changed,
}
