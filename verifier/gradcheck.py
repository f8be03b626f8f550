"""A numeric gradient check for models given as code: complex step on every parameter entry."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from verifier.numeric import COMPLEX_STEP, TOLERANCE, max_relative_error
from verifier.verdicts import NumericCheck

Arrays = dict[str, np.ndarray]


def complex_step_gradients(loss: Callable[[Arrays], complex], parameters: Arrays, names: tuple[str, ...]) -> Arrays:
    """d loss / d parameter for every entry of the named parameters, by complex step.

    `loss` must be complex-step safe: analytic code, with any ReLU chosen by the real part.
    """
    gradients = {}
    for name in names:
        value = parameters[name]
        gradient = np.zeros(value.shape)
        for index in np.ndindex(value.shape):
            shifted = value.astype(complex)
            shifted[index] += 1j * COMPLEX_STEP
            gradient[index] = np.imag(loss({**parameters, name: shifted})) / COMPLEX_STEP
        gradients[name] = gradient
    return gradients


def check_gradients(
    loss: Callable[[Arrays], complex],
    claimed: Callable[[Arrays], Arrays],
    draws: list[Arrays],
    names: tuple[str, ...],
) -> NumericCheck:
    """Claimed gradients of `names` against complex step, at every draw of the parameters."""
    worst = 0.0
    for parameters in draws:
        numeric, formula = complex_step_gradients(loss, parameters, names), claimed(parameters)
        for name in names:
            worst = max(worst, max_relative_error(numeric[name], formula[name]))
    entries = sum(draws[0][n].size for n in names)
    return NumericCheck(f"complex step (h = 1e-20), {entries} entries", len(draws), worst, TOLERANCE)
