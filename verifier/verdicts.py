"""What the engine concludes: per step, per numeric cross-check, per derivation."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from verifier.model import Derivation, Source, Step

# "ambiguous": the line as read is refuted, but another reading of it holds (proved or unproved)
Verdict = Literal["proved", "refuted", "unproved", "ambiguous"]
AMBIGUOUS_METHOD = "readings disagree (one is refuted, another is not)"
READINGS_FIX = "add parentheses or braces to say which reading is meant"


@dataclass(frozen=True)
class Counterexample:
    """A point where the two sides provably differ: ball arithmetic excludes 0 from their difference there.

    `lhs` and `rhs` hold only digits the enclosures guarantee, or "undefined (reason)" for a side
    that provably has no value at the point; `bound` is a certified lower bound of |lhs - rhs|.
    """

    point: dict[str, str]
    lhs: str
    rhs: str
    region: str
    witnesses: dict[str, str] = field(default_factory=dict)
    entry: str | None = None  # the failing entry of a matrix step, e.g. "(2, 1) of 3 x 1"
    seed: int | None = None  # the random generator's seed that drew the point
    bound: str | None = None  # |lhs - rhs| >= bound, e.g. "3.2e-5"; None when a side is undefined
    bits: int | None = None  # the working precision that certified it

    def describe(self, shown: int = 8) -> str:
        """One line: where (the first `shown` coordinates, and the seed that drew them all), both sides' values."""
        coordinates = [f"{k} = {v}" for k, v in self.point.items()]
        where = ", ".join(coordinates[:shown]) or "every point (no variables)"
        if len(coordinates) > shown:
            where += f", ... ({len(coordinates)} coordinates, drawn with seed {self.seed})"
        stand_ins = "".join(f"; {k}: {v}" for k, v in self.witnesses.items())
        entry = f"entry {self.entry}, " if self.entry else ""
        certified = f" (|difference| >= {self.bound}, certified)" if self.bound else " (certified)"
        return f"{entry}at {where}{stand_ins}: previous = {self.lhs}, this step = {self.rhs}{certified}"


@dataclass(frozen=True)
class ReadingVerdict:
    """One reading of a line that has several, and the verdict on the step read that way."""

    description: str
    verdict: Verdict  # never "ambiguous": each reading is decided on its own
    method: str
    seconds: float
    counterexample: Counterexample | None = None
    shape_error: str | None = None
    chosen: bool = False  # the reading the step was given (the literature's); the others are its alternatives

    @classmethod
    def of(cls, description: str, verdict: StepVerdict, chosen: bool = False) -> ReadingVerdict:
        """The reading `description` with the engine's `verdict` on it."""
        return cls(description, verdict.verdict, verdict.method, verdict.seconds, verdict.counterexample,
                   verdict.shape_error, chosen)


@dataclass(frozen=True)
class StepVerdict:
    """The engine's verdict on one step against the expression before it."""

    verdict: Verdict
    method: str
    seconds: float
    counterexample: Counterexample | None = None
    points_agreeing: int = 0
    shape_error: str | None = None
    readings: tuple[ReadingVerdict, ...] = ()  # a line with several readings: the chosen one first, then the others


def with_readings(chosen: StepVerdict, read_as: str, others: Sequence[tuple[str, StepVerdict]]) -> StepVerdict:
    """The verdict on a line read several ways: ambiguous when one reading is refuted and another is not.

    Otherwise (all refuted, or none) the chosen reading's verdict stands; every reading's verdict is kept in
    `readings`, and the time is that of all of them.
    """
    readings = (ReadingVerdict.of(read_as, chosen, chosen=True), *(ReadingVerdict.of(d, v) for d, v in others))
    seconds = sum(r.seconds for r in readings)
    refuted = {r.verdict == "refuted" for r in readings}
    if refuted == {True, False}:
        return StepVerdict("ambiguous", AMBIGUOUS_METHOD, seconds, readings=readings)
    return dataclasses.replace(chosen, seconds=seconds, readings=readings)


@dataclass(frozen=True)
class KinkCheck:
    """One-sided derivatives at a kink, next to the value the derivation takes there."""

    at: str
    left: float
    right: float
    jump: bool
    convention: str
    consistent: bool


@dataclass(frozen=True)
class NumericCheck:
    """The final derivative against numerical differentiation of the function."""

    method: str
    points: int
    max_rel_error: float
    tolerance: float
    kink: KinkCheck | None = None
    undefined_points: int = 0  # points where the function or the final derivative is not finite or not real
    hint: str = ""  # the fix when the check fails only at such points: "declare the domain, e.g. `x in (0, 6)`"

    @property
    def passed(self) -> bool:
        """Within tolerance, and consistent at the kink if there is one."""
        within = self.max_rel_error <= self.tolerance
        return within and (self.kink is None or self.kink.consistent)


@dataclass(frozen=True)
class StepResult:
    """A step, the verdict on it, and whether that verdict is what the derivation expects."""

    index: int
    step: Step
    verdict: StepVerdict

    @property
    def as_expected(self) -> bool:
        """Valid and completion steps proved; error and slip steps refuted (an ambiguous step is neither)."""
        if self.step.expected in ("error", "slip"):
            return self.verdict.verdict == "refuted"
        return self.verdict.verdict == "proved"


@dataclass(frozen=True)
class DerivationResult:
    """Every step's verdict and the numeric cross-check of one derivation."""

    derivation: Derivation
    steps: tuple[StepResult, ...]
    numeric: NumericCheck | None
    seconds: float

    @property
    def authored(self) -> tuple[StepResult, ...]:
        """The steps that are the author's own lines (not reconstructed, not added by backproof)."""
        return tuple(r for r in self.steps if r.step.source == "author")

    def count(self, verdict: Verdict) -> int:
        """How many of the author's lines got `verdict`."""
        return sum(r.verdict.verdict == verdict for r in self.authored)

    def sourced(self, source: Source) -> int:
        """How many steps come from `source` (the author, a reconstruction, backproof)."""
        return sum(r.step.source == source for r in self.steps)

    @property
    def found(self) -> tuple[StepResult, ...]:
        """The refuted steps that the notes got wrong (expected error or slip)."""
        return tuple(r for r in self.steps if r.verdict.verdict == "refuted" and r.step.expected in ("error", "slip"))

    @property
    def errors_found(self) -> int:
        """How many steps the notes got wrong were refuted."""
        return len(self.found)

    @property
    def unexpected(self) -> int:
        """Steps whose verdict differs from the expectation, plus a failed numeric check."""
        failed_numeric = self.numeric is not None and not self.numeric.passed
        return sum(not r.as_expected for r in self.steps) + int(failed_numeric)

    @property
    def ok(self) -> bool:
        """Everything as expected."""
        return self.unexpected == 0
