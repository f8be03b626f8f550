"""What a line's `%` comments say about it: its justification, the source line it copies, and its mark.

A comment is one of
- `line 19` or `lines 41, 43` (optionally followed by `;` and more): the lines of the source the step copies;
- `error: why` or `slip: why`: the author's line, wrong (an error) or wrongly written (a slip), and why;
- `completion: why`: a step backproof adds (the end a derivation leaves out, a corrected line);
- `reconstruction: why`: a line the source lost, rebuilt from what its prose says;
- `adapted: why`: the author's line, written otherwise because the text format cannot read it as written;
- `substitutes: A = B`: the step substitutes the author's own B for A in the line before (checked with it);
- anything else: the step's justification.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import sympy as sp

from verifier.model import Expected

CITES = re.compile(r"^lines?\s+(\d+(?:\s*,\s*\d+)*)\s*(?:;\s*|$)")
KIND = re.compile(r"^(error|slip|completion|reconstruction)\s*:\s*")
ADAPTED = re.compile(r"^adapted\s*:\s*")
SUBSTITUTES = re.compile(r"^substitutes\s*:\s*")


class MarkError(ValueError):
    """Comments that contradict each other (two marks on one step, a mark without its reason)."""


@dataclass(frozen=True)
class Mark:
    """What the comments of one step say."""

    justification: str = ""
    expected: Expected = "valid"
    explanation: str = ""
    reconstructed: bool = False
    cites: tuple[int, ...] = ()
    adapted: str = ""
    substitutes: str = ""  # `A = B` as written: the line before is checked with the author's B for A
    substitution: tuple[tuple[sp.Expr, sp.Expr], ...] = ()  # that equation as read (by the document reader)


def cited_lines(comment: str) -> tuple[int, ...]:
    """The source lines a comment cites (`line 19`, `lines 41, 43`), or none."""
    found = CITES.match(comment.strip())
    return tuple(int(n) for n in found.group(1).split(",")) if found else ()


def read_mark(comments: list[str]) -> Mark:
    """The mark of a step from its comments, in order; MarkError when they contradict each other."""
    said: list[str] = []
    kinds: list[tuple[str, str]] = []
    cites: tuple[int, ...] = ()
    adapted = substitutes = ""
    for comment in comments:
        text = comment.strip()
        if found := CITES.match(text):
            cites = cited_lines(text)
            text = text[found.end():]
        if found := SUBSTITUTES.match(text):
            substitutes = text[found.end():].strip() or _missing("substitutes")
        elif found := ADAPTED.match(text):
            adapted = text[found.end():].strip() or _missing("adapted")
        elif kind := KIND.match(text):
            kinds.append((kind.group(1), text[kind.end():].strip()))
        elif text:
            said.append(text)
    if len(kinds) > 1:
        raise MarkError(f"one step has two marks ({kinds[0][0]} and {kinds[1][0]}): keep one")
    justification = " ".join(said)
    if not kinds:
        return Mark(justification, cites=cites, adapted=adapted, substitutes=substitutes)
    kind, reason = kinds[0]
    reason = reason or _missing(kind)
    if kind in ("error", "slip"):
        return Mark(justification, kind, reason, cites=cites, adapted=adapted,  # type: ignore[arg-type]
                    substitutes=substitutes)
    if adapted:
        raise MarkError(f"'adapted:' is for the author's own lines, not a {kind}")
    joined = "; ".join(part for part in (reason, justification) if part)
    return Mark(joined, "completion" if kind == "completion" else "valid", "", kind == "reconstruction", cites)


def _missing(kind: str) -> str:
    raise MarkError(f"'{kind}:' needs its reason after the colon")
