"""Random points of a domain, as float arrays for screening and exact numbers for confirming."""

from __future__ import annotations

import numpy as np
import sympy as sp

from verifier.model import Choice, Interval, Var

Points = dict[sp.Symbol, np.ndarray]


def draw(variables: tuple[Var, ...], count: int, rng: np.random.Generator, skewed: bool = False) -> Points:
    """`count` points, uniform inside each interval (ends excluded) or over each choice.

    `skewed` draws each point's choices with a first-value probability of its own, uniform in (0, 1):
    points where most choices take their first value (one-hot labels among fifty, say) then come up
    often, where uniform draws almost never give them.
    """
    points: Points = {}
    bias = rng.uniform(0, 1, count) if skewed else None
    for var in variables:
        domain = var.domain
        if isinstance(domain, Interval):
            margin = 1e-3 * (domain.hi - domain.lo)
            points[var.symbol] = rng.uniform(domain.lo + margin, domain.hi - margin, count)
        else:
            values = np.array([float(v) for v in domain.values])
            points[var.symbol] = rng.choice(values, count)
            if bias is not None and len(values) > 1:
                first = rng.uniform(0, 1, count) < bias
                points[var.symbol] = np.where(first, values[0], rng.choice(values[1:], count))
    return points


def exact_point(
    points: Points, index: int, exact_values: dict[sp.Symbol, dict[float, sp.Expr]] | None = None
) -> dict[sp.Symbol, sp.Expr]:
    """The `index`-th point as exact numbers: each coordinate the shortest decimal that rounds to its float
    (so the point printed is the point certified), or the exact value a finite domain lists for it (pi, 1/3)."""
    exact_values = exact_values or {}
    point = {}
    for symbol, values in points.items():
        value = float(values[index])
        listed = exact_values.get(symbol, {})
        point[symbol] = listed[value] if value in listed else sp.Rational(repr(value))
    return point


def listed_values(variables: tuple[Var, ...]) -> dict[sp.Symbol, dict[float, sp.Expr]]:
    """The exact values of each finite-domain variable, by their floats."""
    return {v.symbol: {float(value): sp.sympify(value) for value in v.domain.values}
            for v in variables if isinstance(v.domain, Choice)}


def shown(value: sp.Expr) -> str:
    """A point's coordinate as text that reads back exactly: `1`, a float's repr, `1/3`, or `sqrt(2)`."""
    if value.is_integer or not value.is_Rational:
        return str(value)
    as_float = float(value)
    return repr(as_float) if sp.Rational(repr(as_float)) == value else str(value)


def within(values: np.ndarray, domain: Interval | Choice) -> np.ndarray:
    """Which float values lie in a domain (a choice's values up to rounding)."""
    if isinstance(domain, Choice):
        allowed = np.array([float(v) for v in domain.values])
        return np.any(np.isclose(np.asarray(values)[..., None], allowed, rtol=0, atol=1e-12), axis=-1)
    return np.vectorize(domain.holds, otypes=[bool])(values)
