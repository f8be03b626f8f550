"""The public Python API, used the way the README shows."""

import pytest
import sympy as sp

from verifier import Choice, Derivation, Interval, Step, Var, check_step, verify
from verifier.context import Context
from verifier.serialize import summary_line


def test_build_and_verify_a_derivation_from_sympy_expressions() -> None:
    a = sp.Symbol("a", positive=True)
    y = sp.Symbol("y", integer=True)
    loss = -(y * sp.log(a) + (1 - y) * sp.log(1 - a))
    derivation = Derivation(
        id="bce", title="BCE in a", note="my-notes.md", where="page 1",
        variables=(Var(a, Interval(0, 1)), Var(y, Choice((0, 1)))),
        function=loss, variable=a,
        steps=(
            Step(-y / a + (1 - y) / (1 - a), "d/da log a = 1/a", r"-\frac{y}{a} + \frac{1-y}{1-a}"),
            Step((a - y) / (a * (1 - a)) * 2, "over a common denominator", None, "error", "a stray factor 2"),
            Step((a - y) / (a * (1 - a)), "over a common denominator", None, "completion"),
        ),
    )
    result = verify(derivation)
    assert [s.verdict.verdict for s in result.steps] == ["proved", "refuted", "proved"]
    assert result.ok and result.errors_found == 1
    assert result.numeric is not None and result.numeric.passed


def test_check_a_single_step() -> None:
    x = sp.Symbol("x", real=True)
    context = Context((Var(x, Interval(-3, 3)),))
    verdict = check_step(sp.cosh(x) ** 2 - sp.sinh(x) ** 2, sp.S.One, context)
    assert verdict.verdict == "proved" and verdict.method == "exp-rational"
    wrong = check_step(sp.cosh(x) ** 2 + sp.sinh(x) ** 2, sp.S.One, context)
    assert wrong.verdict == "refuted" and wrong.counterexample.point.keys() == {"x"}


@pytest.mark.parametrize(("counts", "line"), [
    ({"derivations": 1, "steps": 1, "proved": 0, "errors_found": 1, "unproved": 0, "unexpected": 0},
     "1 derivation, 1 step: 0 proved, 1 error in the notes found, 0 unproved, 0 unexpected"),
    ({"derivations": 2, "steps": 0, "proved": 0, "errors_found": 0, "unproved": 0, "unexpected": 0},
     "2 derivations, 0 steps: 0 proved, 0 errors in the notes found, 0 unproved, 0 unexpected"),
])
def test_the_summary_line_counts_in_words(counts: dict[str, int], line: str) -> None:
    assert summary_line(counts) == line
