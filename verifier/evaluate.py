"""Evaluating expressions in floats, vectorised over many points, for the screen and the numeric check."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import sympy as sp
from sympy.core.function import AppliedUndef
from sympy.printing.numpy import NumPyPrinter
from sympy.utilities.lambdify import NUMPY_DEFAULT, NUMPY_TRANSLATIONS

from verifier.caches import memoised
from verifier.sampling import Points

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
    indexed = {function: (index, arity) for index, (function, arity) in enumerate(functions)}
    direct = _stand_ins(expr, indexed, {})
    if not direct.has(sp.Derivative, sp.Subs, *indexed):
        return direct
    for index, (function, arity) in enumerate(functions):  # a form read off below: the general way
        expr = expr.subs(function, witness(index, arity))
    return expr.doit()


def _stand_ins(node: sp.Basic, indexed: dict[type, tuple[int, int]], done: dict[sp.Basic, sp.Basic]) -> sp.Basic:
    """`node` with every form `_stand_in` reads replaced, outermost first (f'(x) before the f(x) in it)."""
    if node not in done:
        found = _stand_in(node, indexed, done)
        if found is None:
            found = node.func(*(_stand_ins(arg, indexed, done) for arg in node.args)) if node.args else node
        done[node] = found
    return done[node]


def _stand_in(node: sp.Basic, indexed: dict[type, tuple[int, int]], done: dict[sp.Basic, sp.Basic]) -> sp.Expr | None:
    """f(a), a partial derivative of f at a, or one at a substituted point, as the witness's value there.

    The witness's partial derivatives are taken once, in its own variables, and the arguments put in
    with `xreplace`: the chain rule through the arguments is already written out in a prepared
    expression, and `subs` + `doit` on the whole would redo it (the most time of a network step).
    """
    point: dict[sp.Basic, sp.Basic] = {}
    if isinstance(node, sp.Subs):
        point = dict(zip(node.variables, node.point, strict=True))
        node = node.expr
    positions: tuple[int, ...] = ()
    if isinstance(node, sp.Derivative):
        applied, variables = node.expr, node.variables
        if type(applied) not in indexed:
            return None
        positions = tuple(sorted(_position(applied.args, v) for v in variables))
        if -1 in positions:
            return None
        node = applied
    elif point or type(node) not in indexed:
        return None
    index, arity = indexed[type(node)]
    variables, body = witness_partial(index, arity, positions)
    arguments = [_stand_ins(arg.xreplace(point), indexed, done) for arg in node.args]
    return body.xreplace(dict(zip(variables, arguments, strict=True)))


def _position(arguments: tuple[sp.Basic, ...], variable: sp.Basic) -> int:
    """Where `variable` is an argument of f, if it is exactly one of them and in no other; else -1."""
    found = [i for i, arg in enumerate(arguments) if arg == variable]
    others = [arg for i, arg in enumerate(arguments) if i not in found and arg.has(variable)]
    return found[0] if len(found) == 1 and not others else -1


@memoised(256)
def witness_partial(index: int, arity: int, positions: tuple[int, ...]) -> tuple[tuple[sp.Symbol, ...], sp.Expr]:
    """The witness's variables and its partial derivative in the variables at `positions` (none: itself)."""
    stand_in = witness(index, arity)
    variables = tuple(stand_in.variables)
    if not positions:  # sp.diff with no variables would differentiate in the only free symbol
        return variables, stand_in.expr
    return variables, sp.diff(stand_in.expr, *(variables[p] for p in positions))


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


@memoised(4096)
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
        # strict=False as lambdify's: a function NumPy lacks (lowergamma) prints as a call to a name that does
        # not exist, and evaluating it falls back to mpmath (NameError), not a printer error
        super().__init__({"fully_qualified_modules": False, "inline": True, "allow_unknown_functions": True,
                          "order": "none", "strict": False})
        self._names = names

    def _print_Symbol(self, expr: sp.Symbol) -> str:
        return self._names.get(expr) or super()._print_Symbol(expr)

    _print_Dummy = _print_Symbol


@memoised(1)
def _numpy_namespace() -> dict:
    """The names the printed code uses: NumPy's, and lambdify's defaults and translations for it."""
    # NumPy's loaded names, as `from numpy import *` gives them without importing f2py and the
    # other submodules it pulls in (0.1 s)
    namespace: dict = {name: value for name, value in vars(np).items() if not name.startswith("_")}
    namespace["numpy"] = np
    namespace.update(NUMPY_DEFAULT)
    namespace.update({name: getattr(np, target) for name, target in NUMPY_TRANSLATIONS.items()})
    return namespace


def evaluate_floats(expr: sp.Expr, points: Points) -> np.ndarray:
    """`expr` at every point, as complex-free floats; NaN where it cannot be evaluated or is not real."""
    values = evaluate_complex(expr, points)
    real = values.real.copy()
    real[np.abs(values.imag) > 1e-9 * np.maximum(1.0, np.abs(values.real))] = np.nan
    return real


def evaluate_complex(expr: sp.Expr, points: Points) -> np.ndarray:
    """`expr` at every point as complex numbers (principal branches); NaN where it cannot be evaluated."""
    symbols = tuple(points)
    count = len(next(iter(points.values()))) if points else 1
    try:
        with np.errstate(all="ignore"):
            values = compiled_numpy(expr, symbols)(*points.values())
        return np.array(np.broadcast_to(np.asarray(values, dtype=complex), (count,)))
    except Exception:  # NumPy has no such function (polylog, DiracDelta): mpmath, point by point
        return _mpmath_values(expr, points, count)


def _mpmath_values(expr: sp.Expr, points: Points, count: int) -> np.ndarray:
    try:
        function = sp.lambdify(tuple(points), expr, "mpmath")
    except Exception:
        return np.array([_slow_value(expr, points, i) for i in range(count)], dtype=complex)
    values = np.full(count, np.nan, dtype=complex)
    for i in range(count):
        try:
            values[i] = complex(function(*(_scalar(v[i]) for v in points.values())))
        except Exception:
            values[i] = _slow_value(expr, points, i)
    return values


def _scalar(value: complex) -> float | complex:
    """A float for a real coordinate, a complex for a complex-step one (mpmath takes both)."""
    return complex(value) if np.iscomplexobj(value) else float(value)


def _slow_value(expr: sp.Expr, points: Points, index: int) -> complex:
    try:  # an unevaluated derivative at a number (d/dx floor(x) at x = 1.5) cannot even be built
        value = expr.xreplace({s: sp.Float(v[index], 20) for s, v in points.items()}).evalf(20)
        return complex(value) if value.is_number and value.is_finite else complex(np.nan)
    except Exception:
        return complex(np.nan)
