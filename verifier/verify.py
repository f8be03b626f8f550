"""Verifying a whole derivation: each step against the last accepted one, then the numeric check."""

from __future__ import annotations

import time

import sympy as sp

from verifier.check import check_step
from verifier.context import DEFAULT_BUDGET_SECONDS, Context
from verifier.model import Derivation
from verifier.numeric import cross_check
from verifier.verdicts import DerivationResult, StepResult


def verify(derivation: Derivation, budget_seconds: float = DEFAULT_BUDGET_SECONDS) -> DerivationResult:
    """Check every step; a refuted step is set aside and the next is checked against the one before it."""
    started = time.perf_counter()
    context = Context.of(derivation, budget_seconds)
    accepted: sp.Expr = derivation.start
    results = []
    for index, step in enumerate(derivation.steps):
        verdict = check_step(accepted, step.expr, context)
        results.append(StepResult(index, step, verdict))
        if verdict.verdict != "refuted":
            accepted = step.expr
    numeric = cross_check(derivation, accepted, context)
    return DerivationResult(derivation, tuple(results), numeric, time.perf_counter() - started)
