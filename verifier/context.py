"""What a step is checked against: assumptions, domains, definitions, constraints and regions."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import sympy as sp

from verifier.evaluate import compiled_numpy
from verifier.model import Derivation, Interval, Kink, Var
from verifier.sampling import Points, draw, within

DEFAULT_BUDGET_SECONDS = 2.0


@dataclass(frozen=True)
class Region:
    """A part of the domain checked on its own: sampled with narrowed domains, proved after a substitution."""

    name: str
    domains: tuple[Var, ...] = ()
    substitution: tuple[tuple[sp.Symbol, sp.Expr], ...] = ()


EVERYWHERE = Region("everywhere")


def regions_around(kink: Kink, variables: tuple[Var, ...]) -> tuple[Region, Region]:
    """The two sides of a kink: sampled on each side, proved with x = c - t and x = c + t, t > 0."""
    domain = next(v.domain for v in variables if v.symbol == kink.symbol)
    if not isinstance(domain, Interval):
        raise ValueError(f"a kink needs an interval domain for {kink.symbol}")
    at = float(kink.at)
    offset = sp.Dummy("t", positive=True)
    below = Region(
        f"{kink.symbol} < {kink.at}",
        (Var(kink.symbol, Interval(domain.lo, at)),),
        ((kink.symbol, kink.at - offset),),
    )
    above = Region(
        f"{kink.symbol} > {kink.at}",
        (Var(kink.symbol, Interval(at, domain.hi)),),
        ((kink.symbol, kink.at + offset),),
    )
    return below, above


@dataclass(frozen=True)
class Context:
    """Everything the step checker needs besides the two expressions."""

    variables: tuple[Var, ...]
    definitions: tuple[tuple[sp.Symbol, sp.Expr], ...] = ()
    eliminations: tuple[tuple[sp.Symbol, sp.Expr], ...] = ()
    regions: tuple[Region, ...] = (EVERYWHERE,)
    budget_seconds: float = DEFAULT_BUDGET_SECONDS
    samples: int = 40
    seed: int = 0

    @classmethod
    def of(cls, derivation: Derivation, budget_seconds: float = DEFAULT_BUDGET_SECONDS) -> Context:
        """The context a derivation's steps are checked in."""
        regions = (EVERYWHERE,)
        if derivation.kink is not None:
            regions = regions_around(derivation.kink, derivation.variables)
        eliminations = tuple((c.eliminates, c.equals) for c in derivation.constraints)
        return cls(
            variables=derivation.variables,
            definitions=derivation.definitions,
            eliminations=eliminations,
            regions=regions,
            budget_seconds=budget_seconds,
        )

    def prepare(self, expr: sp.Expr) -> sp.Expr:
        """Expand definitions, eliminate constrained symbols, and evaluate derivatives and sums."""
        return _prepared(expr, self.definitions, self.eliminations)

    def draw(self, variables: tuple[Var, ...], count: int, rng: np.random.Generator) -> Points:
        """Random points of `variables`, without those where a constrained symbol leaves its domain."""
        points = draw(variables, count, rng)
        domains = {v.symbol: v.domain for v in self.variables}
        keep = np.ones(count, dtype=bool)
        for symbol, value in self.eliminations:
            computed = compiled_numpy(value, tuple(points))(*points.values())
            keep &= np.broadcast_to(within(computed, domains[symbol]), (count,))
        return {s: v[keep] for s, v in points.items()}

    def sampled(self, region: Region) -> tuple[Var, ...]:
        """The variables drawn at random in `region` (constrained symbols are computed, not drawn)."""
        narrowed = {v.symbol: v for v in region.domains}
        eliminated = {s for s, _ in self.eliminations}
        return tuple(narrowed.get(v.symbol, v) for v in self.variables if v.symbol not in eliminated)


@lru_cache(maxsize=4096)
def _prepared(
    expr: sp.Expr,
    definitions: tuple[tuple[sp.Symbol, sp.Expr], ...],
    eliminations: tuple[tuple[sp.Symbol, sp.Expr], ...],
) -> sp.Expr:
    # each step is prepared twice (as the new step, then as the one the next is checked against)
    for _ in range(len(definitions) + 1):
        expanded = expr.subs(list(definitions))
        if expanded == expr:
            break
        expr = expanded
    if eliminations:
        expr = expr.subs(list(eliminations))
    return expr.doit()
