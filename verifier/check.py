"""The step checker: proved, refuted with a confirmed counterexample, or unproved."""

from __future__ import annotations

import time

import sympy as sp

from verifier.budget import Deadline
from verifier.context import Context, Region
from verifier.proof import decide_signs, prove_by_cases, prove_zero
from verifier.screen import screen
from verifier.verdicts import StepVerdict

REFUTED_METHOD = "numeric screen, confirmed at 40 digits"


def check_step(before: sp.Expr, after: sp.Expr, context: Context) -> StepVerdict:
    """Decide whether `after` equals `before` under the context's assumptions, on every region."""
    started = time.perf_counter()
    before, after = context.prepare(before), context.prepare(after)
    if before == after:
        return StepVerdict("proved", "structural", time.perf_counter() - started)
    agreeing = 0
    for region in context.regions:
        result = screen(before, after, context, region)
        if result.counterexample is not None:
            seconds = time.perf_counter() - started
            return StepVerdict("refuted", REFUTED_METHOD, seconds, result.counterexample, result.agreeing)
        agreeing += result.agreeing
    deadline = Deadline(context.budget_seconds)
    methods = [_prove_on(region, before, after, context, deadline) for region in context.regions]
    seconds = time.perf_counter() - started
    if any(m is None for m in methods):
        for region in context.regions:
            result = screen(before, after, context, region, threshold=-1.0)
            if result.counterexample is not None:
                seconds = time.perf_counter() - started
                return StepVerdict("refuted", REFUTED_METHOD, seconds, result.counterexample, result.agreeing)
        return StepVerdict("unproved", f"no exact method closed it; agrees at {agreeing} random points",
                           seconds, points_agreeing=agreeing)
    return StepVerdict("proved", _describe(methods, context.regions), seconds, points_agreeing=agreeing)


def _prove_on(region: Region, before: sp.Expr, after: sp.Expr, context: Context, deadline: Deadline) -> str | None:
    difference = before - after
    if region.substitution:
        difference = difference.subs(list(region.substitution)).doit()
    prefix = ""
    if difference.has(sp.Max, sp.Min, sp.Heaviside):
        difference, prefix = decide_signs(difference, context.variables), "signs from the domain bounds, then "
    method = prove_zero(difference, deadline) or prove_by_cases(difference, context.variables, deadline)
    return method and prefix + method


def _describe(methods: list[str | None], regions: tuple[Region, ...]) -> str:
    if len(regions) == 1:
        return str(methods[0])
    return "; ".join(f"{r.name}: {m}" for r, m in zip(regions, methods, strict=True))
