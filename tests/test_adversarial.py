"""An adversarial table written independently of the engine: never proved when false, never refuted when true.

`unproved` is allowed either way (an honest "could not decide"); the counts by verdict are in bench/RESULTS.md.
"""

from __future__ import annotations

import dataclasses
import time

import pytest

from tests.adversarial_cases import CASES, Case
from verifier import check_step

BUDGET = 1.5  # a smaller budget than the default keeps the table quick; it can only turn verdicts into unproved


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_the_engine_never_lies_on_an_adversarial_step(case: Case) -> None:
    context = dataclasses.replace(case.context, budget_seconds=BUDGET)
    started = time.perf_counter()
    verdict = check_step(case.before, case.after, context)
    elapsed = time.perf_counter() - started
    wrong = "refuted" if case.truth else "proved"
    assert verdict.verdict != wrong, f"{case.why}\n{verdict}"
    assert elapsed <= BUDGET + 0.5 + 0.5  # the budget, the worker's grace, and a fork after a stopped worker
