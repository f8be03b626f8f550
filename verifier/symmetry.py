"""Entries of a matrix step that are renamings of an entry already proved (z_1 <-> z_r, y_1 <-> y_r).

If a renaming of the symbols maps the context (domains, definitions, constraints, regions) to
itself and maps one entry's two sides exactly onto another entry's, the two entries are the same
identity in other names: a proof of one is a proof of the other.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import sympy as sp

from verifier.caches import memoised
from verifier.context import Context

INDEXED = re.compile(r"^(.*)_(\d+)$")
Renaming = dict[sp.Symbol, sp.Symbol]
MAX_REPRESENTATIVES = 4  # proved entries tried as the source of a renaming


class Symmetry:
    """For one matrix step: which entries are renamings of proved ones, the context unchanged."""

    def __init__(self, context: Context, lhs: sp.ImmutableMatrix, rhs: sp.ImmutableMatrix) -> None:
        self.lhs, self.rhs = lhs, rhs
        self.invariance = _invariance(context)
        self.forms = self.invariance.forms
        self.guesses = ["position", "signature"]  # ways to guess a renaming, the last that worked first
        self.uses = Uses()

    @classmethod
    def of(cls, context: Context, lhs: sp.ImmutableMatrix, rhs: sp.ImmutableMatrix) -> Symmetry:
        """The symmetry finder for the step `lhs` = `rhs`."""
        return cls(context, lhs, rhs)

    def reaches(self, entry: tuple[int, int], proved: list[tuple[int, int]]) -> bool:
        """Whether renaming index values maps a proved entry, and the context, exactly onto `entry`."""
        for source in proved[:MAX_REPRESENTATIVES]:
            for guess in list(self.guesses):
                rename = self._renaming(guess, source, entry)
                if rename is None:
                    continue
                lhs, rhs, forms = self.lhs, self.rhs, self.forms
                if forms.equal(lhs[source], lhs[entry], rename) and forms.equal(rhs[source], rhs[entry], rename):
                    self.guesses.remove(guess)
                    self.guesses.insert(0, guess)
                    return True
        return False

    def _renaming(self, guess: str, source: tuple[int, int], entry: tuple[int, int]) -> Renaming | None:
        """The guessed renaming from `source` to `entry`, if it is one and keeps the context."""
        if guess == "position":
            pairs = _positional_pairs(self.lhs.shape, source, entry)
        else:
            pairs = signature_pairs(self.lhs[source], self.lhs[entry], self.uses)
        index_map = permutation(pairs) if pairs else None
        return None if index_map is None else self.invariance.keeping(index_map)


class Invariance:
    """The renamings of index values that keep one context, found once for all its steps."""

    def __init__(self, context: Context) -> None:
        self.context = context
        self.families = index_values(context_symbols(context))  # every symbol a step uses is declared there
        self.forms = Forms()
        self._free: frozenset[int] | None = None
        self._kept: dict[tuple, bool] = {}  # whether a renaming keeps the context, by its pairs

    def keeping(self, index_map: dict[int, int]) -> Renaming | None:
        """The renaming of symbols that `index_map` makes, if there is one and it keeps the context."""
        rename = renaming(index_map, self.families)
        if not rename:
            return None
        if self._free is None:
            self._free = interchangeable(self.context, self.families, self.forms)
        if {n for n, m in index_map.items() if n != m} <= self._free:
            return rename
        key = tuple(sorted(rename.items(), key=lambda pair: pair[0].name))
        if key not in self._kept:
            self._kept[key] = preserves(self.context, rename, self.forms)
        return rename if self._kept[key] else None


@memoised(16)
def _invariance(context: Context) -> Invariance:
    return Invariance(context)


def _positional_pairs(shape: tuple[int, int], source: tuple[int, int], target: tuple[int, int]) -> dict[int, int]:
    """Entry (i, j) of a matrix guessed to carry index values i + 1 and j + 1 (a column: only i + 1)."""
    pairs = {source[0] + 1: target[0] + 1} if shape[0] > 1 else {}
    if shape[1] > 1 and pairs.get(source[1] + 1, target[1] + 1) == target[1] + 1:
        pairs[source[1] + 1] = target[1] + 1
    return pairs


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


def signature_pairs(source: sp.Basic, target: sp.Basic, uses: Uses | None = None) -> dict[int, int]:
    """Index values singled out in both expressions by how each base uses them, paired up.

    In d yhat_2 / d z_1 the values 2 and 1 each occur in their own way, and every other value the
    same way as the rest; such values are matched with the values singled out the same way in the
    other expression (a few values used alike, as in e^{z_1} e^{z_2}, are matched in order). Only a
    guess: the caller checks the renaming exactly. `uses` keeps what was learnt across calls.
    """
    uses = uses or Uses()
    target_values = uses.singled_out(target)
    pairs: dict[int, int] = {}
    for pattern, values in uses.singled_out(source).items():
        matched = target_values.get(pattern, ())
        if len(matched) == len(values):
            pairs.update(zip(values, matched, strict=True))
    return pairs


class Uses:
    """How each index value occurs in an expression: the shape of the tree above its occurrences.

    Patterns are interned as integers and remembered per subtree, so the 50-term sum shared by
    every entry of a softmax step is read once.
    """

    def __init__(self) -> None:
        self._ids: dict[tuple, int] = {}
        self._memo: dict[sp.Basic, dict[int, int]] = {}
        self._singled: dict[sp.Basic, dict[int, tuple[int, ...]]] = {}

    def singled_out(self, expr: sp.Basic) -> dict[int, tuple[int, ...]]:
        """The few index values (three at most) that share a pattern of use, by pattern."""
        found = self._singled.get(expr)
        if found is None:
            patterns: dict[int, list[int]] = {}
            for value, pattern in self._patterns(expr).items():
                patterns.setdefault(pattern, []).append(value)
            found = {pattern: tuple(sorted(values)) for pattern, values in patterns.items() if len(values) <= 3}
            self._singled[expr] = found
        return found

    def _patterns(self, node: sp.Basic) -> dict[int, int]:
        found = self._memo.get(node)
        if found is not None:
            return found
        if isinstance(node, sp.Symbol):
            match = INDEXED.match(node.name)
            found = {int(match.group(2)): self._intern(("symbol", match.group(1)))} if match else {}
        else:
            ordered = not (isinstance(node, sp.Add | sp.Mul) and node.is_commutative)
            parts: dict[int, list[tuple[int, int]]] = {}
            for position, arg in enumerate(node.args):
                for value, pattern in self._patterns(arg).items():
                    parts.setdefault(value, []).append((position if ordered else 0, pattern))
            kind = type(node).__name__
            found = {value: self._intern((kind, tuple(sorted(uses)))) for value, uses in parts.items()}
        self._memo[node] = found
        return found

    def _intern(self, key: tuple) -> int:
        return self._ids.setdefault(key, len(self._ids))


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


def preserves(context: Context, rename: Renaming, forms: Forms | None = None) -> bool:
    """Whether the renaming maps the context to itself: domains, definitions, constraints and regions.

    `forms` keeps canonical forms across calls (the definitions of one context are compared often).
    """
    forms = forms or Forms()
    if context.families or context.index_ranges or context.filters:
        return False
    domains = {v.symbol: v.domain for v in context.variables}
    if any(domains.get(old) != domains.get(new) for old, new in rename.items()):
        return False
    meaning = dict(context.definitions)
    for name, value in context.definitions:
        image = _apply(name, rename)
        if image not in meaning or not forms.equal(value, meaning[image], rename):
            return False
    # a constraint is the equation it states, whichever symbol it is solved for: y_K = 1 - y_1 - ... and
    # y_1 = 1 - y_2 - ... both state y_1 + ... + y_K = 1, so swapping 1 and K keeps it
    equations = _equations(context.eliminations)
    if not all(any(forms.equal(e, other, rename) for other in equations) for e in equations):
        return False
    return all(
        _apply(symbol, rename) == symbol for region in context.regions for symbol, _ in region.substitution
    ) and all(v.symbol not in rename for region in context.regions for v in region.domains)


@memoised(256)
def _equations(eliminations: tuple[tuple[sp.Symbol, sp.Expr], ...]) -> tuple[sp.Expr, ...]:
    return tuple(sp.expand(symbol - value) for symbol, value in eliminations)


def interchangeable(context: Context, families: dict[str, dict[int, sp.Symbol]],
                    forms: Forms | None = None) -> frozenset[int]:
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
        if swap and preserves(context, swap, forms):
            kept.add(other)
    return frozenset(kept)


def renamed_equal(source: sp.Basic, target: sp.Basic, rename: Renaming) -> bool:
    """Whether `source` with its symbols renamed is `target`, up to the order of terms and factors."""
    return Forms().equal(source, target, rename)


class Forms:
    """Canonical forms up to the order of terms and factors, each interned as an integer.

    Compares forms instead of building the renamed expression: SymPy would re-run every
    constructor (a derivative of a 50-term sum costs milliseconds each time). A subtree that no
    renamed symbol occurs in keeps the form it has unrenamed, computed once for all renamings.
    """

    def __init__(self) -> None:
        self._ids: dict[tuple, int] = {}
        self._plain: dict[sp.Basic, int] = {}
        self._symbols: dict[sp.Basic, frozenset[sp.Basic]] = {}
        self._parts: dict[sp.Basic, tuple[tuple[int, ...], tuple[int, ...]]] = {}
        self._where: dict[sp.Basic, dict[sp.Basic, tuple[int, ...]]] = {}  # args by symbol

    def equal(self, source: sp.Basic, target: sp.Basic, rename: Renaming) -> bool:
        """Whether `source` renamed and `target` have the same form."""
        return self._form(source, rename, {}) == self._form(target, {}, self._plain)

    def _form(self, node: sp.Basic, rename: Renaming, memo: dict[sp.Basic, int]) -> int:
        if node in memo:
            return memo[node]
        if rename and self._symbols_in(node).isdisjoint(rename):
            return self._form(node, {}, self._plain)
        if isinstance(node, sp.Symbol):
            key: tuple = ("symbol", rename.get(node, node))
        elif not node.args:
            key = ("atom", type(node), node)
        elif isinstance(node, sp.Add | sp.Mul) and node.is_commutative:
            key = (type(node), self._commutative_parts(node, rename, memo))
        else:
            key = (type(node), tuple(self._form(arg, rename, memo) for arg in node.args))
        memo[node] = self._ids.setdefault(key, len(self._ids))
        return memo[node]

    def _commutative_parts(self, node: sp.Basic, rename: Renaming, memo: dict[sp.Basic, int]) -> tuple[int, ...]:
        """The sorted forms of a sum's terms (a product's factors); renamed, only the terms that change.

        The terms are indexed by the symbols in them, so a renaming of a few index values visits a
        few of a 50-term sum's terms, and finds the whole sum unchanged when they trade places.
        """
        plain, ordered = self._plain_parts(node)
        if not rename:
            return ordered
        positions = self._positions(node)
        touched = sorted(set().union(*(positions.get(s, ()) for s in rename)))
        renamed = [self._form(node.args[i], rename, memo) for i in touched]
        if sorted(renamed) == sorted(plain[i] for i in touched):
            return ordered
        changed = list(plain)
        for i, form in zip(touched, renamed, strict=True):
            changed[i] = form
        return tuple(sorted(changed))

    def _plain_parts(self, node: sp.Basic) -> tuple[tuple[int, ...], tuple[int, ...]]:
        """The unrenamed forms of a node's arguments, in order and sorted."""
        found = self._parts.get(node)
        if found is None:
            plain = tuple(self._form(arg, {}, self._plain) for arg in node.args)
            found = self._parts[node] = (plain, tuple(sorted(plain)))
        return found

    def _positions(self, node: sp.Basic) -> dict[sp.Basic, tuple[int, ...]]:
        found = self._where.get(node)
        if found is None:
            where: dict[sp.Basic, list[int]] = {}
            for i, arg in enumerate(node.args):
                for symbol in self._symbols_in(arg):
                    where.setdefault(symbol, []).append(i)
            found = self._where[node] = {s: tuple(i) for s, i in where.items()}
        return found

    def _symbols_in(self, node: sp.Basic) -> frozenset[sp.Basic]:
        found = self._symbols.get(node)
        if found is None:
            parts = (self._symbols_in(arg) for arg in node.args)
            found = frozenset((node,)) if isinstance(node, sp.Symbol) else frozenset().union(*parts)
            self._symbols[node] = found
        return found


def _apply(expr: sp.Basic, rename: Renaming) -> sp.Basic:
    return expr.xreplace(rename) if rename else expr


def context_symbols(context: Context) -> set[sp.Symbol]:
    """Every symbol the context names (sampled and defined)."""
    symbols = {v.symbol for v in context.variables}
    symbols |= {s for s, _ in context.definitions if isinstance(s, sp.Symbol)}
    return symbols
