"""The step checker: proved, refuted with a confirmed counterexample, or unproved."""

from __future__ import annotations

import dataclasses
import time

import sympy as sp

from verifier.budget import Deadline
from verifier.context import Context, Region
from verifier.matrix import explicit, is_matrix, shape_problem, shape_text
from verifier.model import Factor
from verifier.proof import (
    BUDGETED_METHODS,
    CHEAP_METHODS,
    decide_signs,
    prove_by_cases,
    prove_under_constraints,
    prove_zero,
)
from verifier.screen import SCREEN_RTOL, screen
from verifier.symmetry import Symmetry
from verifier.verdicts import Counterexample, StepVerdict

REFUTED_METHOD = "numeric screen, confirmed at 40 digits"


def check_step(
    before: sp.Expr, after: sp.Expr, context: Context, products: tuple[tuple[Factor, ...], ...] = ()
) -> StepVerdict:
    """Decide whether `after` equals `before` under the context's assumptions, on every region.

    `products` are the matrix products as the line writes them: one that does not conform refutes
    the step as a shape error. Matrix steps are checked entry by entry.
    """
    started = time.perf_counter()
    problem = shape_problem(products)
    if problem is not None:
        return StepVerdict("refuted", "shape check", time.perf_counter() - started, shape_error=problem)
    if is_matrix(before) or is_matrix(after):
        return _check_matrix(before, after, context, started)
    before, after = context.prepare(before), context.prepare(after)
    if before == after:
        return StepVerdict("proved", "structural", time.perf_counter() - started)
    example, agreeing = _screen_regions(before, after, context)
    if example is None:
        deadline = Deadline(context.budget_seconds)
        methods = [_prove_on(region, before, after, context, deadline) for region in context.regions]
        if all(m is not None for m in methods):
            seconds = time.perf_counter() - started
            return StepVerdict("proved", _describe(methods, context.regions), seconds, points_agreeing=agreeing)
        example, _ = _screen_regions(before, after, context, threshold=-1.0)  # below float64 resolution
    seconds = time.perf_counter() - started
    if example is not None:
        return StepVerdict("refuted", REFUTED_METHOD, seconds, example, agreeing)
    unproved = f"no exact method closed it; agrees at {agreeing} random points"
    return StepVerdict("unproved", unproved, seconds, points_agreeing=agreeing)


def _screen_regions(
    before: sp.Expr, after: sp.Expr, context: Context, threshold: float = SCREEN_RTOL
) -> tuple[Counterexample | None, int]:
    """The first confirmed counterexample over the regions, and how many points agreed before it."""
    agreeing = 0
    for region in context.regions:
        result = screen(before, after, context, region, threshold)
        if result.counterexample is not None:
            return result.counterexample, agreeing + result.agreeing
        agreeing += result.agreeing
    return None, agreeing


def _check_matrix(before: sp.Basic, after: sp.Basic, context: Context, started: float) -> StepVerdict:
    lhs, rhs = _as_matrix(before, context), _as_matrix(after, context)
    if lhs.shape != rhs.shape:
        problem = f"shape error: this step is {shape_text(rhs)}, the expression before it {shape_text(lhs)}"
        return StepVerdict("refuted", "shape check", time.perf_counter() - started, shape_error=problem)
    methods: dict[str, int] = {}
    agreeing, unproved = 0, 0
    proved: list[tuple[int, int]] = []
    symmetry = Symmetry.of(context, lhs, rhs)
    for i, j in _indices(lhs):
        if symmetry.reaches((i, j), proved):
            methods["symmetric to a proved entry"] = methods.get("symmetric to a proved entry", 0) + 1
            continue
        verdict = check_step(lhs[i, j], rhs[i, j], context)
        agreeing += verdict.points_agreeing
        if verdict.verdict == "refuted":
            where = f"({i + 1}, {j + 1}) of {shape_text(lhs)}"
            example = dataclasses.replace(verdict.counterexample, entry=where)  # type: ignore[arg-type]
            return StepVerdict("refuted", REFUTED_METHOD, time.perf_counter() - started, example, agreeing)
        unproved += verdict.verdict == "unproved"
        if verdict.verdict == "proved":
            proved.append((i, j))
        methods[verdict.method] = methods.get(verdict.method, 0) + 1
    seconds = time.perf_counter() - started
    summary = ", ".join(f"{m} x{n}" for m, n in sorted(methods.items(), key=lambda kv: -kv[1]))
    described = f"entry by entry ({len(rhs)} entries, {shape_text(rhs)}): {summary}"
    return StepVerdict("unproved" if unproved else "proved", described, seconds, points_agreeing=agreeing)


def _indices(matrix: sp.ImmutableMatrix) -> list[tuple[int, int]]:
    return [(i, j) for i in range(matrix.rows) for j in range(matrix.cols)]


def _as_matrix(expr: sp.Basic, context: Context) -> sp.ImmutableMatrix:
    """A matrix step's explicit form (entries prepared one by one later, when it is explicit already).

    A scalar counts as 1 x 1 (x^T A x is both).
    """
    if isinstance(expr, sp.MatrixBase):
        return sp.ImmutableMatrix(expr)
    expr = context.prepare(expr)
    return explicit(expr) if is_matrix(expr) else sp.ImmutableMatrix([[expr]])


def _prove_on(region: Region, before: sp.Expr, after: sp.Expr, context: Context, deadline: Deadline) -> str | None:
    difference = before - after
    if region.substitution:
        difference = difference.subs(list(region.substitution)).doit()
    prefix = ""
    if difference.has(sp.Max, sp.Min, sp.Heaviside):
        difference, prefix = decide_signs(difference, context.variables), "signs from the domain bounds, then "
    constraints = _constraints_in(region, context)
    method = prove_zero(difference, deadline, CHEAP_METHODS)
    if method is None and constraints:
        method = prove_under_constraints(difference, constraints, deadline)
    method = method or prove_zero(difference, deadline, BUDGETED_METHODS)
    method = method or prove_by_cases(difference, context.variables, deadline)
    if method is None and constraints:
        method = prove_under_constraints(difference, constraints, deadline, thorough=True)
    return method and prefix + method


def _constraints_in(region: Region, context: Context) -> tuple[tuple[sp.Expr, sp.Expr], ...]:
    return tuple((lhs.subs(list(region.substitution)), rhs) for lhs, rhs in context.eliminations)


def _describe(methods: list[str | None], regions: tuple[Region, ...]) -> str:
    if len(regions) == 1:
        return str(methods[0])
    return "; ".join(f"{r.name}: {m}" for r, m in zip(regions, methods, strict=True))
