"""Entries proved by renaming index values: only where the renaming maps everything onto the entry."""

import dataclasses

import pytest
import sympy as sp

from bench.workloads import softmax_derivations
from verifier import verify
from verifier.context import Context
from verifier.model import Interval, Var
from verifier.symmetry import permutation, preserves, renamed_equal, renaming, signature_pairs

z1, z2, z3 = (sp.Symbol(f"z_{i}", real=True) for i in (1, 2, 3))


@pytest.mark.parametrize(("pairs", "expected"), [
    ({1: 3}, {1: 3, 3: 1}),
    ({1: 2, 2: 1}, {1: 2, 2: 1}),
    ({2: 3, 1: 2}, {2: 3, 1: 2, 3: 1}),
    ({1: 2, 3: 2}, None),
])
def test_permutation_completes_pairs_to_a_bijection(pairs: dict[int, int], expected: dict[int, int] | None) -> None:
    assert permutation(pairs) == expected


def test_signature_pairs_match_the_singled_out_indices() -> None:
    total = sp.exp(z1) + sp.exp(z2) + sp.exp(z3)
    source = sp.Derivative(sp.exp(z2) / total, z1)
    target = sp.Derivative(sp.exp(z3) / total, z2)
    assert signature_pairs(source, target) == {1: 2, 2: 3, 3: 1}


def test_renamed_equal_ignores_term_order_and_nothing_else() -> None:
    rename = {z1: z2, z2: z1}
    assert renamed_equal(z1 + 2 * z2, z2 + 2 * z1, rename)
    assert not renamed_equal(z1 + 2 * z2, z1 + 2 * z2 + 1, rename)


def test_a_renaming_that_changes_a_domain_is_refused() -> None:
    context = Context((Var(z1, Interval(-1, 1)), Var(z2, Interval(-2, 2))))
    assert not preserves(context, renaming({1: 2, 2: 1}, {"z": {1: z1, 2: z2}}))
    same = Context((Var(z1, Interval(-1, 1)), Var(z2, Interval(-1, 1))))
    assert preserves(same, renaming({1: 2, 2: 1}, {"z": {1: z1, 2: z2}}))


@pytest.mark.parametrize("entry", [1, 2, 4])
def test_an_error_planted_in_one_entry_is_still_refuted_at_that_entry(entry: int) -> None:
    gradient = softmax_derivations(5)[4]
    last = gradient.steps[-1]
    planted = last.expr.as_mutable()
    planted[entry, 0] = planted[entry, 0] * 2
    steps = (*gradient.steps[:-1], dataclasses.replace(last, expr=sp.ImmutableMatrix(planted)))
    result = verify(dataclasses.replace(gradient, steps=steps))
    verdict = result.steps[-1].verdict
    assert verdict.verdict == "refuted"
    assert verdict.counterexample.entry == f"({entry + 1}, 1) of 5 x 1"
    assert all(s.verdict.verdict == "proved" for s in result.steps[:-1])
