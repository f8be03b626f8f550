"""Matrix steps: shapes as written, entries checked one by one, planted backprop errors caught at their step."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import pytest
import sympy as sp

from derivations import BY_ID
from derivations import note_004_network as net
from derivations.note_004_calculus import softmax_derivations
from verifier import Context, Interval, Var, check_step, verify
from verifier.matrix import shape_problem
from verifier.model import Factor


@pytest.mark.parametrize(
    ("factors", "problem"),
    [
        ((("A", 4, 5), ("B", 3, 5)), "A (4 x 5) times B (3 x 5) does not conform (5 columns against 3 rows)"),
        ((("x^T", "n", 1), ("A", "n", "n")), "x^T (n x 1) times A (n x n) does not conform"),
        ((("A", 4, 5), ("B", 5, 3), ("C", 3, 1)), None),
        ((("G", "n", 6), ("W^T", 6, 10)), None),
    ],
)
def test_written_shapes_are_checked(factors: tuple, problem: str | None) -> None:
    found = shape_problem((tuple(Factor(*f) for f in factors),))
    assert (found is None) if problem is None else (problem in found)


def test_a_wrong_entry_is_refuted_with_its_indices() -> None:
    a = sp.ImmutableMatrix(2, 2, sp.symbols("a:4", real=True))
    context = Context(tuple(Var(s, Interval(-2, 2)) for s in a))
    wrong = sp.ImmutableMatrix([[a[0, 0], a[0, 1]], [a[1, 0], -a[1, 1]]])
    verdict = check_step(a, wrong, context)
    assert verdict.verdict == "refuted"
    assert verdict.counterexample.entry == "(2, 2) of 2 x 2"
    assert check_step(a, a.T.T, context).verdict == "proved"
    mismatch = check_step(a, a[:, 0], context)
    assert mismatch.verdict == "refuted" and "2 x 1" in mismatch.shape_error


def planted(derivation_id: str, index: int, expr: sp.Basic) -> list[int]:
    derivation = BY_ID[derivation_id]
    steps = list(derivation.steps)
    steps[index] = dataclasses.replace(steps[index], expr=expr)
    declared = {v.symbol for v in derivation.variables}
    extra = [v for v in net.ALL_DOMAINS if v.symbol in expr.free_symbols and v.symbol not in declared]
    variables = (*derivation.variables, *extra)
    result = verify(dataclasses.replace(derivation, steps=tuple(steps), variables=variables, numeric_override=None))
    assert result.steps[index].verdict.verdict == "refuted"
    return [r.index for r in result.steps if not r.as_expected]


def g(layer: int, z: sp.MatrixBase) -> sp.ImmutableMatrix:
    return net.upstream_gradient(layer, z)


PLANTS: list[tuple[str, str, int, Callable[[], sp.Basic]]] = [
    ("a missing transpose", "004-net-dW3", 1, lambda: net.A2 @ g(3, net.Z3_OF_W3)),
    ("the wrong layer's weight", "004-net-dA1", 0, lambda: g(2, net.Z2_OF_A1) @ net.W1.T),
    ("a dropped ReLU mask", "004-net-dZ1", 0, lambda: g(2, net.Z2_OF_Z1) @ net.W2.T),
    ("a bias gradient not summed over the batch", "004-net-db3", 0, lambda: g(3, net.Z3_OF_W3)),
    ("a softmax Jacobian with its off-diagonal sign flipped", "004-softmax-off-diagonal-K3", 2,
     lambda: -BY_ID["004-softmax-off-diagonal-K3"].steps[2].expr),
]


@pytest.mark.parametrize(("name", "derivation_id", "index", "make"), PLANTS, ids=[p[0] for p in PLANTS])
def test_planted_backprop_errors_are_refuted_at_their_step(
    name: str, derivation_id: str, index: int, make: Callable[[], sp.Basic]
) -> None:
    assert planted(derivation_id, index, make()) == [index]


@pytest.mark.parametrize("k", [2, 5, 10, 20])
def test_softmax_cross_entropy_gradient_entry_by_entry(k: int) -> None:
    gradient = softmax_derivations(k)[-1]
    result = verify(gradient)
    assert result.ok, [(r.index, r.verdict.verdict, r.verdict.method) for r in result.steps]
    assert f"{k} entries" in result.steps[-1].verdict.method


def test_the_cross_entropy_gradient_needs_the_labels_to_sum_to_1() -> None:
    gradient = BY_ID["004-cce-gradient-K3"]
    result = verify(dataclasses.replace(gradient, constraints=()))
    assert result.steps[-1].verdict.verdict == "refuted"


@pytest.mark.parametrize("n", [2, 3, 4, 5, 6])
def test_the_quadratic_form_is_checked_at_every_size(n: int, corpus_results) -> None:  # type: ignore[no-untyped-def]
    gradient = corpus_results[f"004-xtax-grad-n{n}"]
    assert gradient.ok
    assert [r.step.expected for r in gradient.steps if r.verdict.verdict == "refuted"] == ["error"]
    assert "MatrixSymbol" in gradient.derivation.steps[-1].justification
    assert corpus_results[f"004-xtax-n{n}"].steps[0].verdict.shape_error is not None


def test_every_parameter_of_the_full_network_is_confirmed_numerically(corpus_results) -> None:  # type: ignore[no-untyped-def]
    entries = 0
    for name in ("W1", "b1", "W2", "b2", "W3", "b3"):
        numeric = corpus_results[f"004-net-d{name}"].numeric
        assert numeric.passed and numeric.max_rel_error <= 1e-10
        entries += int(numeric.method.split(", ")[1].split()[0])
    assert entries == 127


def test_symbolic_k_is_proved_for_every_k(corpus_results) -> None:  # type: ignore[no-untyped-def]
    result = corpus_results["004-cce-gradient-symbolic-K"]
    assert result.ok
    assert "constraints" in result.steps[-2].verdict.method
    assert all(r.verdict.points_agreeing > 0 for r in result.steps[:3])  # screened at K = 2, 3, 4


def test_symbolic_k_refutes_with_the_size_in_the_counterexample() -> None:
    derivation = BY_ID["004-cce-gradient-symbolic-K"]
    steps = list(derivation.steps)
    steps[-1] = dataclasses.replace(steps[-1], expr=2 * steps[-1].expr)
    verdict = verify(dataclasses.replace(derivation, steps=tuple(steps))).steps[-1].verdict
    assert verdict.verdict == "refuted"
    assert {"K", "r"} <= set(verdict.counterexample.point)


def test_symbolic_k_needs_the_labels_to_sum_to_1() -> None:
    derivation = BY_ID["004-cce-gradient-symbolic-K"]
    result = verify(dataclasses.replace(derivation, constraints=()))
    assert [r.verdict.verdict for r in result.steps] == ["proved", "proved", "proved", "refuted"]
