"""The real-notation corpus (tests/real_notation): each derivation read as written, and judged as expected.

A derivation the reader does not read yet is a strict xfail (NOT_READ_YET), and so is one read but
judged otherwise (NOT_JUDGED_RIGHT_YET): when the reader starts reading it right, its test fails
until the id is taken off the list.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.reading import Outcome, measure, sections
from tests.real_notation.expected import EXPECTED, NOT_JUDGED_RIGHT_YET, NOT_READ_YET
from verifier.context import DEFAULT_BUDGET_SECONDS
from verifier.reader.document import read_file

CORPUS = Path(__file__).parent / "real_notation"
FILES = sorted(CORPUS.glob("*.md"))


def _ids() -> list[tuple[str, str]]:
    """(file name, derivation id) for every heading with an id, in file order."""
    return [(path.name, section.id) for path in FILES for section in sections(path)]


def _param(name: str, derivation: str) -> object:
    """One test case, a strict xfail when the id is on a not-yet list."""
    marks = []
    if derivation in NOT_READ_YET:
        marks.append(pytest.mark.xfail(strict=True, reason="not read as written yet (NOT_READ_YET)"))
    elif derivation in NOT_JUDGED_RIGHT_YET:
        marks.append(pytest.mark.xfail(strict=True, reason="read, but judged otherwise (NOT_JUDGED_RIGHT_YET)"))
    return pytest.param(name, derivation, marks=marks, id=derivation)


@pytest.fixture(scope="module")
def outcomes() -> dict[str, Outcome]:
    """Every derivation of the corpus read and verified, in one check_files call."""
    found, _ = measure(FILES, EXPECTED, DEFAULT_BUDGET_SECONDS, None)
    return {o.id: o for o in found}


def test_every_derivation_has_expected_verdicts() -> None:
    """The headings and the table name the same derivations, and the not-yet lists only known ones."""
    ids = [derivation for _, derivation in _ids()]
    assert len(ids) == len(set(ids)), "an id is used twice"
    assert set(ids) == set(EXPECTED)
    assert set(EXPECTED) >= NOT_READ_YET
    assert set(EXPECTED) >= NOT_JUDGED_RIGHT_YET
    assert not NOT_READ_YET & NOT_JUDGED_RIGHT_YET


def test_every_file_reads_without_raising() -> None:
    """read_file never raises on the corpus, and finds derivations in every file."""
    for path in FILES:
        assert read_file(path).derivations, path.name


@pytest.mark.parametrize(("name", "derivation"), [_param(*pair) for pair in _ids()])
def test_read_and_judged_as_expected(outcomes: dict[str, Outcome], name: str, derivation: str) -> None:
    """Read with no error in its section, every step present, and every verdict the expected one."""
    outcome = outcomes[derivation]
    assert not outcome.errors, f"{name}: not read: {outcome.errors}"
    assert outcome.got == outcome.expected, f"{name}: verdicts {outcome.got}, expected {outcome.expected}"
