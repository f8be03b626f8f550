"""Natural domains: where the expressions of a derivation are defined, for symbols nobody gave a domain.

Only intervals are inferred, and only where something needs one: the argument of a logarithm, of a
fractional or symbolic power, of a gamma-family function positive; of arcsin, arccos, artanh in (-1, 1);
of arcosh above 1. A denominator's zeros are left to sampling (they have measure zero).

A condition in one symbol is solved as an inequality within the sampling box and kept when the answer
is one interval (never an empty one); anything else keeps the box. A condition in several symbols is
used only when it is a positive multiple of a product of powers (log(x y), sqrt(a b)): each symbol with
an odd power is then taken positive, one of the regions where the product is positive (documented in
the symbol's reason, so the output says which). Everything is bounded in time: a condition SymPy cannot
solve in time is dropped.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from contextlib import nullcontext
from dataclasses import dataclass, replace

import sympy as sp

from verifier.budget import BudgetExceeded, budgets_available, time_limit
from verifier.guards import guard_relations
from verifier.model import Interval, Var

SOLVE_SECONDS = 2.0  # per inequality that is not linear (linear ones are solved here)
DEFAULT_BOX = Interval(-6, 6, unbounded=(True, True))
POSITIVE_ARGUMENT = (sp.log, sp.gamma, sp.loggamma, sp.digamma, sp.uppergamma, sp.lowergamma)
POLES = (sp.gamma, sp.loggamma, sp.digamma, sp.polygamma, sp.beta)


@dataclass(frozen=True)
class Condition:
    """`argument` must lie strictly between `lo` and `hi` for `node` to be defined (real, finite)."""

    node: sp.Basic
    argument: sp.Expr
    lo: sp.Expr
    hi: sp.Expr

    def describe(self) -> str:
        """`log(x) needs x > 0`."""
        if self.hi is sp.oo:
            need = f"{self.argument} > {self.lo}"
        elif self.lo is -sp.oo:
            need = f"{self.argument} < {self.hi}"
        else:
            need = f"{self.lo} < {self.argument} < {self.hi}"
        return f"{self.node} needs {need}"




def _guard_conditions(relations: tuple[sp.Basic, ...]) -> Iterator[Condition]:
    """The interval conditions among a guard's relations (x > 0; x != 0 has measure zero: left to sampling)."""
    written = sp.Symbol("the line as written")  # what asks it: a log or a root that SymPy's evaluation dropped
    for relation in relations:
        if isinstance(relation, sp.StrictGreaterThan | sp.GreaterThan):
            yield Condition(written, relation.lhs, relation.rhs, sp.oo)
        elif isinstance(relation, sp.StrictLessThan | sp.LessThan):
            yield Condition(written, relation.lhs, -sp.oo, relation.rhs)


def conditions(expr: sp.Basic) -> Iterator[Condition]:
    """What each function in `expr` needs of its arguments (each shared subexpression once).

    The branches of a Piecewise are not looked into: a branch is only used where its condition holds.
    """
    seen: set[sp.Basic] = set()
    todo = [expr]
    while todo:
        node = todo.pop()
        if node in seen or not isinstance(node, sp.Basic):
            continue
        seen.add(node)
        guard = guard_relations(node) if isinstance(node, sp.Piecewise) else None
        if guard is not None:  # a line that needs what its evaluation dropped: its conditions, and its value's
            yield from _guard_conditions(guard)
            todo.append(node.args[0].expr)
            continue
        yield from _needs(node)
        if not isinstance(node, sp.Piecewise):
            todo.extend(node.args)


def _needs(node: sp.Basic) -> Iterator[Condition]:
    """What this node itself (not its arguments) needs of its arguments."""
    zero, one = sp.S.Zero, sp.S.One
    if isinstance(node, POSITIVE_ARGUMENT):
        yield Condition(node, node.args[0], zero, sp.oo)
    elif isinstance(node, sp.polygamma):
        yield Condition(node, node.args[1], zero, sp.oo)
    elif isinstance(node, sp.beta):
        yield from (Condition(node, argument, zero, sp.oo) for argument in node.args)
    elif isinstance(node, sp.asin | sp.acos | sp.atanh | sp.erfinv):
        yield Condition(node, node.args[0], -one, one)
    elif isinstance(node, sp.acosh):
        yield Condition(node, node.args[0], one, sp.oo)
    elif isinstance(node, sp.erfcinv):
        yield Condition(node, node.args[0], zero, 2 * one)
    elif isinstance(node, sp.Pow) and _root_or_symbolic(node.exp) and node.base.free_symbols:
        yield Condition(node, node.base, zero, sp.oo)


def _root_or_symbolic(exponent: sp.Expr) -> bool:
    """A power whose base must be positive: a non-integer number (sqrt, x^1.5) or one that varies (x^y)."""
    if exponent.is_Number:
        return not exponent.is_integer
    return bool(exponent.free_symbols)


def natural_domains(
    exprs: Iterable[sp.Basic],
    symbols: Iterable[sp.Symbol],
    definitions: tuple[tuple[sp.Symbol, sp.Expr], ...] = (),
    box: Interval = DEFAULT_BOX,
    fixed: tuple[Var, ...] = (),
) -> tuple[Var, ...]:
    """Each of `symbols` with the interval of `box` where `exprs` are defined, and why.

    `definitions` are expanded first (a condition on a defined name is one on what it stands for);
    `fixed` are the symbols whose domain is declared: conditions may rely on them, never change them.
    A symbol nothing constrains keeps `box`, with an empty reason.
    """
    wanted = list(symbols)
    found: dict[sp.Symbol, list[tuple[sp.Set, str]]] = {s: [] for s in wanted}
    positive = {v.symbol for v in fixed if isinstance(v.domain, Interval) and v.domain.sign() == "positive"}
    for condition in _all_conditions(exprs, definitions):
        for symbol, allowed in _restrictions(condition, set(wanted), positive, box):
            found[symbol].append((allowed, condition.describe()))
    return tuple(_domain(symbol, found[symbol], box) for symbol in wanted)


def _all_conditions(exprs: Iterable[sp.Basic], definitions: tuple[tuple[sp.Symbol, sp.Expr], ...]) -> list[Condition]:
    """The conditions of the expressions and of the definitions, each argument in the symbols it stands for."""
    meaning = dict(definitions)
    unique: dict[tuple[sp.Expr, sp.Expr, sp.Expr], Condition] = {}
    for expr in (*exprs, *meaning.values()):
        for condition in conditions(expr):
            argument = _expanded(condition.argument, meaning)
            if argument is not None:
                unique.setdefault((argument, condition.lo, condition.hi), replace(condition, argument=argument))
    return list(unique.values())


def _expanded(expr: sp.Expr, meaning: dict[sp.Symbol, sp.Expr]) -> sp.Expr | None:
    """`expr` with the defined symbols replaced by what they stand for; None where that cannot be done."""
    try:
        for _ in range(len(meaning) + 1):
            if not expr.free_symbols & set(meaning):
                return expr
            expr = expr.xreplace(meaning)
    except (ValueError, TypeError):  # a derivative in a defined symbol, say
        return None
    return None  # circular definitions


def _restrictions(condition: Condition, wanted: set[sp.Symbol], positive: set[sp.Symbol],
                  box: Interval) -> list[tuple[sp.Symbol, sp.Set]]:
    """The set each symbol of `wanted` must lie in for `condition` to hold; [] when that cannot be said simply."""
    symbols = condition.argument.free_symbols
    if not symbols or not all(isinstance(s, sp.Symbol) for s in symbols):
        return []
    if len(symbols) == 1:
        symbol = next(iter(symbols))
        if symbol not in wanted:
            return []
        allowed = _solved(condition, symbol, box)
        return [] if allowed is None else [(symbol, allowed)]
    return _monomial(condition, wanted, positive)


def _monomial(condition: Condition, wanted: set[sp.Symbol], positive: set[sp.Symbol]) -> list[tuple[sp.Symbol, sp.Set]]:
    """For `c * x^a * y^b > 0` (c > 0): the wanted symbols with an odd power positive, when the others are."""
    if condition.lo != 0 or condition.hi is not sp.oo:
        return []
    coefficient, powers = condition.argument.as_coeff_mul()
    odd = []
    for factor in powers:
        base, exponent = factor.as_base_exp()
        if not (isinstance(base, sp.Symbol) and exponent.is_integer):
            return []
        if exponent.is_odd:
            odd.append(base)
    if not coefficient.is_positive or any(s not in wanted and s not in positive for s in odd):
        return []
    return [(s, sp.Interval.open(0, sp.oo)) for s in odd if s in wanted]


def _solved(condition: Condition, symbol: sp.Symbol, box: Interval) -> sp.Set | None:
    """The values of `symbol` in `box` where the condition holds; None when SymPy cannot say in time."""
    inside = sp.Interval.open(sp.Rational(box.lo), sp.Rational(box.hi))
    argument = condition.argument
    linear = _linear(condition, symbol)
    if linear is not None:  # solved here: the same answer however loaded the machine is
        return inside & linear
    if not budgets_available() and not (argument.is_polynomial(symbol) and sp.degree(argument, symbol) <= 2):
        return None  # no timer to stop SymPy: only what is quick for certain
    try:
        with time_limit(SOLVE_SECONDS) if budgets_available() else nullcontext():
            allowed = inside
            for relation in _relations(condition):
                allowed = allowed & sp.solve_univariate_inequality(relation, symbol, relational=False, domain=inside)
            return allowed
    except (BudgetExceeded, NotImplementedError, ValueError, TypeError, AttributeError, RecursionError):
        return None


def _linear(condition: Condition, symbol: sp.Symbol) -> sp.Set | None:
    """The solution of lo < a x + b < hi, for an argument linear in x with a non-zero number a; else None."""
    slope, rest = condition.argument.diff(symbol), condition.argument.subs(symbol, 0)
    if not (slope.is_Number and slope != 0 and rest.is_number and rest.is_finite):
        return None
    first, second = (condition.lo - rest) / slope, (condition.hi - rest) / slope
    return sp.Interval.open(first, second) if slope > 0 else sp.Interval.open(second, first)


def _relations(condition: Condition) -> list[sp.Basic]:
    relations = []
    if condition.lo is not -sp.oo:
        relations.append(sp.StrictGreaterThan(condition.argument, condition.lo))
    if condition.hi is not sp.oo:
        relations.append(sp.StrictLessThan(condition.argument, condition.hi))
    return relations


def _domain(symbol: sp.Symbol, found: list[tuple[sp.Set, str]], box: Interval) -> Var:
    """The box narrowed to every restriction found, if that is one non-empty interval; else the box."""
    allowed: sp.Set = sp.Interval.open(sp.Rational(box.lo), sp.Rational(box.hi))
    reasons = []
    for restriction, reason in found:
        narrowed = allowed & restriction
        if isinstance(narrowed, sp.Interval) and narrowed.measure.is_positive and narrowed != allowed:
            allowed = narrowed
            reasons.append(reason)
    if not reasons:
        return Var(symbol, box)
    start, end = _inside(allowed.start, math.inf), _inside(allowed.end, -math.inf)
    interval = box.within(start, end)  # an end a condition sets is bounded and open; the box's others stay
    return Var(symbol, interval, "natural domain: " + "; ".join(reasons))


def _inside(end: sp.Expr, toward: float) -> float:
    """The float nearest `end` on the side of `toward`: the interval never reaches past the exact end."""
    value = float(end)
    return value if sp.Rational(value) == end else math.nextafter(value, toward)
