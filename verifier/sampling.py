"""Random points of a domain, as float arrays for screening and exact numbers for confirming."""

from __future__ import annotations

import numpy as np
import sympy as sp

from verifier.model import Choice, Interval, Var

Points = dict[sp.Symbol, np.ndarray]


def draw(variables: tuple[Var, ...], count: int, rng: np.random.Generator) -> Points:
    """`count` points, uniform inside each interval (ends excluded) or over each choice."""
    points: Points = {}
    for var in variables:
        domain = var.domain
        if isinstance(domain, Interval):
            margin = 1e-3 * (domain.hi - domain.lo)
            points[var.symbol] = rng.uniform(domain.lo + margin, domain.hi - margin, count)
        else:
            points[var.symbol] = rng.choice(np.array([float(v) for v in domain.values]), count)
    return points


def exact_point(points: Points, index: int) -> dict[sp.Symbol, sp.Rational]:
    """The `index`-th point as exact rationals (floats are exact binary fractions)."""
    return {symbol: sp.Rational(float(values[index])) for symbol, values in points.items()}


def shown(value: sp.Rational) -> str:
    """A point's coordinate as text that reads back exactly: `1` for an integer, else the float's repr."""
    return str(value) if value.is_integer else repr(float(value))


def within(values: np.ndarray, domain: Interval | Choice) -> np.ndarray:
    """Which float values lie in a domain (a choice's values up to rounding)."""
    if isinstance(domain, Choice):
        allowed = np.array([float(v) for v in domain.values])
        return np.any(np.isclose(np.asarray(values)[..., None], allowed, rtol=0, atol=1e-12), axis=-1)
    return (domain.lo < values) & (values < domain.hi)
