"""How much of tests/real_notation backproof reads as written, and how much of it it judges right.

Checks every Markdown file of a corpus of real notation (derivations copied from their sources,
notation unchanged) against the corpus's expected.py, and prints: derivations in total, read as
written (no read error inside the derivation's section and every step present), judged right as
written (read, and every verdict equals the expected one), false refutations (a step refuted where
the expected verdict is proved), steps that ran past the budget, a per-file breakdown, and the read
errors grouped by message.

    python bench/reading.py [--json] [--tests-dir DIR] [--code DIR]

`--code` is the checkout whose `verifier` is measured (default: the current directory when it
holds one, else this script's repository), so an older commit is measured from a git worktree:

    git worktree add /tmp/before 5447ca2
    cd /tmp/before && python /work/main/bench/reading.py --tests-dir /work/main/tests/real_notation
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import re
import sys
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

HERE = Path(__file__).resolve().parent.parent
HEADING = re.compile(r"^#{1,6}\s.*\{#([^}\s]+)\}\s*$")
FENCE = re.compile(r"^\s*(```|~~~)")


@dataclass(frozen=True)
class Section:
    """A derivation's section in a file: its id and the lines it spans (first, last), 1-based."""

    id: str
    first: int
    last: int


@dataclass
class Outcome:
    """What happened to one derivation: its read errors, the verdicts found, and the tallies."""

    id: str
    file: str
    expected: tuple[str, ...]
    got: tuple[str, ...] = ()
    errors: list[str] = field(default_factory=list)
    past_budget: int = 0
    detected: int = 0  # steps expected ambiguous whose readings backproof found to disagree

    @property
    def read(self) -> bool:
        """Read as written: no read error in its section and every step present."""
        return not self.errors and len(self.got) == len(self.expected)

    @property
    def right(self) -> bool:
        """Read as written, and every verdict the expected one."""
        return self.read and self.got == self.expected

    @property
    def false_refutations(self) -> int:
        """Steps refuted where the expected verdict is proved (counted only when the steps line up)."""
        if len(self.got) != len(self.expected):
            return 0
        return sum(g == "refuted" and e == "proved" for g, e in zip(self.got, self.expected, strict=True))


def code_root(requested: str | None) -> Path:
    """The checkout whose verifier is measured: --code, else the current directory if it has one, else ours."""
    if requested:
        return Path(requested).resolve()
    here = Path.cwd()
    return here if (here / "verifier" / "__init__.py").is_file() else HERE


def import_verifier(root: Path) -> ModuleType:
    """Import `verifier` from `root` (ahead of any installed copy), and check that it came from there."""
    sys.path.insert(0, str(root))
    import verifier

    where = Path(verifier.__file__).resolve()
    if root not in where.parents:
        raise SystemExit(f"verifier was imported from {where}, not from {root}")
    return verifier


def load_expected(tests_dir: Path) -> ModuleType:
    """The corpus's expected.py, loaded from its file (whatever the checkout being measured)."""
    spec = importlib.util.spec_from_file_location("real_notation_expected", tests_dir / "expected.py")
    if spec is None or spec.loader is None:
        raise SystemExit(f"no expected.py in {tests_dir}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def sections(path: Path) -> list[Section]:
    """The headings with an explicit id, outside code fences, and the lines each one's section spans."""
    lines = path.read_text(encoding="utf-8").splitlines()
    starts: list[tuple[str, int]] = []
    fenced = False
    for number, line in enumerate(lines, start=1):
        if FENCE.match(line):
            fenced = not fenced
        elif not fenced and (match := HEADING.match(line)):
            starts.append((match.group(1), number))
    ends = [line - 1 for _, line in starts[1:]] + [len(lines)]
    return [Section(name, first, last) for (name, first), last in zip(starts, ends, strict=True)]


def section_at(found: list[Section], line: int) -> Section | None:
    """The section holding a line, None before the first heading."""
    return next((s for s in found if s.first <= line <= s.last), None)


def error_key(message: str) -> str:
    """A read error's message with the specifics that vary between lines taken out, for grouping."""
    key = re.sub(r"\b\d+(:\d+)*\b", "N", message)
    return key[:140]


def measure(files: list[Path], expected: dict[str, tuple[str, ...]], budget: float,
            jobs: int | None) -> tuple[list[Outcome], Counter[str]]:
    """Check every file in one call and tally each derivation; also the read errors, grouped by message."""
    from verifier.reader.check import check_files

    checked = check_files([str(f) for f in files], budget_seconds=budget, jobs=jobs)
    outcomes: list[Outcome] = []
    reasons: Counter[str] = Counter()
    for path, result in zip(files, checked, strict=True):
        found = sections(path)
        by_id = {s.id: Outcome(s.id, path.name, tuple(expected.get(s.id, ()))) for s in found}
        for error in result.document.errors:
            section = section_at(found, error.line)
            if section is not None:
                by_id[section.id].errors.append(f"{error.line}:{error.column}: {error.message}")
            reasons[error_key(error.message)] += 1
        for read, verdicts in result.results:
            section = section_at(found, read.heading_line)
            if section is None:
                continue
            outcome = by_id[section.id]
            start = len(outcome.got)
            outcome.got += tuple(step.verdict.verdict for step in verdicts.steps)
            outcome.past_budget += sum("budget" in step.verdict.method for step in verdicts.steps)
            wanted = outcome.expected[start:]
            outcome.detected += sum(e == "ambiguous" and readings_disagree(step.verdict)
                                    for e, step in zip(wanted, verdicts.steps, strict=False))
        outcomes.extend(by_id.values())
    return outcomes, reasons


def readings_disagree(verdict: Any) -> bool:
    """Ambiguous, or read several ways with different verdicts (the other readings kept beside a proved one)."""
    found = {reading.verdict for reading in getattr(verdict, "readings", ())}
    return verdict.verdict == "ambiguous" or len(found) > 1


def totals(outcomes: list[Outcome]) -> dict[str, int]:
    """The headline numbers over a set of derivations."""
    return {
        "derivations": len(outcomes),
        "steps": sum(len(o.expected) for o in outcomes),
        "read_as_written": sum(o.read for o in outcomes),
        "judged_right": sum(o.right for o in outcomes),
        "false_refutations": sum(o.false_refutations for o in outcomes),
        "past_budget": sum(o.past_budget for o in outcomes),
        "ambiguous_steps": sum(e == "ambiguous" for o in outcomes for e in o.expected),
        "ambiguity_detected": sum(o.detected for o in outcomes),
    }


def report(outcomes: list[Outcome], reasons: Counter[str], root: Path) -> dict[str, Any]:
    """Everything measured, as one JSON-ready document."""
    files = sorted({o.file for o in outcomes})
    return {
        "code": str(root),
        "total": totals(outcomes),
        "per_file": {name: totals([o for o in outcomes if o.file == name]) for name in files},
        "read_errors": dict(reasons.most_common()),
        "derivations": [asdict(o) | {"read": o.read, "right": o.right} for o in outcomes],
    }


def print_text(document: dict[str, Any]) -> None:
    """The report for a terminal: totals, the per-file table, and the commonest read errors."""
    t = document["total"]
    print(f"code measured: {document['code']}")
    print(f"derivations {t['derivations']} ({t['steps']} steps): read as written {t['read_as_written']}, "
          f"judged right {t['judged_right']}, false refutations {t['false_refutations']} steps, "
          f"past the budget {t['past_budget']} steps; ambiguous steps whose readings were found to disagree: "
          f"{t['ambiguity_detected']} of {t['ambiguous_steps']}")
    print(f"\n{'file':<24}{'derivations':>12}{'steps':>7}{'read':>6}{'right':>7}{'false ref':>10}{'budget':>8}")
    for name, f in document["per_file"].items():
        print(f"{name:<24}{f['derivations']:>12}{f['steps']:>7}{f['read_as_written']:>6}{f['judged_right']:>7}"
              f"{f['false_refutations']:>10}{f['past_budget']:>8}")
    print("\nread errors, by message:")
    for message, count in document["read_errors"].items():
        print(f"{count:>4}  {message}")


def arguments(argv: list[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tests-dir", default=str(HERE / "tests" / "real_notation"),
                        help="the corpus: *.md files and expected.py")
    parser.add_argument("--code", default=None, help="the checkout whose verifier is measured")
    parser.add_argument("--budget", type=float, default=None, help="seconds per step (default: the verifier's)")
    parser.add_argument("--jobs", type=int, default=None, help="worker processes (default: the verifier's)")
    parser.add_argument("--json", action="store_true", help="print the whole report as JSON")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Measure and print."""
    args = arguments(argv)
    root = code_root(args.code)
    import_verifier(root)
    from verifier.context import DEFAULT_BUDGET_SECONDS

    tests_dir = Path(args.tests_dir).resolve()
    expected = load_expected(tests_dir).EXPECTED
    files = sorted(tests_dir.glob("*.md"))
    budget = DEFAULT_BUDGET_SECONDS if args.budget is None else args.budget
    outcomes, reasons = measure(files, expected, budget, args.jobs)
    document = report(outcomes, reasons, root)
    if args.json:
        print(json.dumps(document, indent=1))
    else:
        print_text(document)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
