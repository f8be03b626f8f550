"""The numeric screen: look for a point where two expressions differ, then certify it with ball arithmetic."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import sympy as sp

from verifier.certify import Certificate, certify
from verifier.context import EVERYWHERE, Context, Region
from verifier.edges import Breakpoint, as_float, breakpoints, edge_points
from verifier.evaluate import evaluate_complex, instantiate, undefined_functions, witness_names
from verifier.guards import unguarded
from verifier.sampling import Points, exact_point, listed_values, shown
from verifier.sized import concrete, concrete_context, size_cases
from verifier.verdicts import Counterexample

SCREEN_RTOL = 1e-9  # only picks candidates; every counterexample is certified by ball arithmetic
MAX_CANDIDATES = 8
UNDEFINED_CONSTANTS = (sp.zoo, sp.nan, sp.oo, -sp.oo)


@dataclass(frozen=True)
class ScreenResult:
    """A certified counterexample, or how many points agreed."""

    counterexample: Counterexample | None
    agreeing: int


def screen(
    before: sp.Expr,
    after: sp.Expr,
    context: Context,
    region: Region,
    threshold: float = SCREEN_RTOL,
    excluded: frozenset[Breakpoint] = frozenset(),
    with_edges: bool = True,
    on_kinks: tuple[sp.Expr, ...] = (),
) -> ScreenResult:
    """Compare two prepared expressions at random and edge points of `region`; certify gaps above `threshold`.

    A negative threshold certifies the points with the largest gaps whatever their size: the last
    resort for a step that no method proved, which finds differences below float64 resolution.
    A point where either side is not finite in floats (overflow, a pole) is always a candidate.
    `excluded` are breakpoints of functions under a derivative, where the derivative has no value.
    Without `with_edges`, random points only (a matrix entry whose proof is a renaming of another's).
    A point where one of `on_kinks` vanishes is on a kink of a function under a derivative: never certified.
    """
    if context.families:
        return _screen_sized(before, after, context, threshold)
    functions = undefined_functions(before, after)
    stand_ins = witness_names(functions)
    before, after = instantiate(before, functions), instantiate(after, functions)
    rng = np.random.default_rng(context.seed)
    variables = context.sampled(region)
    drawn = context.draw(variables, context.samples, rng)
    count = _count(drawn)
    listed = listed_values(variables)
    edges: list[dict] = []
    base: dict = {}
    if count and with_edges:  # edge points vary the coordinates of the first drawn point
        base = exact_point(drawn, 0, listed)
        edges = _admissible(context, edge_points((before, after), variables, base, set(excluded)))
    points = _floats(edges, drawn)
    lhs, rhs = evaluate_complex(before, points), evaluate_complex(after, points)
    gap = _relative_gap(lhs, rhs)
    agreeing = int(np.sum(gap <= SCREEN_RTOL))
    literal = any(unguarded(side).has(*UNDEFINED_CONSTANTS) for side in (before, after))  # 1/0 as written
    for index in _candidates(gap, threshold, count, _at_breakpoints(edges, (before, after), variables, base)):
        point = exact_point(drawn, index, listed) if index < count else _edge(edges, index - count)
        if _on_kink(point, on_kinks):
            continue
        certificate = certify(before, after, point, literal_undefined=literal)
        if certificate is not None:
            example = _counterexample(before, after, point, certificate, region, context.seed)
            return ScreenResult(dataclasses.replace(example, witnesses=stand_ins), agreeing)
    return ScreenResult(None, agreeing)


def _on_kink(point: dict, on_kinks: tuple[sp.Expr, ...]) -> bool:
    """Whether one of the kink expressions is exactly 0 at this exact point."""
    for expr in on_kinks:
        value = expr.xreplace(point)
        if value.is_number and value == 0:
            return True
    return False


def _candidates(gap: np.ndarray, threshold: float, count: int, forced: list[int]) -> list[int]:
    """The points to certify: edge points at breakpoints whatever their gap (floats can agree where a side is
    undefined: exp(y log 0) is 0 in NumPy), then the largest finite gaps above `threshold` (the drawn points, in the
    sampling box, before the edge points past it), then the points floats
    could not compare (overflow, underflow to 0/0): a counterexample whose digits show the difference comes
    first (sigmoid's slip at x = -1000 differs by 1e-869, shown as two equal 20-digit numbers)."""
    finite = np.isfinite(gap)
    order = [int(i) for i in np.argsort(-np.where(finite, gap, -np.inf), kind="stable")]
    differing = [i for i in order if finite[i] and gap[i] > threshold]
    unknown = [int(i) for i in np.flatnonzero(~finite)[:MAX_CANDIDATES]]
    drawn = [i for i in differing if i < count][:MAX_CANDIDATES]  # in the box first: sigma's slip at 1.6, not 100
    chosen = [count + i for i in forced[:MAX_CANDIDATES]] + drawn + differing[:MAX_CANDIDATES]
    return list(dict.fromkeys(chosen + unknown))


def _at_breakpoints(edges: list[dict], exprs: tuple[sp.Expr, sp.Expr], variables: tuple, base: dict) -> list[int]:
    """Which edge points sit exactly on a breakpoint of either side (a pole, a log of 0, a kink).

    The breakpoints are the ones the edge points were built from (same base point: memoised, not recomputed).
    """
    if not edges:
        return []
    found = set(breakpoints(exprs, variables, base))
    return [i for i, point in enumerate(edges) if any((s, v) in found for s, v in point.items())]


def _edge(edges: list[dict], index: int) -> dict:
    """An edge point; with no variables at all, the only point there is."""
    return edges[index] if index < len(edges) else {}


def _count(points: Points) -> int:
    return len(next(iter(points.values()))) if points else 0


def _admissible(context: Context, points: list[dict]) -> list[dict]:
    """The edge points that satisfy the context's constraints (filters and eliminated symbols in range)."""
    if not points or not (context.eliminations or context.filters):
        return points
    floats = {s: np.array([float(p[s]) for p in points]) for s in points[0]}
    kept = context.admissible_mask(floats)
    return [p for p, keep in zip(points, kept, strict=True) if keep]


def _floats(edges: list[dict], drawn: Points) -> Points:
    """Every point's coordinates as float arrays: the drawn points as drawn, then the edge points rounded."""
    return {s: np.concatenate([v, np.array([as_float(p[s]) for p in edges])]) for s, v in drawn.items()}


def _relative_gap(lhs: np.ndarray, rhs: np.ndarray) -> np.ndarray:
    """|lhs - rhs| relative to the larger side; infinite where either side is not finite (a candidate)."""
    with np.errstate(all="ignore"):
        scale = np.maximum(np.abs(lhs), np.abs(rhs))
        gap = np.abs(lhs - rhs) / np.where(scale > 0, scale, 1.0)
    gap[~(np.isfinite(lhs) & np.isfinite(rhs))] = np.inf
    return gap


def _counterexample(
    before: sp.Expr, after: sp.Expr, point: dict, certificate: Certificate, region: Region, seed: int
) -> Counterexample:
    used = before.free_symbols | after.free_symbols
    coordinates = {str(s): shown(v) for s, v in point.items() if s in used}
    lhs, rhs = certificate.lhs.shown(), certificate.rhs.shown()
    return Counterexample(coordinates, lhs, rhs, region.name, seed=seed, bound=certificate.bound, bits=certificate.bits)


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
