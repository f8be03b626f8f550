"""Natural domains: what the expressions need of the symbols nobody declared, and the numeric check's hint."""

import pytest
import sympy as sp

from verifier import Context
from verifier.domains import DEFAULT_BOX, natural_domains
from verifier.model import Derivation, Interval, Step, Var
from verifier.numeric import cross_check

x, y, a = (sp.Symbol(name, real=True) for name in "xya")

INFERRED = [
    # (expressions, symbol, expected interval, reason; "" when the default box is kept)
    ([sp.log(x)], x, (0, 6), "log(x) needs x > 0"),
    ([sp.Derivative(sp.log(x), x), 1 / x], x, (0, 6), "log(x) needs x > 0"),
    ([sp.sqrt(x - 1)], x, (1, 6), "sqrt(x - 1) needs x - 1 > 0"),
    ([x ** sp.Rational(3, 2)], x, (0, 6), "x**(3/2) needs x > 0"),
    ([x**x], x, (0, 6), "x**x needs x > 0"),
    ([sp.asin(x)], x, (-1, 1), "asin(x) needs -1 < x < 1"),
    ([sp.acos(x)], x, (-1, 1), "acos(x) needs -1 < x < 1"),
    ([sp.atanh(2 * x)], x, (-0.5, 0.5), "atanh(2*x) needs -1 < 2*x < 1"),
    ([sp.acosh(x)], x, (1, 6), "acosh(x) needs x > 1"),
    ([sp.gamma(x)], x, (0, 6), "gamma(x) needs x > 0"),
    ([sp.loggamma(x + 2)], x, (-2, 6), "loggamma(x + 2) needs x + 2 > 0"),
    ([sp.log(sp.log(x))], x, (1, 6), "log(log(x)) needs log(x) > 0"),
    ([sp.log(x * y)], x, (0, 6), "log(x*y) needs x*y > 0"),  # several symbols: a product, each taken positive
    ([sp.log(x + y)], x, (-6, 6), ""),  # several symbols, not a product: the default box
    ([sp.log(x**2 - 1)], x, (-6, 6), ""),  # two intervals: the default box
    ([sp.log(x**2 + 1)], x, (-6, 6), ""),  # defined everywhere
    ([sp.log(1 / (1 + sp.exp(-x)))], x, (-6, 6), ""),
    ([sp.log(x - 7)], x, (-6, 6), ""),  # empty within the box: never an empty interval
    ([sp.Piecewise((sp.log(x), x > 0), (0, True))], x, (-6, 6), ""),  # a branch is used only where it holds
    ([1 / x, x**2, sp.exp(x)], x, (-6, 6), ""),  # denominators are left to sampling
    ([2**x], x, (-6, 6), ""),
]


@pytest.mark.parametrize(("exprs", "symbol", "interval", "reason"), INFERRED)
def test_the_natural_domain_is_inferred(exprs: list[sp.Expr], symbol: sp.Symbol, interval: tuple[float, float],
                                        reason: str) -> None:
    symbols = sorted(set().union(*(e.free_symbols for e in exprs)), key=str)
    found = {v.symbol: v for v in natural_domains(exprs, symbols)}[symbol]
    assert (found.domain.lo, found.domain.hi) == pytest.approx(interval)
    assert found.reason == (f"natural domain: {reason}" if reason else "")


def test_a_defined_name_is_expanded_and_a_declared_symbol_is_relied_on() -> None:
    (found,) = natural_domains([sp.log(a)], [x], definitions=((a, x - 2),))
    assert (found.domain.lo, found.domain.hi) == (2, 6)
    declared = (Var(y, Interval(0, 1), "declared"),)
    (found,) = natural_domains([sp.log(x * y)], [x], fixed=declared)
    assert (found.domain.lo, found.domain.hi) == (0, 6)


def test_the_interval_never_reaches_past_an_irrational_end() -> None:
    (found,) = natural_domains([sp.log(x - sp.pi)], [x], box=DEFAULT_BOX)
    assert found.domain.lo > sp.pi


def derivation_of(function: sp.Expr, final: sp.Expr, domain: Interval) -> Derivation:
    return Derivation("t", "t", "note", "line 1", (Var(x, domain),), function, (Step(final, "", None),), variable=x)


def test_a_check_failing_only_where_a_side_is_undefined_says_so_with_the_fix() -> None:
    derivation = derivation_of(sp.log(x), 1 / x, Interval(-6, 6))
    numeric = cross_check(derivation, 1 / x, Context.of(derivation))
    assert not numeric.passed
    assert 0 < numeric.undefined_points < numeric.points
    assert "log(x) needs x > 0" in numeric.hint and "`x in (0, 6)`" in numeric.hint


def test_a_wrong_derivative_gets_no_hint_and_a_passing_check_counts_nothing() -> None:
    derivation = derivation_of(sp.log(x), 2 / x, Interval(-6, 6))
    wrong = cross_check(derivation, 2 / x, Context.of(derivation))
    assert not wrong.passed and wrong.hint == ""
    derivation = derivation_of(sp.log(x), 1 / x, Interval(0, 6))
    right = cross_check(derivation, 1 / x, Context.of(derivation))
    assert right.passed and right.undefined_points == 0 and right.hint == ""
