"""Index notation in a canonical form: sums expanded into terms, Kronecker deltas contracted, dummies renamed.

Two index expressions whose canonical forms are equal are equal for every size their sums run to: each
rewriting below is an identity that holds whatever the sizes (a delta is contracted only when the index
it is replaced by provably stays inside the summed range). Unequal forms prove nothing.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass

import sympy as sp

Limit = tuple[sp.Symbol, sp.Expr, sp.Expr]  # a dummy index and the bounds it runs over, inclusive
Ranges = Mapping[sp.Symbol, tuple[sp.Expr, sp.Expr]]  # the bounds of each free index
MAX_RENAMED = 6  # dummies of one term tried in every order; beyond, their first-seen order (never unsound)


@dataclass(frozen=True)
class RowSums:
    """A constraint: every row of `matrix` sums to 1 (one-hot or probability rows), in index form."""

    matrix: sp.MatrixSymbol


@dataclass(frozen=True)
class Term:
    """One product under its sums: coefficient times monomial, summed over `limits`."""

    monomial: sp.Expr
    limits: tuple[Limit, ...]


def canonical(expr: sp.Expr, ranges: Ranges, rules: tuple[RowSums, ...] = (), depth: int = 0) -> sp.Expr:
    """`expr` rebuilt from its canonical terms: equal expressions (for every size) often give equal results."""
    collected = canonical_terms(expr, ranges, rules, depth)
    ordered = sorted(collected.items(), key=lambda item: sp.srepr(item[0]))
    return sp.Add(*(coefficient * _rebuilt(term) for term, coefficient in ordered))


def canonical_terms(expr: sp.Expr, ranges: Ranges, rules: tuple[RowSums, ...] = (),
                    depth: int = 0) -> dict[Term, sp.Expr]:
    """The canonical terms of `expr` with their numeric coefficients, zero coefficients dropped."""
    expr = _plain_deltas(expr)
    collected: dict[Term, sp.Expr] = {}
    for term in _terms(expr, ranges, rules, depth):
        for monomial in sp.Add.make_args(_distributed(term.monomial)):
            reduced = _reduced(Term(monomial, term.limits), ranges, rules, depth)
            if reduced is None:
                continue
            coefficient, rest = reduced.monomial.as_coeff_Mul()
            key = _renamed(Term(rest, reduced.limits), depth)
            collected[key] = collected.get(key, sp.S.Zero) + coefficient
    return {term: c for term, c in collected.items() if c != 0}


def _rebuilt(term: Term) -> sp.Expr:
    return sp.Sum(term.monomial, *term.limits) if term.limits else term.monomial


def _plain_deltas(expr: sp.Expr) -> sp.Expr:
    """Deltas without SymPy's range argument (ranges are this module's business), and without an offset both
    indices share (delta_{i+1, j+1}, from indices counted from 1, is delta_{ij})."""
    return expr.replace(lambda e: isinstance(e, sp.KroneckerDelta), lambda e: _unshifted(*e.args[:2]))


def _unshifted(a: sp.Expr, b: sp.Expr) -> sp.Expr:
    shift = a.as_coeff_Add()[0]
    if shift != 0 and b.as_coeff_Add()[0] == shift:
        a, b = a - shift, b - shift
    return sp.KroneckerDelta(a, b)


def _terms(expr: sp.Expr, ranges: Ranges, rules: tuple[RowSums, ...], depth: int) -> list[Term]:
    """Products under sums whose sum over the list is `expr`; every sum's dummy made fresh."""
    if isinstance(expr, sp.Add):
        return [t for arg in expr.args for t in _terms(arg, ranges, rules, depth)]
    if isinstance(expr, sp.Mul):
        return _product([_terms(arg, ranges, rules, depth) for arg in expr.args])
    if isinstance(expr, sp.Sum):
        body, limits = expr.function, []
        for dummy, lo, hi in expr.limits:  # every sum from 0: i = 1..n becomes i + 1 with i = 0..n - 1
            fresh = sp.Dummy(dummy.name, integer=True)
            body = body.xreplace({dummy: fresh + lo})
            limits.append((fresh, sp.S.Zero, hi - lo))
        return [Term(t.monomial, (*limits, *t.limits)) for t in _terms(body, ranges, rules, depth)]
    if isinstance(expr, sp.Pow) and expr.exp.is_Integer and expr.exp > 1 and expr.base.has(sp.Sum):
        return _product([_terms(expr.base, ranges, rules, depth) for _ in range(int(expr.exp))])
    if expr.has(sp.Sum):  # a function of a sum, or a sum in a denominator: one factor, its sums canonical inside
        return [Term(_inside(expr, ranges, rules, depth + 1), ())]
    return [Term(expr, ())]


def _inside(expr: sp.Basic, ranges: Ranges, rules: tuple[RowSums, ...], depth: int) -> sp.Basic:
    """`expr` with each expression among its arguments canonical (conditions and pieces are looked into)."""
    args = [canonical(a, ranges, rules, depth) if isinstance(a, sp.Expr) else _inside(a, ranges, rules, depth)
            for a in expr.args]
    return expr.func(*args) if args else expr


def _product(factors: list[list[Term]]) -> list[Term]:
    result = [Term(sp.S.One, ())]
    for terms in factors:
        result = [Term(a.monomial * b.monomial, a.limits + b.limits) for a in result for b in terms]
    return result


def _distributed(expr: sp.Expr) -> sp.Expr:
    """Products of sums multiplied out, nothing else rewritten."""
    return sp.expand(expr, deep=False, power_exp=False, power_base=False, log=False, multinomial=True, mul=True)


def _reduced(term: Term, ranges: Ranges, rules: tuple[RowSums, ...], depth: int) -> Term | None:
    """Deltas contracted, constraint sums replaced, sums of what does not depend on their dummy counted.

    None when the term is zero.
    """
    monomial, limits = term.monomial, list(term.limits)
    for dummy, lo, hi in list(limits):  # a sum over one value is that value (the trace of a 1 x 1 product)
        if sp.expand(hi - lo) == 0 and not any(a.has(dummy) or b.has(dummy) for _, a, b in limits):
            monomial = monomial.xreplace({dummy: lo})
            limits.remove((dummy, lo, hi))
    changed = True
    while changed and monomial != 0:
        changed = False
        for delta in _factors(monomial, sp.KroneckerDelta):
            contracted = _contract(delta, monomial, limits, ranges)
            if contracted is not None:
                monomial, limits = contracted
                changed = True
                break
        if not changed:
            for rule in rules:
                summed = _row_sum(rule, monomial, limits)
                if summed is not None:
                    monomial, limits = summed
                    changed = True
                    break
    if monomial == 0:
        return None
    kept = []
    for dummy, lo, hi in limits:
        if monomial.has(dummy) or any(dummy in (a, b) or a.has(dummy) or b.has(dummy) for _, a, b in kept):
            kept.append((dummy, lo, hi))
        else:
            monomial = monomial * (hi - lo + 1)
    if monomial == 0:
        return None
    return _absorbed(Term(monomial, tuple(kept)), ranges, rules, depth)


def _absorbed(term: Term, ranges: Ranges, rules: tuple[RowSums, ...], depth: int) -> Term:
    """c * sum_k f(k) / S^m with S = sum_k f(k) written elsewhere in the term: c / S^(m-1), no sum left.

    Only when the summed part, in canonical form, is exactly a sum the term already holds (softmax's
    denominator), so the rewriting is the identity x * x^-m = x^(1-m).
    """
    if not term.limits:
        return term
    dummies = {dummy for dummy, _, _ in term.limits}
    factors = sp.Mul.make_args(term.monomial)
    summed = sp.Mul(*(f for f in factors if f.free_symbols & dummies))
    outside = sp.Mul(*(f for f in factors if not f.free_symbols & dummies))
    if not outside.has(sp.Sum):
        return term
    whole = canonical(sp.Sum(summed, *term.limits), ranges, rules, depth + 1)
    bases = {f.base for f in sp.Mul.make_args(outside) if isinstance(f, sp.Pow) and f.exp.is_negative}
    return Term(outside * whole, ()) if whole in bases else term


def _factors(monomial: sp.Expr, kind: type) -> list[sp.Expr]:
    return [f for f in sp.Mul.make_args(monomial) if isinstance(f, kind)]


def _contract(delta: sp.KroneckerDelta, monomial: sp.Expr, limits: list[Limit],
              ranges: Ranges) -> tuple[sp.Expr, list[Limit]] | None:
    """sum_k delta(k, x) f(k) = f(x) when x stays in k's range; None when no side of the delta can go."""
    bound = {dummy: (lo, hi) for dummy, lo, hi in limits}
    plain = _unshifted(*delta.args[:2])  # delta(i + 1, j + 1) made while counting from 0 is delta(i, j)
    pair = plain.args[:2] if isinstance(plain, sp.KroneckerDelta) else delta.args[:2]
    for dummy, other in (pair, pair[::-1]):
        if dummy not in bound or other == dummy or any(lo.has(dummy) or hi.has(dummy) for _, lo, hi in limits):
            continue  # a dummy another sum's bounds depend on is not contracted
        span = _span(other, bound, ranges)
        lo, hi = bound[dummy]
        if span is not None and _nonnegative(span[0] - lo) and _nonnegative(hi - span[1]):
            kept = [limit for limit in limits if limit[0] != dummy]
            return monomial.xreplace({dummy: other}), kept
    return None


def _span(index: sp.Expr, bound: Mapping[sp.Symbol, tuple[sp.Expr, sp.Expr]],
          ranges: Ranges) -> tuple[sp.Expr, sp.Expr] | None:
    """The least and greatest value an index takes: a number, a summed dummy or a free index of known range."""
    if index.is_Integer:
        return index, index
    return bound.get(index) or ranges.get(index)


def _nonnegative(value: sp.Expr) -> bool:
    return bool(sp.simplify(value).is_nonnegative)


def _row_sum(rule: RowSums, monomial: sp.Expr, limits: list[Limit]) -> tuple[sp.Expr, list[Limit]] | None:
    """sum_c Y[i, c] = 1, for the matrix's whole column range, when nothing else in the term depends on c."""
    cols = rule.matrix.shape[1]
    for factor in _factors(monomial, sp.matrices.expressions.matexpr.MatrixElement):
        if factor.parent != rule.matrix:
            continue
        row, col = factor.indices
        limit = next((limit for limit in limits if limit[0] == col), None)
        rest = monomial / factor
        if limit is None or row.has(col) or rest.has(col) or limit[1] != 0 or limit[2] != cols - 1:
            continue
        return rest, [other for other in limits if other[0] != col]
    return None


def _renamed(term: Term, depth: int) -> Term:
    """The term with its dummies renamed canonically: of every order of renaming, the least as text."""
    dummies = [dummy for dummy, _, _ in term.limits]
    names = [sp.Symbol(f"_i{depth}_{k}", integer=True) for k in range(len(dummies))]
    orders = itertools.permutations(dummies) if len(dummies) <= MAX_RENAMED else [tuple(dummies)]
    best: tuple[str, Term] | None = None
    for order in orders:
        mapping = dict(zip(order, names, strict=True))
        monomial = term.monomial.xreplace(mapping)
        limits = tuple(sorted(((mapping[d], lo.xreplace(mapping), hi.xreplace(mapping)) for d, lo, hi in term.limits),
                              key=lambda limit: limit[0].name))
        candidate = Term(monomial, limits)
        text = sp.srepr(monomial) + sp.srepr(limits)
        if best is None or text < best[0]:
            best = (text, candidate)
    assert best is not None
    return best[1]


def difference_terms(lhs: sp.Expr, rhs: sp.Expr, ranges: Ranges, rules: tuple[RowSums, ...] = ()) -> list[sp.Expr]:
    """What is left of lhs - rhs in canonical form, term by term (empty: equal for every size)."""
    left = canonical_terms(lhs, ranges, rules)
    right = canonical_terms(rhs, ranges, rules)
    keys = sorted(set(left) | set(right), key=lambda term: sp.srepr(term.monomial) + sp.srepr(term.limits))
    left_over = [(left.get(k, sp.S.Zero) - right.get(k, sp.S.Zero)) * _rebuilt(k) for k in keys]
    return [t for t in left_over if t != 0]
