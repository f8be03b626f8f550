"""What a formula reads as: its elements, the label naming its derivative, and the errors it can raise."""

from __future__ import annotations

import math
from dataclasses import dataclass

import sympy as sp

MAX_ELEMENTS = 200  # expressions in one chain
MAX_POWER_BITS = 10_000  # 2^{2^{2^{2^{2}}}} is refused rather than computed


class ParseError(ValueError):
    """A formula that cannot be read: where (1-based line and column in the text given), what and why."""

    def __init__(self, message: str, line: int = 1, column: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column


@dataclass(frozen=True)
class Label:
    """A chain's left-hand name for the derivative it computes: `\\frac{dy}{dx} = ...`."""

    variable: sp.Symbol | sp.ImmutableMatrix  # a column of symbols for a line with free indices
    of: sp.Expr | None  # what is differentiated, when the name has a meaning
    order: int = 1


@dataclass(frozen=True)
class Element:
    """One expression of a chain, as written and as read (with the other readings of an ambiguous line)."""

    expr: sp.Expr | None  # None for a label
    label: Label | None
    source: str
    line: int
    column: int
    note: str = ""  # a trailing \text{...}
    read_as: str = ""  # how an ambiguous construct was read; empty when the line has one reading
    alternatives: tuple[tuple[sp.Expr, str], ...] = ()  # (expression, how it reads) for the other readings
    letter_products: tuple[str, ...] = ()  # letters written side by side, read as a product of symbols ("xy")
    restarts: bool = False  # written after \Rightarrow: a new statement, not equal to the expression before
    conventions: tuple[str, ...] = ()  # conventions the line was read with (a bias added to every row)
    # what a function, power or quotient as written needs, which SymPy's evaluation dropped (e^{\log x} is x: x > 0;
    # x/x is 1: x != 0), as relations
    lost: tuple[sp.Basic, ...] = ()


@dataclass(frozen=True)
class Chain:
    """The expressions of one display block, equal in turn; `continues` when the block starts with `=`."""

    elements: tuple[Element, ...]
    continues: bool
    undeclared: frozenset[str]
    dangling: bool = False  # ends with `=`: the next block continues it


def power(base: sp.Expr, exponent: sp.Expr, position: tuple[int, int]) -> sp.Expr:
    """base^exponent, refusing numbers too large to write down."""
    if base.is_Number and exponent.is_Number and abs(base) > 1:
        magnitude = math.log2(abs(sp.Rational(base).p)) - math.log2(abs(sp.Rational(base).q))
        bits = abs(float(exponent)) * magnitude if abs(exponent) < 10**6 else math.inf
        if bits > MAX_POWER_BITS:
            raise ParseError(f"the power {base}^{exponent} is too large to compute", *position)
    if base == sp.E:
        return sp.exp(exponent)
    return sp.Pow(base, exponent)

