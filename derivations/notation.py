"""The vocabulary the derivation files are written in: symbols with domains, steps, helpers."""

from __future__ import annotations

import sympy as sp

from verifier.model import Choice, Derivation, Interval, Kink, Step, Var

D = sp.Derivative
exp, log = sp.exp, sp.log


def real(name: str, lo: float = -6, hi: float = 6) -> Var:
    """A real symbol sampled in (lo, hi)."""
    return Var(sp.Symbol(name, real=True), Interval(lo, hi))


def positive(name: str, lo: float = 0, hi: float = 6) -> Var:
    """A positive symbol sampled in (lo, hi)."""
    return Var(sp.Symbol(name, positive=True), Interval(lo, hi))


def choice(name: str, *values: int) -> Var:
    """An integer symbol taking one of `values` (labels, signs)."""
    return Var(sp.Symbol(name, integer=True), Choice(tuple(values)))


def sigmoid(u: sp.Expr) -> sp.Expr:
    """1 / (1 + e^{-u})."""
    return 1 / (1 + exp(-u))


def frac(numerator: sp.Expr, denominator: sp.Expr) -> sp.Expr:
    """A fraction kept as written (SymPy would otherwise cancel e.g. A/A at once)."""
    return sp.Mul(numerator, sp.Pow(denominator, -1, evaluate=False), evaluate=False)


def plus(*terms: sp.Expr) -> sp.Expr:
    """A sum kept as written (e.g. e^{-x} + 1 - 1)."""
    return sp.Add(*terms, evaluate=False)


def step(latex: str, expr: sp.Expr, why: str) -> Step:
    """A line of the note that the author presents as correct."""
    return Step(sp.sympify(expr), why, latex, "valid")


def error(latex: str, expr: sp.Expr, why: str, explanation: str) -> Step:
    """A line of the note with wrong mathematics (the engine must refute it)."""
    return Step(sp.sympify(expr), why, latex, "error", explanation)


def slip(latex: str, expr: sp.Expr, why: str, explanation: str) -> Step:
    """A line whose notation is wrong while the intended mathematics is right."""
    return Step(sp.sympify(expr), why, latex, "slip", explanation)


def completion(expr: sp.Expr, why: str) -> Step:
    """A step backproof adds: a correction after a refuted line, or the end the note leaves out."""
    return Step(sp.sympify(expr), why, None, "completion")


def kink(var: Var, value: sp.Expr | None, source: str, at: sp.Expr = sp.S.Zero) -> Kink:
    """The value a derivative takes where its function has a kink."""
    return Kink(var.symbol, at, None if value is None else sp.sympify(value), source)


def derivation(
    id: str,
    title: str,
    note: str,
    where: str,
    variables: list[Var],
    function: sp.Expr,
    steps: list[Step],
    variable: Var | None = None,
    **extra: object,
) -> Derivation:
    """A Derivation from lists, the way the data files write it."""
    return Derivation(
        id=id,
        title=title,
        note=note,
        where=where,
        variables=tuple(variables),
        function=sp.sympify(function),
        steps=tuple(steps),
        variable=None if variable is None else variable.symbol,
        **extra,  # type: ignore[arg-type]
    )
