"""Stand-in functions and the engine's caches: the fast way gives what the general way gives."""

import os

import pytest
import sympy as sp

from derivations import BY_ID
from verifier import Context, isolation, verify
from verifier.caches import clear_all
from verifier.context import _prepared
from verifier.evaluate import instantiate, undefined_functions, witness

x, y = sp.symbols("x y", real=True)
f, g = sp.Function("f"), sp.Function("g")


def by_subs_and_doit(expr: sp.Expr) -> sp.Expr:
    """The general way: put each witness in with `subs`, then evaluate everything."""
    for index, (function, arity) in enumerate(undefined_functions(expr)):
        expr = expr.subs(function, witness(index, arity))
    return expr.doit()


@pytest.mark.parametrize("expr", [
    f(x) * g(x),
    sp.diff(f(g(x)), x),
    sp.diff(f(x, y), x, y) + f(x**2, y),
    sp.diff(f(x**2 * y, y), x, 2),
    sp.diff(f(x), x, 3),
    sp.Derivative(f(x) * g(x), x),
    sp.Subs(sp.Derivative(f(x, y), x), x, 2 * y),
    sp.diff(f(x, x), x),
    f(g(x) + 1) * sp.diff(g(x), x),
])
def test_stand_ins_equal_the_general_substitution(expr: sp.Expr) -> None:
    instantiated = instantiate(expr, undefined_functions(expr))
    assert not instantiated.has(f, g, sp.Derivative, sp.Subs)
    assert sp.simplify(instantiated - by_subs_and_doit(expr)) == 0


def test_clear_all_empties_the_engines_memos_and_stops_the_worker() -> None:
    verify(BY_ID["000-sigmoid"])
    assert isolation._workers
    Context.of(BY_ID["000-sigmoid"]).prepare(BY_ID["000-sigmoid"].start)
    assert _prepared.cache_info().currsize > 0
    clear_all()
    assert _prepared.cache_info().currsize == 0
    assert not isolation._workers


def _abort_with_c_output() -> int:
    os.write(1, b"gmp: overflow in mpz type\n")  # as a C library prints before it aborts
    os.abort()


def test_a_worker_that_aborts_is_said_to_have_ended_and_prints_nothing_on_stdout(capfd) -> None:
    verdict = isolation.bounded(_abort_with_c_output, (), 5.0, lambda s: "past the budget", lambda s: "ended early")
    assert verdict == "ended early"
    assert "gmp" not in capfd.readouterr().out  # stdout is the JSON's
