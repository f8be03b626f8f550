"""Evaluating expressions: vectorised floats for screening, 40 digits for confirming."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

import numpy as np
import sympy as sp
from sympy.core.function import AppliedUndef
from sympy.printing.numpy import NumPyPrinter
from sympy.utilities.lambdify import NUMPY_DEFAULT, NUMPY_TRANSLATIONS

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


Undefined = list[tuple[type, int]]


def undefined_functions(*exprs: sp.Expr) -> Undefined:
    """The undefined functions (f, g, ...) in `exprs` with their arities, in a stable order."""
    arities: dict[type, set[int]] = {}
    for expr in exprs:
        for applied in expr.atoms(AppliedUndef):
            arities.setdefault(type(applied), set()).add(len(applied.args))
    for function, counts in arities.items():
        if len(counts) != 1:
            raise ValueError(f"{function.__name__} is applied with different numbers of arguments")
    return sorted(((f, counts.pop()) for f, counts in arities.items()), key=lambda fa: fa[0].__name__)


def instantiate(expr: sp.Expr, functions: Undefined) -> sp.Expr:
    """Replace each undefined function by its witness and evaluate what that unlocks."""
    if not functions:
        return expr
    if len(functions) > len(WITNESSES):
        raise ValueError(f"at most {len(WITNESSES)} undefined functions are supported")
    for index, (function, arity) in enumerate(functions):
        expr = expr.subs(function, witness(index, arity))
    return expr.doit()


def witness(index: int, arity: int) -> sp.Lambda:
    """The stand-in for the `index`-th undefined function: a sum of distinct analytic terms, coupled."""
    if arity == 1:
        return sp.Lambda(_u, WITNESSES[index])
    args = sp.symbols(f"u1:{arity + 1}", real=True)
    terms = [
        WITNESSES[(index + k) % len(WITNESSES)].subs(_u, u * sp.Rational(k + 2, k + 3)) for k, u in enumerate(args)
    ]
    coupling = sum(u * sp.Rational(1, k + 2) for k, u in enumerate(args)) ** 2 / 7
    return sp.Lambda(args, sum(terms) + coupling)


def witness_names(functions: Undefined) -> dict[str, str]:
    """Which concrete function stood in for each undefined one, for a counterexample."""
    names = {}
    for index, (function, arity) in enumerate(functions):
        stand_in = witness(index, arity)
        arguments = ", ".join(map(str, stand_in.variables))
        names[function.__name__] = f"({arguments}) -> {stand_in.expr}"
    return names


@lru_cache(maxsize=4096)
def compiled_numpy(expr: sp.Expr, symbols: tuple[sp.Symbol, ...]) -> Callable[..., np.ndarray]:
    """`expr` as a vectorised NumPy function of `symbols`, compiled once.

    What `lambdify(symbols, expr, "numpy")` builds, without its per-call cost: lambdify sorts and
    prints every argument (about 10 ms with a hundred of them), here they are named by position.
    The printer keeps terms in SymPy's internal order: sorting them for display costs most of the
    time on large expressions and changes nothing in the values.
    """
    # the code is SymPy's printing of the expression, arguments named x0, x1, ...: no text a user wrote
    printer = _PositionalPrinter({symbol: f"x{i}" for i, symbol in enumerate(symbols)})
    code = printer.doprint(expr)
    namespace = _numpy_namespace()
    for module, names in printer.module_imports.items():
        exec(f"from {module} import {', '.join(sorted(names))}", namespace)
    arguments = ", ".join(f"x{i}" for i in range(len(symbols)))
    compiled: dict[str, Callable[..., np.ndarray]] = {}
    exec(f"def compiled({arguments}):\n    return {code}\n", namespace, compiled)
    return compiled["compiled"]


class _PositionalPrinter(NumPyPrinter):
    """NumPy code (lambdify's settings, no term sorting) naming each argument x0, x1, ... by position."""

    def __init__(self, names: dict[sp.Symbol, str]) -> None:
        super().__init__({"fully_qualified_modules": False, "inline": True, "allow_unknown_functions": True,
                          "order": "none"})
        self._names = names

    def _print_Symbol(self, expr: sp.Symbol) -> str:
        return self._names.get(expr) or super()._print_Symbol(expr)

    _print_Dummy = _print_Symbol


@lru_cache(maxsize=1)
def _numpy_namespace() -> dict:
    """The names the printed code uses: NumPy's, and lambdify's defaults and translations for it."""
    namespace: dict = {}
    exec("import numpy\nfrom numpy import *", namespace)
    namespace.update(NUMPY_DEFAULT)
    namespace.update({name: getattr(np, target) for name, target in NUMPY_TRANSLATIONS.items()})
    return namespace


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
