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


def in_domain(value: sp.Expr, domain: Interval | Choice) -> bool:
    """Whether an exact value lies in a domain."""
    if isinstance(domain, Choice):
        return any(sp.simplify(value - v) == 0 for v in domain.values)
    return bool(domain.lo < value < domain.hi)
