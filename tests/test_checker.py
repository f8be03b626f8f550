"""The step checker on hand-picked identities: hard true ones proved, wrong ones refuted, the rest unproved."""

import time

import numpy as np
import pytest
import sympy as sp

from verifier import Choice, Context, Interval, Var, check_step
from verifier.budget import Deadline
from verifier.proof import exp_generators, prove_zero

x = sp.Symbol("x", real=True)
p = sp.Symbol("p", positive=True)
q = sp.Symbol("q", positive=True)
y = sp.Symbol("y", integer=True)
f = sp.Function("f")
sig = 1 / (1 + sp.exp(-x))
xs = sp.symbols("x1:11", real=True)
S = sum(sp.exp(v) for v in xs)

REAL = Context((Var(x, Interval(-6, 6)),))
POSITIVE = Context((Var(p, Interval(0, 5)), Var(q, Interval(0, 5))))
LABEL = Context((Var(x, Interval(-6, 6)), Var(y, Choice((0, 1)))))
WIDE = Context((Var(x, Interval(-50, 50)),))
SOFTMAX10 = Context(tuple(Var(v, Interval(-3, 3)) for v in xs))

PROVED = [
    ("tanh, where simplify fails", sp.tanh(x), 2 / (1 + sp.exp(-2 * x)) - 1, REAL),
    ("sigmoid derivative", sp.Derivative(sig, x), sig * (1 - sig), REAL),
    ("sigmoid tail, zero in floats at x = 40", sig * (1 - sig), sp.exp(-x) / (1 + sp.exp(-x)) ** 2, WIDE),
    ("log of a product of positives", sp.log(p * q), sp.log(p) + sp.log(q), POSITIVE),
    ("sqrt of a square of a positive", sp.sqrt(p**2), p, POSITIVE),
    ("label squared is the label", y**2 * x, y * x, LABEL),
    ("chain rule on a generic f", sp.Derivative(f(2 * x), x), 2 * sp.Subs(sp.Derivative(f(x), x), x, 2 * x), REAL),
    ("softmax Jacobian entry, K = 10", sp.Derivative(sp.exp(xs[0]) / S, xs[1]),
     -sp.exp(xs[0]) * sp.exp(xs[1]) / S**2, SOFTMAX10),
]

REFUTED = [
    ("sigmoid derivative with a sign flipped", sp.Derivative(sig, x), sig * (1 + sig), REAL),
    ("derivative equated with the function", sp.Derivative(sig, x), sig, REAL),
    ("sqrt of a square of a real", sp.sqrt(x**2), x, REAL),
    ("a relative error of 1e-12", sp.tanh(x), sp.tanh(x) * (1 + sp.Rational(1, 10**12)), REAL),
    ("a wrong chain rule", sp.Derivative(f(2 * x), x), sp.Subs(sp.Derivative(f(x), x), x, 2 * x), REAL),
]


@pytest.mark.parametrize(("name", "before", "after", "context"), PROVED, ids=[c[0] for c in PROVED])
def test_true_identities_are_proved(name: str, before: sp.Expr, after: sp.Expr, context: Context) -> None:
    verdict = check_step(before, after, context)
    assert verdict.verdict == "proved", verdict
    assert verdict.method


@pytest.mark.parametrize(("name", "before", "after", "context"), REFUTED, ids=[c[0] for c in REFUTED])
def test_wrong_steps_are_refuted_with_a_confirmed_counterexample(
    name: str, before: sp.Expr, after: sp.Expr, context: Context
) -> None:
    verdict = check_step(before, after, context)
    assert verdict.verdict == "refuted", verdict
    example = verdict.counterexample
    assert example is not None
    if not example.witnesses:  # re-evaluate independently where no stand-in function was needed
        point = {s: sp.Rational(example.point[str(s)]) for s in (before - after).free_symbols}
        assert abs(sp.N((before - after).doit().subs(point), 50)) > 0


def test_tanh_is_beyond_simplify_but_proved_exactly() -> None:
    assert sp.simplify(sp.tanh(x) - (2 / (1 + sp.exp(-2 * x)) - 1)) != 0
    assert check_step(sp.tanh(x), 2 / (1 + sp.exp(-2 * x)) - 1, REAL).method == "exp-rational"


def test_a_true_identity_beyond_the_exact_methods_ends_unproved_within_its_budget() -> None:
    u = sp.Symbol("u", positive=True)
    context = Context((Var(u, Interval(0.1, 0.9)),), budget_seconds=0.3)
    dilog_reflection = sp.polylog(2, u) + sp.polylog(2, 1 - u)
    started = time.perf_counter()
    verdict = check_step(dilog_reflection, sp.pi**2 / 6 - sp.log(u) * sp.log(1 - u), context)
    assert verdict.verdict == "unproved"
    assert verdict.points_agreeing > 0
    assert time.perf_counter() - started < 0.3 + 2.0  # the budget bounds the provers; the screen adds little


def test_a_zero_budget_proves_nothing_beyond_structure() -> None:
    context = Context((Var(x, Interval(-6, 6)),), budget_seconds=0)
    assert check_step(sp.tanh(x), 2 / (1 + sp.exp(-2 * x)) - 1, context).verdict == "unproved"
    assert check_step(x + 1, 1 + x, context).verdict == "proved"


def test_undefined_functions_are_instantiated_in_the_counterexample() -> None:
    verdict = check_step(sp.Derivative(f(2 * x), x), sp.Derivative(f(2 * x), x) * 3, REAL)
    assert verdict.verdict == "refuted"
    assert "f" in verdict.counterexample.witnesses


def test_a_constraint_decides_a_step_and_keeps_samples_in_the_domain() -> None:
    z1, z2, z3 = sp.symbols("z1:4", real=True)
    y1, y2, y3 = sp.symbols("y1:4", integer=True)
    denominator = sp.exp(z1) + sp.exp(z2) + sp.exp(z3)
    loss = -sum(yi * sp.log(sp.exp(zi) / denominator) for yi, zi in ((y1, z1), (y2, z2), (y3, z3)))
    gradient_claim = sp.exp(z1) / denominator - y1
    labels = tuple(Var(y, Choice((0, 1))) for y in (y1, y2, y3))
    variables = (*(Var(z, Interval(-3, 3)) for z in (z1, z2, z3)), *labels)
    free = Context(variables)
    one_hot = Context(variables, eliminations=((y3, 1 - y1 - y2),))
    assert check_step(sp.Derivative(loss, z1), gradient_claim, free).verdict == "refuted"
    assert check_step(sp.Derivative(loss, z1), gradient_claim, one_hot).verdict == "proved"
    points = one_hot.draw(one_hot.sampled(one_hot.regions[0]), 200, np.random.default_rng(0))
    assert len(points[y1]) > 0 and set(points[y1] + points[y2]) <= {0.0, 1.0}


def test_counterexample_coordinates_read_back_exactly() -> None:
    verdict = check_step(y * x, y * x + y, LABEL)
    assert verdict.verdict == "refuted"
    assert verdict.counterexample.point["y"] == "1"
    assert float(verdict.counterexample.point["x"]) == float(sp.Rational(verdict.counterexample.point["x"]))


def test_an_exponential_under_a_sum_in_its_index_keeps_its_index() -> None:
    z, j, k = sp.IndexedBase("z", real=True), sp.Symbol("j", integer=True), sp.Symbol("K", integer=True)
    difference = sp.Sum(sp.exp(z[j]), (j, 1, k)) - k * sp.exp(z[j])  # j free in the second term
    rewritten = exp_generators(difference)
    assert rewritten.has(sp.Sum(sp.exp(z[j]), (j, 1, k)))
    assert prove_zero(difference, Deadline(1.0)) is None
