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
from verifier.model import Interval, Var

SOLVE_SECONDS = 2.0  # per inequality that is not linear (linear ones are solved here)
DEFAULT_BOX = Interval(-6, 6)
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

    def holds(self) -> sp.Basic:
        """The condition as a relation: `x > 0`, `-1 < x < 1` (as two)."""
        above = sp.StrictGreaterThan(self.argument, self.lo) if self.lo is not -sp.oo else sp.true
        below = sp.StrictLessThan(self.argument, self.hi) if self.hi is not sp.oo else sp.true
        return sp.And(above, below)

    @property
    def key(self) -> tuple[sp.Expr, sp.Expr, sp.Expr]:
        """What the condition asks, whatever node asks it."""
        return self.argument, self.lo, self.hi


def written_needs(node: sp.Basic) -> tuple[sp.Basic, ...]:
    """What a function or power as written needs of its argument to have a real value, as relations: log u needs
    u > 0, an even root u >= 0 (the root of 0 is 0), arcsin u -1 <= u <= 1; an odd root or a power with an
    integer exponent needs nothing (a quotient's divisor is kept apart, as != 0)."""
    if isinstance(node, sp.log) and len(node.args) == 1:
        return (sp.StrictGreaterThan(node.args[0], 0),)
    if isinstance(node, sp.Pow) and node.base.free_symbols and not node.exp.is_Integer:
        odd_root = node.exp.is_Rational and node.exp.q % 2 == 1
        if odd_root:
            return ()
        return (sp.GreaterThan(node.base, 0) if node.exp.is_positive else sp.StrictGreaterThan(node.base, 0),)
    if isinstance(node, sp.asin | sp.acos):
        return (sp.GreaterThan(node.args[0], -1), sp.LessThan(node.args[0], 1))
    if isinstance(node, sp.atanh):
        return (sp.StrictGreaterThan(node.args[0], -1), sp.StrictLessThan(node.args[0], 1))
    if isinstance(node, sp.acosh):
        return (sp.GreaterThan(node.args[0], 1),)
    return ()


def guarded(expr: sp.Expr, needs: tuple[sp.Basic, ...]) -> sp.Expr:
    """`expr` where the relations hold and undefined (NaN) elsewhere: a line as written (e^{\\log x}, x/x) needs
    what SymPy's evaluation dropped (it is x, 1), and is checked as needing it (x > 0, x != 0)."""
    if not needs:
        return expr
    return sp.Piecewise((expr, sp.And(*needs)), (sp.nan, True))


def settled(expr: sp.Expr, variables: tuple[Var, ...]) -> sp.Expr:
    """`expr` without the guards (see `guarded`) that hold on the whole of the variables' domains (x > 0 where x is
    sampled in (0, 6)): the check never leaves those domains."""
    if not expr.has(sp.nan):
        return expr
    signed = {v.symbol: sp.Dummy(positive=True) if v.domain.lo >= 0 else sp.Dummy(negative=True)
              for v in variables if isinstance(v.domain, Interval) and (v.domain.lo >= 0 or v.domain.hi <= 0)}
    box = {v.symbol: (v.domain.lo, v.domain.hi) for v in variables if isinstance(v.domain, Interval)}

    def holds(node: sp.Piecewise) -> bool:
        relations = _guard(node)
        return relations is not None and all(r.xreplace(signed) is sp.true or _factored(r) or _enclosed(r, box)
                                             for r in relations)

    return expr.replace(lambda e: isinstance(e, sp.Piecewise) and holds(e), lambda e: e.args[0].expr)


def unguarded(expr: sp.Expr) -> sp.Expr:
    """`expr` with each guard (see `guarded`) replaced by what it guards."""
    if not expr.has(sp.nan):
        return expr
    return expr.replace(lambda e: isinstance(e, sp.Piecewise) and _guard(e) is not None, lambda e: e.args[0].expr)


def matched_guards(lhs: sp.Expr, rhs: sp.Expr) -> tuple[sp.Expr, sp.Expr]:
    """Both sides, each without its guards when the other side, as it stands, needs the same (x+1 guarded by
    x - 1 != 0 against (x^2 - 1)/(x - 1)): both are undefined at the same points, so the guard changes no verdict of
    an equality proved where both are defined. For the provers only: the screen keeps the guards."""
    return _without_needed(lhs, rhs), _without_needed(rhs, lhs)


def _without_needed(side: sp.Expr, other: sp.Expr) -> sp.Expr:
    if not side.has(sp.nan):
        return side
    plain = unguarded(other)
    intervals = {c.key for c in conditions(plain)}
    divisors = {p.base for p in plain.atoms(sp.Pow) if p.exp.is_negative}

    def needed(relation: sp.Basic) -> bool:
        if isinstance(relation, sp.Unequality):  # d != 0, as SymPy may have rearranged it (x - 1 != 0 is x != 1)
            zero = relation.lhs - relation.rhs
            return any(sp.expand(zero - d) == 0 or sp.expand(zero + d) == 0 for d in divisors)
        return all(c.key in intervals for c in _guard_conditions((relation,)))

    def matched(node: sp.Piecewise) -> bool:
        relations = _guard(node)
        return relations is not None and all(needed(r) for r in relations)

    return side.replace(lambda e: isinstance(e, sp.Piecewise) and matched(e), lambda e: e.args[0].expr)


def shown_relation(relation: sp.Basic) -> str:
    """`x > 0`, `x - 1 != 0`: a guard's relation as notes write it."""
    if isinstance(relation, sp.Unequality):
        return f"{sp.sstr(relation.lhs)} != {sp.sstr(relation.rhs)}"
    return sp.sstr(relation)


def _factored(relation: sp.Basic) -> bool:
    """Whether the relation holds for every real value, its difference factored (x^2 - 2x + 1 >= 0)."""
    if isinstance(relation, sp.GreaterThan | sp.LessThan):
        lhs, rhs = relation.args if isinstance(relation, sp.GreaterThan) else relation.args[::-1]
        difference = lhs - rhs
        real = {s: sp.Dummy(real=True) for s in difference.free_symbols}
        return bool(sp.factor(difference.xreplace(real)).is_nonnegative)
    return False


def _enclosed(relation: sp.Basic, box: dict[sp.Symbol, tuple[float, float]]) -> bool:
    """Whether ball arithmetic over the whole box shows the relation holds (Phi(x) > 0 for x in (-6, 6))."""
    from verifier.certify import positive_on  # the certifier's evaluator; imported here, used rarely

    if isinstance(relation, sp.StrictGreaterThan | sp.GreaterThan):
        return positive_on(relation.lhs - relation.rhs, box)
    if isinstance(relation, sp.StrictLessThan | sp.LessThan):
        return positive_on(relation.rhs - relation.lhs, box)
    if isinstance(relation, sp.Unequality):
        return positive_on(relation.lhs - relation.rhs, box) or positive_on(relation.rhs - relation.lhs, box)
    return False


def _guard(node: sp.Piecewise) -> tuple[sp.Basic, ...] | None:
    """The relations of a `guarded` expression, or None for another Piecewise."""
    if len(node.args) != 2 or node.args[1].expr is not sp.nan or node.args[1].cond is not sp.true:
        return None
    relations = sp.And.make_args(node.args[0].cond)
    kinds = sp.StrictGreaterThan | sp.StrictLessThan | sp.GreaterThan | sp.LessThan | sp.Unequality
    return relations if all(isinstance(r, kinds) for r in relations) else None


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
        guard = _guard(node) if isinstance(node, sp.Piecewise) else None
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
    positive = {v.symbol for v in fixed if isinstance(v.domain, Interval) and v.domain.lo >= 0}
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
    interval = Interval(_inside(allowed.start, math.inf), _inside(allowed.end, -math.inf))
    return Var(symbol, interval, "natural domain: " + "; ".join(reasons))


def _inside(end: sp.Expr, toward: float) -> float:
    """The float nearest `end` on the side of `toward`: the interval never reaches past the exact end."""
    value = float(end)
    return value if sp.Rational(value) == end else math.nextafter(value, toward)
