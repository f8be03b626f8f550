"""The data model: symbols with domains, steps, derivations."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import sympy as sp
from sympy.matrices.expressions.matexpr import MatrixElement

from verifier.tensor import Gradient, LossGradient, LossValue, VectorJacobian, entry_indices

if TYPE_CHECKING:
    from verifier.verdicts import NumericCheck

Expected = Literal["valid", "error", "slip", "completion"]
EXPECTED_KINDS: tuple[str, ...] = ("valid", "error", "slip", "completion")
Source = Literal["author", "reconstruction", "added"]


def lines_text(numbers: list[int]) -> str:
    """`line 12` or `lines 12-30`: the lines a derivation takes (in its file, or in the source it cites)."""
    if not numbers:
        return ""
    first, last = min(numbers), max(numbers)
    return f"lines {first}-{last}" if last > first else f"line {first}"


@dataclass(frozen=True)
class Interval:
    """A symbol's interval of the reals: sampled in the box (lo, hi); at each end (low, high) the domain either stops
    there or goes on past it (`unbounded`: x real is every real, sampled in (-6, 6)), and holds the end itself or
    not (`closed`: x >= 0 holds 0). Proofs rely on the domain, never on the box."""

    lo: float
    hi: float
    unbounded: tuple[bool, bool] = (False, False)
    closed: tuple[bool, bool] = (False, False)

    def __post_init__(self) -> None:
        if not self.lo < self.hi:
            raise ValueError(f"empty interval ({self.lo}, {self.hi})")

    def describe(self) -> str:
        """Human-readable form: `(0, 1)`, `[0, 1)`, or `(0, inf), sampled in (0, 6)`."""
        low = "(-inf" if self.unbounded[0] else f"{'[' if self.closed[0] else '('}{self.lo:g}"
        high = "inf)" if self.unbounded[1] else f"{self.hi:g}{']' if self.closed[1] else ')'}"
        sampled = f", sampled in ({self.lo:g}, {self.hi:g})" if any(self.unbounded) else ""
        return f"{low}, {high}{sampled}"

    def declared(self, name: str) -> str:
        """The where line that declares this domain: `x real`, `x > 0`, `x >= 0`, `x in [0, 1)`."""
        low, high = self.unbounded
        if low and high:
            return f"{name} real"
        if low or high:
            relation = (">" if high else "<") + ("=" if any(self.closed) else "")
            return f"{name} {relation} {(self.lo if high else self.hi):g}"
        return f"{name} in {self.describe()}"

    def parametrised(self) -> sp.Expr:
        """The domain (not the box) as an expression in a new u >= 0 or u > 0 that takes every value of it once: a
        sign SymPy can tell there holds on the whole domain (1 - a on (0, 1) is 1/(1 + u)). A domain closed at both
        bounded ends has no such map: a real symbol, nothing told."""
        u = sp.Dummy("u", nonnegative=True) if any(self.closed) else sp.Dummy("u", positive=True)
        lo, hi = sp.Rational(self.lo), sp.Rational(self.hi)  # never nsimplify: 1 - 10^-30 is not 1
        match self.unbounded, self.closed:
            case (True, True), _:
                return sp.Dummy("x", real=True)
            case (False, True), _:
                return lo + u
            case (True, False), _:
                return hi - u
            case _, (_, False):
                return lo + (hi - lo) * u / (1 + u)
            case _, (False, True):
                return hi - (hi - lo) * u / (1 + u)
        return sp.Dummy("x", real=True)

    def sign(self) -> str | None:
        """The sign every value of the domain has, as SymPy names the assumption (x >= 0: "nonnegative"), or None."""
        if not self.unbounded[0] and self.lo >= 0:
            return "nonnegative" if self.lo == 0 and self.closed[0] else "positive"
        if not self.unbounded[1] and self.hi <= 0:
            return "nonpositive" if self.hi == 0 and self.closed[1] else "negative"
        return None

    def holds(self, value: float) -> bool:
        """Whether the domain holds a value (past an unbounded end, or at a closed one, too)."""
        above = self.unbounded[0] or self.lo < value or (self.closed[0] and value == self.lo)
        below = self.unbounded[1] or value < self.hi or (self.closed[1] and value == self.hi)
        return bool(above and below)

    def held_ends(self) -> tuple[float, ...]:
        """The ends the domain holds (x >= 0: 0)."""
        return tuple(end for end, held in zip((self.lo, self.hi), self.closed, strict=True) if held)

    def within(self, lo: float, hi: float) -> Interval:
        """The part of this interval between lo and hi (each inside the box): its ends there are new, and bounded."""
        keep_lo, keep_hi = lo <= self.lo, hi >= self.hi
        return Interval(max(lo, self.lo), min(hi, self.hi),
                        (self.unbounded[0] and keep_lo, self.unbounded[1] and keep_hi),
                        (self.closed[0] and keep_lo, self.closed[1] and keep_hi))


@dataclass(frozen=True)
class Choice:
    """A finite set of exact values to sample a symbol from: all it takes (y in {0, 1}), or only those it is screened
    at (`sampled_only`: a symbolic size n is any positive integer, checked at a few), never a domain to prove on."""

    values: tuple[int | sp.Rational, ...]
    sampled_only: bool = False

    def __post_init__(self) -> None:
        if not self.values:
            raise ValueError("a Choice needs at least one value")

    def describe(self) -> str:
        """Human-readable form, e.g. `{0, 1}`, or `{1, ..., 5} (screened; any positive integer)`."""
        listed = "{" + ", ".join(str(v) for v in self.values) + "}"
        return f"{listed} (screened; any positive integer)" if self.sampled_only else listed


Domain = Interval | Choice
# a matrix's entries, unless declared: products of a few of them stay small, so that log(1 - sigma(X w)) keeps its
# digits in floats (with (-3, 3), X w reached 27 and the numeric check of a true logistic gradient failed at 1e-8)
MATRIX_ENTRY_DOMAIN = Interval(-1, 1, unbounded=(True, True))  # any real, sampled in (-1, 1)


@dataclass(frozen=True)
class Var:
    """A SymPy symbol (with its assumptions) and the domain it ranges over."""

    symbol: sp.Symbol
    domain: Domain
    reason: str = ""  # why this domain: "declared", or "natural domain: log(x) needs x > 0"

    def describe(self) -> str:
        """`name in domain`."""
        return f"{self.symbol} in {self.domain.describe()}"


@dataclass(frozen=True)
class Family:
    """Every entry base[i] of an indexed symbol (z_i, y_i for a symbolic number of them), one domain."""

    base: sp.IndexedBase
    domain: Domain

    def describe(self) -> str:
        """`z[i] in (-3, 3)`."""
        return f"{self.base}[i] in {self.domain.describe()}"


@dataclass(frozen=True)
class IndexRange:
    """An index that runs from 1 to a size symbol: r in 1..K."""

    index: sp.Symbol
    size: sp.Symbol

    def describe(self) -> str:
        """`1 <= r <= K`."""
        return f"1 <= {self.index} <= {self.size}"


@dataclass(frozen=True)
class Constraint:
    """An equation the symbols obey, used to eliminate one symbol (e.g. labels summing to 1).

    With a symbolic size, `eliminates` may be an expression (a sum of labels): it is then rewritten
    in proofs and checked as a filter on the sampled points.
    """

    eliminates: sp.Expr
    equals: sp.Expr
    statement: str


@dataclass(frozen=True)
class Kink:
    """A point where the function is not differentiable, and the value the derivation takes there."""

    symbol: sp.Symbol
    at: sp.Expr
    value: sp.Expr | None
    source: str

    def describe(self) -> str:
        """The convention as a sentence."""
        value = "left undefined" if self.value is None else f"taken as {self.value}"
        return f"at {self.symbol} = {self.at} the derivative is {value} ({self.source})"


@dataclass(frozen=True)
class Factor:
    """One matrix of a product as a line writes it: its name and the shape the line gives it."""

    name: str
    rows: int | str  # a size the line names ("n") conforms only to the same name
    cols: int | str

    def describe(self) -> str:
        """`A (3 x 5)`."""
        return f"{self.name} ({self.rows} x {self.cols})"


@dataclass(frozen=True)
class Reading:
    """Another way to read a line: what it becomes read that way, and that reading in words."""

    expr: sp.Expr
    description: str  # e.g. "d/dx applies to x^2 only, not to the product x^2 \cdot e^x"
    products: tuple[tuple[Factor, ...], ...] = ()  # matrix products as this reading takes them, shapes included
    # what the step is checked against read this way, when the reading changes the line before it (the scope of
    # the derivative a chain starts with); None: the same previous expression as the chosen reading
    before: sp.Expr | None = None

    @property
    def free_symbols(self) -> set[sp.Basic]:
        """The symbols this reading uses, in the line and in what it is checked against."""
        before = set() if self.before is None else self.before.free_symbols
        return self.expr.free_symbols | before


@dataclass(frozen=True)
class Step:
    """One line of a derivation: the expression it claims equals the previous one."""

    expr: sp.Expr
    justification: str
    latex: str | None
    expected: Expected = "valid"
    explanation: str = ""
    products: tuple[tuple[Factor, ...], ...] = ()  # matrix products as the line writes them, shapes included
    read_as: str = ""  # the chosen reading in words, when the line has another one (see `alternatives`)
    alternatives: tuple[Reading, ...] = ()  # the other readings of the line, each checked too
    letter_products: tuple[str, ...] = ()  # names in the line read as a product of single letters ("tanh")
    reconstructed: bool = False  # a line the source lost, rebuilt from its prose (not the author's own words)
    cites: tuple[int, ...] = ()  # the lines of the source the step copies, when it says so
    adapted: str = ""  # why the author's line is written otherwise than in the source (the format cannot read it)
    conventions: tuple[str, ...] = ()  # conventions the line was read with (row-vector broadcasting of a bias)
    # the author's own values put in the line before, as the line says it does (`substitute back`): A for B
    substitutions: tuple[tuple[sp.Expr, sp.Expr], ...] = ()

    @property
    def source(self) -> Source:
        """Whose line this is: the author's, a reconstruction of a lost one, or a step backproof added."""
        if self.expected == "completion":
            return "added"
        return "reconstruction" if self.reconstructed else "author"

    def __post_init__(self) -> None:
        if self.expected not in EXPECTED_KINDS:
            raise ValueError(f"expected must be one of {EXPECTED_KINDS}, not {self.expected!r}")
        if self.expected in ("error", "slip") and not self.explanation:
            raise ValueError("an error or slip step needs a one-line explanation")
        if self.alternatives and not self.read_as:
            raise ValueError("a step with alternative readings needs `read_as`, the chosen reading in words")
        if self.reconstructed and self.expected == "completion":
            raise ValueError("a step is either a reconstruction of a lost line or one backproof added, not both")
        if self.adapted and self.source != "author":
            raise ValueError("only the author's lines are adapted: a reconstruction or an added step is backproof's")


@dataclass(frozen=True)
class Derivation:
    """An ordered chain of steps that starts from `function` (its derivative in `variable`, if set)."""

    id: str
    title: str
    note: str
    where: str
    variables: tuple[Var, ...]
    function: sp.Expr
    steps: tuple[Step, ...]
    variable: sp.Symbol | sp.ImmutableMatrix | None = None
    definitions: tuple[tuple[sp.Symbol, sp.Expr], ...] = ()
    constraints: tuple[Constraint, ...] = ()
    kink: Kink | None = None
    remarks: str = ""
    # replaces the numeric cross-check, e.g. the same formula confirmed at full size with NumPy
    numeric_override: Callable[[], NumericCheck] | None = field(default=None, compare=False)
    families: tuple[Family, ...] = ()
    index_ranges: tuple[IndexRange, ...] = ()
    numeric_sizes: tuple[tuple[sp.Symbol, int], ...] = ()  # where a symbolic-size gradient is checked numerically

    def __post_init__(self) -> None:
        if not self.steps:
            raise ValueError(f"{self.id}: a derivation needs at least one step")
        declared = {v.symbol for v in self.variables} | {s for s, _ in self.definitions}
        used = set(self.function.free_symbols)
        for step in self.steps:
            used |= step.expr.free_symbols.union(*(r.free_symbols for r in step.alternatives))
        bases = {f.base.label for f in self.families} | {f.base for f in self.families}
        indices = {r.index for r in self.index_ranges} | {s for e in self._expressions() for s in entry_indices(e)}
        undeclared = sorted(
            str(s) for s in used - declared - bases - indices
            if not isinstance(s, sp.Dummy | LossGradient | LossValue)
            and not (isinstance(s, sp.Indexed) and s.base in bases)
        )
        if undeclared:
            raise ValueError(f"{self.id}: undeclared symbols {', '.join(undeclared)}")
        sampled = {v.symbol for v in self.variables}
        variables = list(self.variable) if isinstance(self.variable, sp.MatrixBase) else [self.variable]
        for role, symbol in [*(("variable", v) for v in variables), ("kink symbol", self.kink and self.kink.symbol)]:
            entry = isinstance(symbol, sp.Indexed) and symbol.base in bases  # z[r]: its family gives its domain
            defined = symbol in declared and symbol not in sampled  # dL/da, a = sigma(z); dL/dA_2, A_2 = ReLU(Z_2)
            if isinstance(symbol, MatrixElement):  # dL/dW_ij: W's domain
                defined = symbol.parent in declared or symbol.parent in sampled
            if symbol is not None and symbol not in sampled and not entry and not defined:
                raise ValueError(f"{self.id}: the {role} {symbol} has no domain among the variables")

    def _expressions(self) -> list[sp.Basic]:
        return [self.function, *(s.expr for s in self.steps), *([self.variable] if self.variable is not None else [])]

    def symbols_described(self) -> list[str]:
        """Every symbol with its domain, indexed families and index ranges included."""
        described = [v.describe() for v in self.variables]
        return described + [f.describe() for f in self.families] + [r.describe() for r in self.index_ranges]

    @property
    def start(self) -> sp.Expr:
        """The expression the first step must equal: the function, or its derivative (a gradient for a matrix)."""
        if self.variable is None:
            return self.function
        if isinstance(self.variable, sp.MatrixBase):
            return self.variable.applyfunc(lambda entry: sp.Derivative(self.function, entry))
        if isinstance(self.variable, MatrixElement):  # dL/dW_ij: entry (i, j) of the gradient
            return MatrixElement(Gradient(self.function, self.variable.parent), self.variable.i, self.variable.j)
        if isinstance(self.variable, sp.MatrixSymbol) and isinstance(self.function, sp.MatrixExpr) and \
                self.function.shape[1] == 1 and self.function.shape != (1, 1):  # ds/dz of a column: its Jacobian
            return VectorJacobian(self.function, self.variable)
        if isinstance(self.variable, sp.MatrixSymbol):  # a matrix of symbolic size: dL/dW, entry by entry
            return Gradient(self.function, self.variable)
        return sp.Derivative(self.function, self.variable)
