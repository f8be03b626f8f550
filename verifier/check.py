"""The step checker: proved, refuted with a confirmed counterexample, or unproved."""

from __future__ import annotations

import dataclasses
import time

import sympy as sp

from verifier.budget import Deadline
from verifier.context import Context, Region
from verifier.matrix import explicit, is_matrix, shape_problem, shape_text
from verifier.model import Factor
from verifier.proof import decide_signs, prove_by_cases, prove_under_constraints, prove_zero
from verifier.screen import SCREEN_RTOL, screen
from verifier.symmetry import (
    context_symbols,
    index_values,
    interchangeable,
    permutation,
    preserves,
    renamed_equal,
    renaming,
    signature_pairs,
)
from verifier.verdicts import Counterexample, StepVerdict

REFUTED_METHOD = "numeric screen, confirmed at 40 digits"
MAX_REPRESENTATIVES = 4  # proved entries tried as the source of a renaming


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
    families = index_values(context_symbols(context))  # every symbol a step uses is declared there
    free = interchangeable(context, families) if len(lhs) > 1 else frozenset()
    guesses = ["position", "signature"]
    for i, j in _indices(lhs):
        if _symmetric_to_proved(lhs, rhs, (i, j), proved, context, (families, free, guesses)):
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


def _symmetric_to_proved(lhs: sp.ImmutableMatrix, rhs: sp.ImmutableMatrix, entry: tuple[int, int],
                         proved: list[tuple[int, int]], context: Context,
                         indices: tuple[dict[str, dict[int, sp.Symbol]], frozenset[int], list[str]]) -> bool:
    """Whether renaming index values maps a proved entry, and the context, exactly onto this entry.

    `indices` holds the indexed symbols by base and value, the values known to be interchangeable,
    and the ways of guessing the renaming, the one that worked last first.
    """
    families, free, guesses = indices
    for source in proved[:MAX_REPRESENTATIVES]:
        for guess in list(guesses):
            pairs = _guess(guess, lhs, source, entry)
            index_map = permutation(pairs) if pairs else None
            rename = None if index_map is None else renaming(index_map, families)
            if not rename:
                continue
            moved = {n for n, m in (index_map or {}).items() if n != m}
            if not moved <= free and not preserves(context, rename):
                continue
            if renamed_equal(lhs[source], lhs[entry], rename) and renamed_equal(rhs[source], rhs[entry], rename):
                guesses.remove(guess)
                guesses.insert(0, guess)
                return True
    return False


def _guess(guess: str, lhs: sp.ImmutableMatrix, source: tuple[int, int], target: tuple[int, int]) -> dict[int, int]:
    if guess == "position":
        return _positional_pairs(lhs.shape, source, target)
    return signature_pairs(lhs[source], lhs[target])


def _positional_pairs(shape: tuple[int, int], source: tuple[int, int], target: tuple[int, int]) -> dict[int, int]:
    """Entry (i, j) of a matrix guessed to carry index values i + 1 and j + 1 (a column: only i + 1)."""
    pairs = {source[0] + 1: target[0] + 1} if shape[0] > 1 else {}
    if shape[1] > 1 and pairs.get(source[1] + 1, target[1] + 1) == target[1] + 1:
        pairs[source[1] + 1] = target[1] + 1
    return pairs


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
    method = prove_zero(difference, deadline) or prove_by_cases(difference, context.variables, deadline)
    if method is None and context.eliminations:
        method = prove_under_constraints(difference, _constraints_in(region, context), deadline)
    return method and prefix + method


def _constraints_in(region: Region, context: Context) -> tuple[tuple[sp.Expr, sp.Expr], ...]:
    return tuple((lhs.subs(list(region.substitution)), rhs) for lhs, rhs in context.eliminations)


def _describe(methods: list[str | None], regions: tuple[Region, ...]) -> str:
    if len(regions) == 1:
        return str(methods[0])
    return "; ".join(f"{r.name}: {m}" for r, m in zip(regions, methods, strict=True))
