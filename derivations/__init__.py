"""The corpus: every derivation of the five notes, as its author wrote it."""

from derivations import note_000, note_001, note_002, note_003, note_004, note_004_calculus, note_004_network
from verifier.model import Derivation

NOTES = (note_000, note_001, note_002, note_003, note_004, note_004_calculus, note_004_network)
ALL: tuple[Derivation, ...] = tuple(d for note in NOTES for d in note.DERIVATIONS)
BY_ID: dict[str, Derivation] = {d.id: d for d in ALL}
