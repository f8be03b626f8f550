"""The vocabulary the derivation files are written in: symbols with domains, steps, helpers."""

from __future__ import annotations

from collections.abc import Iterable

import sympy as sp

from verifier.model import Choice, Derivation, Interval, Kink, Step, Var, lines_text

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


def total(terms: Iterable[sp.Expr]) -> sp.Expr:
    """The sum of the terms, built at once (Python's sum rebuilds the growing sum at every term)."""
    return sp.Add(*terms)


def step(latex: str, expr: sp.Expr, why: str, cites: tuple[int, ...] = ()) -> Step:
    """A line of the note that the author presents as correct; `cites`: the note's lines it copies."""
    return Step(sp.sympify(expr), why, latex, "valid", cites=cites)


def error(latex: str, expr: sp.Expr, why: str, explanation: str, cites: tuple[int, ...] = ()) -> Step:
    """A line of the note with wrong mathematics (the engine must refute it)."""
    return Step(sp.sympify(expr), why, latex, "error", explanation, cites=cites)


def slip(latex: str, expr: sp.Expr, why: str, explanation: str, cites: tuple[int, ...] = ()) -> Step:
    """A line whose notation is wrong while the intended mathematics is right."""
    return Step(sp.sympify(expr), why, latex, "slip", explanation, cites=cites)


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
    variables: list[Var],
    function: sp.Expr,
    steps: list[Step],
    variable: Var | sp.ImmutableMatrix | None = None,
    where: str | None = None,
    **extra: object,
) -> Derivation:
    """A Derivation from lists, the way the data files write it; its place is the note lines its steps cite."""
    cited = sorted(line for s in steps for line in s.cites)
    return Derivation(
        id=id,
        title=title,
        note=note,
        where=where if where is not None else lines_text(cited),
        variables=tuple(variables),
        function=sp.sympify(function),
        steps=tuple(steps),
        variable=variable.symbol if isinstance(variable, Var) else variable,
        **extra,  # type: ignore[arg-type]
    )


def matrix(name: str, rows: int, cols: int, lo: float = -2, hi: float = 2) -> tuple[sp.ImmutableMatrix, list[Var]]:
    """An explicit matrix of real symbols name_ij (1-based; name_i for a column; name_i,j past 9), and domains."""
    symbols = [[sp.Symbol(_entry_name(name, i, j, rows, cols), real=True) for j in range(cols)] for i in range(rows)]
    flat = [s for row in symbols for s in row]
    return sp.ImmutableMatrix(symbols), [Var(s, Interval(lo, hi)) for s in flat]


def _entry_name(name: str, i: int, j: int, rows: int, cols: int) -> str:
    return f"{name}_{i + 1}" if cols == 1 else _pair_name(name, i, j, rows, cols)


def _pair_name(name: str, i: int, j: int, rows: int, cols: int) -> str:
    # a_111 could be a_{1,11} or a_{11,1}: past 9 rows or columns the indices are separated
    return f"{name}_{i + 1}{j + 1}" if max(rows, cols) < 10 else f"{name}_{i + 1},{j + 1}"


def mask(name: str, rows: int, cols: int) -> tuple[sp.ImmutableMatrix, list[Var]]:
    """An explicit 0/1 matrix: the ReLU pattern of one region of a layer's pre-activations."""
    symbols = [[sp.Symbol(_pair_name(name, i, j, rows, cols), integer=True) for j in range(cols)] for i in range(rows)]
    flat = [s for row in symbols for s in row]
    return sp.ImmutableMatrix(symbols), [Var(s, Choice((0, 1))) for s in flat]


def hadamard(a: sp.MatrixBase, b: sp.MatrixBase) -> sp.ImmutableMatrix:
    """The elementwise product a ⊙ b."""
    return sp.ImmutableMatrix(a.multiply_elementwise(b))


def ones(rows: int, cols: int) -> sp.ImmutableMatrix:
    """A matrix of ones (a row of them sums over a batch; a column of them broadcasts a bias)."""
    return sp.ImmutableMatrix(sp.ones(rows, cols))


def softmax_rows(z: sp.MatrixBase) -> sp.ImmutableMatrix:
    """Softmax of each row."""
    rows = []
    for i in range(z.rows):
        total_row = total(exp(z[i, j]) for j in range(z.cols))
        rows.append([exp(z[i, j]) / total_row for j in range(z.cols)])
    return sp.ImmutableMatrix(rows)
