"""The corpus: every derivation of the five notes, as its author wrote it.

The notes' lines are Markdown files here, one per note (`000_d4b6f96e31f6b881.md` for the note
`000_d4b6f96e31f6b881.txt`), read by the same reader as `backproof check`. The Python modules hold
what the text format cannot express yet.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from derivations import note_004_calculus
from verifier.model import Derivation
from verifier.reader.document import read_file

HERE = Path(__file__).resolve().parent
PYTHON = (note_004_calculus,)


class CorpusError(RuntimeError):
    """A file of the corpus that does not read: a bug in the corpus or the reader, never a user's input."""


def from_markdown(path: Path) -> tuple[Derivation, ...]:
    """The derivations of one note's Markdown file, each naming the note it transcribes."""
    document = read_file(path)
    if document.errors:
        raise CorpusError("; ".join(error.describe() for error in document.errors))
    return tuple(replace(read.derivation, note=f"{path.stem}.txt") for read in document.derivations)


MARKDOWN = tuple(sorted(HERE.glob("*.md")))
ALL: tuple[Derivation, ...] = (
    *(d for path in MARKDOWN for d in from_markdown(path)),
    *(d for note in PYTHON for d in note.DERIVATIONS),
)
BY_ID: dict[str, Derivation] = {d.id: d for d in ALL}
