"""Exact ways to prove that a difference of two expressions is zero, cheapest first."""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from functools import partial

import sympy as sp

from verifier.budget import BudgetExceeded, Deadline, budgets_available
from verifier.model import Choice, Interval, Var

MAX_CASES = 16


def exp_generators(expr: sp.Expr) -> sp.Expr:
    """Rewrite to exp and replace each exponential monomial exp(m) by a positive symbol t.

    exp(sum c_i m_i) becomes prod t_i**(c_i q_i) with exp(m_i / q_i) = t_i, so every exp becomes a
    power product and the expression a rational function of the t_i, logs and the other symbols.
    Nested exponentials are replaced from the inside out.
    """
    expr = sp.expand_power_exp(expr.rewrite(sp.exp))
    while innermost := [p for p in expr.atoms(sp.exp) if not p.args[0].has(sp.exp)]:
        expr = expr.xreplace(_power_products(innermost))
    return sp.expand_log(expr, force=False)


def _power_products(powers: list[sp.Expr]) -> dict[sp.Expr, sp.Expr]:
    denominators: dict[sp.Expr, list[int]] = {}
    for power in powers:
        for coefficient, monomial in _exponent_terms(power.args[0]):
            denominators.setdefault(monomial, []).append(int(coefficient.q))
    generators = {m: (_generator(m), math.lcm(*qs)) for m, qs in denominators.items()}
    replacement = {}
    for power in powers:
        product = sp.S.One
        for coefficient, monomial in _exponent_terms(power.args[0]):
            generator, q = generators[monomial]
            product *= generator ** (coefficient * q)
        replacement[power] = product
    return replacement


def _generator(monomial: sp.Expr) -> sp.Dummy:
    # exp of a real monomial is positive, which lets expand_log split its logs; otherwise no claim.
    return sp.Dummy("t", positive=True) if monomial.is_extended_real else sp.Dummy("t")


def _exponent_terms(argument: sp.Expr) -> list[tuple[sp.Rational, sp.Expr]]:
    terms = []
    for term in sp.Add.make_args(sp.expand(argument)):
        coefficient, monomial = term.as_coeff_Mul()
        if not coefficient.is_Rational:
            coefficient, monomial = sp.S.One, term
        terms.append((coefficient, monomial))
    return terms


def _structural(d: sp.Expr) -> bool:
    return d == 0


def _exp_rational(d: sp.Expr) -> bool:
    return sp.cancel(sp.together(exp_generators(d))) == 0


def _expand(d: sp.Expr) -> bool:
    return sp.expand(d) == 0


def _equals(d: sp.Expr) -> bool:
    return d.equals(0) is True


def _simplify(d: sp.Expr) -> bool:
    return sp.simplify(d) == 0


# (name, test, needs an interruptible budget): exact and fast first, general-purpose last.
METHODS: tuple[tuple[str, Callable[[sp.Expr], bool], bool], ...] = (
    ("structural", _structural, False),
    ("exp-rational", _exp_rational, False),
    ("expand", _expand, False),
    ("equals", _equals, True),
    ("simplify", _simplify, True),
)
CHEAP_METHODS = tuple(m for m in METHODS if not m[2])


def prove_zero(
    difference: sp.Expr, deadline: Deadline, methods: tuple = METHODS
) -> str | None:
    """The name of the first method that proves `difference == 0` in time, else None."""
    bounded = budgets_available()
    for name, test, needs_budget in methods:
        if needs_budget and not bounded:
            continue  # cannot be interrupted here, so it is not started
        try:
            if deadline.run(partial(test, difference)) if bounded else test(difference):
                return name
        except BudgetExceeded:
            return None
        except (TypeError, ValueError, NotImplementedError, ZeroDivisionError, RecursionError):
            continue  # a method that cannot handle this expression simply does not prove it
    return None


def prove_by_cases(difference: sp.Expr, variables: tuple[Var, ...], deadline: Deadline) -> str | None:
    """Prove `difference == 0` for each value of its finite-domain symbols, with the cheap methods."""
    finite = [v for v in variables if isinstance(v.domain, Choice) and v.symbol in difference.free_symbols]
    if not finite or math.prod(len(v.domain.values) for v in finite) > MAX_CASES:
        return None
    methods = set()
    for values in itertools.product(*(v.domain.values for v in finite)):
        case = difference.subs({v.symbol: value for v, value in zip(finite, values, strict=True)})
        method = prove_zero(case, deadline, CHEAP_METHODS)
        if method is None:
            return None
        methods.add(method)
    names = ", ".join(v.describe() for v in finite)
    return f"cases ({names}): {'/'.join(sorted(methods))}"


def decide_signs(difference: sp.Expr, variables: tuple[Var, ...]) -> sp.Expr:
    """Let SymPy settle Max, Min and Heaviside by the bounds of interval symbols.

    Each symbol s in (lo, hi) becomes lo + (hi - lo) u / (1 + u) with u > 0, a bijection, and the
    arguments of the step functions are factored, so signs such as that of (1 - L) x become known.
    """
    bounded = {
        v.symbol: _from_positive(v.domain)
        for v in variables
        if isinstance(v.domain, Interval) and v.symbol in difference.free_symbols
    }
    expr = difference.replace(lambda a: isinstance(a, (sp.Max, sp.Min)), lambda a: a.rewrite(sp.Heaviside))
    expr = expr.subs(bounded)
    return expr.replace(
        lambda a: isinstance(a, sp.Heaviside), lambda a: sp.Heaviside(sp.factor(sp.cancel(a.args[0])))
    )


def _from_positive(interval: Interval) -> sp.Expr:
    u = sp.Dummy("u", positive=True)
    lo, hi = sp.nsimplify(interval.lo), sp.nsimplify(interval.hi)
    return lo + (hi - lo) * u / (1 + u)
