"""Checking text files: read each, verify every derivation read, keep the read errors beside them."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import Any

from verifier.context import DEFAULT_BUDGET_SECONDS
from verifier.model import Derivation
from verifier.reader.document import BlockError, Document, TextDerivation, read_file
from verifier.serialize import derivation_dict, summary
from verifier.verdicts import DerivationResult
from verifier.verification import in_workers, verify


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
    """Read and verify every derivation of every file, in one pool of workers.

    Nothing raises: a file or a derivation that makes the reader or the engine fail is an error at its
    line, and every other derivation is still checked.
    """
    documents = [_read(path) for path in paths]
    everything = [d for document in documents for d in document.derivations]
    outcomes = []
    task = partial(verify_guarded, budget_seconds=budget_seconds)
    for outcome in in_workers(task, [d.derivation for d in everything], jobs):
        outcomes.append(outcome)
        if on_result is not None and isinstance(outcome, DerivationResult):
            on_result(outcome)
    by_position = iter(zip(everything, outcomes, strict=True))
    return [_checked(document, [next(by_position) for _ in document.derivations]) for document in documents]


@dataclass(frozen=True)
class Crash:
    """A derivation whose verification raised: the exception, in words."""

    message: str


def verify_guarded(derivation: Derivation, budget_seconds: float = DEFAULT_BUDGET_SECONDS) -> DerivationResult | Crash:
    """`verify`, with an exception turned into a Crash (it must not lose the other derivations)."""
    try:
        return verify(derivation, budget_seconds)
    except Exception as error:
        return Crash(f"{type(error).__name__}: {str(error).strip()[:200]}")


def _read(path: str | Path) -> Document:
    """`read_file`, with a failure of the reader itself as an error at the file's first line."""
    try:
        return read_file(path)
    except Exception as error:
        message = f"internal error while reading the file ({type(error).__name__}: {str(error).strip()[:200]})"
        return Document(str(path), (), (BlockError(str(path), 1, 1, message),))


def _checked(document: Document, results: list[tuple[TextDerivation, DerivationResult | Crash]]) -> CheckedFile:
    """The file's verdicts; a derivation whose check crashed becomes an error at its first step."""
    crashed = [
        BlockError(document.path, read.steps[0].line, read.steps[0].column,
                   f"internal error while checking this derivation ({outcome.message}); the others are checked",
                   read.derivation.title)
        for read, outcome in results if isinstance(outcome, Crash)
    ]
    kept = tuple((read, outcome) for read, outcome in results if isinstance(outcome, DerivationResult))
    if crashed:
        errors = tuple(sorted((*document.errors, *crashed), key=lambda e: (e.line, e.column)))
        document = replace(document, derivations=tuple(read for read, _ in kept), errors=errors)
    return CheckedFile(document, kept)


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
