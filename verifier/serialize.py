"""Results as plain JSON-ready dictionaries (the schema documented in the README)."""

from __future__ import annotations

import math
from dataclasses import asdict
from typing import Any

import sympy as sp

from verifier.matrix import is_matrix, shape_text
from verifier.model import Derivation, Step
from verifier.verdicts import DerivationResult, NumericCheck, StepResult


def summary(results: list[DerivationResult]) -> dict[str, int]:
    """Counts over all results: the steps are the authors' lines; reconstructed and added steps are counted apart."""
    return {
        "derivations": len(results),
        "steps": sum(len(r.authored) for r in results),
        "proved": sum(r.count("proved") for r in results),
        "errors_found": sum(r.errors_found for r in results),
        "error_lines": len(error_lines(results)),
        "refuted": sum(r.count("refuted") for r in results),
        "unproved": sum(r.count("unproved") for r in results),
        "ambiguous": sum(r.count("ambiguous") for r in results),
        "unexpected": sum(r.unexpected for r in results),
        "reconstructed": sum(r.sourced("reconstruction") for r in results),
        "added": sum(r.sourced("added") for r in results),
    }


def error_lines(results: list[DerivationResult]) -> set[tuple[str, tuple[int, ...] | int]]:
    """The distinct lines of the notes the errors found stand on: a line checked at several sizes counts once."""
    return {(r.derivation.note, s.step.cites) if s.step.cites else (r.derivation.id, s.index)
            for r in results for s in r.found}


def summary_line(counts: dict[str, int]) -> str:
    """`N derivations, S steps: P proved, E errors in the notes found (on L lines), U unproved, X unexpected; ...`.

    The distinct lines are said when fewer than the errors; the steps backproof added or reconstructed when any.
    """
    found = counts["errors_found"]
    lines = counts.get("error_lines", found)
    distinct = f" (on {counted(lines, 'distinct line')})" if lines < found else ""
    return (
        f"{counted(counts['derivations'], 'derivation')}, {counted(counts['steps'], 'step')}: "
        f"{counts['proved']} proved, {counted(found, 'error')} in the notes found{distinct}, "
        f"{counts['unproved']} unproved{ambiguous_part(counts)}, {counts['unexpected']} unexpected"
        f"{besides_part(counts)}"
    )


def besides_part(counts: dict[str, int]) -> str:
    """`; besides the authors' lines, R reconstructed steps and A added steps` when there are any, else nothing."""
    others = [counted(counts[key], f"{key} step") for key in ("reconstructed", "added") if counts.get(key)]
    return f"; besides the authors' lines, {' and '.join(others)}" if others else ""


def ambiguous_part(counts: dict[str, int]) -> str:
    """`, A ambiguous` for a summary line when some step is ambiguous, else nothing."""
    ambiguous = counts.get("ambiguous", 0)
    return f", {ambiguous} ambiguous" if ambiguous else ""


def counted(count: int, noun: str) -> str:
    """`1 step`, `2 steps`."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


def step_dict(result: StepResult) -> dict[str, Any]:
    """One step and its verdict."""
    step, verdict = result.step, result.verdict
    return {
        "index": result.index,
        "latex_as_written": step.latex,
        "expr": sp.sstr(step.expr),
        "justification": step.justification,
        "expected": step.expected,
        "source": step.source,
        "cites_lines": list(step.cites),
        "adapted": step.adapted or None,
        "substitutes": [f"{sp.sstr(old)} = {sp.sstr(new)}" for old, new in step.substitutions],
        "explanation": step.explanation or None,
        "verdict": verdict.verdict,
        "as_expected": result.as_expected,
        "method": verdict.method,
        "seconds": round(verdict.seconds, 6),
        "counterexample": None if verdict.counterexample is None else asdict(verdict.counterexample),
        "shape": shape_text(step.expr) if is_matrix(step.expr) else None,
        "shape_error": verdict.shape_error,
        "read_as": step.read_as or None,
        "readings": [asdict(r) for r in verdict.readings],  # each ReadingVerdict's fields
    }


def provenance(step: Step) -> str:
    """Whose line a step is, in words: `the author's line 19`, `reconstructed`, `added by backproof`."""
    if step.source == "added":
        return "added by backproof"
    if step.source == "reconstruction":
        return "reconstructed (the source's line is lost)"
    lines = ", ".join(str(n) for n in step.cites)
    cited = f" {lines}" if len(step.cites) == 1 else f"s {lines}" if step.cites else ""
    said = f"the author's line{cited}" + (f", adapted: {step.adapted}" if step.adapted else "")
    substituted = "; ".join(f"{sp.sstr(old)} = {sp.sstr(new)}" for old, new in step.substitutions)
    return said + (f", checked with the author's {substituted} put in the line before" if substituted else "")


def letter_products(derivation: Derivation) -> list[str]:
    """The names its lines read as products of single letters, each once, in order."""
    return list(dict.fromkeys(name for step in derivation.steps for name in step.letter_products))


def conventions(derivation: Derivation) -> list[str]:
    """The conventions its lines were read with (a bias added to every row), each once, in order."""
    return list(dict.fromkeys(said for step in derivation.steps for said in step.conventions))


def numeric_hint(numeric: NumericCheck | None) -> str:
    """A failed check's fix when it fails only where a side is undefined, else nothing."""
    if numeric is None or numeric.passed or not numeric.hint:
        return ""
    where = f" at {counted(numeric.undefined_points, 'point')}" if numeric.undefined_points else ""
    return f"fails only where a side is undefined{where}: {numeric.hint}"


def spelled(name: str) -> str:
    """A name as the product it was read as: `tanh` -> `t·a·n·h`, `ab_1` -> `a·b_1`."""
    letters, subscript, rest = name.partition("_")
    if not letters:
        return name
    return "\u00b7".join(letters) + subscript + rest


def numeric_dict(numeric: NumericCheck | None) -> dict[str, Any] | None:
    """The numeric cross-check, or None for a derivation that is not a derivative."""
    if numeric is None:
        return None
    error = numeric.max_rel_error
    return {
        "method": numeric.method,
        "points": numeric.points,
        "max_rel_error": error if math.isfinite(error) else None,
        "tolerance": numeric.tolerance,
        "passed": numeric.passed,
        "kink": None if numeric.kink is None else asdict(numeric.kink),
        "undefined_points": numeric.undefined_points,
        "hint": numeric.hint or None,
    }


def derivation_dict(result: DerivationResult) -> dict[str, Any]:
    """One derivation with all its steps and its numeric check."""
    d = result.derivation
    return {
        "id": d.id,
        "title": d.title,
        "note": d.note,
        "where": d.where,
        "variables": d.symbols_described(),
        "domains": [{"symbol": str(v.symbol), "domain": v.domain.describe(), "reason": v.reason or None}
                    for v in d.variables],
        "function": sp.sstr(d.function),
        "variable": None if d.variable is None else sp.sstr(d.variable),
        "constraints": [c.statement for c in d.constraints],
        "kink_convention": None if d.kink is None else d.kink.describe(),
        "remarks": d.remarks or None,
        "letter_products": letter_products(d),
        "conventions": conventions(d),
        "steps": [step_dict(s) for s in result.steps],
        "numeric": numeric_dict(result.numeric),
        "ok": result.ok,
        "seconds": round(result.seconds, 6),
    }


def report(results: list[DerivationResult]) -> dict[str, Any]:
    """The whole `--json` document."""
    return {"derivations": [derivation_dict(r) for r in results], "summary": summary(results)}
