"""Verifying a whole derivation: each step against the last accepted one, then the numeric check."""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import partial
from typing import TypeVar

import sympy as sp

from verifier import isolation
from verifier.check import check_step
from verifier.context import DEFAULT_BUDGET_SECONDS, Context
from verifier.model import Derivation, Step
from verifier.numeric import TOLERANCE, cross_check
from verifier.verdicts import DerivationResult, NumericCheck, StepResult, StepVerdict, with_readings

T = TypeVar("T")

# The numeric cross-check runs in the steps' worker (whose caches hold the prepared expressions) and is
# stopped after this long: a function whose code will not finish gets a check not done (not confirmed), not a hang.
NUMERIC_SECONDS = 60.0


def _stopped(seconds: float) -> NumericCheck:
    return NumericCheck(f"stopped after {seconds:.0f} s", 0, float("inf"), TOLERANCE)


def verify(derivation: Derivation, budget_seconds: float = DEFAULT_BUDGET_SECONDS) -> DerivationResult:
    """Check every step; a refuted step is set aside and the next is checked against the one before it.

    An ambiguous step (refuted as read, another reading holds) is followed from the reading that holds.
    The numeric cross-check takes the last step whose chosen reading was not refuted: never an alternative.
    """
    started = time.perf_counter()
    context = Context.of(derivation, budget_seconds)
    accepted = held = derivation.start
    results = []
    for index, step in enumerate(derivation.steps):
        verdict = check_readings(accepted, step, context)
        results.append(StepResult(index, step, verdict))
        accepted = following(accepted, step, verdict)
        held = held if verdict.verdict in ("refuted", "ambiguous") else step.expr
    if derivation.numeric_override is None:
        seconds = min(NUMERIC_SECONDS, max(15.0, 2 * budget_seconds))  # follows --budget past 7.5 s; 15 s at least
        numeric = isolation.bounded(cross_check, (derivation, held, context), seconds, _stopped)
    else:
        numeric = derivation.numeric_override()
    return DerivationResult(derivation, tuple(results), numeric, time.perf_counter() - started)


def check_readings(before: sp.Expr, step: Step, context: Context) -> StepVerdict:
    """The step as read against `before`; with alternative readings, each of those too (each in its own budget).

    A step that substitutes the author's own values (`substitute back`) is checked against `before` with them.
    """
    missing = [old for old, _ in step.substitutions if not before.has(old)]
    if missing:
        return StepVerdict("unproved", f"the substitution's left side {sp.sstr(missing[0])} is not in the expression "
                           "before this step, so the step cannot be checked as the substitution it says it is", 0.0)
    before = before.xreplace(dict(step.substitutions))
    chosen = check_step(before, step.expr, context, step.products)
    if not step.alternatives:
        return chosen
    others = [
        (r.description, check_step(before if r.before is None else r.before, r.expr, context, r.products))
        for r in step.alternatives
    ]
    return with_readings(chosen, step.read_as, others)


def following(accepted: sp.Expr, step: Step, verdict: StepVerdict) -> sp.Expr:
    """What the next step is checked against: this step unless refuted; an ambiguous one's reading that holds.

    The chosen reading when it is not refuted; else the first alternative proved, else the first unproved.
    Proved against the same previous expression, it equals that expression, so the next verdict is the one a
    refutation would give; read with another line before it (a derivative's scope), the chain goes on in it.
    """
    if verdict.verdict == "refuted":
        return accepted
    if verdict.verdict != "ambiguous" or verdict.readings[0].verdict != "refuted":
        return step.expr
    readings = list(zip(step.alternatives, verdict.readings[1:], strict=True))
    held = [r for r, v in readings if v.verdict == "proved"] or [r for r, v in readings if v.verdict != "refuted"]
    return held[0].expr


def verify_all(
    derivations: Sequence[Derivation],
    budget_seconds: float = DEFAULT_BUDGET_SECONDS,
    jobs: int | None = None,
    on_result: Callable[[DerivationResult], None] | None = None,
) -> list[DerivationResult]:
    """Verify many derivations, in order, across `jobs` forked processes (default: one per core)."""
    results = []
    for result in in_workers(partial(verify, budget_seconds=budget_seconds), derivations, jobs):
        results.append(result)
        if on_result is not None:
            on_result(result)
    return results


def in_workers(task: Callable[[Derivation], T], derivations: Sequence[Derivation], jobs: int | None) -> Iterator[T]:
    """`task` on each derivation, results in order, across `jobs` forked processes (default: one per core)."""
    jobs = _job_count(jobs, len(derivations))
    if jobs == 1:
        yield from map(task, derivations)
        return
    with _forking():
        pool = multiprocessing.get_context("fork").Pool(jobs, initializer=_unblocked)
    with pool:
        yield from pool.imap(task, derivations)


STOPPING = {signal.SIGINT, signal.SIGTERM, signal.SIGHUP}


def _unblocked() -> None:
    """In a worker: the stopping signals its parent held back while forking it reach it again, and the worker ends
    with its parent (a run killed outright left a pool worker and its step worker behind, waiting forever)."""
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, STOPPING)
    isolation.die_with_parent()


@contextmanager
def _forking() -> Iterator[None]:
    """Stopping signals wait while workers are forked: one that came inside a fork handler was 'ignored' there by
    Python, and the run went on to the end after a Ctrl-C; delivered after it, it stops the run."""
    if not hasattr(signal, "pthread_sigmask") or threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, STOPPING)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _job_count(jobs: int | None, tasks: int) -> int:
    if jobs is None:
        # forking only pays for itself with several derivations, and only where fork exists
        can_fork = "fork" in multiprocessing.get_all_start_methods()
        jobs = min(os.cpu_count() or 1, 4) if can_fork and tasks >= 4 else 1
    return max(1, min(jobs, tasks))
