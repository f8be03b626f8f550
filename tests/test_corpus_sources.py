"""The corpus is faithful to the notes: each author's line cites the note line it copies, and that line holds it.

The notes are not in the repo: `derivations/displays.txt` keeps every display line of them as written, and
`derivations/unencoded.txt` lists, with a reason, those that are not a step of any derivation.
"""

import re
from pathlib import Path

import pytest

from derivations import ALL, MARKDOWN
from verifier.model import Derivation, Step

HERE = Path(__file__).resolve().parent.parent / "derivations"
LINE = re.compile(r"^(?P<note>[^:#]+):(?P<line>\d+): (?P<text>.*)$")


def _table(name: str) -> dict[tuple[str, int], str]:
    rows = {}
    for raw in (HERE / name).read_text(encoding="utf-8").splitlines():
        if raw.strip() and not raw.startswith("#"):
            found = LINE.match(raw)
            assert found, f"{name}: not 'note:line: text': {raw}"
            rows[found["note"], int(found["line"])] = found["text"]
    return rows


DISPLAYS = _table("displays.txt")
UNENCODED = _table("unencoded.txt")
AUTHORED = [(d, s) for d in ALL for s in d.steps if s.source == "author"]


def squeezed(latex: str) -> str:
    """The text without its spaces (the notes and the corpus space formulas differently)."""
    return re.sub(r"\s+", "", latex)


def _name(pair: tuple[Derivation, Step]) -> str:
    return f"{pair[0].id}:{pair[1].latex[:30] if pair[1].latex else ''}"


@pytest.mark.parametrize("derivation_step", AUTHORED, ids=_name)
def test_every_authors_line_cites_display_lines_of_its_note(derivation_step: tuple[Derivation, Step]) -> None:
    derivation, step = derivation_step
    assert step.cites, "an author's line must cite the note's line (`% line N`)"
    for line in step.cites:
        assert (derivation.note, line) in DISPLAYS, f"line {line} of {derivation.note} holds no display"


@pytest.mark.parametrize("derivation_step", [p for p in AUTHORED if not p[1].adapted], ids=_name)
def test_every_authors_line_is_on_the_line_it_cites_as_written(derivation_step: tuple[Derivation, Step]) -> None:
    derivation, step = derivation_step
    cited = "".join(squeezed(DISPLAYS.get((derivation.note, line), "")) for line in step.cites)
    assert step.latex is not None and squeezed(step.latex) in cited, (step.latex, step.cites)


def test_every_display_line_is_encoded_or_listed_with_a_reason() -> None:
    cited = {(d.note, line) for d in ALL for s in d.steps for line in s.cites}
    missing = sorted(set(DISPLAYS) - cited - set(UNENCODED))
    assert not missing, f"neither encoded nor listed in derivations/unencoded.txt: {missing}"
    assert not set(UNENCODED) & cited, "listed as not encoded, yet a step cites it"
    assert set(UNENCODED) <= set(DISPLAYS), "derivations/unencoded.txt lists a line that is no display"
    assert all(reason.strip() for reason in UNENCODED.values())


def test_a_derivations_place_in_its_note_is_the_lines_its_steps_cite() -> None:
    for derivation in ALL:
        lines = [line for s in derivation.steps for line in s.cites]
        if lines:
            first, last = min(lines), max(lines)
            assert derivation.where == (f"lines {first}-{last}" if last > first else f"line {first}"), derivation.id


def test_only_the_matrix_notation_is_left_in_python() -> None:
    in_markdown = {path.stem[:3] for path in MARKDOWN}
    assert in_markdown == {"000", "001", "002", "003", "004"}


def test_no_line_is_written_both_in_python_and_in_markdown() -> None:
    from derivations import PYTHON, from_markdown

    in_markdown = {squeezed(s.latex) for path in MARKDOWN for d in from_markdown(path) for s in d.steps if s.latex}
    in_python = {squeezed(s.latex) for note in PYTHON for d in note.DERIVATIONS for s in d.steps if s.latex}
    assert not in_markdown & in_python
