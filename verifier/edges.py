"""Points a uniform draw never reaches: breakpoints and ties of non-smooth functions, domain ends, large values."""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Iterator

import sympy as sp

from verifier.caches import memoised
from verifier.model import Interval, Var

MAX_POINTS = 64
MAX_ROOT_DEGREE = 4
INTEGER_LEVELS = 12  # floor/ceiling breakpoints tried on each side of the base point's value
BESIDE = sp.Rational(1, 2**20)  # relative offset of the points just beside a breakpoint, and of domain ends
END_OFFSETS = (sp.Rational(1, 2**8), sp.Rational(1, 2**20), sp.Rational(1, 2**40))

Point = dict[sp.Symbol, sp.Expr]
Breakpoint = tuple[sp.Symbol, sp.Expr]  # a variable and an exact value where some function of it breaks


NON_SMOOTH = (sp.Heaviside, sp.sign, sp.Abs, sp.DiracDelta, sp.Max, sp.Min, sp.Piecewise)


def critical_expressions(expr: sp.Basic, poles: bool = True) -> Iterator[sp.Expr]:
    """Expressions whose zeros are where a part of `expr` breaks: kinks, jumps, ties (and poles, logs of 0)."""
    for node in sp.preorder_traversal(expr):
        if isinstance(node, sp.Heaviside | sp.sign | sp.Abs | sp.DiracDelta) or (poles and isinstance(node, sp.log)):
            yield node.args[0]
        elif poles and isinstance(node, sp.Pow) and node.exp.is_negative:
            yield node.base
        elif isinstance(node, sp.Max | sp.Min):
            yield from (a - b for a, b in itertools.combinations(node.args[:5], 2))
        elif isinstance(node, sp.Piecewise):
            for condition in (c for _, c in node.args):
                yield from (r.lhs - r.rhs for r in condition.atoms(sp.core.relational.Relational))


def periodic_poles(expr: sp.Basic) -> Iterator[tuple[sp.Expr, sp.Expr]]:
    """Arguments u with the offset c where a trigonometric part of `expr` has a pole at u = c + k pi: tan and sec
    at pi/2 + k pi (cos u = 0), cot and csc at k pi (sin u = 0), and so a power of cos u or sin u below 1."""
    half = sp.pi / 2
    for node in sp.preorder_traversal(expr):
        if isinstance(node, sp.tan | sp.sec):
            yield node.args[0], half
        elif isinstance(node, sp.cot | sp.csc):
            yield node.args[0], sp.S.Zero
        elif isinstance(node, sp.Pow) and node.exp.is_negative and isinstance(node.base, sp.cos | sp.sin):
            yield node.base.args[0], half if isinstance(node.base, sp.cos) else sp.S.Zero


def integer_breaks(expr: sp.Basic) -> Iterator[tuple[sp.Expr, bool]]:
    """Arguments that break at integers, and whether only at 0, -1, ...: floor, ceiling, frac jump at every
    integer; Gamma and its kin have poles at the non-positive ones only."""
    for node in sp.preorder_traversal(expr):
        if isinstance(node, sp.floor | sp.ceiling | sp.frac):
            yield node.args[0], False
        elif isinstance(node, sp.gamma | sp.loggamma | sp.digamma | sp.factorial):
            yield node.args[0], True
        elif isinstance(node, sp.polygamma):
            yield node.args[1], True


def breakpoints(exprs: Iterable[sp.Basic], variables: tuple[Var, ...], base: Point,
                periodic: bool = True) -> list[Breakpoint]:
    """Exact values of each interval variable, the others at `base`, where a non-smooth function breaks (and,
    with `periodic`, where tan, sec, cot, csc have their poles)."""
    frozen = tuple(sorted(base.items(), key=lambda kv: kv[0].name))
    return list(dict.fromkeys(b for expr in exprs for b in _breakpoints_of(expr, variables, frozen, periodic)))


@memoised(1024)  # a step's side is screened again as the side the next step is checked against
def _breakpoints_of(expr: sp.Basic, variables: tuple[Var, ...], frozen: tuple, periodic: bool) -> list[Breakpoint]:
    base = dict(frozen)
    found: dict[Breakpoint, None] = {}
    levels = [(g, tuple(n for n in _levels(g, base) if n <= 0 or not poles)) for g, poles in integer_breaks(expr)]
    pieces = [(g, (sp.S.Zero,)) for g in critical_expressions(expr)] + levels
    for argument, offset in periodic_poles(expr) if periodic else ():
        for var in variables:
            found.update(dict.fromkeys((var.symbol, r) for r in _periodic_roots(argument, offset, var, base)))
    for critical, values in pieces:
        for var in variables:
            if var.symbol in critical.free_symbols and isinstance(var.domain, Interval):
                for level in values:
                    for root in _roots(critical - level, var, base):
                        found[(var.symbol, root)] = None
    return list(found)


def exact_floats(expr: sp.Expr) -> sp.Expr:
    """`expr` with each float constant as the binary fraction it is (0.001 is a rational, if not one tenth)."""
    return expr.xreplace({f: sp.Rational(f) for f in expr.atoms(sp.Float)})


def unlocated_kinks(
    exprs: Iterable[sp.Basic], variables: tuple[Var, ...], meaning: dict[sp.Symbol, sp.Expr], declared: bool
) -> list[sp.Expr]:
    """Kink expressions under a derivative whose zeros cannot all be found exactly (not a polynomial of degree
    at most 4 in one variable with rational coefficients; with no kink declared, any in several variables)."""
    intervals = {v.symbol for v in variables if isinstance(v.domain, Interval)}
    found = []
    for d in (d for e in exprs for d in e.atoms(sp.Derivative)):
        for g in critical_expressions(_differentiated(d, meaning), poles=False):
            g = exact_floats(g)
            if not g.free_symbols & set(d.variables) or g in found:
                continue
            several = len(g.free_symbols) > 1
            if (several and not declared) or (not several and not _solvable(g, g.free_symbols & intervals)):
                found.append(g)
    return found


def _solvable(g: sp.Expr, symbols: set[sp.Symbol]) -> bool:
    if len(symbols) != 1 or not g.is_polynomial(*symbols):
        return False
    poly = sp.Poly(g, *symbols)
    return poly.degree() <= MAX_ROOT_DEGREE and all(c.is_Rational for c in poly.coeffs())


def derivative_kinks(
    exprs: Iterable[sp.Basic], variables: tuple[Var, ...], base: Point, meaning: dict[sp.Symbol, sp.Expr]
) -> set[Breakpoint]:
    """Breakpoints of functions under a derivative (defined symbols expanded): there it has no value of its own.
    A function whose kinks are all in other variables than the derivative's has none (d/da of a PReLU, kinked in
    y only: the partial derivative in a exists at y = 0)."""
    pairs = [(d, _differentiated(d, meaning)) for e in exprs for d in e.atoms(sp.Derivative)]
    inner = [f for d, f in pairs if any(set(d.variables) & g.free_symbols
                                        for g in critical_expressions(f, poles=False))]
    return set(breakpoints(inner, variables, base, periodic=False))  # a pole is no kink: both sides undefined


def kink_expressions(exprs: Iterable[sp.Basic], meaning: dict[sp.Symbol, sp.Expr]) -> tuple[sp.Expr, ...]:
    """Expressions whose zeros are kinks of a function under a derivative: there the derivative has no value."""
    inner = [_differentiated(d, meaning) for e in exprs for d in e.atoms(sp.Derivative)]
    return tuple(dict.fromkeys(c for expr in inner for c in critical_expressions(expr, poles=False)))


def _differentiated(derivative: sp.Derivative, meaning: dict[sp.Symbol, sp.Expr]) -> sp.Expr:
    """The function a derivative is of, defined symbols expanded (a definition may use another)."""
    return derivative.expr.xreplace(meaning).xreplace(meaning)


def edge_points(
    exprs: tuple[sp.Basic, ...], variables: tuple[Var, ...], base: Point, excluded: set[Breakpoint]
) -> list[Point]:
    """Points at and beside breakpoints, at ties, just inside domain ends and at large values; at most MAX_POINTS.

    Most telling first: breakpoints and ties, then their neighbours, then every variable at both ends at once,
    then each variable's ends and large values alone (a few variables of many).
    """
    domains = {v.symbol: v.domain for v in variables}
    found = breakpoints(exprs, variables, base)
    candidates = [{**base, symbol: value} for symbol, value in found if (symbol, value) not in excluded]
    candidates += _ties(exprs, variables, base)
    for symbol, value in found:
        width = _width(domains[symbol])
        candidates += [{**base, symbol: value - BESIDE * width}, {**base, symbol: value + BESIDE * width}]
    candidates += _between(found, base)
    ends = {v.symbol: _ends_and_large(v) for v in variables}
    for position in range(len(END_OFFSETS) * 2):
        candidates.append({**base, **{s: values[position] for s, values in ends.items() if len(values) > position}})
    for symbol, values in ends.items():
        candidates += [{**base, symbol: value} for value in values]
        if len(candidates) > 4 * MAX_POINTS:
            break
    allowed = [p for p in candidates if not any((s, v) in excluded for s, v in p.items())]
    return _first_inside(allowed, domains)


def _first_inside(candidates: list[Point], domains: dict) -> list[Point]:
    """The first MAX_POINTS distinct candidates inside every interval domain."""
    kept: dict[tuple, Point] = {}
    for point in candidates:
        key = tuple(sorted(((s.name, v) for s, v in point.items()), key=lambda kv: kv[0]))
        if key not in kept and _inside(point, domains):
            kept[key] = point
            if len(kept) == MAX_POINTS:
                break
    return list(kept.values())


def _levels(argument: sp.Expr, base: Point) -> tuple[sp.Expr, ...]:
    """Integers near the value the argument takes at the base point."""
    try:
        centre = int(sp.floor(argument.xreplace(base)))
    except (TypeError, ValueError):
        return (sp.S.Zero,)
    return tuple(sp.Integer(n) for n in range(centre - INTEGER_LEVELS, centre + INTEGER_LEVELS + 1))


def _roots(critical: sp.Expr, var: Var, base: Point) -> list[sp.Expr]:
    """Exact real roots in the variable's interval of a polynomial in it, or of the log of one (log u = 0 at
    u = 1), others at base; none otherwise."""
    while isinstance(critical, sp.log):
        critical = critical.args[0] - 1
    if not critical.is_polynomial(var.symbol):  # a sum of exponentials, say: no exact roots to find
        return []
    others = {s: v for s, v in base.items() if s != var.symbol}
    univariate = exact_floats(critical.xreplace(others))
    if univariate.free_symbols != {var.symbol}:
        return []
    try:
        poly = sp.Poly(univariate, var.symbol)
    except sp.PolynomialError:
        return []
    if poly.degree() < 1 or poly.degree() > MAX_ROOT_DEGREE or not all(c.is_Rational for c in poly.coeffs()):
        return []
    assert isinstance(var.domain, Interval)
    return [r for r in sp.real_roots(poly) if var.domain.holds(float(r))]


def _periodic_roots(argument: sp.Expr, offset: sp.Expr, var: Var, base: Point) -> list[sp.Expr]:
    """The values of the variable in its interval where an argument a v + b, or e^{a v + b}, is offset + k pi
    (exact): tan(e^x) has poles where e^x = pi/2 + k pi."""
    if var.symbol not in argument.free_symbols or not isinstance(var.domain, Interval):
        return []
    line = exact_floats(argument.xreplace({s: v for s, v in base.items() if s != var.symbol}))
    grown = isinstance(line, sp.exp)
    line = line.args[0] if grown else line
    if line.free_symbols != {var.symbol} or not line.is_polynomial(var.symbol):
        return []
    poly = sp.Poly(line, var.symbol)
    if not all(c.is_Rational for c in poly.coeffs()):
        return []
    if poly.degree() == 2 and not grown:
        return _quadratic_poles(poly, offset, var)
    if poly.degree() != 1:
        return []
    a, b = poly.all_coeffs()
    values = [a * end + b for end in (var.domain.lo, var.domain.hi)]
    if grown and max(values) > 700:  # e^700 and beyond: past floats, and poles too dense to list
        return []
    ends = sorted(float(((sp.exp(v) if grown else v) - offset) / sp.pi) for v in values)
    ks = range(math.ceil(ends[0]), math.floor(ends[1]) + 1)[:INTEGER_LEVELS]  # a range slices lazily: tan(10^12 x)
    levels = [offset + k * sp.pi for k in ks]
    roots = [((sp.log(level) if grown else level) - b) / a for level in levels if not grown or level > 0]
    return [r for r in roots if var.domain.lo < float(r) < var.domain.hi]


def _quadratic_poles(poly: sp.Poly, offset: sp.Expr, var: Var) -> list[sp.Expr]:
    """Where a quadratic argument a v^2 + b v + c is offset + k pi in the variable's interval: tan(x^2) has poles
    at x = +-sqrt(pi/2 + k pi)."""
    a, b, c = poly.all_coeffs()
    ends = [float(poly.eval(end)) for end in (sp.Rational(var.domain.lo), sp.Rational(var.domain.hi))]
    vertex = -b / (2 * a)
    inside = var.domain.lo < float(vertex) < var.domain.hi
    span = sorted([*ends, float(poly.eval(vertex))] if inside else ends)
    ks = range(math.ceil((span[0] - float(offset)) / math.pi), math.floor((span[-1] - float(offset)) / math.pi) + 1)
    roots = []
    for k in ks[:INTEGER_LEVELS]:
        discriminant = b**2 - 4 * a * (c - offset - k * sp.pi)
        if float(discriminant) >= 0:
            roots += [(-b + sign * sp.sqrt(discriminant)) / (2 * a) for sign in (-1, 1)]
    return [r for r in roots if var.domain.lo < float(r) < var.domain.hi]


def _ties(exprs: tuple[sp.Basic, ...], variables: tuple[Var, ...], base: Point) -> list[Point]:
    """For Max and Min of several variables: points where all of them take one common value."""
    intervals = {v.symbol: v.domain for v in variables if isinstance(v.domain, Interval)}
    points = []
    for expr in exprs:
        for node in expr.atoms(sp.Max, sp.Min):
            tied = sorted(node.free_symbols & set(intervals), key=lambda s: s.name)
            if len(tied) > 1:
                value = base[tied[0]]
                points.append({**base, **{s: value for s in tied}})
    return points


def _between(found: list[Breakpoint], base: Point) -> list[Point]:
    """Midpoints of neighbouring breakpoints of one variable: a case that holds only between them."""
    points = []
    by_symbol: dict[sp.Symbol, list[sp.Expr]] = {}
    for symbol, value in found:
        by_symbol.setdefault(symbol, []).append(value)
    for symbol, values in by_symbol.items():
        ordered = sorted(values, key=float)
        points += [{**base, symbol: (a + b) / 2} for a, b in itertools.pairwise(ordered)]
    return points


@memoised(4096)
def _ends_and_large(var: Var) -> list[sp.Expr]:
    """Values just inside both ends of an interval, and powers of ten inside a wide one."""
    if not isinstance(var.domain, Interval):
        return []
    lo, hi = sp.Rational(var.domain.lo), sp.Rational(var.domain.hi)
    width = hi - lo
    values = [end + sign * offset * width for offset in END_OFFSETS for end, sign in ((lo, 1), (hi, -1))]
    values += [sp.Rational(end) for end in var.domain.held_ends()]  # x >= 0: 0 itself
    for power in range(2, 16):
        for value in (10**power, -(10**power)):
            if var.domain.holds(value):  # past the box too, where the domain goes on
                values.append(sp.Integer(value))
    return values


def _width(domain: object) -> sp.Rational:
    return sp.Rational(domain.hi) - sp.Rational(domain.lo) if isinstance(domain, Interval) else sp.S.One


def _inside(point: Point, domains: dict) -> bool:
    for symbol, value in point.items():
        domain = domains.get(symbol)
        if isinstance(domain, Interval) and not domain.holds(as_float(value)):
            return False
    return True


def as_float(value: sp.Expr) -> float:
    """An exact coordinate as a float, quickly for a rational."""
    return value.p / value.q if isinstance(value, sp.Rational) else float(value)
