"""Verdicts that hold on hostile input: certified refutations, sound proofs at the edges, one budget."""

from __future__ import annotations

import dataclasses
import threading
import time

import pytest
import sympy as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from verifier import Choice, Context, Derivation, Interval, Kink, Step, Var, check_step, verify, verify_all
from verifier.certify import certify
from verifier.check import check_step_here

R = sp.Rational
x, y, z, s = (sp.Symbol(n, real=True) for n in "xyzs")
p = sp.Symbol("p", positive=True)
z1, z2, z3 = sp.symbols("z1:4", real=True)


def sigmoid(v: sp.Expr) -> sp.Expr:
    return 1 / (1 + sp.exp(-v))


def on(*domains: tuple[sp.Symbol, float, float], budget: float = 4.0) -> Context:
    return Context(tuple(Var(v, Interval(lo, hi)) for v, lo, hi in domains), budget_seconds=budget)


REAL = on((x, -6, 6))
XYZ = on((x, -6, 6), (y, -6, 6), (z, -6, 6))
SOFTMAX = on((z1, -3, 3), (z2, -3, 3), (z3, -3, 3), (s, -3, 3))
S3 = sp.exp(z1) + sp.exp(z2) + sp.exp(z3)
SHIFTED = sp.exp(z1 + s) + sp.exp(z2 + s) + sp.exp(z3 + s)
WRONG_AT_TIES = sp.Max(x, y, z).rewrite(sp.Heaviside)  # SymPy's rewrite: 3/4 of the value at (1, 1, 1)
NEAR_END = sp.Piecewise((x, x < R(599, 100)), (x + 1, True))
SMALL_INTERVAL = sp.Piecewise((x + 1, (x > R(1, 2)) & (x < R(5001, 10000))), (x, True))

# (name, before, after, context, expected verdict)
ADVERSARIAL = [
    # a side whose exact value is 0 or tiny: never a fake counterexample, and a tiny real gap is found
    ("sigmoid(x) + sigmoid(-x) - 1 is 0", sigmoid(x) + 1 / (1 + sp.exp(x)) - 1, sp.S.Zero, REAL, "proved"),
    ("a softmax Jacobian column sums to 0",
     sum(sp.diff(sp.exp(v) / S3, z1) for v in (z1, z2, z3)), sp.S.Zero, SOFTMAX, "proved"),
    ("softmax is shift invariant", sp.Derivative(sp.exp(z1 + s) / SHIFTED, s), sp.S.Zero, SOFTMAX, "proved"),
    ("1 - sigmoid(z) = sigmoid(-z) far out", 1 - sigmoid(z), sigmoid(-z), on((z, -500, 500)), "proved"),
    ("cosh^2 - sinh^2 = 1 near 800", sp.cosh(x) ** 2 - sp.sinh(x) ** 2, sp.S.One, on((x, 790, 800)), "proved"),
    ("1/2004! is not 1/2006!", 1 / sp.factorial(2004), 1 / sp.factorial(2006), REAL, "refuted"),
    ("a relative error of 1e-45", sp.tanh(x), sp.tanh(x) * (1 + R(1, 10**45)), REAL, "refuted"),
    # ties and values at 0
    ("Heaviside's value at 0 counts", sp.Heaviside(x, 0), sp.Heaviside(x, 1), REAL, "refuted"),
    ("Heaviside(x) is (1 + sign x)/2", sp.Heaviside(x), (1 + sp.sign(x)) / 2, REAL, "proved"),
    ("Max of three against SymPy's rewrite", sp.Max(x, y, z), WRONG_AT_TIES, XYZ, "refuted"),
    ("Min of two by Max", sp.Min(x, y), -sp.Max(-x, -y), XYZ, "proved"),
    ("|x| is max(x, -x)", sp.Abs(x), sp.Max(x, -x), REAL, "proved"),
    ("|x - 1| is not (x - 1) sign(x)", sp.Abs(x - 1), (x - 1) * sp.sign(x), REAL, "refuted"),
    ("floor(x) + 1 is not ceiling(x)", sp.floor(x) + 1, sp.ceiling(x), REAL, "refuted"),
    # fractional powers
    ("exp(3ix/2) is not exp(ix)^(3/2)", sp.exp(3 * sp.I * x / 2), sp.exp(sp.I * x) ** R(3, 2), REAL, "refuted"),
    ("sqrt(x^2) is |x|", sp.sqrt(x**2), sp.Abs(x), REAL, "proved"),
    ("sqrt(x^2) is not x", sp.sqrt(x**2), x, REAL, "refuted"),
    ("sqrt(p^2) is p for positive p", sp.sqrt(p**2), p, on((p, 0, 5)), "proved"),
    # undefined sides
    ("1/0 is not 2/0", sp.Pow(0, -1, evaluate=False), sp.Mul(2, sp.Pow(0, -1, evaluate=False), evaluate=False),
     REAL, "refuted"),
    ("log 0 is not log 0 + 1", sp.log(0), sp.log(0) + 1, REAL, "refuted"),
    ("a log rule outside its domain", sp.log(x**2), 2 * sp.log(x), REAL, "refuted"),
    ("the log rule inside its domain", sp.log(p**2), 2 * sp.log(p), on((p, 0, 6)), "proved"),
    ("a pole the other side does not have", (x**2 - 1) / (x - 1), x + 1, REAL, "refuted"),
    # overflow in floats, decided exactly
    ("exp(x)^2 / exp(2x) is 1 past overflow", sp.exp(x) ** 2 / sp.exp(2 * x), sp.S.One, on((x, 700, 800)), "proved"),
    ("inf - inf hides a difference", sp.exp(x) ** 2 - sp.exp(2 * x) + 1, 1 + R(1, 10**300), on((x, 700, 800)),
     "refuted"),
    # wrong only near a domain end or on a small interval
    ("wrong only past 5.99", NEAR_END, x, REAL, "refuted"),
    ("wrong only on (0.5, 0.5001)", SMALL_INTERVAL, x, REAL, "refuted"),
    # special functions and derivatives
    ("Gamma(x + 1) = x Gamma(x)", sp.gamma(x + 1), x * sp.gamma(x), on((x, 0.5, 6)), "proved"),
    ("the derivative of floor is not a crash", sp.Derivative(sp.floor(x), x), sp.S.Zero, REAL, "unproved"),
    ("sigmoid' with a factor 1.0001", sp.Derivative(sigmoid(x), x), sigmoid(x) * (1 - sigmoid(x)) * R(10001, 10000),
     REAL, "refuted"),
    ("softplus' is the sigmoid", sp.Derivative(sp.log(1 + sp.exp(x)), x), sigmoid(x), REAL, "proved"),
]


# found by an independent review of this engine: each was a false verdict or a crash
REVIEWED = [
    ("a bound of 1 - 1e-30 is not rounded to 1", sp.Max(x, 1), x, on((x, 1 - R(1, 10**30), 2)), "unproved"),
    ("a breakpoint a hair inside the domain", sp.Abs(3 * x - 1), 3 * x - 1, on((x, R(1, 3) - R(1, 10**20), 1)),
     "unproved"),
    ("x^y against exp(y log x) at x = 0", sp.exp(y * sp.log(x)), x**y, on((x, -3, 3), (y, R(1, 2), 3)), "refuted"),
    ("polygamma's order and argument", sp.polygamma(1, x + 1), sp.polygamma(1, x) - 1 / x**2, on((x, 0.1, 6)),
     "not refuted"),
    ("a finite domain's exact value pi", sp.sin(y), sp.S.Zero, Context((Var(y, Choice((sp.pi,))),)), "proved"),
    ("a finite domain's exact value 1/10", sp.Heaviside(1000 * y**3 - 1), R(1, 2),
     Context((Var(y, Choice((R(1, 10),))),)), "proved"),
    ("no variables at all", sp.Integer(2), sp.Integer(3), Context(()), "refuted"),
    ("a kink under a derivative that is no polynomial root", sp.Derivative(sp.Abs(sp.sin(x)), x),
     sp.cos(x) * sp.sign(sp.sin(x)), REAL, "unproved"),
    # a power at a point past the box (x = 10^15, p = m / 2^52) sent the exact comparison into SymPy's roots for
    # the whole budget: the rule was unproved (a regression the re-run found)
    ("x^p's derivative on x > 0, p real", sp.Derivative(p**y, p), y * p ** (y - 1),
     Context((Var(p, Interval(0, 6, (False, True))), Var(y, Interval(-6, 6, (True, True))))), "proved"),
]
ADVERSARIAL += REVIEWED


@pytest.mark.parametrize(("name", "before", "after", "context", "expected"), ADVERSARIAL,
                         ids=[case[0] for case in ADVERSARIAL])
def test_adversarial_identities(name: str, before: sp.Expr, after: sp.Expr, context: Context, expected: str) -> None:
    verdict = check_step(before, after, context)
    assert verdict.verdict != "refuted" if expected == "not refuted" else verdict.verdict == expected, verdict
    if expected == "refuted":
        example = verdict.counterexample
        assert example is not None and (example.bound is not None or "undefined" in example.lhs + example.rhs)


CERTIFY = [
    # (before, after, point, differs): a ball that holds 0 is never a counterexample
    (sigmoid(x) + 1 / (1 + sp.exp(x)) - 1, sp.S.Zero, {x: R(16402531673617373, 10**16)}, False),
    (sp.cosh(x) ** 2 - sp.sinh(x) ** 2, sp.S.One, {x: 795}, False),
    (sp.Heaviside(x, 0), sp.Heaviside(x, 1), {x: 0}, True),
    (sp.log(x), sp.log(x) + 1, {x: 0}, False),  # both undefined, neither as written: not a difference
    ((x**2 - 1) / (x - 1), x + 1, {x: 1}, True),
    (2**9999 * x, 2**9999 * x + 1, {x: 3}, True),  # past the precision cap, decided in exact rationals
    (2**9999 * sp.exp(x), 2**9999 * sp.exp(x) + 1, {x: 3}, False),  # past the cap, not rational: not refuted
]


@pytest.mark.parametrize(("before", "after", "point", "differs"), CERTIFY)
def test_a_certificate_exists_only_where_the_sides_provably_differ(
    before: sp.Expr, after: sp.Expr, point: dict, differs: bool
) -> None:
    assert (certify(before, after, point) is not None) == differs


def test_a_certificate_prints_only_guaranteed_digits_and_a_bound() -> None:
    found = certify(sp.tanh(x), sp.tanh(x) * (1 + R(1, 10**45)), {x: R(1, 3)})
    assert found is not None and found.bound == "3.2e-46"
    assert found.lhs.shown() == found.rhs.shown() == "0.32151273753163434472"


def relu_derivation(final: sp.Expr, value: sp.Expr) -> Derivation:
    variables = (Var(x, Interval(-6, 6)),)
    step = Step(final, "by cases", None)
    return Derivation("relu", "ReLU", "test", "", variables, sp.Max(0, x), (step,), x,
                      kink=Kink(x, sp.S.Zero, value, "test"))


@pytest.mark.parametrize(("final", "value", "expected"), [
    (sp.Heaviside(x, 0), 0, "proved"),
    (sp.Heaviside(x), 0, "refuted"),  # 1/2 at the kink, where the derivation says 0
    (sp.Piecewise((1, x >= 0), (0, True)), 1, "proved"),
    (sp.Piecewise((1, x >= 0), (0, True)), 0, "refuted"),
])
def test_the_kink_itself_is_checked_against_the_stated_convention(final: sp.Expr, value: int, expected: str) -> None:
    result = verify(relu_derivation(final, sp.Integer(value)))
    assert result.steps[0].verdict.verdict == expected


@pytest.mark.parametrize("claim", [sp.Heaviside(x, 0), sp.Heaviside(x), sp.Heaviside(x, 1)])
def test_a_derivative_at_an_undeclared_kink_is_neither_refuted_nor_proved(claim: sp.Expr) -> None:
    # d/dx max(0, x) has no value at 0; SymPy's Heaviside(x) says 1/2 there, PyTorch 0: conventions, to be declared
    verdict = check_step(sp.Derivative(sp.Max(0, x), x), claim, REAL)
    assert verdict.verdict == "unproved"
    assert "kink (x = 0)" in verdict.method


HARD_TRUE = (sp.expand((x + 1) ** 300) - (x + 1) ** 300 + 1, sp.S.One)
BIG_POWER = ((1 + x) ** R(10**9 + 1, 3), (1 + x) ** R(10**9 + 1, 3) * (1 + R(1, 10**3000)))


def timed(before: sp.Expr, after: sp.Expr, budget: float, in_thread: bool) -> float:
    context = Context((Var(x, Interval(0.5, 6)),), budget_seconds=budget)
    outcome = {}

    def run() -> None:
        started = time.perf_counter()
        outcome["verdict"] = check_step(before, after, context)
        outcome["seconds"] = time.perf_counter() - started

    if in_thread:
        worker = threading.Thread(target=run)
        worker.start()
        worker.join()
    else:
        run()
    assert outcome["verdict"].verdict != "refuted"
    return outcome["seconds"]


@pytest.mark.parametrize("budget", [0.5, 2.0, 6.0])
@pytest.mark.parametrize("in_thread", [False, True], ids=["main thread", "other thread"])
@pytest.mark.parametrize("case", [HARD_TRUE, BIG_POWER], ids=["hard true identity", "big power"])
def test_a_step_ends_within_its_budget_on_any_thread(case: tuple, budget: float, in_thread: bool) -> None:
    assert timed(*case, budget, in_thread) <= budget + 0.5


def test_a_step_ends_within_its_budget_in_a_pool_worker() -> None:
    budget = 0.5
    before, after = BIG_POWER
    steps = (Step(after, "hostile", None),)
    derivation = Derivation("big", "big power", "test", "", (Var(x, Interval(0.5, 6)),), before, steps)
    results = verify_all([derivation, dataclasses.replace(derivation, id="big-2")], budget, jobs=2)
    for result in results:
        assert result.steps[0].verdict.verdict == "unproved"
        assert result.steps[0].verdict.seconds <= budget + 0.5


def test_the_verdict_does_not_depend_on_the_thread() -> None:
    context = on((x, 0.5, 6))
    main = check_step(sp.gamma(x + 1), x * sp.gamma(x), context)
    found = {}
    step = (sp.gamma(x + 1), x * sp.gamma(x), context)
    thread = threading.Thread(target=lambda: found.setdefault("v", check_step(*step)))
    thread.start()
    thread.join()
    assert main.verdict == found["v"].verdict == "proved"
    assert main.method == found["v"].method


def test_a_wrong_entry_among_renamings_of_a_proved_one_is_refuted() -> None:
    # entries 2 and 3 are renamings of entry 1 in the true column; the wrong column breaks the renaming at entry 3
    context = Context(tuple(Var(v, Interval(-3, 3)) for v in (z1, z2, z3)))
    true = sp.ImmutableMatrix([sp.exp(v) / S3 for v in (z1, z2, z3)])
    wrong = sp.ImmutableMatrix([sp.exp(z1) / S3, sp.exp(z2) / S3, sp.exp(z3) / S3 * R(1000001, 1000000)])
    verdict = check_step_here(true, wrong, context)
    assert verdict.verdict == "refuted"
    assert verdict.counterexample is not None and verdict.counterexample.entry == "(3, 1) of 3 x 1"


ATOMS = [x, sp.exp(x), sp.log(1 + x**2), sigmoid(x), sp.tanh(x), sp.Max(0, x), x**3, sp.Heaviside(x, 0)]


@st.composite
def expressions(draw: st.DrawFn, depth: int = 2) -> sp.Expr:
    if depth == 0:
        return draw(st.sampled_from(ATOMS))
    left, right = draw(expressions(depth - 1)), draw(expressions(depth - 1))
    combine = draw(st.sampled_from(["add", "mul", "sub", "exp", "sigmoid"]))
    return {"add": left + right, "mul": left * right, "sub": left - right,
            "exp": sp.exp(left / 10), "sigmoid": sigmoid(left)}[combine]


def rewritten(expr: sp.Expr) -> sp.Expr:
    """The same function written differently (never simplified to a different one)."""
    return sp.expand(expr.rewrite(sp.exp))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(expressions(), st.sampled_from([R(1, 1000), 1, x / 1000]))
def test_random_expressions_rewritten_are_never_refuted_and_mutants_never_proved(expr: sp.Expr, slip: sp.Expr) -> None:
    context = on((x, -4, 4), budget=1.0)
    assert check_step(expr, rewritten(expr), context).verdict != "refuted"
    assert check_step(expr, rewritten(expr) + slip, context).verdict != "proved"


def test_a_finite_domain_still_screens_its_values() -> None:
    label = sp.Symbol("y", integer=True)
    context = Context((Var(label, Choice((0, 1))), Var(x, Interval(-6, 6))))
    assert check_step(label**2 * x, label * x, context).verdict == "proved"
    assert check_step(label**2 * x, label * x + label, context).verdict == "refuted"


def test_a_point_on_a_kink_of_a_function_under_a_derivative_is_no_counterexample() -> None:
    """Hinge loss: at t w x = 1 the derivative of max(0, 1 - t w x) has no value; the screen must not refute there."""
    from verifier.reader.document import read_text

    text = ("# Hinge\n\n```where\nw, x in (-2, 2)\nt in {-1, 1}\n\\ell = \\max(0, 1 - t w x)\n```\n\n"
            "$$\\frac{\\partial \\ell}{\\partial w} = \\begin{cases} -t x & \\text{if } t w x < 1 \\\\ "
            "0 & \\text{otherwise} \\end{cases}$$\n")
    (read,) = read_text(text, "hinge.md").derivations
    from verifier import verify

    assert verify(read.derivation, 2.0).steps[0].verdict.verdict != "refuted"
