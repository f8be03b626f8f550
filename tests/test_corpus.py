"""Every derivation of the corpus meets its expectation, and the notes' errors are found."""

import pytest

from derivations import ALL, BY_ID
from verifier import DerivationResult

Results = dict[str, DerivationResult]


def describe_mismatches(result: DerivationResult) -> str:
    lines = [
        f"step {r.index} expected {r.step.expected}, got {r.verdict.verdict} ({r.verdict.method})"
        for r in result.steps
        if not r.as_expected
    ]
    if result.numeric is not None and not result.numeric.passed:
        lines.append(f"numeric check failed: {result.numeric}")
    return "; ".join(lines)


@pytest.mark.parametrize("derivation_id", [d.id for d in ALL])
def test_derivation_meets_its_expectation(derivation_id: str, corpus_results: Results) -> None:
    result = corpus_results[derivation_id]
    assert result.ok, describe_mismatches(result)


@pytest.mark.parametrize("derivation_id", [d.id for d in ALL])
def test_every_refutation_has_a_certified_counterexample(derivation_id: str, corpus_results: Results) -> None:
    for r in corpus_results[derivation_id].steps:
        if r.verdict.verdict == "refuted" and r.verdict.shape_error is None:
            example = r.verdict.counterexample
            assert example is not None and example.lhs != example.rhs
            assert example.bound is not None or "undefined" in example.lhs + example.rhs  # certified
            assert len(example.lhs.replace("-", "").replace(".", "")) >= 15  # only guaranteed digits, up to 20


def test_the_notes_errors_are_where_the_notes_are_wrong(corpus_results: Results) -> None:
    refuted = {
        (d_id, r.index)
        for d_id, result in corpus_results.items()
        for r in result.steps
        if r.verdict.verdict == "refuted"
    }
    flagged = {(d.id, i) for d in ALL for i, s in enumerate(d.steps) if s.expected in ("error", "slip")}
    assert refuted == flagged


def test_every_note_is_covered() -> None:
    assert {d.note[:3] for d in ALL} == {"000", "001", "002", "003", "004"}


@pytest.mark.parametrize(
    ("derivation_id", "convention"),
    [("000-relu", "0"), ("001-relu", "1"), ("004-relu", "undefined"), ("001-step", "0")],
)
def test_kink_conventions_are_checked_and_shown(derivation_id: str, convention: str, corpus_results: Results) -> None:
    kink = corpus_results[derivation_id].numeric.kink
    assert kink is not None and kink.consistent
    assert kink.convention.startswith(convention)


def test_relu_one_sided_derivatives_differ_at_the_kink(corpus_results: Results) -> None:
    kink = corpus_results["004-relu"].numeric.kink
    assert kink.left == pytest.approx(0, abs=1e-9) and kink.right == pytest.approx(1, abs=1e-9)
    assert BY_ID["004-relu"].kink is not None
