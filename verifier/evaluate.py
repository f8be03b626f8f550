"""Evaluating expressions: vectorised floats for screening, 40 digits for confirming."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

import numpy as np
import sympy as sp
from sympy.core.function import AppliedUndef

from verifier.sampling import Points

CONFIRM_DIGITS = 40

_u = sp.Symbol("u", real=True)
# Concrete stand-ins for undefined functions f(x), g(x): analytic, unrelated to one another,
# and with nonzero derivatives of every order, so a wrong rule shows at random points.
WITNESSES: tuple[sp.Expr, ...] = (
    sp.sin(_u) + _u**2 / 3,
    sp.exp(_u / 2) - _u / 5,
    sp.cos(2 * _u) + _u**3 / 7,
    sp.atan(_u) + _u**2 / 11,
)


def undefined_functions(*exprs: sp.Expr) -> list[type]:
    """The undefined function classes (f, g, ...) in `exprs`, in a stable order."""
    found = {type(a) for expr in exprs for a in expr.atoms(AppliedUndef)}
    return sorted(found, key=lambda f: f.__name__)


def instantiate(expr: sp.Expr, functions: list[type]) -> sp.Expr:
    """Replace each undefined function by its witness and evaluate what that unlocks."""
    if not functions:
        return expr
    if len(functions) > len(WITNESSES):
        raise ValueError(f"at most {len(WITNESSES)} undefined functions are supported")
    for function, witness in zip(functions, WITNESSES, strict=False):
        expr = expr.subs(function, sp.Lambda(_u, witness))
    return expr.doit()


def witness_names(functions: list[type]) -> dict[str, str]:
    """Which concrete function stood in for each undefined one, for a counterexample."""
    return {f.__name__: str(w) for f, w in zip(functions, WITNESSES, strict=False)}


@lru_cache(maxsize=4096)
def compiled_numpy(expr: sp.Expr, symbols: tuple[sp.Symbol, ...]) -> Callable[..., np.ndarray]:
    """`expr` as a vectorised NumPy function of `symbols`, compiled once."""
    return sp.lambdify(symbols, expr, modules="numpy")


def evaluate_floats(expr: sp.Expr, points: Points) -> np.ndarray:
    """`expr` at every point, as complex-free floats; NaN where it cannot be evaluated."""
    symbols = tuple(points)
    count = len(next(iter(points.values()))) if points else 1
    try:
        with np.errstate(all="ignore"):
            values = compiled_numpy(expr, symbols)(*points.values())
        values = np.broadcast_to(np.asarray(values, dtype=complex), (count,))
    except Exception:  # lambdify cannot print some functions (e.g. DiracDelta): go point by point
        values = np.array([_slow_value(expr, points, i) for i in range(count)], dtype=complex)
    real = values.real.copy()
    real[np.abs(values.imag) > 1e-9 * np.maximum(1.0, np.abs(values.real))] = np.nan
    return real


def _slow_value(expr: sp.Expr, points: Points, index: int) -> complex:
    value = expr.xreplace({s: sp.Float(v[index], 20) for s, v in points.items()}).evalf(20)
    return complex(value) if value.is_number and value.is_finite else complex(np.nan)


def evaluate_exact(expr: sp.Expr, point: dict[sp.Symbol, sp.Rational]) -> sp.Expr | None:
    """`expr` at an exact point to 40 significant digits; None if it is not a finite real number."""
    value = expr.xreplace(point).doit().evalf(CONFIRM_DIGITS)
    if not value.is_number or value.has(sp.nan, sp.zoo, sp.oo, -sp.oo):
        return None
    re, im = value.as_real_imag()
    if abs(im) > sp.Float(10) ** (-CONFIRM_DIGITS + 5) * max(1, abs(re)):
        return None
    return re
