"""The numeric screen: look for a point where two expressions differ, then confirm it exactly."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import sympy as sp

from verifier.context import EVERYWHERE, Context, Region
from verifier.evaluate import evaluate_exact, evaluate_floats, instantiate, undefined_functions, witness_names
from verifier.sampling import exact_point, shown
from verifier.sized import concrete, concrete_context, size_cases
from verifier.verdicts import Counterexample

SCREEN_RTOL = 1e-9  # only picks candidates; every counterexample is confirmed exactly
CONFIRM_RTOL = sp.Float("1e-30", 40)
MAX_CANDIDATES = 6


@dataclass(frozen=True)
class ScreenResult:
    """A confirmed counterexample, or how many random points agreed."""

    counterexample: Counterexample | None
    agreeing: int


def screen(
    before: sp.Expr, after: sp.Expr, context: Context, region: Region, threshold: float = SCREEN_RTOL
) -> ScreenResult:
    """Compare two prepared expressions at random points of `region`; confirm gaps above `threshold` exactly.

    A negative threshold confirms the points with the largest gaps whatever their size: the last
    resort for a step that no method proved, which finds differences below float64 resolution.
    """
    if context.families:
        return _screen_sized(before, after, context, threshold)
    functions = undefined_functions(before, after)
    stand_ins = witness_names(functions)
    before, after = instantiate(before, functions), instantiate(after, functions)
    rng = np.random.default_rng(context.seed)
    points = context.draw(context.sampled(region), context.samples, rng)
    lhs, rhs = evaluate_floats(before, points), evaluate_floats(after, points)
    with np.errstate(all="ignore"):
        scale = np.maximum(np.abs(lhs), np.abs(rhs))
        gap = np.abs(lhs - rhs) / np.where(scale > 0, scale, 1.0)
    gap[np.isnan(lhs) != np.isnan(rhs)] = np.inf
    agreeing = int(np.sum(gap <= SCREEN_RTOL))
    for index in np.argsort(-np.nan_to_num(gap, nan=-1.0))[:MAX_CANDIDATES]:
        if not gap[index] > threshold:
            break
        found = _confirm(before, after, exact_point(points, int(index)), region, context.seed)
        if found is not None:
            return ScreenResult(dataclasses.replace(found, witnesses=stand_ins), agreeing)
    return ScreenResult(None, agreeing)


def _confirm(before: sp.Expr, after: sp.Expr, point: dict, region: Region, seed: int) -> Counterexample | None:
    lhs, rhs = evaluate_exact(before, point), evaluate_exact(after, point)
    if lhs is None or rhs is None:
        return None
    if abs(lhs - rhs) <= CONFIRM_RTOL * max(abs(lhs), abs(rhs)):
        return None
    used = before.free_symbols | after.free_symbols
    coordinates = {str(s): shown(v) for s, v in point.items() if s in used}
    return Counterexample(coordinates, _digits(lhs), _digits(rhs), region.name, seed=seed)


def _digits(value: sp.Expr) -> str:
    return sp.sstr(sp.Float(value, 30), full_prec=False)




def _screen_sized(before: sp.Expr, after: sp.Expr, context: Context, threshold: float) -> ScreenResult:
    """Screen a step over a symbolic size at each small concrete size and index in range."""
    agreeing = 0
    for case in size_cases(context):
        lhs, rhs = concrete(before, case, context.families), concrete(after, case, context.families)
        result = screen(lhs, rhs, concrete_context(context, case, lhs, rhs), EVERYWHERE, threshold)
        agreeing += result.agreeing
        if result.counterexample is not None:
            sizes = {str(s): str(v) for s, v in case.items()}
            found = dataclasses.replace(result.counterexample, point={**sizes, **result.counterexample.point})
            return ScreenResult(found, agreeing)
    return ScreenResult(None, agreeing)
