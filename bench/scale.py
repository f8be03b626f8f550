"""How verification time grows: softmax with cross-entropy in K, x^T A x in n, a network layer in width."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import sympy as sp

from bench.naive import compare
from bench.workloads import quadratic_form, softmax_derivations
from derivations.notation import derivation, matrix, ones, step
from verifier import Derivation, verify


@dataclass(frozen=True)
class Point:
    """One size: seconds to build the derivations and to verify them, and whether all held."""

    size: int
    build: float
    verify: float
    unexpected: tuple[str, ...]  # steps whose verdict is not the expected one: id, step, verdict, method
    naive: float | None = None  # seconds for the naive checker on the same steps, where measured


def measure(sizes: Sequence[int], make: Callable[[int], Sequence[Derivation]], naive_up_to: int = 0,
            cap: float = 30.0) -> list[Point]:
    """Build and verify the derivations at each size (the naive checker too, up to `naive_up_to`)."""
    points = []
    for size in sizes:
        started = time.perf_counter()
        derivations = make(size)
        built = time.perf_counter() - started
        started = time.perf_counter()
        results = [verify(d) for d in derivations]
        verified = time.perf_counter() - started
        expected = tuple(f"{r.derivation.id} step {s.index} {s.verdict.verdict} ({s.verdict.method[:60]})"
                         for r in results for s in r.steps if not s.as_expected)
        naive = None
        if size <= naive_up_to:
            naive = sum(row.naive_seconds for row in compare(derivations, cap))
        points.append(Point(size, built, verified, expected, naive))
    return points


def growth(points: list[Point]) -> float | None:
    """The exponent p of verify time ~ size^p, fitted over the larger half of the sizes."""
    usable = [p for p in points if p.verify > 0][len(points) // 2 - 1 if len(points) > 3 else 0:]
    if len(usable) < 2:
        return None
    slope = np.polyfit([math.log(p.size) for p in usable], [math.log(p.verify) for p in usable], 1)[0]
    return float(slope)


def softmax_jacobian_and_gradient(k: int) -> tuple[Derivation, ...]:
    """The softmax Jacobian's two cases and the cross-entropy gradient at K = k."""
    _, diagonal, off_diagonal, _, gradient = softmax_derivations(k)
    return diagonal, off_diagonal, gradient


def xtax(n: int) -> tuple[Derivation, ...]:
    """x^T A x as an index sum, and its gradient, at size n."""
    return quadratic_form(n)


def network_layer(width: int, batch: int = 2, classes: int = 3) -> tuple[Derivation, ...]:
    """dL/dW = A^T G and dL/dA = G W^T for Z = A W + b, any loss L = ell(Z), hidden width `width`."""
    a, a_vars = matrix("a", batch, width)
    w, w_vars = matrix("w", width, classes)
    b, b_vars = matrix("b", 1, classes)
    z = sp.ImmutableMatrix(a @ w + ones(batch, 1) @ b)
    loss = sp.Function("ell")(*z)
    g = sp.ImmutableMatrix(batch, classes, lambda i, j: loss.fdiff(i * classes + j + 1))
    variables = [*a_vars, *w_vars, *b_vars]
    return (
        derivation(id=f"bench-dW-{width}", title="dL/dW", note="bench", where="", variables=variables,
                   function=loss, variable=w, steps=[step(r"A^T G", sp.ImmutableMatrix(a.T @ g), "chain rule")]),
        derivation(id=f"bench-dA-{width}", title="dL/dA", note="bench", where="", variables=variables,
                   function=loss, variable=a, steps=[step(r"G W^T", sp.ImmutableMatrix(g @ w.T), "chain rule")]),
    )
