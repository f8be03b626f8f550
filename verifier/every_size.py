"""Matrix steps with symbolic sizes: shapes as written, a screen at concrete sizes, a proof for every size.

A step is refuted when its shapes do not conform, or when, at some small concrete sizes, an entry differs at
a point ball arithmetic certifies. It is proved when both sides' entries in index notation have the same
canonical form (`verifier.canonical`), which holds for every size at once.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import sympy as sp
from sympy.matrices.expressions.matexpr import MatrixElement

from verifier.budget import BudgetExceeded, Deadline
from verifier.canonical import RowSums, canonical, difference_terms
from verifier.concrete_matrix import Explicit, NoExplicitForm, Parents, element_symbol
from verifier.context import EVERYWHERE, Context
from verifier.model import MATRIX_ENTRY_DOMAIN, Choice, Constraint, Derivation, Interval, Step, Var
from verifier.proof import BUDGETED_METHODS, CHEAP_METHODS, prove_zero
from verifier.screen import screen
from verifier.tensor import (
    COL,
    ROW,
    LossGradient,
    LossValue,
    Positive,
    Unpaired,
    defined_in,
    depends_on,
    entry,
    entry_indices,
    entry_matrices,
    expand_entries,
    number_matrix,
    reached,
    second_derivative,
    shape_problem,
    shape_text,
)
from verifier.verdicts import Counterexample, StepVerdict

PROVED_METHOD = "index notation: equal canonical forms, for every size"
REGIONS = ", on every region of the ReLUs (their derivative 1[z > 0], 0 at a kink)"
SUM_NAMES = 99  # the depth whose dummy names every sum is renamed with, to compare sums from any depth
ABSTRACTED_METHOD = "index notation, for every size: canonical forms, then with each sum as a symbol,"
REFUTED_METHOD = "numeric screen at concrete sizes, certified by ball arithmetic"
SCREEN_SIZES = 3  # size assignments screened per step
LARGEST_SIZE = 3  # the screen writes every entry out: a whole network at size 4 is past the budget
ENTRY_DOMAIN = MATRIX_ENTRY_DOMAIN
MASK_DOMAIN = Choice((0, 1))


@dataclass(frozen=True)
class Setting:
    """What a matrix step is read in: definitions of matrices and scalars, constraints, domains, sizes."""

    matrices: tuple[tuple[sp.MatrixSymbol, sp.MatrixExpr], ...]
    scalars: tuple[tuple[sp.Symbol, sp.Expr], ...]
    rules: tuple[RowSums, ...]
    domains: tuple[tuple[sp.MatrixSymbol, Interval | Choice], ...]
    sizes: tuple[sp.Symbol, ...]

    @classmethod
    def of(cls, context: Context) -> Setting:
        """The matrix parts of a context."""
        matrices = tuple((s, m) for s, m in context.definitions if isinstance(s, sp.MatrixSymbol))
        scalars = tuple((s, m) for s, m in context.definitions if not isinstance(s, sp.MatrixSymbol))
        rules = tuple(RowSums(lhs.args[0]) for lhs, _ in context.eliminations if _is_row_sum(lhs))
        domains = tuple((v.symbol, v.domain) for v in context.variables if isinstance(v.symbol, sp.MatrixSymbol))
        sizes = tuple(v.symbol for v in context.variables if isinstance(v.symbol, sp.Symbol) and v.symbol.is_integer
                      and v.symbol.is_positive and isinstance(v.domain, Choice))
        return cls(matrices, scalars, rules, domains, sizes)


def _is_row_sum(lhs: sp.Basic) -> bool:
    """`Y 1`: a matrix times a ones column (a constraint that every row sums to 1)."""
    return (isinstance(lhs, sp.MatMul) and len(lhs.args) == 2 and isinstance(lhs.args[0], sp.MatrixSymbol)
            and isinstance(lhs.args[1], sp.OneMatrix))


def check_every_size(before: sp.MatrixExpr, after: sp.MatrixExpr, context: Context) -> StepVerdict:
    """Shapes, then the screen at concrete sizes, then the canonical forms, all inside the step's budget."""
    started = time.perf_counter()
    pair = _as_matrices(before, after)
    if isinstance(pair, Unpaired):
        return StepVerdict("refuted" if pair.shape_error else "unproved", "shape check" if pair.shape_error else
                           pair.why, time.perf_counter() - started, shape_error=pair.why if pair.shape_error else None)
    before, after = pair
    problem = _shapes(before, after)
    if problem is not None:
        return StepVerdict("refuted", "shape check", time.perf_counter() - started, shape_error=problem)
    return _decided(before, after, context, started)


def _shapes(before: sp.MatrixExpr, after: sp.MatrixExpr) -> str | None:
    """The shape error of a step, as written, or None."""
    problem = shape_problem(after)
    if problem is None and shape_problem(before) is not None:  # x x = x: the line before has no shape
        problem = f"{shape_problem(before)} (in the expression this step is checked against)"
    if problem is None and not _same_shape(before, after):
        problem = f"shape error: this step is {shape_text(after.shape)}, the expression before it " \
                  f"{shape_text(before.shape)}"
    return problem


def _decided(before: sp.MatrixExpr, after: sp.MatrixExpr, context: Context, started: float) -> StepVerdict:
    """A step whose shapes agree: screened at concrete sizes, then proved from its canonical forms."""
    setting = Setting.of(context)
    unread = second_derivative(before, dict(setting.scalars)) or second_derivative(after, dict(setting.scalars))
    if unread is not None:
        return StepVerdict("unproved", unread, time.perf_counter() - started)
    deadline = Deadline(context.budget_seconds)
    try:
        try:
            found, agreeing = deadline.run(lambda: _screened(before, after, setting, context))
        except NoExplicitForm as reason:
            return StepVerdict("unproved", f"not screened: {reason}", time.perf_counter() - started)
        if found is not None:
            return dataclasses.replace(found, seconds=time.perf_counter() - started)
        left, relu = deadline.run(lambda: _left_over(before, after, setting))
        closed = _closed(left, deadline) if left else None
    except BudgetExceeded:
        return StepVerdict("unproved", "the budget ran out before any method closed it (budget)",
                           time.perf_counter() - started)
    seconds = time.perf_counter() - started
    regions = REGIONS if relu else ""
    if not left:
        return StepVerdict("proved", PROVED_METHOD + regions, seconds, points_agreeing=agreeing)
    if closed is not None:
        return StepVerdict("proved", f"{ABSTRACTED_METHOD} {closed}{regions}", seconds, points_agreeing=agreeing)
    shown = ", ".join(str(t) for t in left[:2])
    return StepVerdict("unproved", f"the canonical forms differ by {shown}; agrees at {agreeing} points", seconds,
                       points_agreeing=agreeing)


def prove_every_size(before: sp.MatrixExpr, after: sp.MatrixExpr, context: Context) -> str | None:
    """The canonical forms alone, with no screen: the method that proves the step, or None (for testing)."""
    pair = _as_matrices(before, after)
    if isinstance(pair, Unpaired):
        return None
    before, after = pair
    scalars = dict(Setting.of(context).scalars)
    if shape_problem(after) is not None or not _same_shape(before, after) or second_derivative(before, scalars) or \
            second_derivative(after, scalars):
        return None
    deadline = Deadline(context.budget_seconds)
    try:
        left, _ = deadline.run(lambda: _left_over(before, after, Setting.of(context)))
    except BudgetExceeded:
        return None
    return None if left else PROVED_METHOD


def _closed(left: list[sp.Expr], deadline: Deadline) -> str | None:
    """A scalar method that proves what is left of the canonical difference zero: the terms under the same sums
    gathered under one sum (sum f + sum g = sum (f + g)), whose body is then proved zero with each sum inside it
    taken as a symbol (the same sum, written at any depth, the same symbol): sigma(u)(1 - sigma(u)) against
    sigma'(u), inside a sum over the batch or not."""
    bodies: dict[tuple, list[sp.Expr]] = {}
    for term in left:
        coefficient, rest = term.as_coeff_Mul()
        limits, body = (rest.limits, coefficient * rest.function) if isinstance(rest, sp.Sum) else ((), term)
        bodies.setdefault(limits, []).append(body)
    methods = set()
    for parts in bodies.values():
        method = _zero_body(sp.Add(*parts), deadline)
        if method is None:
            return None
        methods.add(method)
    return ", ".join(sorted(methods))


def _zero_body(body: sp.Expr, deadline: Deadline) -> str | None:
    sums = body.atoms(sp.Sum)
    outer = [s for s in sums if not any(s != t and t.has(s) for t in sums)]
    alike = {s: canonical(s, {}, (), depth=SUM_NAMES) for s in outer}  # one naming, whatever the depth it sat at
    symbols = {key: sp.Dummy("s") for key in set(alike.values())}
    abstracted = body.xreplace({s: symbols[alike[s]] for s in outer})
    if abstracted.has(sp.Sum):
        return None
    return prove_zero(abstracted, deadline, CHEAP_METHODS) or prove_zero(abstracted, deadline, BUDGETED_METHODS)


def _as_matrices(before: sp.Basic, after: sp.Basic) -> tuple[sp.Basic, sp.Basic] | Unpaired:
    """Both sides as matrices: an equation between entries (dL/dW_ij = ...) as the matrices of its entries over its
    free indices; a 0 written against a matrix is its zero matrix (`= 0`); any other number keeps a 1 x 1 shape to
    differ by. Why not, when the free indices cannot be told."""
    one_side = (before, after)[isinstance(before, sp.MatrixExpr)]  # the side that is not a matrix, if any
    if not isinstance(after, sp.MatrixExpr) and not isinstance(before, sp.MatrixExpr):
        return entry_matrices(before, after)
    if not isinstance(one_side, sp.MatrixExpr) and entry_indices(one_side):  # a row and its entry k
        return entry_matrices(before, after)
    if isinstance(after, sp.MatrixExpr) and isinstance(before, sp.MatrixExpr):  # 2 (1^T x) 1: n ones, as before
        pending = {a: b for a, b in zip(after.shape, before.shape, strict=True) if isinstance(a, sp.Dummy)}
        after = after.xreplace(pending) if pending else after
    if not isinstance(after, sp.MatrixExpr):
        after = sp.ZeroMatrix(*before.shape) if after == 0 else number_matrix(after)
    if not isinstance(before, sp.MatrixExpr):
        before = sp.ZeroMatrix(*after.shape) if before == 0 else number_matrix(before)
    return before, after


def _same_shape(before: sp.MatrixExpr, after: sp.MatrixExpr) -> bool:
    return all(sp.expand(a - b) == 0 for a, b in zip(before.shape, after.shape, strict=True))


def _left_over(before: sp.MatrixExpr, after: sp.MatrixExpr, setting: Setting) -> tuple[list[sp.Expr], bool]:
    """What differs between the canonical forms of the two sides' entries (empty: equal for every size), and whether
    the entries compared hold a ReLU's pattern."""
    matrices, scalars = dict(setting.matrices), dict(setting.scalars)
    left: list[sp.Expr] = []
    relu = False
    for i, j, ranges in _symbolic_entries(after.shape):
        kept = frozenset(matrices)
        lhs, rhs = entry(before, matrices, scalars, i, j, kept), entry(after, matrices, scalars, i, j, kept)
        lhs, rhs = _until_alike(lhs, rhs, matrices)
        relu = relu or lhs.has(Positive) or rhs.has(Positive)
        left += difference_terms(lhs, rhs, ranges, setting.rules)
    return left, relu


def _until_alike(lhs: sp.Expr, rhs: sp.Expr, matrices: dict) -> tuple[sp.Expr, sp.Expr]:
    """Both sides with the defined matrices only one of them names expanded, a level at a time, until they name the
    same ones: A_2 stays A_2 on both sides rather than being written out down to X."""
    for _ in range(len(matrices) + 1):
        left, right = defined_in(lhs, matrices), defined_in(rhs, matrices)
        differing = left ^ right
        if not differing:
            break
        # Yhat on one side, Z_3 on the other: Yhat is written out (it is made of Z_3), not Z_3
        higher = {s for s in differing if any(t != s and depends_on(s, t, matrices) for t in differing)}
        expanded = higher or differing
        lhs = expand_entries(lhs, matrices, frozenset(matrices) - expanded, levels=1)
        rhs = expand_entries(rhs, matrices, frozenset(matrices) - expanded, levels=1)
    return lhs, rhs


def _symbolic_entries(shape: tuple[sp.Expr, sp.Expr]) -> Iterator[tuple[sp.Expr, sp.Expr, dict]]:
    """The entries to compare: a free index per symbolic dimension, each value of a numeric one, 0 for size 1."""
    def values(size: sp.Expr, free: sp.Symbol) -> list[tuple[sp.Expr, dict]]:
        if size.is_Integer:
            return [(sp.Integer(v), {}) for v in range(int(size))]
        return [(free, {free: (sp.S.Zero, size - 1)})]
    for i, rows in values(shape[0], ROW):
        for j, cols in values(shape[1], COL):
            yield i, j, {**rows, **cols}


# -- the screen at concrete sizes -----------------------------------------------------------------------------
def _screened(before: sp.MatrixExpr, after: sp.MatrixExpr, setting: Setting,
              context: Context) -> tuple[StepVerdict | None, int]:
    agreeing = 0
    used = _sizes_used((before, after), setting)
    for sizes in size_assignments(tuple(s for s in setting.sizes if s in used), context.seed):
        concrete = Concrete.at(setting, sizes)
        explicit = concrete.explicit()
        lhs, rhs = (explicit.matrix(concrete.sized(side)) for side in (before, after))
        local = concrete.context(context, explicit.parents)
        eliminated = dict(local.eliminations)
        lhs, rhs = lhs.xreplace(eliminated), rhs.xreplace(eliminated)
        weights = _weights(lhs.shape, context.seed)
        combined = screen(_weighted(lhs, weights), _weighted(rhs, weights), local, EVERYWHERE, with_edges=False)
        agreeing += combined.agreeing
        if combined.counterexample is None:
            continue
        for i, j in _indices(lhs.shape):  # some entry differs: find it, with its own certified point
            result = screen(lhs[i, j], rhs[i, j], local, EVERYWHERE, with_edges=False)
            if result.counterexample is not None:
                return _refuted(result.counterexample, f"({i + 1}, {j + 1}) of {lhs.rows} x {lhs.cols}", sizes), \
                    agreeing
        return _refuted(combined.counterexample, f"the weighted sum {weights} of {lhs.rows} x {lhs.cols}", sizes), \
            agreeing
    return None, agreeing


def _weights(shape: tuple[int, int], seed: int) -> tuple[int, ...]:
    """Random whole weights for a combination of the entries: it differs wherever one entry does, almost surely."""
    rng = np.random.default_rng(seed + 7)
    return tuple(int(w) for w in rng.integers(1, 10, size=shape[0] * shape[1]))


def _weighted(matrix: sp.ImmutableMatrix, weights: tuple[int, ...]) -> sp.Expr:
    return sp.Add(*(w * e for w, e in zip(weights, matrix, strict=True)))


def _refuted(example: Counterexample, entry_text: str, sizes: dict[sp.Symbol, int]) -> StepVerdict:
    at = ", ".join(f"{s} = {v}" for s, v in sizes.items())
    where = entry_text + (f" at {at}" if at else "")
    return StepVerdict("refuted", REFUTED_METHOD, 0.0, dataclasses.replace(example, entry=where))


def _indices(shape: tuple[int, int]) -> list[tuple[int, int]]:
    return [(i, j) for i in range(shape[0]) for j in range(shape[1])]


def _sizes_used(exprs: tuple[sp.Basic, ...], setting: Setting) -> set[sp.Symbol]:
    """The sizes of every matrix the expressions use, through the definitions."""
    seen = reached(exprs, {**dict(setting.matrices), **dict(setting.scalars)})
    shapes = [m.shape for m in seen if isinstance(m, sp.MatrixSymbol)]
    return {s for shape in shapes for d in shape for s in sp.sympify(d).free_symbols} | (seen & set(setting.sizes))


def size_assignments(sizes: tuple[sp.Symbol, ...], seed: int) -> list[dict[sp.Symbol, int]]:
    """A few concrete values for the sizes: small, distinct where possible, drawn from a seeded generator."""
    if not sizes:
        return [{}]
    rng = np.random.default_rng(seed)
    chosen = [{s: 2 + k % (LARGEST_SIZE - 1) for k, s in enumerate(sizes)}]  # 2, 3, 2, 3, ...: unequal sizes
    while len(chosen) < SCREEN_SIZES:
        chosen.append({s: int(rng.integers(1, LARGEST_SIZE + 1)) for s in sizes})
    return chosen


@dataclass(frozen=True)
class Concrete:
    """A setting at concrete sizes: definitions with the sizes replaced by their values."""

    sizes: tuple[tuple[sp.Symbol, int], ...]
    matrices: tuple[tuple[sp.MatrixSymbol, sp.MatrixExpr], ...]
    scalars: tuple[tuple[sp.Symbol, sp.Expr], ...]
    setting: Setting

    @classmethod
    def at(cls, setting: Setting, sizes: dict[sp.Symbol, int]) -> Concrete:
        """`setting` with every size replaced by its value."""
        values = tuple(sizes.items())
        matrices = tuple((s.xreplace(sizes), m.xreplace(sizes)) for s, m in setting.matrices)
        scalars = tuple((s, m.xreplace(sizes)) for s, m in setting.scalars)
        return cls(values, matrices, scalars, setting)

    def explicit(self, held: frozenset[sp.MatrixSymbol] = frozenset()) -> Explicit:
        """Explicit forms at these sizes (`held` matrices kept as symbols)."""
        return Explicit(dict(self.matrices), dict(self.scalars), frozenset(m.xreplace(dict(self.sizes)) for m in held))

    def sized(self, expr: sp.Basic) -> sp.Basic:
        """`expr` with the sizes replaced by their values."""
        return expr.xreplace(dict(self.sizes))

    def context(self, context: Context, parents: Parents) -> Context:
        """A context over the element symbols in `parents`, with row-sum constraints as eliminations."""
        declared = {s.name: d for s, d in self.setting.domains}
        one_hot = {rule.matrix.name for rule in self.setting.rules}
        eliminations = []
        for rule in self.setting.rules:
            matrix = self.sized(rule.matrix)
            rows, cols = (int(d) for d in matrix.shape)
            for i in range(rows):
                last = element_symbol(matrix, i, cols - 1)
                if last in parents:
                    others = sum(element_symbol(matrix, i, c) for c in range(cols - 1))
                    eliminations.append((last, 1 - others))
        variables = [Var(s, MASK_DOMAIN if p.name in one_hot else _domain(p, declared))
                     for s, p in sorted(parents.items(), key=lambda item: str(item[0]))]
        scalars = [v for v in context.variables
                   if isinstance(v.symbol, sp.Symbol) and v.symbol not in self.setting.sizes]
        return dataclasses.replace(context, variables=(*scalars, *variables), definitions=(),
                                   eliminations=tuple(eliminations), families=(), index_ranges=(),
                                   samples=max(8, context.samples // 4))


def _domain(parent: sp.MatrixSymbol, declared: dict[str, Interval | Choice]) -> Interval | Choice:
    if isinstance(parent, LossGradient | LossValue):
        return ENTRY_DOMAIN
    return declared.get(parent.name, ENTRY_DOMAIN)


def at_concrete_size(derivation: Derivation, final: sp.MatrixExpr, context: Context,
                     ) -> tuple[Derivation, sp.ImmutableMatrix, Context, dict[sp.Symbol, int]] | None:
    """A gradient over symbolic sizes at the sizes declared for it (else the first screened), for the numeric check.

    The function is written down to the variable (the rest expanded, each entry a plain symbol) and the final
    step keeps the variable's own entries, so both are functions of the same symbols. For the Jacobian of a
    column the function is that column, explicit: each entry's gradient is a row of the claim.
    """
    variable = derivation.variable
    if isinstance(variable, MatrixElement):  # dL/dW_ij: the whole gradient, its entries over i and j
        variable = variable.parent
    pair = _as_matrices(derivation.start, final)
    if isinstance(pair, Unpaired):  # the step says why (shape error, or a notation not read): nothing to check
        return None
    final = pair[1]
    setting = Setting.of(context)
    used = _sizes_used((final, derivation.start), setting)
    sizes = {**size_assignments(tuple(s for s in setting.sizes if s in used), context.seed)[0],
             **{s: v for s, v in derivation.numeric_sizes if s in used}}
    concrete = Concrete.at(setting, sizes)
    scalar = not isinstance(variable, sp.MatrixExpr)  # dL/dc of a scalar c: a 1 x 1 gradient
    explicit = concrete.explicit(frozenset() if scalar else frozenset({variable}))
    sized = concrete.sized(derivation.function)
    jacobian = isinstance(sized, sp.MatrixExpr) and sized.shape != (1, 1)  # ds/dz: the column s, entry by entry
    function = explicit.matrix(sized) if jacobian else explicit.scalar(sized)
    claimed = explicit.matrix(concrete.sized(final))
    entries = sp.ImmutableMatrix([[variable]]) if scalar else explicit.symbols(concrete.sized(variable))
    local = concrete.context(context, explicit.parents)
    constraints = tuple(Constraint(s, value, "each row sums to 1") for s, value in local.eliminations)
    written = dataclasses.replace(
        derivation, function=function, variable=entries, variables=local.variables, definitions=(),
        constraints=constraints, families=(), index_ranges=(), kink=None, steps=(Step(claimed, "", None),))
    return written, claimed, local, sizes
