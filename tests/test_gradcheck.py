"""The numeric gradient check for models written as NumPy code (the Python API's `check_gradients`)."""

import numpy as np
import pytest

from verifier.gradcheck import check_gradients


def loss(p: dict[str, np.ndarray]) -> complex:
    """The mean squared error of a linear layer with a tanh."""
    return np.sum(np.tanh(p["X"] @ p["W"] + p["b"]) ** 2) / p["X"].shape[0]


def gradients(p: dict[str, np.ndarray], factor: float = 1.0) -> dict[str, np.ndarray]:
    """Its gradients, written by hand; `factor` plants a wrong scale."""
    a = np.tanh(p["X"] @ p["W"] + p["b"])
    g = 2 * a * (1 - a**2) / p["X"].shape[0]
    return {"W": factor * p["X"].T @ g, "b": g.sum(axis=0, keepdims=True)}


def draws(count: int = 3) -> list[dict[str, np.ndarray]]:
    rng = np.random.default_rng(0)
    return [{"X": rng.normal(size=(5, 3)), "W": rng.normal(size=(3, 4)), "b": rng.normal(size=(1, 4))}
            for _ in range(count)]


@pytest.mark.parametrize(("factor", "passed"), [(1.0, True), (1.0 + 1e-6, False)])
def test_a_models_gradients_are_checked_by_complex_step(factor: float, passed: bool) -> None:
    check = check_gradients(loss, lambda p: gradients(p, factor), draws(), ("W", "b"))
    assert check.passed is passed
    assert check.method == "complex step (h = 1e-20), 16 entries" and check.points == 3
