"""Entries of a matrix step that are renamings of an entry already proved (z_1 <-> z_r, y_1 <-> y_r).

If a renaming of the symbols maps the context (domains, definitions, constraints, regions) to
itself and maps one entry's two sides exactly onto another entry's, the two entries are the same
identity in other names: a proof of one is a proof of the other.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

import sympy as sp

from verifier.context import Context

INDEXED = re.compile(r"^(.*)_(\d+)$")
Renaming = dict[sp.Symbol, sp.Symbol]


def index_values(symbols: Iterable[sp.Symbol]) -> dict[str, dict[int, sp.Symbol]]:
    """Symbols named base_n, by base and then by n."""
    families: dict[str, dict[int, sp.Symbol]] = {}
    for symbol in symbols:
        match = INDEXED.match(symbol.name)
        if match:
            families.setdefault(match.group(1), {})[int(match.group(2))] = symbol
    return families


def permutation(pairs: dict[int, int]) -> dict[int, int] | None:
    """A permutation of index values sending each key of `pairs` to its value (None if inconsistent).

    Values not named are moved only as far as needed to keep it a bijection.
    """
    if len(set(pairs.values())) != len(pairs):
        return None
    mapping = dict(pairs)
    free_targets = [v for v in pairs if v not in pairs.values()]  # values that nothing maps to yet
    for target in sorted(set(pairs.values()) - set(pairs)):
        mapping[target] = free_targets.pop(0)  # close each chain i -> j -> ... back to a free value
    return mapping


def signature_pairs(source: sp.Basic, target: sp.Basic) -> dict[int, int]:
    """Index values singled out in both expressions by how each base uses them, paired up.

    In d yhat_2 / d z_1 the values 2 and 1 each occur in their own way, and every other value the
    same way as the rest; such values are matched with the values singled out the same way in the
    other expression (a few values used alike, as in e^{z_1} e^{z_2}, are matched in order). Only a
    guess: the caller checks the renaming exactly.
    """
    target_values = _singled_out(target)
    pairs: dict[int, int] = {}
    for pattern, values in _singled_out(source).items():
        matched = target_values.get(pattern, ())
        if len(matched) == len(values):
            pairs.update(zip(values, matched, strict=True))
    return pairs


@lru_cache(maxsize=1024)
def _singled_out(expr: sp.Basic) -> dict[tuple, tuple[int, ...]]:
    """The few index values (three at most) that share a pattern of use, by pattern: where, by the
    kinds of node above them, each base carries them."""
    uses: dict[int, list[tuple]] = {}
    stack: list[tuple[sp.Basic, tuple[str, ...]]] = [(expr, ())]
    while stack:
        node, path = stack.pop()
        if isinstance(node, sp.Symbol):
            if match := INDEXED.match(node.name):
                uses.setdefault(int(match.group(2)), []).append((match.group(1), path))
            continue
        inner = (*path, type(node).__name__)
        stack.extend((arg, inner) for arg in node.args)
    patterns: dict[tuple, list[int]] = {}
    for value, found in uses.items():
        patterns.setdefault(tuple(sorted(found)), []).append(value)
    return {pattern: tuple(sorted(values)) for pattern, values in patterns.items() if len(values) <= 3}


def renaming(index_map: dict[int, int], families: dict[str, dict[int, sp.Symbol]]) -> Renaming | None:
    """The renaming base_n -> base_{index_map[n]} of indexed symbols (`index_values`); None where a partner
    is missing or has other assumptions."""
    mapping: Renaming = {}
    for values in families.values():
        for old, new in index_map.items():
            if old == new or old not in values:
                continue
            partner = values.get(new)
            if partner is None or partner.assumptions0 != values[old].assumptions0:
                return None
            mapping[values[old]] = partner
    return mapping


def preserves(context: Context, rename: Renaming) -> bool:
    """Whether the renaming maps the context to itself: domains, definitions, constraints and regions."""
    return _preserves(context, tuple(sorted(rename.items(), key=lambda kv: kv[0].name)))


@lru_cache(maxsize=4096)
def _preserves(context: Context, pairs: tuple[tuple[sp.Symbol, sp.Symbol], ...]) -> bool:
    rename = dict(pairs)
    if context.families or context.index_ranges or context.filters:
        return False
    domains = {v.symbol: v.domain for v in context.variables}
    if any(domains.get(old) != domains.get(new) for old, new in rename.items()):
        return False
    for pairs in (context.definitions, context.eliminations):
        if {(_apply(k, rename), _apply(v, rename)) for k, v in pairs} != set(pairs):
            return False
    return all(
        _apply(symbol, rename) == symbol for region in context.regions for symbol, _ in region.substitution
    ) and all(v.symbol not in rename for region in context.regions for v in region.domains)


def interchangeable(context: Context, families: dict[str, dict[int, sp.Symbol]]) -> frozenset[int]:
    """Index values any permutation of which maps the context to itself.

    The transpositions (p, b) of the smallest value p with each b that preserve the context
    generate every permutation of those values, and each of those preserves it too.
    """
    values = sorted({n for family in families.values() for n in family})
    if not values:
        return frozenset()
    pivot = values[0]
    kept = {pivot}
    for other in values[1:]:
        swap = renaming({pivot: other, other: pivot}, families)
        if swap and preserves(context, swap):
            kept.add(other)
    return frozenset(kept)


def renamed_equal(source: sp.Basic, target: sp.Basic, rename: Renaming) -> bool:
    """Whether `source` with its symbols renamed is `target`, up to the order of terms and factors.

    Compares canonical trees instead of building the renamed expression: SymPy would re-run every
    constructor (a derivative of a 50-term sum costs milliseconds each time).
    """
    return _canonical(source, tuple(rename.items())) == _canonical(target, ())


@lru_cache(maxsize=256)
def _canonical(expr: sp.Basic, rename: tuple[tuple[sp.Symbol, sp.Symbol], ...]) -> tuple:
    names = dict(rename)
    memo: dict[sp.Basic, tuple] = {}

    def walk(node: sp.Basic) -> tuple:
        if node in memo:
            return memo[node]
        if isinstance(node, sp.Symbol):
            result: tuple = ("symbol", names.get(node, node))
        elif not node.args:
            result = ("atom", node)
        else:
            parts = [walk(arg) for arg in node.args]
            if isinstance(node, sp.Add | sp.Mul) and node.is_commutative:
                parts.sort(key=hash)  # renamed terms may sort differently; equality is what is checked
            result = (type(node).__name__, tuple(parts))
        memo[node] = result
        return result

    return walk(expr)


def _apply(expr: sp.Basic, rename: Renaming) -> sp.Basic:
    return expr.xreplace(rename) if rename else expr


def context_symbols(context: Context) -> set[sp.Symbol]:
    """Every symbol the context names (sampled and defined)."""
    symbols = {v.symbol for v in context.variables}
    symbols |= {s for s, _ in context.definitions if isinstance(s, sp.Symbol)}
    return symbols
