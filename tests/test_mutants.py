"""Planted errors: every correct step of the corpus, mutated, is refuted at that step."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import pytest
import sympy as sp
from sympy.matrices.expressions.matexpr import MatrixElement

from derivations import ALL, BY_ID
from tests.mutants import MUTATIONS, swapped
from verifier import Context, Derivation, DerivationResult, Var, check_step, verify
from verifier.check import prove_step
from verifier.model import MATRIX_ENTRY_DOMAIN
from verifier.tensor import uses_matrices

Results = dict[str, DerivationResult]


def reference_before(derivation_id: str, index: int, corpus_results: Results) -> sp.Expr:
    """The expression step `index` was checked against: the last step before it that was not refuted."""
    derivation = BY_ID[derivation_id]
    accepted = derivation.start
    for r in corpus_results[derivation_id].steps[:index]:
        if r.verdict.verdict != "refuted":
            accepted = r.step.expr
    return accepted


def context_with_swap(derivation: Derivation, variable: sp.Symbol) -> Context:
    context = Context.of(derivation)
    if isinstance(variable, MatrixElement):  # x_k: its matrix is swapped
        variable = variable.parent
    default = MATRIX_ENTRY_DOMAIN if isinstance(variable, sp.MatrixSymbol) else None  # a defined matrix (dL/dZ_3)
    domain = next((v.domain for v in derivation.variables if v.symbol == variable), default)
    return dataclasses.replace(context, variables=(*context.variables, Var(swapped(variable), domain)))


def mutated_steps() -> list[tuple[str, int, str]]:
    return [
        (d.id, i, name)
        for d in ALL
        for i, s in enumerate(d.steps)
        if s.expected in ("valid", "completion")
        for name in MUTATIONS
    ]


def step_variable(derivation: Derivation, expr: sp.Expr) -> sp.Symbol | None:
    if derivation.families:
        return None  # its declared symbol is a size (K): swapping it is not a typical slip
    if isinstance(derivation.variable, sp.MatrixBase):
        return derivation.variable[0]  # a matrix variable: its first entry is the one swapped
    if derivation.variable is not None:
        return derivation.variable
    declared = [v.symbol for v in derivation.variables if v.symbol in expr.free_symbols]
    return declared[0] if declared else None


def planted(derivation_id: str, index: int, mutation: str) -> tuple[sp.Expr, Context]:
    """The mutated step and the context it is checked in; skips the test when the mutation changes nothing."""
    derivation = BY_ID[derivation_id]
    original = derivation.steps[index].expr
    variable = step_variable(derivation, original)
    mutant = MUTATIONS[mutation](original, variable)
    context = context_with_swap(derivation, variable) if variable is not None else Context.of(derivation)
    matrices = uses_matrices((original,), context.definitions)  # read in index notation: never `prepare`d
    if mutant is None or (mutant == original if matrices else context.prepare(mutant) == context.prepare(original)):
        pytest.skip(f"'{mutation}' does not change this step")
    return mutant, context


@pytest.mark.parametrize(("derivation_id", "index", "mutation"), mutated_steps())
def test_planted_error_is_refuted_at_its_step(
    derivation_id: str, index: int, mutation: str, corpus_results: Results
) -> None:
    mutant, context = planted(derivation_id, index, mutation)
    verdict = check_step(reference_before(derivation_id, index, corpus_results), mutant, context)
    assert verdict.verdict == "refuted", f"{mutation}: {mutant} -> {verdict}"
    assert verdict.counterexample is not None or verdict.shape_error is not None


PLANTED = [
    ("000-sigmoid", 7, lambda e: e * 2),
    ("001-tanh", 4, lambda e: e + sp.Rational(1, 10**6)),
    ("002-mse", 2, lambda e: -e),
    ("004-leaky-relu", 1, lambda e: e.subs(sp.Symbol("L", positive=True), 1)),
]


@pytest.mark.parametrize(("derivation_id", "index", "plant"), PLANTED)
def test_a_planted_derivation_fails_at_the_planted_step_only(
    derivation_id: str, index: int, plant: Callable[[sp.Expr], sp.Expr]
) -> None:
    derivation = BY_ID[derivation_id]
    steps = list(derivation.steps)
    steps[index] = dataclasses.replace(steps[index], expr=plant(steps[index].expr))
    result = verify(dataclasses.replace(derivation, steps=tuple(steps)))
    unexpected = [r.index for r in result.steps if not r.as_expected]
    assert unexpected == [index]
    assert result.steps[index].verdict.verdict == "refuted"


@pytest.mark.parametrize(("derivation_id", "index", "mutation"), mutated_steps())
def test_the_exact_methods_alone_never_prove_a_planted_error(
    derivation_id: str, index: int, mutation: str, corpus_results: Results
) -> None:
    """autograd's test-the-tester: with the screen switched off, no prover may close a wrong step."""
    mutant, context = planted(derivation_id, index, mutation)
    context = dataclasses.replace(context, budget_seconds=0.25)  # a wrong step fails the cheap methods at once
    assert prove_step(reference_before(derivation_id, index, corpus_results), mutant, context) is None
