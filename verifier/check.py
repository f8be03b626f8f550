"""The step checker: proved, refuted with a certified counterexample, or unproved, within one budget."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from typing import TypeVar

import sympy as sp

from verifier import isolation
from verifier.budget import BudgetExceeded, Deadline
from verifier.context import Context, Region
from verifier.edges import NON_SMOOTH, Breakpoint, derivative_kinks, kink_expressions, unlocated_kinks
from verifier.every_size import check_every_size, prove_every_size
from verifier.guards import matched_guards
from verifier.matrix import explicit, is_matrix, shape_problem, shape_text
from verifier.model import Factor, Interval
from verifier.proof import (
    BUDGETED_METHODS,
    CHEAP_METHODS,
    decide_signs,
    prove_by_breakpoints,
    prove_by_cases,
    prove_by_signs,
    prove_under_constraints,
    prove_zero,
)
from verifier.screen import SCREEN_RTOL, UNDEFINED_CONSTANTS, screen
from verifier.smooth import smooth_at
from verifier.symmetry import Symmetry
from verifier.tensor import in_index_notation, uses_matrices
from verifier.verdicts import Counterexample, StepVerdict

REFUTED_METHOD = "numeric screen, certified by ball arithmetic"
T = TypeVar("T")


def check_step(
    before: sp.Expr, after: sp.Expr, context: Context, products: tuple[tuple[Factor, ...], ...] = ()
) -> StepVerdict:
    """Decide whether `after` equals `before` under the context's assumptions, on every region.

    `products` are the matrix products as the line writes them: one that does not conform refutes
    the step as a shape error. Matrix steps are checked entry by entry. The whole check runs in a
    worker process stopped at its deadline, so a step ends within its budget on any thread.
    """
    entries = _entry_count(before, after)
    try:
        return isolation.bounded(
            check_step_here, (before, after, context, products), context.budget_seconds * entries,
            lambda seconds: _out_of_time(seconds, "the step ran past its budget and was stopped"),
            lambda seconds: StepVerdict("unproved", "the check's process ended early: a library it calls aborted "
                                        "(as GMP does on a number too large to hold)", seconds),
        )
    except Exception as error:  # a bug of ours on this input: no verdict, said so, and the derivation goes on
        return StepVerdict("unproved", f"not decided: backproof failed on this step ({type(error).__name__}: "
                           f"{str(error).strip()}); please report it", 0.0)


def check_step_here(
    before: sp.Expr, after: sp.Expr, context: Context, products: tuple[tuple[Factor, ...], ...] = ()
) -> StepVerdict:
    """`check_step` in this process: preparation, screen and proofs all inside the step's budget."""
    started = time.perf_counter()
    before, after = sp.sympify(before, strict=True), sp.sympify(after, strict=True)  # numbers, never text
    problem = shape_problem(products)
    if problem is not None:
        return StepVerdict("refuted", "shape check", time.perf_counter() - started, shape_error=problem)
    if in_index_notation(before) or in_index_notation(after) or uses_matrices((before, after), context.definitions):
        return check_every_size(before, after, context)
    if is_matrix(before) or is_matrix(after):
        return _check_matrix(before, after, context, started)
    if before == after and not _undefined(before):
        return StepVerdict("proved", "structural", time.perf_counter() - started)
    deadline = Deadline(context.budget_seconds)
    try:
        return _check_scalar(before, after, context, deadline, started)
    except BudgetExceeded:
        return _out_of_time(time.perf_counter() - started, "the budget ran out before any method closed it")


def _check_scalar(before: sp.Expr, after: sp.Expr, context: Context, deadline: Deadline, started: float) -> StepVerdict:
    kinks = _derivative_kinks(before, after, context)
    sides = {region: _sides(before, after, region, context, deadline) for region in context.regions}
    open_kinks = _kinks_inside(kinks, context) + _unlocated(before, after, context)
    if all(lhs == rhs for lhs, rhs in sides.values()) and not _undefined(*sides[context.regions[0]]):
        smooth = _smooth(open_kinks, before, after, context, deadline)
        if smooth is None:
            return StepVerdict("unproved", _no_value_at(open_kinks), time.perf_counter() - started)
        return StepVerdict("proved", "structural" + smooth, time.perf_counter() - started)
    on_kinks = kink_expressions((before, after), dict(context.definitions))  # never a counterexample there
    example, agreeing = _screen_regions(sides, context, deadline, kinks, on_kinks=on_kinks)
    if example is not None:
        return StepVerdict("refuted", REFUTED_METHOD, time.perf_counter() - started, example, agreeing)
    try:
        proving = {region: matched_guards(*pair) for region, pair in sides.items()}  # same undefined points
        if not any(_undefined(*pair) for pair in proving.values()):
            methods = [_prove_on(r, *proving[r], context, deadline, kinks) for r in context.regions]
            smooth = _smooth(open_kinks, before, after, context, deadline) if all(methods) else None
            if all(m is not None for m in methods) and smooth is None:
                return StepVerdict("unproved", _no_value_at(open_kinks), time.perf_counter() - started,
                                   points_agreeing=agreeing)
            if all(m is not None for m in methods):
                return StepVerdict("proved", _describe(methods, context.regions) + smooth,
                                   time.perf_counter() - started, points_agreeing=agreeing)
        # below float64 resolution: certify the largest gaps whatever their size
        example, _ = _screen_regions(sides, context, deadline, kinks, threshold=-1.0, on_kinks=on_kinks)
    except BudgetExceeded:
        why = f"the budget ran out before any method closed it; agrees at {agreeing} points"
        return StepVerdict("unproved", f"{why} (budget)", time.perf_counter() - started, points_agreeing=agreeing)
    seconds = time.perf_counter() - started
    if example is not None:
        return StepVerdict("refuted", REFUTED_METHOD, seconds, example, agreeing)
    unproved = f"no exact method closed it; agrees at {agreeing} points"
    return StepVerdict("unproved", unproved, seconds, points_agreeing=agreeing)


def prove_step(before: sp.Basic, after: sp.Basic, context: Context) -> str | None:
    """The exact methods alone, with no screen: the method that proves the step, or None (for testing the provers).

    A matrix step is proved when every entry is; one of symbolic size when its canonical forms agree.
    """
    if in_index_notation(before) or in_index_notation(after):
        return prove_every_size(before, after, context)
    if is_matrix(before) or is_matrix(after):
        lhs, rhs = _as_matrix(before, context), _as_matrix(after, context)
        if lhs.shape != rhs.shape:
            return None
        methods = [prove_step(a, b, context) for a, b in zip(lhs, rhs, strict=True)]
        return None if None in methods else "entry by entry"
    deadline = Deadline(context.budget_seconds)
    try:
        sides = {region: _sides(before, after, region, context, deadline) for region in context.regions}
        if any(_undefined(*pair) for pair in sides.values()):
            return None
        kinks = _derivative_kinks(before, after, context)
        methods = [_prove_on(r, *sides[r], context, deadline, kinks) for r in context.regions]
    except BudgetExceeded:
        return None
    return None if None in methods else _describe(methods, context.regions)


def _sides(
    before: sp.Expr, after: sp.Expr, region: Region, context: Context, deadline: Deadline
) -> tuple[sp.Expr, sp.Expr]:
    """Both sides prepared for `region`; at a kink, a derivative through it takes the stated convention."""
    if region.convention is not None:
        before, after = _at_kink(before, region), _at_kink(after, region)
    return _within(deadline, lambda: (context.prepare(before), context.prepare(after)))


def _at_kink(side: sp.Expr, region: Region) -> sp.Expr:
    """`side` with each derivative in the kink's variable replaced by the value the derivation declares there."""
    variables = {symbol for symbol, _ in region.substitution}
    return side.replace(
        lambda e: isinstance(e, sp.Derivative) and bool(set(e.variables) & variables), lambda e: region.convention
    )


def _kinks_inside(kinks: frozenset[Breakpoint], context: Context) -> list:
    """Kinks under a derivative that some region samples around without a convention for them."""
    inside = []
    for symbol, value in kinks:
        for region in context.regions:
            if region.convention is not None:
                continue
            domain = next((v.domain for v in context.sampled(region) if v.symbol == symbol), None)
            if isinstance(domain, Interval) and domain.holds(float(value)):
                inside.append((symbol, value))
                break
    return sorted(set(inside), key=lambda kink: (kink[0].name, float(kink[1])))


def _unlocated(before: sp.Expr, after: sp.Expr, context: Context) -> list[sp.Expr]:
    """Kinks under a derivative whose zeros cannot all be located: the derivative may not exist somewhere."""
    declared = any(region.substitution for region in context.regions)
    return unlocated_kinks((before, after), context.variables, dict(context.definitions), declared)


def _smooth(open_kinks: list, before: sp.Expr, after: sp.Expr, context: Context, deadline: Deadline) -> str | None:
    """"" with no kink open; how the step holds at each open kink where the derivative exists after all (both
    one-sided derivatives agree: max(x, 0)^2 at 0); None when one stays open."""
    if not open_kinks:
        return ""
    if not all(isinstance(k, tuple) for k in open_kinks):
        return None
    said = _within(deadline, lambda: smooth_at(open_kinks, before, after, dict(context.definitions)))
    return None if said is None else f"; at the kink, the derivative exists ({said})"


def _no_value_at(kinks: list) -> str:
    """Why a step that holds wherever the derivative exists is not called proved."""
    where = ", ".join(f"{k[0]} = {k[1]}" if isinstance(k, tuple) else f"where {k} = 0" for k in kinks)
    return (f"holds wherever the derivative exists, but the function under it has a kink ({where}), where the "
            "derivative may have no value: declare the value the derivation takes there (a kink convention)")


def _derivative_kinks(before: sp.Expr, after: sp.Expr, context: Context) -> frozenset[Breakpoint]:
    """Where a function under a derivative breaks (declared kinks included), with definitions expanded."""
    found = derivative_kinks((before, after), context.variables, _centre(context), dict(context.definitions))
    return frozenset(found)


def _centre(context: Context) -> dict[sp.Symbol, sp.Expr]:
    """A fixed point of the domain to hold the other variables at while solving for breakpoints."""
    return {
        v.symbol: (sp.Rational(v.domain.lo + v.domain.hi) / 2 if isinstance(v.domain, Interval) else v.domain.values[0])
        for v in context.variables
    }


def _screen_regions(
    sides: dict[Region, tuple[sp.Expr, sp.Expr]],
    context: Context,
    deadline: Deadline,
    kinks: frozenset[Breakpoint],
    threshold: float = SCREEN_RTOL,
    with_edges: bool = True,
    on_kinks: tuple[sp.Expr, ...] = (),
) -> tuple[Counterexample | None, int]:
    """The first certified counterexample over the regions, and how many points agreed before it."""
    agreeing = 0
    for region, (lhs, rhs) in sides.items():
        here = () if region.convention is not None else on_kinks  # at a declared kink the derivative has a value
        result = _within(deadline, lambda r=region, a=lhs, b=rhs, k=here: screen(a, b, context, r, threshold,
                                                                                  kinks, with_edges, k))
        if result.counterexample is not None:
            return result.counterexample, agreeing + result.agreeing
        agreeing += result.agreeing
    return None, agreeing


def _within(deadline: Deadline, compute: Callable[[], T]) -> T:
    return deadline.run(compute)


def _undefined(*exprs: sp.Expr) -> bool:
    """Whether an expression contains an undefined constant (1/0 is zoo, log 0 is -oo): never proved."""
    return any(e.has(*UNDEFINED_CONSTANTS) for e in exprs)


def _out_of_time(seconds: float, why: str) -> StepVerdict:
    return StepVerdict("unproved", f"{why} (budget)", seconds)


def _entry_count(before: sp.Basic, after: sp.Basic) -> int:
    """How many entries a step has: its budget is per entry."""
    sizes = [len(side) for side in (before, after) if isinstance(side, sp.MatrixBase)]
    return max(sizes, default=1)


def _check_matrix(before: sp.Basic, after: sp.Basic, context: Context, started: float) -> StepVerdict:
    lhs, rhs = _as_matrix(before, context), _as_matrix(after, context)
    if lhs.shape != rhs.shape:
        problem = f"shape error: this step is {shape_text(rhs)}, the expression before it {shape_text(lhs)}"
        return StepVerdict("refuted", "shape check", time.perf_counter() - started, shape_error=problem)
    methods: dict[str, int] = {}
    agreeing, unproved = 0, 0
    proved: list[tuple[int, int]] = []
    symmetry = Symmetry.of(context, lhs, rhs)
    sampled = _screened_sample(_indices(lhs))
    for i, j in _indices(lhs):
        if symmetry.reaches((i, j), proved):
            reached = "symmetric to a proved entry"
            verdict = (_screen_only(lhs[i, j], rhs[i, j], context, reached) if (i, j) in sampled
                       else StepVerdict("proved", reached, 0.0))
        else:
            verdict = check_step_here(lhs[i, j], rhs[i, j], context)
        agreeing += verdict.points_agreeing
        if verdict.verdict == "refuted":
            where = f"({i + 1}, {j + 1}) of {shape_text(lhs)}"
            example = dataclasses.replace(verdict.counterexample, entry=where)  # type: ignore[arg-type]
            return StepVerdict("refuted", REFUTED_METHOD, time.perf_counter() - started, example, agreeing)
        unproved += verdict.verdict == "unproved"
        if verdict.verdict == "proved" and verdict.method != "symmetric to a proved entry":
            proved.append((i, j))
        methods[verdict.method] = methods.get(verdict.method, 0) + 1
    seconds = time.perf_counter() - started
    summary = ", ".join(f"{m} x{n}" for m, n in sorted(methods.items(), key=lambda kv: -kv[1]))
    described = f"entry by entry ({len(rhs)} entries, {shape_text(rhs)}): {summary}"
    return StepVerdict("unproved" if unproved else "proved", described, seconds, points_agreeing=agreeing)


SCREENED_BY_SYMMETRY = 3  # entries reached by symmetry that are still screened, per matrix step


def _screened_sample(indices: list[tuple[int, int]]) -> set[tuple[int, int]]:
    """A spread of entries (the last always) whose screen checks the renamings that reached them.

    Preparing every entry of a K = 50 Jacobian costs minutes; a renaming is exact on both sides or not
    used, so the sample guards the symmetry finder itself, not the step.
    """
    step = max(1, len(indices) // SCREENED_BY_SYMMETRY)
    return set(indices[::-1][::step][:SCREENED_BY_SYMMETRY])


def _screen_only(before: sp.Expr, after: sp.Expr, context: Context, method: str) -> StepVerdict:
    """An entry whose proof is a renaming of another's: still screened, so a wrong renaming cannot hide it."""
    started = time.perf_counter()
    screened = dataclasses.replace(context, samples=max(4, context.samples // 8))
    deadline = Deadline(context.budget_seconds)
    try:
        sides = {r: _sides(before, after, r, context, deadline) for r in context.regions}
        example, agreeing = _screen_regions(sides, screened, deadline, frozenset(), with_edges=False)
    except BudgetExceeded:
        return _out_of_time(time.perf_counter() - started, "the screen ran past the budget")
    seconds = time.perf_counter() - started
    if example is not None:
        return StepVerdict("refuted", REFUTED_METHOD, seconds, example, agreeing)
    return StepVerdict("proved", method, seconds, points_agreeing=agreeing)


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


def _prove_on(
    region: Region, before: sp.Expr, after: sp.Expr, context: Context, deadline: Deadline,
    kinks: frozenset[Breakpoint] = frozenset(),
) -> str | None:
    difference = before - after
    if region.substitution:
        difference = _within(deadline, lambda: difference.subs(list(region.substitution)).doit())
    prefix, raw = "", difference
    if difference.has(sp.Max, sp.Min, sp.Heaviside):
        difference = _within(deadline, lambda: decide_signs(difference, context.variables))
        prefix = "signs from the domain bounds, then "
    constraints = _constraints_in(region, context)
    method = prove_zero(difference, deadline, CHEAP_METHODS)
    if method is None and constraints:
        method = prove_under_constraints(difference, constraints, deadline)
    method = method and prefix + method
    method = method or _prove_by_parts(raw, region, context, deadline, kinks)
    method = method or prove_zero(difference, deadline, BUDGETED_METHODS)
    method = method or prove_by_cases(difference, context.variables, deadline)
    if method is None and constraints:
        method = prove_under_constraints(difference, constraints, deadline, thorough=True)
    return method


def _prove_by_parts(
    difference: sp.Expr, region: Region, context: Context, deadline: Deadline, kinks: frozenset[Breakpoint]
) -> str | None:
    """Piece by piece between breakpoints of one variable, else sign case by sign case of linear kinks."""
    if region.substitution or not difference.has(*NON_SMOOTH, sp.floor, sp.ceiling, sp.frac):
        return None
    method = prove_by_breakpoints(difference, context.variables, deadline, kinks)
    return method or (None if kinks else prove_by_signs(difference, context.variables, deadline))


def _constraints_in(region: Region, context: Context) -> tuple[tuple[sp.Expr, sp.Expr], ...]:
    return tuple((lhs.subs(list(region.substitution)), rhs) for lhs, rhs in context.eliminations)


def _describe(methods: list[str | None], regions: tuple[Region, ...]) -> str:
    if len(regions) == 1:
        return str(methods[0])
    return "; ".join(f"{r.name}: {m}" for r, m in zip(regions, methods, strict=True))
