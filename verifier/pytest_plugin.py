"""A pytest plugin: `pytest --backproof notes/` checks every derivation in every note file (.md, .ipynb, .tex)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from verifier.reader.document import BlockError, TextDerivation, read_file
from verifier.reader.sources import SUFFIXES, location
from verifier.verdicts import DerivationResult
from verifier.verification import verify


class DerivationFailed(Exception):
    """A derivation with a refuted or unproved step, or a failed numeric check."""


def pytest_addoption(parser: pytest.Parser) -> None:
    """Add --backproof (collect note files of derivations) and --backproof-budget."""
    group = parser.getgroup("backproof")
    group.addoption("--backproof", action="store_true", help="check derivations in notes (.md, .ipynb, .tex)")
    group.addoption("--backproof-budget", type=float, default=2.0, help="seconds per step for the provers")


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    """Each note file becomes a collector of its derivations (with --backproof only)."""
    if parent.config.getoption("backproof") and file_path.suffix.lower() in SUFFIXES:
        return DerivationFile.from_parent(parent, path=file_path)
    return None


class DerivationFile(pytest.File):
    """A note file: one item per derivation, one per block that cannot be read."""

    def collect(self) -> Iterator[pytest.Item]:
        document = read_file(self.path)
        for read in document.derivations:
            yield DerivationItem.from_parent(self, name=read.derivation.id, read=read)
        for error in document.errors:
            place = location(error.path, error.line, error.column).removeprefix(f"{error.path}:")
            yield UnreadableItem.from_parent(self, name=f"line {place}", error=error)


class DerivationItem(pytest.Item):
    """One derivation: passes when every step gets the verdict its marks expect (proved unless marked an error or a
    slip, then refuted) and the numeric check agrees."""

    def __init__(self, *, read: TextDerivation, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.read = read

    def runtest(self) -> None:
        """Verify the derivation; fail with the first step that does not hold."""
        result = verify(self.read.derivation, self.config.getoption("backproof_budget"))
        if not result.ok:
            raise DerivationFailed(_failure(self.read, result))

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        """The refuted step and its counterexample, not a traceback."""
        if isinstance(excinfo.value, DerivationFailed):
            return str(excinfo.value)
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int, str]:
        """Where the derivation's heading stands."""
        read = self.read
        return self.path, read.heading_line - 1, f"derivation {self.name} at {location(read.path, read.heading_line)}"


class UnreadableItem(pytest.Item):
    """A block that could not be read: always fails, naming file:line:column."""

    def __init__(self, *, error: BlockError, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.error = error

    def runtest(self) -> None:
        """Fail with the parse error."""
        error = self.error
        raise DerivationFailed(f"{location(error.path, error.line, error.column)}: {error.message}")

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        """The parse error as one line."""
        return str(excinfo.value)

    def reportinfo(self) -> tuple[Path, int, str]:
        """Where the block stands."""
        error = self.error
        return self.path, error.line - 1, f"unreadable block at {location(error.path, error.line, error.column)}"


def _failure(read: TextDerivation, result: DerivationResult) -> str:
    lines = []
    for where, step in zip(read.steps, result.steps, strict=True):
        verdict = step.verdict
        if step.as_expected:
            continue
        marked = f", though marked {step.step.expected}" if step.step.expected in ("error", "slip") else ""
        lines.append(f"{location(read.path, where.line, where.column)}: step {verdict.verdict}{marked} "
                     f"({verdict.method})")
        lines.append(f"    {step.step.latex}")
        if verdict.counterexample is not None:
            lines.append(f"    counterexample: {verdict.counterexample.describe()}")
    numeric = result.numeric
    if numeric is not None and not numeric.passed:
        lines.append(f"{location(read.path, read.heading_line)}: numeric check failed: max relative error "
                     f"{numeric.max_rel_error:.2e} (tolerance {numeric.tolerance:.0e})")
    return "\n".join(lines)
