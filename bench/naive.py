"""The naive checker: each step decided by `simplify(a - b) == 0` alone, beside backproof's verdicts."""

from __future__ import annotations

import time
from dataclasses import dataclass

import sympy as sp

from verifier import Derivation, verify
from verifier.budget import BudgetExceeded, Deadline
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


def compare(derivation: Derivation, cap: float) -> list[Comparison]:
    """Every step of a derivation, decided both ways against the same expression before it."""
    result = verify(derivation)
    context = Context.of(derivation)
    accepted: sp.Basic = derivation.start
    rows = []
    for step in result.steps:
        started = time.perf_counter()
        # a written product's shapes are not an expression the naive checker can see
        naive = "not applicable" if step.step.products else naive_verdict(accepted, step.step.expr, context, cap)
        rows.append(Comparison(derivation.id, step.index, step.verdict.verdict, step.verdict.seconds, naive,
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
