"""Matrix steps: shapes as a line writes them, and explicit matrices checked entry by entry."""

from __future__ import annotations

import itertools

import sympy as sp

from verifier.model import Factor


def is_matrix(expr: object) -> bool:
    """Whether a step holds a matrix (explicit or a matrix expression)."""
    return isinstance(expr, sp.MatrixBase | sp.MatrixExpr)


def shape_problem(products: tuple[tuple[Factor, ...], ...]) -> str | None:
    """Why a written product does not conform, naming the shapes; None when every product does."""
    for product in products:
        for left, right in itertools.pairwise(product):
            if left.cols != right.rows:
                written = " ".join(f.describe() for f in product)
                return (
                    f"shape error in {written}: {left.describe()} times {right.describe()} does not conform "
                    f"({left.cols} columns against {right.rows} rows)"
                )
    return None


def shape_text(expr: object) -> str:
    """`rows x cols` of a matrix step."""
    rows, cols = expr.shape  # type: ignore[attr-defined]
    return f"{rows} x {cols}"


def explicit(expr: sp.Basic) -> sp.ImmutableMatrix:
    """An explicit matrix for a matrix expression whose symbols have been replaced by explicit matrices."""
    if isinstance(expr, sp.MatrixExpr):
        expr = expr.doit()
    if isinstance(expr, sp.MatrixExpr):
        expr = expr.as_explicit()
    return sp.ImmutableMatrix(expr)
