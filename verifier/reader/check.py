"""Checking text files: read each, verify every derivation read, keep the read errors beside them."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from verifier.context import DEFAULT_BUDGET_SECONDS
from verifier.reader.document import Document, TextDerivation, read_file
from verifier.serialize import derivation_dict, summary
from verifier.verdicts import DerivationResult
from verifier.verification import verify_all


@dataclass(frozen=True)
class CheckedFile:
    """One file: what was read, and the verdicts on each derivation in it."""

    document: Document
    results: tuple[tuple[TextDerivation, DerivationResult], ...]


def check_files(
    paths: Sequence[str | Path],
    budget_seconds: float = DEFAULT_BUDGET_SECONDS,
    jobs: int | None = None,
    on_result: Callable[[DerivationResult], None] | None = None,
) -> list[CheckedFile]:
    """Read and verify every derivation of every file, in one pool of workers."""
    documents = [read_file(path) for path in paths]
    everything = [d for document in documents for d in document.derivations]
    results = verify_all([d.derivation for d in everything], budget_seconds, jobs, on_result)
    by_position = iter(zip(everything, results, strict=True))
    return [
        CheckedFile(document, tuple(next(by_position) for _ in document.derivations)) for document in documents
    ]


def exit_code(files: Sequence[CheckedFile]) -> int:
    """2 when a block could not be read, 1 when a step is refuted or unproved, else 0."""
    if any(f.document.errors for f in files):
        return 2
    return 0 if all(result.ok for f in files for _, result in f.results) else 1


def check_report(files: Sequence[CheckedFile]) -> dict[str, Any]:
    """The `check --json` document: `verify`'s schema, with file and line on derivations and steps."""
    derivations = []
    for checked in files:
        for read, result in checked.results:
            entry = derivation_dict(result) | {"file": read.path, "line": read.heading_line,
                                               "undeclared": list(read.undeclared)}
            for step, where in zip(entry["steps"], read.steps, strict=True):
                step |= {"file": read.path, "line": where.line, "column": where.column}
            derivations.append(entry)
    errors = [
        {"file": e.path, "line": e.line, "column": e.column, "message": e.message}
        for checked in files for e in checked.document.errors
    ]
    results = [result for checked in files for _, result in checked.results]
    return {"derivations": derivations, "errors": errors, "summary": summary(results) | {"unreadable": len(errors)}}
