"""Matrix steps: shapes as written, entries checked one by one, planted backprop errors caught at their step."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import sympy as sp

import derivations
from bench.workloads import quadratic_form, softmax_derivations
from derivations import BY_ID
from verifier import Context, Interval, Var, check_step, verify
from verifier.every_size import PROVED_METHOD
from verifier.matrix import shape_problem
from verifier.model import Factor
from verifier.reader.document import read_text


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


NOTE_004 = Path(derivations.__file__).with_name("004_92ccb6d64e70ff8c.md").read_text(encoding="utf-8")

PLANTS = [  # (what is planted, the derivation, the line as the corpus writes it, the line planted, the step)
    ("a missing transpose", "004-net-dW3", r"= A_2^T \frac{\partial L}{\partial Z_3} %",
     r"= A_2 \frac{\partial L}{\partial Z_3} %", 2),
    ("the wrong layer's weight", "004-net-dA1", r"\frac{\partial L}{\partial Z_2} W_2^T %",
     r"\frac{\partial L}{\partial Z_2} W_1^T %", 0),
    ("a dropped ReLU mask", "004-net-dZ1", r"W_2^T\right) \odot \mathbb{1}[Z_1 > 0]", r"W_2^T\right)", 0),
    ("the wrong layer's mask", "004-net-dZ2", r"W_3^T\right) \odot \mathbb{1}[Z_2 > 0]",
     r"W_3^T\right) \odot \mathbb{1}[Z_1 > 0]", 3),
    ("a bias gradient not summed over the batch", "004-net-db1", r"\mathbf{1}^T \frac{\partial L}{\partial Z_1} %",
     r"\frac{\partial L}{\partial Z_1} %", 0),
    ("the mean forgotten", "004-net-dZ3", r"\frac{1}{n} \left(\hat{Y} - Y\right)", r"\left(\hat{Y} - Y\right)", 0),
]


@pytest.mark.parametrize(("name", "derivation_id", "line", "planted", "index"), PLANTS, ids=[p[0] for p in PLANTS])
def test_planted_backprop_errors_are_refuted_at_their_step(
    name: str, derivation_id: str, line: str, planted: str, index: int
) -> None:
    assert NOTE_004.count(line) >= 1
    document = read_text(NOTE_004.replace(line, planted), "004_92ccb6d64e70ff8c.md")
    (read,) = [d for d in document.derivations if d.derivation.id == derivation_id]
    result = verify(read.derivation)
    assert result.steps[index].verdict.verdict == "refuted"
    assert [r.index for r in result.steps if not r.as_expected] == [index]


def test_planted_softmax_sign_error_is_refuted_at_its_step() -> None:
    derivation = BY_ID["004-softmax-off-diagonal-K3"]
    steps = list(derivation.steps)
    steps[2] = dataclasses.replace(steps[2], expr=-steps[2].expr)
    result = verify(dataclasses.replace(derivation, steps=tuple(steps)))
    assert [r.index for r in result.steps if not r.as_expected] == [2]


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
def test_the_entrywise_quadratic_form_is_checked_at_every_size(n: int) -> None:
    form, gradient = quadratic_form(n)
    assert verify(form).ok
    result = verify(gradient)
    assert result.ok
    assert [r.step.expected for r in result.steps if r.verdict.verdict == "refuted"] == ["error"]
    assert "MatrixSymbol" in gradient.steps[-1].justification


def test_the_quadratic_form_in_matrix_notation_is_judged_for_every_n(corpus_results) -> None:  # type: ignore[no-untyped-def]
    declared = corpus_results["004-xtax"].steps[0].verdict
    assert declared.verdict == "refuted" and "x^T (n x 1) times A (n x n)" in declared.shape_error
    gradient = corpus_results["004-xtax-gradient"]
    assert gradient.ok and gradient.numeric.passed
    assert {r.verdict.method for r in gradient.steps} == {PROVED_METHOD}
    entries = corpus_results["004-xtax-entries"]  # line 29 counts a_kk x_k^2 twice, for every size, once
    assert entries.ok and [r.step.expected for r in entries.steps if r.verdict.verdict == "refuted"] == ["error"]
    assert corpus_results["004-xtax-sum"].ok


def test_every_parameter_of_the_full_network_is_confirmed_numerically(corpus_results) -> None:  # type: ignore[no-untyped-def]
    entries = 0
    for derivation_id in ("004-net-dW1", "004-net-db1", "004-net-dW2", "004-net-db2", "004-net-dW3", "004-net-db3"):
        numeric = corpus_results[derivation_id].numeric
        assert numeric.passed and numeric.max_rel_error <= 1e-10
        entries += int(numeric.method.split(", ")[1].split()[0])
        assert "n = 8" in numeric.method or derivation_id == "004-net-db3"  # the note's sizes, a batch of 8
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
