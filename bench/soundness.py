"""Soundness measures: what certifying a counterexample costs, and the adversarial table's verdicts."""

from __future__ import annotations

import statistics
import time
from collections import Counter
from dataclasses import dataclass

import sympy as sp

from tests.adversarial_cases import CASES, Case
from verifier import check_step
from verifier.certify import certify


@dataclass(frozen=True)
class Tally:
    """Verdicts on the adversarial table, by the independently established truth."""

    counts: Counter
    seconds: list[float]

    def row(self, truth: bool) -> list[int]:
        """proved, refuted, unproved counts for the true (or false) cases."""
        return [self.counts[(truth, verdict)] for verdict in ("proved", "refuted", "unproved")]


def adversarial(cases: list[Case] | None = None) -> Tally:
    """Every adversarial case through check_step at its own budget."""
    counts: Counter = Counter()
    seconds = []
    for case in cases if cases is not None else CASES:
        started = time.perf_counter()
        verdict = check_step(case.before, case.after, case.context)
        seconds.append(time.perf_counter() - started)
        counts[(case.truth, verdict.verdict)] += 1
    return Tally(counts, seconds)


def certification_seconds(cases: list[Case] | None = None, repeats: int = 5) -> list[float]:
    """Seconds to certify one counterexample: each false case refuted by the engine, re-certified at its point."""
    timings = []
    for case in cases if cases is not None else CASES:
        if case.truth:
            continue
        verdict = check_step(case.before, case.after, case.context)
        example = verdict.counterexample
        if example is None or example.witnesses or example.entry:
            continue
        point = _rational_point(example.point, case.before.free_symbols | case.after.free_symbols)
        if point is None:
            continue
        runs = []
        for _ in range(repeats):
            started = time.perf_counter()
            certify(case.before.doit(), case.after.doit(), point, literal_undefined=True)
            runs.append(time.perf_counter() - started)
        timings.append(statistics.median(runs))
    return timings


def _rational_point(shown: dict[str, str], symbols: set) -> dict | None:
    """The counterexample's coordinates read back as exact rationals (None for an algebraic one such as sqrt(2))."""
    try:
        return {s: sp.Rational(shown[str(s)]) for s in symbols if str(s) in shown}
    except (TypeError, ValueError):
        return None
