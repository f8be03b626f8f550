"""Numeric accuracy: backproof's cross-check beside central differences and Richardson extrapolation.

For every derivative derivation with one variable, at the cross-check's own points, each method's
numerical derivative is compared with the derivation's final closed form; then a relative error
eps is planted in the closed form and each method's usual pass rule is asked whether it notices.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import sympy as sp

from verifier import Derivation, verify
from verifier.context import Context
from verifier.evaluate import evaluate_floats
from verifier.numeric import TOLERANCE, central, complex_step, max_relative_error, richardson, sampled

PLANTED = [10.0**-k for k in range(1, 13)]
# Each method with its step and its pass rule, as the tools document their defaults (float64):
# torch.autograd.gradcheck: eps = 1e-6, allclose with atol = 1e-5, rtol = 1e-3;
# jax.test_util.check_grads: eps = 1e-4, atol = rtol = 1e-5 for float64.
TORCH = {"h": 1e-6, "atol": 1e-5, "rtol": 1e-3}
JAX = {"h": 1e-4, "atol": 1e-5, "rtol": 1e-5}
METHODS = ("backproof", "central h=1e-6 (torch)", "central h=1e-4 (jax)", "Richardson")


@dataclass(frozen=True)
class Accuracy:
    """One derivation: max relative error of each method, and the smallest planted error each detects."""

    derivation: str
    errors: dict[str, float]
    detected: dict[str, float | None]
    false_alarm: dict[str, bool]  # the method rejects the true derivative itself
    zero: bool  # the derivative is 0 at every point, so no relative error can be planted in it


def derivative_derivations(derivations: list[Derivation]) -> list[Derivation]:
    """Those whose final step is a derivative in one scalar variable, checked numerically by backproof."""
    return [d for d in derivations if isinstance(d.variable, sp.Symbol) and d.numeric_override is None]


def measure(derivation: Derivation) -> Accuracy:
    """The accuracy of each method on one derivation."""
    result = verify(derivation)
    final = derivation.start
    for step in result.steps:
        if step.verdict.verdict != "refuted":
            final = step.step.expr
    problem = sampled(derivation, final, Context.of(derivation))
    (variable, derivative), = problem.pairs
    points, function = problem.points, problem.function
    exact = evaluate_floats(derivative, points)
    numeric = {
        "backproof": (complex_step if problem.steppable else richardson)(function, variable, points),
        "central h=1e-6 (torch)": central(function, variable, points, TORCH["h"]),
        "central h=1e-4 (jax)": central(function, variable, points, JAX["h"]),
        "Richardson": richardson(function, variable, points),
    }
    errors = {name: max_relative_error(values, exact) for name, values in numeric.items()}
    detected = {name: _smallest_detected(name, values, exact) for name, values in numeric.items()}
    alarms = {name: _fails(name, values, exact) for name, values in numeric.items()}
    return Accuracy(derivation.id, errors, detected, alarms, bool(np.all(exact == 0)))


def _smallest_detected(method: str, numeric: np.ndarray, exact: np.ndarray) -> float | None:
    found = None
    for eps in PLANTED:
        if _fails(method, numeric, exact * (1 + eps)):
            found = eps
        else:
            break
    return found


def _fails(method: str, numeric: np.ndarray, claimed: np.ndarray) -> bool:
    """Whether the method's pass rule rejects `claimed` as the derivative."""
    numeric, claimed = np.real(numeric), np.real(claimed)
    if method.endswith("(torch)"):
        return bool(np.any(np.abs(claimed - numeric) > TORCH["atol"] + TORCH["rtol"] * np.abs(numeric)))
    if method.endswith("(jax)"):
        return bool(np.any(np.abs(claimed - numeric) > JAX["atol"] + JAX["rtol"] * np.abs(numeric)))
    return max_relative_error(numeric, claimed) > TOLERANCE
