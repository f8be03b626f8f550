"""Symbolic sizes: a step over K entries is screened at small concrete K, entry by entry."""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Iterator

import sympy as sp

from verifier.caches import memoised
from verifier.context import Context
from verifier.model import Choice, Family, Interval, Var


def size_cases(context: Context) -> Iterator[dict[sp.Symbol, int]]:
    """Every assignment of the sizes (from their domains) and of the indices running up to them."""
    domains = {v.symbol: v.domain for v in context.variables}
    summed = {v.symbol for v in context.variables if isinstance(v.domain, Choice) and v.symbol.is_positive
              and v.symbol.is_integer}  # sizes a sum runs to, with no free index running to them
    sizes = sorted({r.size for r in context.index_ranges} | summed, key=str)
    for values in itertools.product(*(_values(domains[s]) for s in sizes)):
        chosen = dict(zip(sizes, values, strict=True))
        ranges = [range(1, chosen[r.size] + 1) for r in context.index_ranges]
        for indices in itertools.product(*ranges):
            yield {**chosen, **{r.index: i for r, i in zip(context.index_ranges, indices, strict=True)}}


def _values(domain: Interval | Choice) -> tuple[int, ...]:
    if not isinstance(domain, Choice):
        raise ValueError("a size needs a finite set of values to be instantiated")
    return tuple(int(v) for v in domain.values)


def entry_symbol(family: Family, index: int) -> sp.Symbol:
    """The plain symbol that stands for family.base[index] at a concrete size."""
    kind = {"integer": True} if isinstance(family.domain, Choice) else {"real": True}
    return sp.Symbol(f"{family.base.label}_{index}", **kind)


def concrete(expr: sp.Expr, case: dict[sp.Symbol, int], families: tuple[Family, ...]) -> sp.Expr:
    """`expr` at concrete sizes and indices: sums written out, entries as plain symbols."""
    return _concrete(expr, tuple(case.items()), families)


@memoised(1024)  # a step's side is written out again as the side the next step is checked against
def _concrete(expr: sp.Expr, case: tuple[tuple[sp.Symbol, int], ...], families: tuple[Family, ...]) -> sp.Expr:
    expr = expr.subs(case).doit()
    bases = {f.base: f for f in families}
    return expr.replace(
        lambda e: isinstance(e, sp.Indexed) and e.base in bases,
        lambda e: entry_symbol(bases[e.base], int(e.indices[0])),
    )


def concrete_context(context: Context, case: dict[sp.Symbol, int], *exprs: sp.Expr) -> Context:
    """A context over the entry symbols that `exprs` use, with the constraints as filters."""
    filters = tuple(concrete(lhs - rhs, case, context.families) for lhs, rhs in context.eliminations)
    used = set().union(*(e.free_symbols for e in (*exprs, *filters)))
    entries = [
        Var(entry_symbol(f, i), f.domain)
        for f in context.families
        for i in range(1, max(case.values(), default=0) + 1)
        if entry_symbol(f, i) in used
    ]
    others = [v for v in context.variables if v.symbol in used and v.symbol not in case]
    return dataclasses.replace(
        context, variables=(*others, *entries), eliminations=(), families=(), index_ranges=(), filters=filters,
        samples=max(8, context.samples // 4),
    )
