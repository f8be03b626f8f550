"""The numeric cross-check: a final derivative against numerical differentiation of its function."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import mpmath
import numpy as np
import sympy as sp

from verifier.context import EVERYWHERE, Context, expand_definitions
from verifier.domains import natural_domains
from verifier.evaluate import compiled_numpy, evaluate_complex, evaluate_floats, instantiate, undefined_functions
from verifier.every_size import at_concrete_size
from verifier.matrix import explicit, is_matrix
from verifier.model import Derivation, Interval, Kink, Step, Var
from verifier.sampling import Points, draw
from verifier.sized import concrete, concrete_context, size_cases
from verifier.tensor import uses_matrices
from verifier.verdicts import KinkCheck, NumericCheck

POINTS = 256
# Pass mark on the max relative error. Complex step reaches ~1e-15 and Richardson ~1e-11 on the
# corpus; a correct closed form evaluated in float64 can itself be off by ~2e-12 (1 - tanh(x)**2 at
# |x| = 6), so 1e-10 accepts every true result and still catches a planted 1e-9 relative error.
TOLERANCE = 1e-10
# The error is relative to max(|exact|, REL_FLOOR * the largest |exact| over the points), so a
# derivative that is 0 at a point (a closed ReLU, a zero label) is not divided by 0 or by rounding noise.
REL_FLOOR = 1e-3
COMPLEX_STEP = 1e-20
KINK_MARGIN = 0.1  # sampled points stay this far from a kink, beyond the largest Richardson step
RECHECK_DIGITS = (50, 150)  # a point where the float check (nearly) fails is computed again at these precisions
MAX_RECHECKED = POINTS  # ... all of them (a number, not a time: the verdict does not depend on the load)
# Complex step needs code whose imaginary part carries the derivative. Max, Min and Piecewise qualify
# away from their kinks: NumPy orders complex numbers by real part first, so each piece is chosen
# by the real point. These do not: lambdified Abs gives derivative 0, heaviside rejects complex input;
# mpmath defines erfinv and erfcinv on the real line only.
NOT_COMPLEX_STEPPABLE = (sp.Abs, sp.Heaviside, sp.sign, sp.floor, sp.ceiling, sp.DiracDelta, sp.erfinv, sp.erfcinv)


@dataclass(frozen=True)
class Sampled:
    """What the cross-check compares: the function, each (variable, claimed derivative), the points."""

    function: sp.Expr
    pairs: list[tuple[sp.Symbol, sp.Expr]]
    points: Points
    steppable: bool  # whether complex step applies to the function's code


def sampled(derivation: Derivation, final: sp.Expr, context: Context) -> Sampled:
    """The function and the claimed derivative, prepared, and the points the cross-check uses."""
    functions = undefined_functions(context.prepare(derivation.function), context.prepare(final))
    function = instantiate(context.prepare(derivation.function), functions)
    derivative = instantiate(context.prepare(final), functions)
    pairs = _entries(derivation.variable, derivative)
    return Sampled(function, pairs, _points(derivation, context), not function.has(*NOT_COMPLEX_STEPPABLE))


def cross_check(derivation: Derivation, final: sp.Expr, context: Context) -> NumericCheck | None:
    """Compare `final` with the numerical derivative of the derivation's function at random points.

    When it fails only at points where the function or `final` is undefined (not finite, not real),
    the check says how many and how to fix it: declare the domain where they are defined.
    """
    defined = derivation.variable in dict(derivation.definitions)
    if derivation.variable is None or (defined and not isinstance(derivation.variable, sp.MatrixSymbol)):
        return None  # dL/da, a = sigma(z) defined: a is no variable of its own to step in
    if uses_matrices((derivation.start,), derivation.definitions):  # symbolic sizes: at concrete sizes
        concrete = at_concrete_size(derivation, final, context)
        if concrete is None:
            return None
        written, claimed, local, sizes = concrete
        check = _rows_checked(written, claimed, local) if isinstance(written.function, sp.MatrixBase) else \
            cross_check(written, claimed, local)
        at = ", ".join(f"{s} = {v}" for s, v in sizes.items())
        return check if check is None or not at else dataclasses.replace(check, method=f"{check.method}, at {at}")
    if derivation.families:
        return _at_sizes(derivation, final, context)
    problem = sampled(derivation, final, context)
    function, pairs, points, steppable = problem.function, problem.pairs, problem.points, problem.steppable
    method = "complex step (h = 1e-20)" if steppable else "Richardson central differences (4 levels)"
    checked = [_compared(function, v, d, points, steppable) for v, d in pairs]
    compared = [(numeric, exact) for numeric, exact, _ in checked]
    worst = max(max_relative_error(numeric, exact) for numeric, exact in compared)
    rechecked = sum(count for _, _, count in checked)
    method = f"{method}; {rechecked} points again at {RECHECK_DIGITS[0]}+ digits" if rechecked else method
    kink = None if derivation.kink is None else _check_kink(derivation.kink, function, pairs[0][1], context)
    count = len(next(iter(points.values())))
    undefined, hint = (0, "") if worst <= TOLERANCE else _undefined(problem, compared, context)
    method = method if len(pairs) == 1 else f"{method}, {len(pairs)} entries"
    return NumericCheck(method, count, worst, TOLERANCE, kink, undefined, hint)


def _rows_checked(written: Derivation, claimed: sp.ImmutableMatrix, context: Context) -> NumericCheck | None:
    """The Jacobian of a column, row by row: row r against the numerical gradient of the column's entry r."""
    checks = []
    for row, entry in enumerate(written.function):
        gradient = sp.ImmutableMatrix(claimed[row, :]).reshape(*written.variable.shape)
        check = cross_check(dataclasses.replace(written, function=entry, steps=(Step(gradient, "", None),)), gradient,
                            context)
        if check is not None:
            checks.append(check)
    if not checks:
        return None
    worst = max(checks, key=lambda c: c.max_rel_error)
    return dataclasses.replace(worst, method=f"{worst.method}, row by row ({len(checks)} rows)")


def _at_sizes(derivation: Derivation, final: sp.Expr, context: Context) -> NumericCheck | None:
    """A derivation over a symbolic size, checked at each small concrete size it is screened at."""
    checks = []
    expanded = [expand_definitions(e, derivation.definitions) for e in (derivation.function, final)]
    for case in size_cases(context):
        function, derivative = (concrete(e, case, context.families) for e in expanded)
        variable = concrete(derivation.variable, case, context.families)
        if not isinstance(variable, sp.Symbol):
            return None
        local = concrete_context(context, case, function, derivative, variable)
        written = dataclasses.replace(derivation, function=function, variable=variable, variables=local.variables,
                                      families=(), index_ranges=(), constraints=(), kink=None, definitions=(),
                                      steps=(Step(derivative, "", None),))
        check = cross_check(written, derivative, local)
        if check is not None:
            checks.append(check)
    if not checks:
        return None
    worst = max(checks, key=lambda c: c.max_rel_error)
    return dataclasses.replace(worst, method=f"{worst.method}, at {len(checks)} concrete sizes",
                               points=sum(c.points for c in checks))


def _entries(variable: sp.Basic, derivative: sp.Basic) -> list[tuple[sp.Symbol, sp.Expr]]:
    if not isinstance(variable, sp.MatrixBase):
        return [(variable, derivative)]
    claimed = explicit(derivative) if is_matrix(derivative) else sp.ImmutableMatrix([[derivative]])
    if claimed.shape != variable.shape:
        raise ValueError(f"the final step is {claimed.shape}, the variable {variable.shape}")
    return list(zip(variable, claimed, strict=True))


def _compared(function: sp.Expr, variable: sp.Symbol, derivative: sp.Expr, points: Points,
              steppable: bool) -> tuple[np.ndarray, np.ndarray, int]:
    """The numerical derivative and the claimed one at each point, and how many points were rechecked."""
    exact = evaluate_floats(derivative, points)
    numeric = (complex_step if steppable else richardson)(function, variable, points)
    return _rechecked(function, variable, derivative, points, numeric, exact)


def _rechecked(function: sp.Expr, variable: sp.Symbol, derivative: sp.Expr, points: Points, numeric: np.ndarray,
               exact: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """Both, with the MAX_RECHECKED worst points where they (nearly) disagree in floats computed again with mpmath
    (its numerical differentiation of the function, and the claimed derivative) at 50 digits, then 150 where
    they still differ. A point where the function or a derivative is not real is undefined (NaN). A float
    cancellation (log Phi(x) at x = -6, where 1 + erf is 2e-9) is then no failure; a wrong derivative stays one."""
    errors = relative_errors(numeric, exact)
    doubtful = np.flatnonzero(~(errors <= TOLERANCE / 100))  # near the tolerance too: one draw cannot tip it
    if not doubtful.size:
        return numeric, exact, 0
    symbols = tuple(points)
    try:
        values, slopes = (sp.lambdify(symbols, e, "mpmath") for e in (function, derivative))
    except Exception:  # a function mpmath lacks: the floats stand
        return numeric, exact, 0
    numeric, exact = np.array(numeric, dtype=float), np.array(exact, dtype=float)
    worst = sorted(doubtful, key=lambda k: -np.nan_to_num(errors[k], nan=np.inf))[:MAX_RECHECKED]
    for i in worst:
        point = [float(points[s][i]) for s in symbols]
        for digits in RECHECK_DIGITS:
            with mpmath.workdps(digits):
                try:
                    pair = _at_point(values, slopes, point, symbols.index(variable), digits)
                except Exception:  # undefined there, or not in mpmath: the floats stand
                    break
            numeric[i], exact[i] = pair
            if not relative_errors(numeric[i:i + 1], exact[i:i + 1])[0] > TOLERANCE:
                break
    return numeric, exact, len(worst)


def _at_point(values: Callable[..., Any], slopes: Callable[..., Any], point: list[float], at: int,
              digits: int) -> tuple[float, float]:
    """The function's slope (mpmath's differentiation) and the claimed derivative at the point, as floats: equal
    when they agree to 3/5 of the digits, relative to the function's size (an identically zero derivative is
    rounding noise on both sides); NaN where the function or a slope is not real."""
    at_point = [mpmath.mpf(v) for v in point]
    defined = not np.isnan(_real(values(*at_point), digits))  # log(x) at x < 0 is complex, its slope 1/x is not
    slope = mpmath.diff(lambda t: values(*at_point[:at], t, *at_point[at + 1:]), at_point[at])
    claimed = slopes(*at_point)
    size = max(mpmath.mpf(1), abs(values(*at_point)), abs(slope))
    if defined and abs(slope - claimed) <= mpmath.mpf(10) ** (-(3 * digits) // 5) * size:
        return (value := _real(claimed, digits)), value
    return (_real(slope, digits) if defined else np.nan), _real(claimed, digits)


def _real(value: mpmath.mpf | mpmath.mpc, digits: int) -> float:
    """A high-precision value as a float: NaN when it is not real (sqrt(x) at x < 0 is undefined, not 0)."""
    real, imag = mpmath.re(value), mpmath.im(value)
    return float(real) if abs(imag) <= mpmath.mpf(10) ** (-digits // 2) * max(1, abs(real)) else np.nan


def _undefined(problem: Sampled, compared: list[tuple[np.ndarray, np.ndarray]], context: Context) -> tuple[int, str]:
    """How many points have the function or the final derivative undefined, and the fix when only they fail."""
    function_defined = np.isfinite(evaluate_floats(problem.function, problem.points))
    defined = function_defined & np.logical_and.reduce([np.isfinite(exact) for _, exact in compared])
    count = int(np.count_nonzero(~defined))
    if count == 0 or not defined.any():
        return count, ""
    if any(max_relative_error(numeric[defined], exact[defined]) > TOLERANCE for numeric, exact in compared):
        return count, ""  # it fails where both sides are defined too: no hint would be honest
    side = "the function" if not function_defined.all() else "the final derivative"
    where = f"{side} is undefined (not finite or not real) at {count} of {len(defined)} points"
    expressions = (problem.function, *(d for _, d in problem.pairs))
    variables = context.sampled(EVERYWHERE)
    for var in (v for v in variables if isinstance(v.domain, Interval)):
        (natural,) = natural_domains(expressions, [var.symbol], box=var.domain, fixed=variables)
        if natural.reason:
            need = natural.reason.removeprefix("natural domain: ")
            return count, f"{where} ({need}): declare the domain, e.g. `{natural.domain.declared(str(var.symbol))}`"
    return count, f"{where}, and agrees everywhere else: declare the domain where both are defined"


def max_relative_error(numeric: np.ndarray, exact: np.ndarray) -> float:
    """Max of |numeric - exact| / max(|exact|, REL_FLOOR * max |exact|); inf if anything is not finite."""
    errors = relative_errors(numeric, exact)
    return float(np.max(errors)) if errors.size and np.all(np.isfinite(errors)) else float("inf")


def relative_errors(numeric: np.ndarray, exact: np.ndarray) -> np.ndarray:
    """|numeric - exact| / max(|exact|, REL_FLOOR * max |exact|) at each point; NaN where either is not finite."""
    numeric, exact = np.asarray(numeric, dtype=float), np.asarray(exact, dtype=float)
    finite = np.isfinite(numeric) & np.isfinite(exact)
    largest = np.max(np.abs(exact[finite])) if finite.any() else 0.0
    scale = np.maximum(np.abs(exact), REL_FLOOR * largest)
    with np.errstate(all="ignore"):
        gap = np.abs(numeric - exact)
        errors = np.where(scale > 0, gap / np.where(scale > 0, scale, 1.0), gap)
    return np.where(finite, errors, np.nan)


def _points(derivation: Derivation, context: Context) -> Points:
    rng = np.random.default_rng(context.seed + 1)
    if derivation.kink is None:
        return context.draw(context.sampled(EVERYWHERE), POINTS, rng)
    halves = [context.draw(_away_from_kink(context, derivation.kink, side), POINTS // 2, rng) for side in (-1, 1)]
    return {s: np.concatenate([h[s] for h in halves]) for s in halves[0]}


def _away_from_kink(context: Context, kink: Kink, side: int) -> tuple[Var, ...]:
    at = float(kink.at)
    narrowed = []
    for var in context.sampled(EVERYWHERE):
        if var.symbol == kink.symbol and isinstance(var.domain, Interval):
            lo, hi = (var.domain.lo, at - KINK_MARGIN) if side < 0 else (at + KINK_MARGIN, var.domain.hi)
            var = Var(var.symbol, Interval(lo, hi))
        narrowed.append(var)
    return tuple(narrowed)


def _evaluate(function: sp.Expr, points: Points) -> np.ndarray:
    count = len(next(iter(points.values())))
    try:
        with np.errstate(all="ignore"):
            values = compiled_numpy(function, tuple(points))(*points.values())
    except (TypeError, NameError):  # a function NumPy lacks (erf, gamma) prints as math's or not at all: mpmath
        if not any(np.iscomplexobj(v) for v in points.values()):
            return evaluate_floats(function, points)
        with mpmath.workdps(40):  # a complex step's imaginary part is 1e-20 of the value: keep its digits
            return evaluate_complex(function, points)
    return np.broadcast_to(np.asarray(values), (count,))


def _shifted(points: Points, variable: sp.Symbol, step: np.ndarray | complex) -> Points:
    return {s: (v + step if s == variable else v) for s, v in points.items()}


def complex_step(function: sp.Expr, variable: sp.Symbol, points: Points) -> np.ndarray:
    """d function / d variable at each point by complex step, h = 1e-20."""
    return np.imag(_evaluate(function, _shifted(points, variable, 1j * COMPLEX_STEP))) / COMPLEX_STEP


def central(function: sp.Expr, variable: sp.Symbol, points: Points, step: np.ndarray | float) -> np.ndarray:
    """Central differences with step `step`."""
    ahead = _evaluate(function, _shifted(points, variable, step)).real
    behind = _evaluate(function, _shifted(points, variable, -step)).real
    return (ahead - behind) / (2 * step)


def _inside_domain(function: sp.Expr, variable: sp.Symbol, points: Points, step: np.ndarray,
                   shrinks: int = 12, margin: float = 32.0) -> np.ndarray:
    """The step at each point, quartered until the function is finite `margin` steps away on both sides: near an
    end of the domain (erfinv at 0.99) the differences neither cross it nor feel its singularity (the error of
    Richardson's extrapolation falls as (step / distance)^8)."""
    for _ in range(shrinks):
        reach = margin * step
        outside = ~(np.isfinite(_evaluate(function, _shifted(points, variable, reach)).real)
                    & np.isfinite(_evaluate(function, _shifted(points, variable, -reach)).real))
        if not outside.any():
            break
        step = np.where(outside, step / 4, step)
    return step


def richardson(
    function: sp.Expr, variable: sp.Symbol, points: Points, levels: int = 4, first_step: float = 1e-2
) -> np.ndarray:
    """Richardson extrapolation of central differences over `levels` halvings of the step."""
    step = _inside_domain(function, variable, points, first_step * np.maximum(1.0, np.abs(points[variable])))
    row = [central(function, variable, points, step / 2**k) for k in range(levels)]
    for order in range(1, levels):
        factor = 4.0**order
        row = [(factor * row[k + 1] - row[k]) / (factor - 1) for k in range(len(row) - 1)]
    return row[0]


def _check_kink(kink: Kink, function: sp.Expr, derivative: sp.Expr, context: Context) -> KinkCheck:
    rng = np.random.default_rng(context.seed + 2)
    others = tuple(v for v in context.sampled(EVERYWHERE) if v.symbol != kink.symbol)
    base = draw(others, 1, rng)
    at = float(kink.at)

    def at_x(value: float) -> Points:
        return {**base, kink.symbol: np.array([value])}

    def beside(offset: float) -> float:  # the derivative just beside the kink, with steps too small to reach across
        return float(richardson(function, kink.symbol, at_x(at + offset), first_step=offset / 10 * np.sign(offset))[0])

    # one-sided limits, extrapolated from two points beside the kink (the derivative of alpha(e^x - 1) is 1.49985
    # at -1e-4, its limit 1.5); the error left is far below the change between the two, the margin allowed
    sides = [(beside(side * 1e-4), beside(side * 2e-4)) for side in (-1, 1)]
    left, right = (2 * near - far for near, far in sides)
    margin = 1e-6 + max(abs(near - far) for near, far in sides)
    gap = _evaluate(function, at_x(at + 1e-9)).real - _evaluate(function, at_x(at - 1e-9)).real
    jump = bool(abs(gap[0]) > 1e-6)
    final_there = float(evaluate_floats(derivative, at_x(at))[0])
    if kink.value is None:
        consistent, shown = bool(np.isnan(final_there)), "undefined"
    else:
        stated = float(evaluate_floats(context.prepare(sp.sympify(kink.value)), at_x(at))[0])  # \alpha = 1.5 too
        between = min(left, right) - margin <= stated <= max(left, right) + margin
        consistent = abs(final_there - stated) <= 1e-12 and (between or jump)
        shown = f"{kink.value}"
    return KinkCheck(str(kink.at), left, right, jump, f"{shown} ({kink.source})", consistent)
