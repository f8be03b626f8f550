"""Guards: what a line as written needs to have a real value, kept where SymPy's evaluation drops it.

Reading `e^{\\log x}` gives x, `\\sqrt{x}\\sqrt{x}` gives x, `x/x` gives 1: the reader remembers what each log, root,
power and quotient needs (x > 0, x >= 0, x != 0) and, where the value no longer shows it, the line becomes
Piecewise((value, needs), (nan, True)): undefined where it is as written. A guard that holds on the whole domain is
dropped; one that both sides of a step need does not stop the provers.
"""

from __future__ import annotations

import itertools
import math

import sympy as sp
from sympy.core.function import AppliedUndef

from verifier.model import Choice, Interval, Var


def written_needs(node: sp.Basic) -> tuple[sp.Basic, ...]:
    """What a function or power as written needs of its argument to have a real value, as relations: log u needs
    u > 0, an even root u >= 0 (the root of 0 is 0), arcsin u -1 <= u <= 1; an odd root or a power with an
    integer exponent needs nothing (a quotient's divisor is kept apart, as != 0)."""
    if isinstance(node, sp.log) and len(node.args) == 1:
        return (sp.StrictGreaterThan(node.args[0], 0),)
    if isinstance(node, sp.Pow) and node.base.free_symbols and not node.exp.is_integer:  # x^i, i an index: none
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
    if isinstance(node, sp.tan | sp.sec):  # a pole where cos u = 0
        return (sp.Unequality(sp.cos(node.args[0]), 0),)
    if isinstance(node, sp.cot | sp.csc):
        return (sp.Unequality(sp.sin(node.args[0]), 0),)
    return ()


def derivatives_need(expr: sp.Expr, variables: tuple[Var, ...]) -> sp.Expr:
    """`expr` with each derivative needing what the function under it needs (d/dx log(x - 10) has no value where
    log(x - 10) has none, though 1/(x - 10) has), but what holds on the whole domain."""
    if not expr.has(sp.Derivative):
        return expr

    def needing(derivative: sp.Derivative) -> sp.Expr:
        needs = {r for node in sp.preorder_traversal(derivative.expr) for r in written_needs(node)} - {sp.true}
        return guarded(derivative, tuple(sorted(needs, key=sp.default_sort_key)))

    plain = (sp.Piecewise, sp.Indexed, sp.Sum, sp.Product, sp.MatrixExpr, AppliedUndef, sp.Derivative)
    return settled(expr.replace(lambda e: isinstance(e, sp.Derivative) and all(v.is_Symbol for v in e.variables)
                                and not e.expr.has(*plain), needing), variables)


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
    signed = {v.symbol: sign for v in variables if isinstance(v.domain, Interval)
              and (sign := _sign_of(v.domain)) is not None}
    mapped = {v.symbol: v.domain.parametrised() for v in variables if isinstance(v.domain, Interval)}
    box = {v.symbol: (v.domain.lo, v.domain.hi) for v in variables
           if isinstance(v.domain, Interval) and not any(v.domain.unbounded)}  # a guard holds on a domain, not a box

    finite = {v.symbol: v.domain.values for v in variables if isinstance(v.domain, Choice)
              and not v.domain.sampled_only}

    def holds(node: sp.Piecewise) -> bool:
        relations = guard_relations(node)
        return relations is not None and all(r.xreplace(signed) is sp.true or _factored(r, mapped)
                                             or _enclosed(r, box) or _within_open_range(r)
                                             or _at_every_value(r, finite) for r in relations)

    return expr.replace(lambda e: isinstance(e, sp.Piecewise) and holds(e), lambda e: e.args[0].expr)


MAX_VALUES = 64


def _at_every_value(relation: sp.Basic, finite: dict[sp.Symbol, tuple]) -> bool:
    """Whether the relation holds at every value of its symbols, each with a finite domain (y! > 0, y in {0..4})."""
    symbols = sorted(relation.free_symbols, key=str)
    if not symbols or not all(s in finite for s in symbols) or \
            math.prod(len(finite[s]) for s in symbols) > MAX_VALUES:
        return False
    return all(relation.xreplace(dict(zip(symbols, values, strict=True))) is sp.true
               for values in itertools.product(*(finite[s] for s in symbols)))


def _sign_of(domain: Interval) -> sp.Dummy | None:
    """A symbol with the sign every value of the domain has (x >= 0: non-negative), or None."""
    sign = domain.sign()
    return sp.Dummy(**{sign: True}) if sign is not None else None


def unguarded(expr: sp.Expr) -> sp.Expr:
    """`expr` with each guard (see `guarded`) replaced by what it guards."""
    if not expr.has(sp.nan):
        return expr
    return expr.replace(_is_guard, lambda e: e.args[0].expr)


def matched_guards(lhs: sp.Expr, rhs: sp.Expr) -> tuple[sp.Expr, sp.Expr]:
    """Both sides, each without its guards when the other side, as it stands, needs the same (x+1 guarded by
    x - 1 != 0 against (x^2 - 1)/(x - 1)): both are undefined at the same points, so the guard changes no verdict of
    an equality proved where both are defined. For the provers only: the screen keeps the guards."""
    return _without_needed(lhs, rhs), _without_needed(rhs, lhs)


def _without_needed(side: sp.Expr, other: sp.Expr) -> sp.Expr:
    if not side.has(sp.nan):
        return side
    plain = unguarded(other)
    needs = {r for node in sp.preorder_traversal(plain) for r in written_needs(node)}
    divisors = {p.base for p in plain.atoms(sp.Pow) if p.exp.is_negative}
    normal = {_normal(r) for r in needs}
    normal |= {(False, zero) for strict, zero in normal if strict}  # u > 0 holds u >= 0 as well

    def needed(relation: sp.Basic) -> bool:
        if isinstance(relation, sp.Unequality):  # d != 0, as SymPy may have rearranged it (x - 1 != 0 is x != 1)
            zero = relation.lhs - relation.rhs
            return relation in needs or any(sp.expand(zero - d) == 0 or sp.expand(zero + d) == 0 for d in divisors)
        return relation in needs or _normal(relation) in normal  # x^3 >= -1 where x^3 + 1 > 0 is needed

    def matched(node: sp.Piecewise) -> bool:
        relations = guard_relations(node)
        return relations is not None and all(needed(r) for r in relations)

    return side.replace(lambda e: isinstance(e, sp.Piecewise) and matched(e), lambda e: e.args[0].expr)


def _normal(relation: sp.Basic) -> tuple[bool, sp.Expr]:
    """A comparison as (strict, u) for u > 0 or u >= 0, u expanded; others as themselves."""
    if isinstance(relation, sp.StrictGreaterThan | sp.GreaterThan):
        return isinstance(relation, sp.StrictGreaterThan), sp.expand(relation.lhs - relation.rhs)
    if isinstance(relation, sp.StrictLessThan | sp.LessThan):
        return isinstance(relation, sp.StrictLessThan), sp.expand(relation.rhs - relation.lhs)
    return False, relation


def shown_relation(relation: sp.Basic) -> str:
    """`x > 0`, `x - 1 != 0`: a guard's relation as notes write it."""
    if isinstance(relation, sp.Unequality):
        return f"{sp.sstr(relation.lhs)} != {sp.sstr(relation.rhs)}"
    return sp.sstr(relation)


def _factored(relation: sp.Basic, mapped: dict[sp.Symbol, sp.Expr]) -> bool:
    """Whether the relation holds on the whole domain (each symbol its `mapped` form), its difference brought over
    one denominator and factored: x^2 - 2x + 1 >= 0, 1 - sigma(z) = e^{-z}/(1 + e^{-z}) > 0."""
    if not isinstance(relation, sp.GreaterThan | sp.LessThan | sp.StrictGreaterThan | sp.StrictLessThan):
        return False
    above = isinstance(relation, sp.GreaterThan | sp.StrictGreaterThan)
    difference = (relation.lhs - relation.rhs) * (1 if above else -1)
    real = {s: mapped.get(s, sp.Dummy(real=True)) for s in difference.free_symbols}
    factored = sp.factor(sp.together(difference.xreplace(real)))
    strict = isinstance(relation, sp.StrictGreaterThan | sp.StrictLessThan)
    return bool(factored.is_positive if strict else factored.is_nonnegative)


OPEN_RANGES = {sp.erf: (-1, 1), sp.tanh: (-1, 1), sp.erfc: (0, 2)}  # of a real argument, ends never reached


def _within_open_range(relation: sp.Basic) -> bool:
    """Whether `u > 0` holds for every real value of u's one bounded function f (erf, tanh, erfc), u being linear
    in f: Phi(x) = 1/2 + erf(x/sqrt 2)/2 > 0 on every real x, which no box shows."""
    if not isinstance(relation, sp.StrictGreaterThan | sp.GreaterThan):
        return False
    difference = relation.lhs - relation.rhs
    bounded = {n for n in sp.preorder_traversal(difference) if type(n) in OPEN_RANGES}
    if len(bounded) != 1:
        return False
    (function,) = bounded
    t = sp.Dummy("t")
    linear = difference.xreplace({function: t})
    if not function.args[0].is_extended_real or linear.free_symbols != {t} or not linear.is_polynomial(t) or \
            sp.degree(linear, t) != 1:
        return False
    ends = [linear.subs(t, end) for end in OPEN_RANGES[type(function)]]  # linear: positive inside if so at the ends
    return all(bool(v >= 0) for v in ends) and any(bool(v > 0) for v in ends)


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


def _is_guard(node: sp.Basic) -> bool:
    return isinstance(node, sp.Piecewise) and guard_relations(node) is not None


def guard_relations(node: sp.Piecewise) -> tuple[sp.Basic, ...] | None:
    """The relations of a `guarded` expression, or None for another Piecewise."""
    if len(node.args) != 2 or node.args[1].expr is not sp.nan or node.args[1].cond is not sp.true:
        return None
    relations = sp.And.make_args(node.args[0].cond)
    kinds = sp.StrictGreaterThan | sp.StrictLessThan | sp.GreaterThan | sp.LessThan | sp.Unequality
    return relations if all(isinstance(r, kinds) for r in relations) else None
