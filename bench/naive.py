"""The naive checker: each step decided by `simplify(a - b) == 0` alone, beside backproof's verdicts."""

from __future__ import annotations

import dataclasses
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass

import sympy as sp

from verifier import Derivation, DerivationResult, verify
from verifier.budget import BudgetExceeded, Deadline
from verifier.caches import clear_all
from verifier.context import Context
from verifier.matrix import explicit, is_matrix


@dataclass(frozen=True)
class Comparison:
    """One step: backproof's verdict and time, the naive verdict and time."""

    derivation: str
    index: int
    backproof: str  # proved / refuted / unproved
    backproof_seconds: float
    naive: str  # confirmed / rejected / timed out / not applicable
    naive_seconds: float


def naive_verdict(before: sp.Basic, after: sp.Basic, context: Context, cap: float) -> str:
    """`simplify(before - after) == 0`, entry by entry for matrices, within `cap` seconds."""
    lhs, rhs = context.prepare(before), context.prepare(after)
    pairs = [(lhs, rhs)]
    if is_matrix(lhs) or is_matrix(rhs):
        lhs, rhs = explicit(lhs), explicit(rhs)
        if lhs.shape != rhs.shape:
            return "rejected"
        pairs = list(zip(lhs, rhs, strict=True))
    deadline = Deadline(cap)
    try:
        for a, b in pairs:
            if deadline.run(lambda a=a, b=b: sp.simplify(a - b)) != 0:
                return "rejected"
    except BudgetExceeded:
        return "timed out"
    except Exception:  # simplify fails on some expressions: it confirms nothing
        return "rejected"
    return "confirmed"


def compare(derivations: Sequence[Derivation], cap: float, runs: int = 1) -> list[Comparison]:
    """Every step of the derivations decided both ways, each checker from a cold start.

    Modules either side imports on first use are loaded first. Then, `runs` times: backproof verifies
    them all from empty caches; then, with every cache emptied again, the naive checker prepares each
    step itself (the same expansion of definitions and derivatives) and compares it with the
    expression backproof accepted before it. Each side's seconds include its preparation; with several
    runs, each step's seconds are the median over them (verdicts are the same in every run).
    """
    _load_modules(derivations)
    timed = [_cold_run(derivations, cap) for _ in range(runs)]
    return [
        dataclasses.replace(
            rows[0],
            backproof_seconds=statistics.median(r.backproof_seconds for r in rows),
            naive_seconds=statistics.median(r.naive_seconds for r in rows),
        )
        for rows in zip(*timed, strict=True)
    ]


def _cold_run(derivations: Sequence[Derivation], cap: float) -> list[Comparison]:
    clear_all()
    results = [verify(d) for d in derivations]
    clear_all()
    return [row for result in results for row in _naive_rows(result, cap)]


def _load_modules(derivations: Sequence[Derivation]) -> None:
    """Import what either checker imports on first use (simplify loads sympy.physics: 0.2 s), untimed."""
    x = sp.Symbol("x")
    sp.simplify(sp.exp(x) / (1 + sp.exp(x)) - 1)
    if derivations:
        verify(derivations[0])


def _naive_rows(result: DerivationResult, cap: float) -> list[Comparison]:
    context = Context.of(result.derivation)
    accepted: sp.Basic = result.derivation.start
    rows = []
    for step in result.steps:
        started = time.perf_counter()
        # a written product's shapes are not an expression the naive checker can see
        naive = "not applicable" if step.step.products else naive_verdict(accepted, step.step.expr, context, cap)
        rows.append(Comparison(result.derivation.id, step.index, step.verdict.verdict, step.verdict.seconds, naive,
                               time.perf_counter() - started))
        if step.verdict.verdict != "refuted":
            accepted = step.step.expr
    return rows


def summary(rows: list[Comparison]) -> dict[str, float]:
    """Totals, the speed ratio, and what the naive checker misses."""
    counted = [r for r in rows if r.naive != "not applicable"]
    backproof = sum(r.backproof_seconds for r in counted)
    naive = sum(r.naive_seconds for r in counted)
    true_steps = [r for r in counted if r.backproof == "proved"]
    wrong_steps = [r for r in counted if r.backproof == "refuted"]
    return {
        "steps": len(counted),
        "shape steps left out": len(rows) - len(counted),
        "backproof seconds": backproof,
        "naive seconds": naive,
        "ratio": naive / backproof if backproof else float("inf"),
        "true steps": len(true_steps),
        "true steps naive does not confirm": sum(r.naive != "confirmed" for r in true_steps),
        "of which timed out": sum(r.naive == "timed out" for r in true_steps),
        "wrong steps": len(wrong_steps),
        "wrong steps naive rejects (no counterexample)": sum(r.naive == "rejected" for r in wrong_steps),
        "wrong steps naive confirms": sum(r.naive == "confirmed" for r in wrong_steps),
        "backproof unproved": sum(r.backproof == "unproved" for r in counted),
    }
