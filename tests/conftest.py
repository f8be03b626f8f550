"""Shared fixtures: the corpus verified once per test session."""

import pytest

from derivations import ALL
from verifier import DerivationResult, verify


@pytest.fixture(scope="session")
def corpus_results() -> dict[str, DerivationResult]:
    """Every derivation of the corpus, verified."""
    return {d.id: verify(d) for d in ALL}
