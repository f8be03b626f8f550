"""What a step is checked against: assumptions, domains, definitions, constraints and regions."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import sympy as sp

from verifier.caches import memoised
from verifier.evaluate import compiled_numpy
from verifier.guards import derivatives_need
from verifier.model import Choice, Derivation, Family, IndexRange, Interval, Kink, Var
from verifier.sampling import Points, draw, within

DEFAULT_BUDGET_SECONDS = 5.0  # the whole step: preparation, screen, certification, every prover
MAX_DRAWS = 50


@dataclass(frozen=True)
class Region:
    """A part of the domain checked on its own: sampled with narrowed domains, proved after a substitution."""

    name: str
    domains: tuple[Var, ...] = ()
    substitution: tuple[tuple[sp.Symbol, sp.Expr], ...] = ()
    convention: sp.Expr | None = None  # at a kink: the value the derivation gives its derivative there


EVERYWHERE = Region("everywhere")


def index_region(ranges: tuple[IndexRange, ...]) -> Region:
    """Proofs for every index in range: each size K becomes r + m with m >= 0."""
    substitution = tuple((rng.size, rng.index + sp.Dummy("m", integer=True, nonnegative=True)) for rng in ranges)
    names = ", ".join(f"1 <= {rng.index} <= {rng.size}" for rng in ranges)
    return Region(names, (), substitution)


def regions_around(kink: Kink, variables: tuple[Var, ...]) -> tuple[Region, ...]:
    """The two sides of a kink (sampled on each side, proved with x = c - t and x = c + t, t > 0), and,
    when the derivation states the derivative's value there, the kink itself."""
    domain = next(v.domain for v in variables if v.symbol == kink.symbol)
    if not isinstance(domain, Interval):
        raise ValueError(f"a kink needs an interval domain for {kink.symbol}")
    at = float(kink.at)
    if not domain.lo < at < domain.hi:
        raise ValueError(f"the kink {kink.symbol} = {kink.at} is outside {kink.symbol}'s domain {domain.describe()}")
    offset = sp.Dummy("t", positive=True)
    below = Region(
        f"{kink.symbol} < {kink.at}",
        (Var(kink.symbol, domain.within(domain.lo, at)),),
        ((kink.symbol, kink.at - offset),),
    )
    above = Region(
        f"{kink.symbol} > {kink.at}",
        (Var(kink.symbol, domain.within(at, domain.hi)),),
        ((kink.symbol, kink.at + offset),),
    )
    if kink.value is None:
        return below, above
    point = Region(f"{kink.symbol} = {kink.at}", (Var(kink.symbol, Choice((kink.at,))),), ((kink.symbol, kink.at),),
                   convention=kink.value)
    return below, above, point


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
    families: tuple[Family, ...] = ()
    index_ranges: tuple[IndexRange, ...] = ()
    filters: tuple[sp.Expr, ...] = ()  # expressions that vanish at every admissible point

    @classmethod
    def of(cls, derivation: Derivation, budget_seconds: float = DEFAULT_BUDGET_SECONDS) -> Context:
        """The context a derivation's steps are checked in."""
        regions: tuple[Region, ...] = (EVERYWHERE,)
        if derivation.kink is not None:
            regions = regions_around(derivation.kink, derivation.variables)
        if derivation.index_ranges:
            regions = (index_region(derivation.index_ranges),)
        eliminations = tuple((c.eliminates, c.equals) for c in derivation.constraints)
        return cls(
            variables=derivation.variables,
            definitions=derivation.definitions,
            eliminations=eliminations,
            regions=regions,
            budget_seconds=budget_seconds,
            families=derivation.families,
            index_ranges=derivation.index_ranges,
        )

    def prepare(self, expr: sp.Expr) -> sp.Expr:
        """Expand definitions, eliminate constrained symbols, and evaluate derivatives and sums."""
        return _prepared(expr, self.definitions, self.eliminations, self.variables)

    def draw(self, variables: tuple[Var, ...], count: int, rng: np.random.Generator) -> Points:
        """`count` random points of `variables` where every constrained symbol stays in its domain.

        Points that leave it are dropped and more are drawn, a bounded number of times.
        """
        kept: list[Points] = []
        for attempt in range(MAX_DRAWS):
            # after a first uniform round falls short, alternate with skewed draws (see sampling.draw)
            points = self._admissible(draw(variables, count, rng, skewed=attempt % 2 == 1))
            kept.append(points)
            if sum(len(next(iter(p.values()), ())) for p in kept) >= count:
                break
        return {s: np.concatenate([p[s] for p in kept])[:count] for s in kept[0]}

    def _admissible(self, points: Points) -> Points:
        keep = self.admissible_mask(points)
        return {s: v[keep] for s, v in points.items()}

    def admissible_mask(self, points: Points) -> np.ndarray:
        """Which points keep every constrained symbol in its domain and every filter at zero."""
        domains = {v.symbol: v.domain for v in self.variables}
        count = len(next(iter(points.values()), ()))
        keep = np.ones(count, dtype=bool)
        with np.errstate(all="ignore"):
            for symbol, value in self.eliminations:
                computed = compiled_numpy(value, tuple(points))(*points.values())
                keep &= np.broadcast_to(within(computed, domains[symbol]), (count,))
            for expr in self.filters:
                computed = compiled_numpy(expr, tuple(points))(*points.values())
                keep &= np.broadcast_to(np.abs(computed) < 1e-9, (count,))
        return keep

    def sampled(self, region: Region) -> tuple[Var, ...]:
        """The variables drawn at random in `region` (constrained symbols are computed, not drawn)."""
        narrowed = {v.symbol: v for v in region.domains}
        eliminated = {s for s, _ in self.eliminations}
        return tuple(narrowed.get(v.symbol, v) for v in self.variables if v.symbol not in eliminated)


@memoised(4096)
def _prepared(
    expr: sp.Expr,
    definitions: tuple[tuple[sp.Symbol, sp.Expr], ...],
    eliminations: tuple[tuple[sp.Symbol, sp.Expr], ...],
    variables: tuple[Var, ...] = (),
) -> sp.Expr:
    # each step is prepared twice (as the new step, then as the one the next is checked against)
    if definitions:
        expr = expand_definitions(expr, definitions)
    if eliminations:
        expr = expr.subs(list(eliminations))
    return derivatives_need(expr, variables).doit()


def expand_definitions(expr: sp.Expr, definitions: tuple[tuple[sp.Symbol, sp.Expr], ...]) -> sp.Expr:
    """Replace defined symbols by their meaning, as `subs` would, but fast where that is safe.

    A derivative in a defined symbol (dL/da with a = tanh(z)) is taken first, as backprop takes it:
    what it differentiates written out down to that symbol, which is held as the variable; then, if
    no derivative or substitution binds a defined symbol any more, one `xreplace` with the fully
    expanded definitions does what a chain of `subs` calls would do.
    """
    defined = {s for s, _ in definitions}
    expr = expr.replace(
        lambda e: isinstance(e, sp.Derivative) and set(e.variables) <= defined,
        lambda e: _held_derivative(e, definitions),
    )
    resolved = _resolved(definitions)
    if resolved is not None and not _binds(expr, defined):
        return expr.xreplace(resolved)
    for _ in range(len(definitions) + 1):
        expanded = expr.subs(list(definitions))
        if expanded == expr:
            break
        expr = expanded
    return expr


def _held_derivative(derivative: sp.Derivative, definitions: tuple[tuple[sp.Symbol, sp.Expr], ...]) -> sp.Expr:
    """dL/da with a defined: L written out with every definition but those of the variables, then differentiated
    (a held as the variable, as backprop's partial derivatives are); where L writes out what a stands for
    (sigma(z) with a = sigma(z)), that is a, as backprop reads it."""
    held = set(derivative.variables)
    kept = {symbol: value for symbol, value in definitions if symbol not in held}
    written = {written_out(value, kept): symbol for symbol, value in definitions
               if symbol in held and not value.is_Atom and value.free_symbols}
    expr = written_out(derivative.expr, kept).xreplace(written)
    return sp.Derivative(expr, *derivative.variable_count).doit()


def written_out(expr: sp.Expr, definitions: dict[sp.Symbol, sp.Expr]) -> sp.Expr:
    """`expr` with the definitions written out, as deep as they go (as many rounds as there are definitions)."""
    for _ in range(len(definitions) + 1):
        expanded = expr.xreplace(definitions)
        if expanded == expr:
            break
        expr = expanded
    return expr


def _resolved(definitions: tuple[tuple[sp.Symbol, sp.Expr], ...]) -> dict[sp.Symbol, sp.Expr] | None:
    """Each definition with the others expanded in it; None where a definition binds a defined symbol."""
    meaning = dict(definitions)
    if any(_binds(value, set(meaning)) for value in meaning.values()):
        return None
    for _ in range(len(meaning) + 1):
        expanded = {s: v.xreplace(meaning) for s, v in meaning.items()}
        if expanded == meaning:
            return meaning
        meaning = expanded
    return None  # circular definitions: leave them to subs


def _binds(expr: sp.Basic, symbols: set[sp.Symbol]) -> bool:
    """Whether a derivative or substitution in `expr` has one of `symbols` as its variable."""
    nodes = (node for node in sp.preorder_traversal(expr) if isinstance(node, sp.Derivative | sp.Subs))
    return any(set(node.variables) & symbols for node in nodes)
