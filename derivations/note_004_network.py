"""Note 004 ("write backprop for my neural network"): the backward pass of its ReLU/softmax network.

X is n x 3; Z1 = X W1 + b1 (10 units), A1 = ReLU(Z1); Z2 = A1 W2 + b2 (6 units), A2 = ReLU(Z2);
Z3 = A2 W3 + b3 (3 classes); Yhat = softmax(Z3) by rows; L = -(1/n) sum Y * log(Yhat): the mean
cross-entropy over the batch, with one-hot rows of Y.

Proofs, entry by entry at a reduced size (a batch of 2, the note's 3 inputs and 3 classes, hidden
widths 2 and 2), go layer by layer. dL/dZ3 = (Yhat - Y)/n is proved for the cross-entropy itself.
Every other step is proved for any loss above its layer: L = ell(Z), ell an arbitrary differentiable
function of the layer's pre-activations, whose gradient G = dL/dZ is ell's partial derivatives. The
recursions dZ2 and dZ1 then chain these into the whole backward pass. A ReLU is proved on every
region at once: on a region its 0/1 pattern M is constant and ReLU(Z) = M * Z elementwise, so M is
left as free 0/1 symbols. Each weight and bias gradient is then confirmed numerically at the note's
sizes (a batch of 8, 3 -> 10 -> 6 -> 3, all 127 parameters) by the same formula code run on NumPy
arrays, against complex-step differentiation of the real loss with max(Z, 0).
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
    error,
    log,
    mask,
    matrix,
    slip,
    softmax_rows,
    step,
)
from verifier.gradcheck import check_gradients
from verifier.model import Constraint, Derivation, Factor, Step, Var
from verifier.verdicts import NumericCheck

NOTE = "004_92ccb6d64e70ff8c.txt"
N, D_IN, H1, H2, K = 2, 3, 2, 2, 3  # the reduced size of the proofs
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
X, X_DOM = matrix("x", N, D_IN)
W1, W1_DOM = matrix("w1", D_IN, H1)
B1, B1_DOM = matrix("b1", 1, H1)
W2, W2_DOM = matrix("w2", H1, H2)
B2, B2_DOM = matrix("b2", 1, H2)
W3, W3_DOM = matrix("w3", H2, K)
B3, B3_DOM = matrix("b3", 1, K)
A1, A1_DOM = matrix("a1", N, H1)
A2, A2_DOM = matrix("a2", N, H2)
Z1, Z1_DOM = matrix("z1", N, H1)
Z2, Z2_DOM = matrix("z2", N, H2)
Z3, Z3_DOM = matrix("z3", N, K, -3, 3)
M1, M1_DOM = mask("m1", N, H1)
M2, M2_DOM = mask("m2", N, H2)
Y, Y_DOM = mask("y", N, K)
ALL_DOMAINS = [*X_DOM, *W1_DOM, *B1_DOM, *W2_DOM, *B2_DOM, *W3_DOM, *B3_DOM, *A1_DOM, *A2_DOM, *Z1_DOM,
               *Z2_DOM, *Z3_DOM, *M1_DOM, *M2_DOM, *Y_DOM]
ONE_HOT = tuple(Constraint(Y[i, -1], 1 - sum(Y[i, c] for c in range(K - 1)), f"row {i + 1} of Y is one-hot")
                for i in range(N))
UPSTREAM = {3: sp.Function("ell3"), 2: sp.Function("ell2"), 1: sp.Function("ell1")}


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


def product(*factors: tuple[str, int | str, int | str]) -> tuple[tuple[Factor, ...], ...]:
    """One matrix product as the note writes it, with the note's shapes."""
    return (tuple(Factor(*f) for f in factors),)


def gradient(
    name: str, title: str, where: str, loss: sp.Expr, variable: sp.ImmutableMatrix, steps: list[Step],
    remarks: str = "", constraints: tuple[Constraint, ...] = (),
) -> Derivation:
    """dL/d`name` with its steps; weights and biases are also confirmed numerically at full size."""
    override = full_size_check(name) if name[0] in "Wb" else None
    return derivation(
        id=f"004-net-d{name}", title=title, note=NOTE, where=where or None,
        variables=domains(loss, variable, *(s.expr for s in steps)), function=loss, variable=variable,
        steps=steps, remarks=remarks, constraints=constraints, numeric_override=override,
    )


ANY_LOSS = ("The loss above Z_{layer} is any differentiable function ell{layer} of its entries, so the step "
            "holds whatever the layers above compute.")
MASKS = " The ReLU mask M is free 0/1 symbols: the identity holds on every region of the ReLUs."
MISREAD = "dZ_3/dW_3 stands where dL/dZ_3 belongs: read entry by entry, the product does not involve the loss"

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
)
DW3 = gradient(
    "W3", "dL/dW_3", "", upstream_loss(3, Z3_OF_W3), W3,
    [
        slip(r"\frac{\partial L}{\partial W_3} = \frac{\partial L}{\partial Z_3} \cdot \frac{\partial Z_3}{\partial W_3} "
             r"= A_2^T \cdot \frac{\partial Z_3}{\partial W_3}",
             sp.ImmutableMatrix(H2, K, lambda j, c: sum(A2[i, j] * D(Z3_OF_W3[i, c], W3[j, c]) for i in range(N))),
             "chain rule", MISREAD, cites=(147,)),
        completion(weight_gradient(A2, G3_W), "A_2^T dL/dZ_3", product(("A_2^T", 6, "n"), ("dL/dZ_3", "n", 3))),
    ],
    ANY_LOSS.format(layer=3),
)
Z3_OF_A2 = dense(A2, W3, B3)
DA2 = gradient(
    "A2", "dL/dA_2", "", upstream_loss(3, Z3_OF_A2), A2,
    [
        slip(r"\frac{\partial L}{\partial A_2} = \frac{\partial Z_3}{\partial W_3} \cdot W_3^T",
             sp.ImmutableMatrix(N, H2, lambda i, j: sum(D(Z3_OF_A2[i, c], W3[j, c]) * W3[j, c] for c in range(K))),
             "chain rule", MISREAD, cites=(149,)),
        completion(input_gradient(upstream_gradient(3, Z3_OF_A2), W3), "dL/dZ_3 W_3^T",
                   product(("dL/dZ_3", "n", 3), ("W_3^T", 3, 6))),
    ],
    ANY_LOSS.format(layer=3),
)
DB3 = gradient(
    "b3", "dL/db_3", "", upstream_loss(3, Z3_OF_W3), B3,
    [step(r"\frac{\partial L}{\partial b_3} = \sum_i \frac{\partial L}{\partial Z_{3ik}}", batch_sum(G3_W),
          "b_3 is added to every row of Z_3", cites=(151,))],
    ANY_LOSS.format(layer=3),
)
Z2_RELATION = derivation(
    id="004-net-Z2", title="The second layer's pre-activation Z_2", note=NOTE,
    variables=domains(A1, W2, B2), function=dense(A1, W2, B2),
    steps=[
        error(r"Z_2 = A_1 W_1 + b_2", dense(A1, W2, B2), "the forward pass",
              "the wrong layer's weight: A_1 (n x 10) times W_1 (3 x 10) does not conform; it is W_2 (10 x 6)",
              product(("A_1", "n", 10), ("W_1", 3, 10)), cites=(155,)),
        completion(dense(A1, W2, B2), "Z_2 = A_1 W_2 + b_2", product(("A_1", "n", 10), ("W_2", 10, 6))),
    ],
)
Z3_OF_Z2 = dense(hadamard(M2, Z2), W3, B3)
DZ2_FORMULA = through_relu(input_gradient(upstream_gradient(3, Z3_OF_Z2), W3), M2)
DZ2 = gradient(
    "Z2", "dL/dZ_2 through ReLU", "", upstream_loss(3, Z3_OF_Z2), Z2,
    [
        slip(r"\frac{\partial L}{\partial Z_2} = \frac{\partial L}{\partial A_2} \cdot \frac{\partial A_2}{\partial Z_2} "
             r"= \frac{\partial L}{\partial A_2} \cdot \begin{cases} 1, Z_2 > 0 \\ 0, Z_2 \leq 0 \end{cases}",
             DZ2_FORMULA, "chain rule through ReLU",
             "the product is elementwise: as a matrix product, n x 6 times n x 6 does not conform",
             product(("dL/dA_2", "n", 6), ("1[Z_2 > 0]", "n", 6)), cites=(159,)),
        completion(DZ2_FORMULA, "(dL/dZ_3 W_3^T) * 1[Z_2 > 0], elementwise"),
    ],
    ANY_LOSS.format(layer=3) + MASKS,
)
Z2_OF_W2 = dense(A1, W2, B2)
Z2_OF_A1 = dense(A1, W2, B2)
Z2_OF_Z1 = dense(hadamard(M1, Z1), W2, B2)
Z1_OF_W1 = dense(X, W1, B1)
COMPLETIONS = (
    ("W2", upstream_loss(2, Z2_OF_W2), W2, weight_gradient(A1, upstream_gradient(2, Z2_OF_W2)), "A_1^T dL/dZ_2"),
    ("b2", upstream_loss(2, Z2_OF_W2), B2, batch_sum(upstream_gradient(2, Z2_OF_W2)), "the batch sum of dL/dZ_2"),
    ("A1", upstream_loss(2, Z2_OF_A1), A1, input_gradient(upstream_gradient(2, Z2_OF_A1), W2), "dL/dZ_2 W_2^T"),
    ("Z1", upstream_loss(2, Z2_OF_Z1), Z1,
     through_relu(input_gradient(upstream_gradient(2, Z2_OF_Z1), W2), M1), "(dL/dZ_2 W_2^T) * 1[Z_1 > 0]"),
    ("W1", upstream_loss(1, Z1_OF_W1), W1, weight_gradient(X, upstream_gradient(1, Z1_OF_W1)), "X^T dL/dZ_1"),
    ("b1", upstream_loss(1, Z1_OF_W1), B1, batch_sum(upstream_gradient(1, Z1_OF_W1)), "the batch sum of dL/dZ_1"),
)


def completed(name: str, loss: sp.Expr, variable: sp.ImmutableMatrix, formula: sp.MatrixBase, why: str) -> Derivation:
    """A gradient the note leaves out: backproof's completion, one step."""
    layer = 2 if name in ("W2", "b2", "A1", "Z1") else 1
    remarks = ANY_LOSS.format(layer=layer) + (MASKS if name == "Z1" else "")
    return gradient(name, f"dL/d{name[0]}_{name[1]} (completion)", "after line 161, where the note stops", loss, variable,
                    [completion(formula, why)], remarks)


DERIVATIONS = (DZ3, DW3, DA2, DB3, Z2_RELATION, DZ2, *(completed(*c) for c in COMPLETIONS))
