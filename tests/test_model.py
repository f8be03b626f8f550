"""The model refuses malformed derivations with errors that say what is wrong."""

from collections.abc import Callable

import pytest
import sympy as sp

from verifier import Choice, Derivation, Interval, Step, Var

x, y = sp.Symbol("x", real=True), sp.Symbol("y", real=True)


def make(**changes: object) -> Derivation:
    fields = {
        "id": "t", "title": "t", "note": "n", "where": "w",
        "variables": (Var(x, Interval(-1, 1)),), "function": x**2,
        "steps": (Step(2 * x, "power rule", "2x"),), "variable": x,
    }
    return Derivation(**{**fields, **changes})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: Interval(1, 1), "empty interval"),
        (lambda: Choice(()), "at least one value"),
        (lambda: Step(x, "why", None, "wrong-kind"), "expected must be one of"),
        (lambda: Step(x, "why", None, "error"), "one-line explanation"),
        (lambda: make(steps=()), "at least one step"),
        (lambda: make(steps=(Step(2 * y, "why", None),)), "undeclared symbols y"),
        (lambda: make(variable=sp.Symbol("w")), "variable w has no domain"),  # a defined one is held (dL/da)
    ],
)
def test_malformed_input_is_refused_with_a_clear_message(build: Callable[[], object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build()


def test_a_well_formed_derivation_starts_from_the_derivative() -> None:
    assert make().start == sp.Derivative(x**2, x)
