"""Note 004 ("write backprop for my neural network"): the two lines matrix notation cannot yet read.

Line 84 writes dL/dZ_3 as the tuple of its entries dL/dz_r, and line 151 sums entries dL/dZ_{3ik} over
i: both are entry notation on matrices, which the text format does not read. Every other line of the
network, and the completed backward pass, is in `004_92ccb6d64e70ff8c.md` in matrix notation, proved for
every size. Here, as before, the network is written entry by entry at a reduced size (a batch of 2, the
note's 3 inputs and 3 classes, hidden widths 2 and 2): dL/dZ3 for the mean cross-entropy with one-hot rows
of Y, and dL/db3 for any loss above the layer (L = ell(Z3), ell an arbitrary differentiable function of
Z3's entries). The bias gradient is also confirmed numerically at the note's sizes (a batch of 8,
3 -> 10 -> 6 -> 3) by the same formula code run on NumPy arrays, against complex-step differentiation of
the real loss with max(Z, 0).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import numpy as np
import sympy as sp

from derivations.notation import (
    D,
    completion,
    derivation,
    log,
    mask,
    matrix,
    softmax_rows,
    step,
)
from verifier.gradcheck import check_gradients
from verifier.model import Constraint, Derivation, Step, Var
from verifier.verdicts import NumericCheck

NOTE = "004_92ccb6d64e70ff8c.txt"
N, H2, K = 2, 2, 3  # the reduced size of the proofs
FULL = {"n": 8, "d": 3, "h1": 10, "h2": 6, "k": 3}
Array = sp.MatrixBase | np.ndarray


# The backward pass, written once for SymPy matrices and NumPy arrays alike.
def matmul(a: Array, b: Array) -> Array:
    """a b."""
    return a @ b


def hadamard(a: Array, b: Array) -> Array:
    """a * b elementwise."""
    return a.multiply_elementwise(b) if isinstance(a, sp.MatrixBase) else a * b


def batch_sum(g: Array) -> Array:
    """The sum over the rows (the batch) of g, as a row."""
    return sp.ones(1, g.shape[0]) @ g if isinstance(g, sp.MatrixBase) else g.sum(axis=0, keepdims=True)


def output_signal(yhat: Array, y: Array) -> Array:
    """dL/dZ3 = (Yhat - Y) / n for the mean cross-entropy."""
    return (yhat - y) / y.shape[0]


def weight_gradient(inputs: Array, signal: Array) -> Array:
    """dL/dW = (layer input)^T dL/dZ."""
    return matmul(inputs.T, signal)


def input_gradient(signal: Array, weights: Array) -> Array:
    """dL/d(layer input) = dL/dZ W^T."""
    return matmul(signal, weights.T)


def through_relu(gradient: Array, slope: Array) -> Array:
    """dL/dZ = dL/dA * ReLU'(Z), elementwise."""
    return hadamard(gradient, slope)


# The full-size numeric confirmation: the same formula functions on NumPy arrays.
def full_size_check(name: str) -> Callable[[], NumericCheck]:
    """Complex step on the real loss against the backward-pass formulas, for one parameter."""
    return partial(confirm_at_full_size, name)


def confirm_at_full_size(name: str) -> NumericCheck:
    """The check `full_size_check` defers (a module-level function, so results can cross processes)."""
    return check_gradients(full_loss, full_gradients, full_draws(), (name,))


def relu(z: np.ndarray) -> np.ndarray:
    """max(z, 0), chosen by the real part, so complex steps pass through it."""
    return np.where(z.real > 0, z, 0)


def forward(p: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Every layer of the network on NumPy arrays."""
    z1 = p["X"] @ p["W1"] + p["b1"]
    z2 = relu(z1) @ p["W2"] + p["b2"]
    z3 = relu(z2) @ p["W3"] + p["b3"]
    yhat = np.exp(z3) / np.exp(z3).sum(axis=1, keepdims=True)
    return {"Z1": z1, "Z2": z2, "Z3": z3, "A1": relu(z1), "A2": relu(z2), "Yhat": yhat}


def full_loss(p: dict[str, np.ndarray]) -> complex:
    """Mean cross-entropy of the network."""
    return -np.sum(p["Y"] * np.log(forward(p)["Yhat"])) / p["Y"].shape[0]


def full_gradients(p: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The completed backward pass, with the formula functions above."""
    v = forward(p)
    g3 = output_signal(v["Yhat"], p["Y"])
    g2 = through_relu(input_gradient(g3, p["W3"]), (v["Z2"] > 0).astype(float))
    g1 = through_relu(input_gradient(g2, p["W2"]), (v["Z1"] > 0).astype(float))
    return {
        "W3": weight_gradient(v["A2"], g3), "b3": batch_sum(g3),
        "W2": weight_gradient(v["A1"], g2), "b2": batch_sum(g2),
        "W1": weight_gradient(p["X"], g1), "b1": batch_sum(g1),
    }


def full_draws(count: int = 4, seed: int = 4) -> list[dict[str, np.ndarray]]:
    """Random networks at the note's sizes with one-hot labels."""
    rng = np.random.default_rng(seed)
    n, d, h1, h2, k = FULL["n"], FULL["d"], FULL["h1"], FULL["h2"], FULL["k"]
    shapes = {"X": (n, d), "W1": (d, h1), "b1": (1, h1), "W2": (h1, h2), "b2": (1, h2), "W3": (h2, k), "b3": (1, k)}
    draws = []
    for _ in range(count):
        p = {name: rng.normal(size=shape) for name, shape in shapes.items()}
        p["Y"] = np.eye(k)[rng.integers(0, k, size=n)]
        draws.append(p)
    return draws


# Symbols at the reduced size.
W3, W3_DOM = matrix("w3", H2, K)
B3, B3_DOM = matrix("b3", 1, K)
A2, A2_DOM = matrix("a2", N, H2)
Z3, Z3_DOM = matrix("z3", N, K, -3, 3)
Y, Y_DOM = mask("y", N, K)
ALL_DOMAINS = [*W3_DOM, *B3_DOM, *A2_DOM, *Z3_DOM, *Y_DOM]
ONE_HOT = tuple(Constraint(Y[i, -1], 1 - sum(Y[i, c] for c in range(K - 1)), f"row {i + 1} of Y is one-hot")
                for i in range(N))
UPSTREAM = {3: sp.Function("ell3")}


def dense(inputs: sp.MatrixBase, weights: sp.MatrixBase, bias: sp.MatrixBase) -> sp.ImmutableMatrix:
    """Z = inputs W + b, the bias added to every row."""
    return sp.ImmutableMatrix(inputs @ weights + sp.ones(inputs.rows, 1) @ bias)


def upstream_loss(layer: int, z: sp.MatrixBase) -> sp.Expr:
    """The loss as an arbitrary function of the pre-activations of `layer`."""
    return UPSTREAM[layer](*z)


def upstream_gradient(layer: int, z: sp.MatrixBase) -> sp.ImmutableMatrix:
    """G = dL/dZ for L = ell(Z): ell's partial derivatives, at Z."""
    loss = upstream_loss(layer, z)
    return sp.ImmutableMatrix(z.rows, z.cols, lambda i, j: loss.fdiff(i * z.cols + j + 1))


def domains(*exprs: sp.Basic) -> list[Var]:
    """The domains of the symbols the expressions use."""
    used = set().union(*(e.free_symbols for e in exprs))
    return [v for v in ALL_DOMAINS if v.symbol in used]


def gradient(
    name: str, title: str, where: str, loss: sp.Expr, variable: sp.ImmutableMatrix, steps: list[Step],
    remarks: str = "", constraints: tuple[Constraint, ...] = (), id_suffix: str = "",
) -> Derivation:
    """dL/d`name` with its steps; weights and biases are also confirmed numerically at full size."""
    override = full_size_check(name) if name[0] in "Wb" else None
    return derivation(
        id=f"004-net-d{name}{id_suffix}", title=title, note=NOTE, where=where or None,
        variables=domains(loss, variable, *(s.expr for s in steps)), function=loss, variable=variable,
        steps=steps, remarks=remarks, constraints=constraints, numeric_override=override,
    )


ANY_LOSS = ("The loss above Z_{layer} is any differentiable function ell{layer} of its entries, so the step "
            "holds whatever the layers above compute.")

Z3_OF_W3 = dense(A2, W3, B3)
G3_W = upstream_gradient(3, Z3_OF_W3)
DZ3 = gradient(
    "Z3", "dL/dZ_3 of the network (mean cross-entropy)", "",
    -sum(Y[i, c] * log(softmax_rows(Z3)[i, c]) for i in range(N) for c in range(K)) / N, Z3,
    [
        step(r"\frac{\partial L}{\partial Z_3} = \left(\frac{\partial L}{\partial z_r} \right)_{r \in \{1, \dots, k\}}",
             Z3.applyfunc(lambda e: D(-sum(Y[i, c] * log(softmax_rows(Z3)[i, c]) for i in range(N)
                                           for c in range(K)) / N, e)), "the gradient entry by entry", cites=(84,)),
        completion(output_signal(softmax_rows(Z3), Y), "the note's yhat_r - y_r in every row, over n for the mean"),
    ],
    constraints=ONE_HOT,
    id_suffix="-entries",
)
DB3 = gradient(
    "b3", "dL/db_3", "", upstream_loss(3, Z3_OF_W3), B3,
    [step(r"\frac{\partial L}{\partial b_3} = \sum_i \frac{\partial L}{\partial Z_{3ik}}", batch_sum(G3_W),
          "b_3 is added to every row of Z_3", cites=(151,))],
    ANY_LOSS.format(layer=3),
)

DERIVATIONS = (DZ3, DB3)
