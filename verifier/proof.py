"""Exact ways to prove that a difference of two expressions is zero, cheapest first."""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from functools import partial

import sympy as sp
from sympy.simplify.simplify import factor_sum

from verifier.budget import BudgetExceeded, Deadline, budgets_available
from verifier.edges import MAX_ROOT_DEGREE, NON_SMOOTH, critical_expressions
from verifier.model import Choice, Interval, Var

MAX_CASES = 16


def exp_generators(expr: sp.Expr) -> sp.Expr:
    """Rewrite to exp and replace the exponentials by power products of positive symbols t.

    The exponents are read as vectors over their monomials; a basis is chosen among them (smallest
    first), exp(b) = t_b for each basis exponent b, and every other exponential becomes the power
    product its exponent's coordinates in that basis give. The expression becomes a rational function
    of the t's, logs and the other symbols, which `cancel` decides. Nested exponentials are replaced
    from the inside out; those under a sum, product or integral in its variable are kept.
    """
    expr = expr.replace(lambda e: isinstance(e, sp.erfc), lambda e: 1 - sp.erf(e.args[0]))  # erfc is 1 - erf
    expr = sp.expand_power_exp(expr.rewrite(sp.exp))
    # exp(z_j) under a sum over j stands for many values: one t for it would let the sum be evaluated
    # as K t, and equate it with an exp(z_j) whose j is free, so it is left as it is
    bound = {v for form in expr.atoms(sp.Sum, sp.Product, sp.Integral) for v in form.variables}
    while innermost := [p for p in expr.atoms(sp.exp) if not p.args[0].has(sp.exp) and not p.free_symbols & bound]:
        expr = expr.xreplace(_power_products(innermost))
    return sp.expand_log(expr, force=False)


def _power_products(powers: list[sp.Expr]) -> dict[sp.Expr, sp.Expr]:
    vectors = {p: sp.expand(p.args[0]).as_coefficients_dict() for p in powers}
    basis: list[tuple[dict, sp.Expr]] = []  # (exponent as a vector, its generator)
    replacement = {}
    for power in sorted(powers, key=lambda p: (len(vectors[p]), sp.default_sort_key(p))):
        coordinates = _coordinates(vectors[power], [v for v, _ in basis])
        generators = [g for _, g in basis]
        if coordinates is None or not _powers_are_sound(generators, coordinates):
            generator = _generator(power.args[0])
            basis.append((vectors[power], generator))
            replacement[power] = generator
        else:
            replacement[power] = sp.Mul(*(g**c for g, c in zip(generators, coordinates, strict=True)))
    return replacement


def _powers_are_sound(generators: list[sp.Expr], coordinates: list[sp.Rational]) -> bool:
    """exp(c b) = exp(b)**c only for a positive exp(b) or an integer c (exp(3ix/2) is not exp(ix)**(3/2))."""
    return all(c.is_integer or g.is_positive for g, c in zip(generators, coordinates, strict=True))


def _coordinates(vector: dict, basis: list[dict]) -> list[sp.Rational] | None:
    """Rational c with sum c_i basis_i = vector, or None when the vector is not in their span."""
    if not basis:
        return None
    monomials = sorted(set(vector).union(*basis), key=sp.default_sort_key)
    if not set(vector) <= set().union(*basis):
        return None
    columns = sp.Matrix([[b.get(m, 0) for b in basis] for m in monomials])
    target = sp.Matrix([vector.get(m, 0) for m in monomials])
    try:
        solution, free = columns.gauss_jordan_solve(target)
    except ValueError:
        return None
    solution = solution.subs({f: 0 for f in free})
    if not all(c.is_Rational for c in solution):
        return None
    return list(solution)


def _generator(exponent: sp.Expr) -> sp.Dummy:
    # exp of a real exponent is positive, which lets expand_log split its logs; otherwise no claim.
    return sp.Dummy("t", positive=True) if exponent.is_extended_real else sp.Dummy("t")


def _structural(d: sp.Expr) -> bool:
    return d == 0


def _exp_rational(d: sp.Expr) -> bool:
    # over a common denominator the difference is zero when its expanded numerator is (fast); cancel
    # also sees through what expand leaves alone (the bodies of indexed sums). sympy's sfield is faster
    # on small expressions but takes seconds on the K = 50 softmax, where this takes a tenth of that
    combined = sp.together(exp_generators(d))
    return sp.expand(sp.fraction(combined)[0]) == 0 or sp.cancel(combined) == 0


def _expand(d: sp.Expr) -> bool:
    return sp.expand(d) == 0


def _equals(d: sp.Expr) -> bool:
    return d.equals(0) is True


def _simplify(d: sp.Expr) -> bool:
    return sp.simplify(d) == 0


# (name, test, needs an interruptible budget): exact and fast first, general-purpose last.
METHODS: tuple[tuple[str, Callable[[sp.Expr], bool], bool], ...] = (
    ("structural", _structural, False),
    ("exp-rational", _exp_rational, False),
    ("expand", _expand, False),
    ("equals", _equals, True),
    ("simplify", _simplify, True),
)
CHEAP_METHODS = tuple(m for m in METHODS if not m[2])
BUDGETED_METHODS = tuple(m for m in METHODS if m[2])


def prove_zero(
    difference: sp.Expr, deadline: Deadline, methods: tuple = METHODS
) -> str | None:
    """The name of the first method that proves `difference == 0` in time, else None."""
    bounded = budgets_available()
    for name, test, needs_budget in methods:
        if needs_budget and not bounded:
            continue  # cannot be interrupted here, so it is not started
        try:
            if deadline.run(partial(test, difference)) if bounded else test(difference):
                return name
        except BudgetExceeded:
            return None
        except Exception:
            # a method that fails on this expression (SymPy's simplify can even raise StopIteration
            # on indexed sums) simply does not prove it; the next method is tried
            continue
    return None


def prove_by_cases(difference: sp.Expr, variables: tuple[Var, ...], deadline: Deadline) -> str | None:
    """Prove `difference == 0` for each value of its finite-domain symbols, with the cheap methods."""
    used = difference.free_symbols
    finite = [v for v in variables if isinstance(v.domain, Choice) and not v.domain.sampled_only and v.symbol in used]
    if not finite or math.prod(len(v.domain.values) for v in finite) > MAX_CASES:
        return None
    methods = set()
    for values in itertools.product(*(v.domain.values for v in finite)):
        case = difference.subs({v.symbol: value for v, value in zip(finite, values, strict=True)})
        method = prove_zero(case, deadline, CHEAP_METHODS)
        if method is None:
            return None
        methods.add(method)
    names = ", ".join(v.describe() for v in finite)
    return f"cases ({names}): {'/'.join(sorted(methods))}"


def prove_by_breakpoints(
    difference: sp.Expr, variables: tuple[Var, ...], deadline: Deadline, skipped: frozenset = frozenset()
) -> str | None:
    """Prove `difference == 0` piece by piece between the breakpoints of its step functions, and at each of them.

    Only when every kink, jump and tie is a polynomial in one interval variable (so all its real roots
    are known exactly, and each function keeps one branch between neighbouring roots): on each piece
    the branches are chosen at its midpoint, and the smooth difference left is proved by the cheap methods.
    `skipped` (variable, value) pairs are kinks under a derivative: no value of its own to compare there.
    """
    pieces = _pieces(difference, variables)
    if pieces is None:
        return None
    symbol, ends, roots = pieces
    for lo, hi in itertools.pairwise(ends):
        smooth = _branches(difference, {symbol: (lo + hi) / 2})
        if smooth is None or prove_zero(smooth, deadline, CHEAP_METHODS) is None:
            return None
    domain = next(v.domain for v in variables if v.symbol == symbol)
    held = [_exact(end) for end in domain.held_ends()]  # x >= 0: the step must hold at 0 as well
    for root in (r for r in [*roots, *held] if (symbol, r) not in skipped):
        at_root = difference.subs(symbol, root)
        if not at_root.has(sp.zoo, sp.nan) and prove_zero(at_root, deadline, CHEAP_METHODS) is None:
            return None
    return f"pieces between {len(roots)} breakpoint{'s' * (len(roots) != 1)} of {symbol}, then each"


MAX_SIGN_CASES = 4  # distinct kink expressions: 3^4 = 81 sign patterns at most


def prove_by_signs(difference: sp.Expr, variables: tuple[Var, ...], deadline: Deadline) -> str | None:
    """Prove `difference == 0` for every sign pattern of its kinks when they are linear in several variables.

    Each kink expression g (an argument of Abs, sign, Heaviside, a difference of two Max or Min arguments,
    a Piecewise condition) is taken < 0, = 0 or > 0; each function then has one branch, and on the set
    where the pattern holds the difference is a smooth expression, proved identically zero (after solving
    the equalities g = 0 for one variable each). A pattern with no branch (a Max with no largest argument)
    cannot hold and is skipped; any other pattern must be proved, so nothing is skipped unsoundly.
    """
    kinks = _linear_kinks(difference, variables)
    if kinks is None:
        return None
    for pattern in itertools.product((-1, 0, 1), repeat=len(kinks)):
        signs = dict(zip(kinks, pattern, strict=True))
        smooth = _branches_by_sign(difference, signs)
        if smooth is None:
            continue
        on_ties = _solve_ties([g for g, sign in signs.items() if sign == 0])
        if on_ties is None:
            continue  # the equalities contradict one another: the pattern cannot hold
        if prove_zero(sp.expand(smooth.xreplace(on_ties)), deadline, CHEAP_METHODS) is None:
            return None
    return f"sign cases of {len(kinks)} kink{'s' * (len(kinks) != 1)} ({3 ** len(kinks)} patterns)"


def _linear_kinks(difference: sp.Expr, variables: tuple[Var, ...]) -> list[sp.Expr] | None:
    """The distinct kink expressions (up to sign), when all are linear with rational coefficients and few."""
    if difference.has(sp.floor, sp.ceiling, sp.frac, sp.DiracDelta):
        return None
    domains = {v.symbol for v in variables if isinstance(v.domain, Interval)}
    found: list[sp.Expr] = []
    for g in critical_expressions(difference, poles=False):
        g = sp.expand(g)
        if not g.free_symbols or g in found or -g in found:
            continue
        if not g.free_symbols <= domains or not g.is_polynomial(*g.free_symbols):
            return None
        poly = sp.Poly(g, *sorted(g.free_symbols, key=lambda s: s.name))
        if poly.total_degree() != 1 or not all(c.is_Rational for c in poly.coeffs()):
            return None
        found.append(g)
    return found if 0 < len(found) <= MAX_SIGN_CASES else None


def _sign_of(expr: sp.Expr, signs: dict[sp.Expr, int]) -> int | None:
    g = sp.expand(expr)
    if g.is_number:
        return int(sp.sign(g))
    if g in signs:
        return signs[g]
    return -signs[-g] if -g in signs else None


def _branches_by_sign(expr: sp.Expr, signs: dict[sp.Expr, int]) -> sp.Expr | None:
    """`expr` with each step function replaced by its branch under the sign pattern; None if none applies."""
    class NoBranch(Exception):
        pass

    def sign(g: sp.Expr) -> int:
        found = _sign_of(g, signs)
        if found is None:
            raise NoBranch
        return found

    def holds(condition: sp.Basic) -> bool:
        if condition in (sp.true, sp.false):
            return bool(condition)
        if isinstance(condition, sp.And | sp.Or):
            parts = [holds(c) for c in condition.args]
            return all(parts) if isinstance(condition, sp.And) else any(parts)
        if isinstance(condition, sp.core.relational.Relational):
            s = sign(condition.lhs - condition.rhs)
            return {"<": s < 0, "<=": s <= 0, ">": s > 0, ">=": s >= 0, "==": s == 0, "!=": s != 0}[condition.rel_op]
        raise NoBranch

    def branch(node: sp.Expr) -> sp.Expr:
        if isinstance(node, sp.Max | sp.Min):
            sense = 1 if isinstance(node, sp.Max) else -1
            for a in node.args:
                if all(sense * sign(a - b) >= 0 for b in node.args if b is not a):
                    return a
            raise NoBranch
        if isinstance(node, sp.Piecewise):
            return next((e for e, c in node.args if holds(c)), sp.nan)
        s = sign(node.args[0])
        if isinstance(node, sp.Heaviside):
            at_zero = node.args[1] if len(node.args) > 1 else sp.S.Half
            return {1: sp.S.One, -1: sp.S.Zero, 0: at_zero}[s]
        return {sp.sign: sp.Integer(s), sp.Abs: s * node.args[0]}[type(node)]

    try:
        return expr.replace(lambda n: isinstance(n, NON_SMOOTH), branch)
    except NoBranch:
        return None


def _solve_ties(ties: list[sp.Expr]) -> dict[sp.Symbol, sp.Expr] | None:
    """One variable of each tie solved for, so the ties hold; None if they are inconsistent."""
    if not ties:
        return {}
    unknowns = sorted(set().union(*(g.free_symbols for g in ties)), key=lambda s: s.name)
    solution = sp.solve(ties, unknowns, dict=True)
    return solution[0] if solution else None


def _pieces(difference: sp.Expr, variables: tuple[Var, ...]) -> tuple[sp.Symbol, list, list] | None:
    """The variable with breakpoints, the piece ends (domain ends and roots), the roots; None if not complete."""
    critical = [g for g in critical_expressions(difference, poles=False) if g.free_symbols]
    jumps = [g for g in _jump_arguments(difference) if g.free_symbols]
    symbols = set().union(*(g.free_symbols for g in critical + jumps)) if critical + jumps else set()
    domains = {v.symbol: v.domain for v in variables if isinstance(v.domain, Interval)}
    if len(symbols) != 1 or not symbols <= set(domains):
        return None
    (symbol,) = symbols
    domain = domains[symbol]
    roots: set[sp.Expr] = set()
    for g, levels in [(g, (0,)) for g in critical] + [(g, _integer_levels(g, symbol, domain)) for g in jumps]:
        poly = sp.Poly(g, symbol) if g.is_polynomial(symbol) and levels is not None else None
        if poly is None or poly.degree() > MAX_ROOT_DEGREE or not all(c.is_Rational for c in poly.coeffs()):
            return None
        for level in levels:
            roots |= {r for r in sp.real_roots(poly - level) if _strictly_inside(r, domain)}
    ordered = sorted(roots, key=lambda r: sp.N(r, 50))
    lo = min([_exact(domain.lo), *ordered]) - 1 if domain.unbounded[0] else _exact(domain.lo)  # a point of the
    hi = max([_exact(domain.hi), *ordered]) + 1 if domain.unbounded[1] else _exact(domain.hi)  # piece past it
    return symbol, [lo, *ordered, hi], ordered


def _strictly_inside(value: sp.Expr, domain: Interval) -> bool:
    """Whether an exact value lies inside the domain, past its box where it is unbounded, not at an end."""
    above = domain.unbounded[0] or bool(_exact(domain.lo) < value)
    below = domain.unbounded[1] or bool(value < _exact(domain.hi))
    return above and below


def _exact(bound: float | sp.Expr) -> sp.Expr:
    """A domain bound as an exact number: a float as the binary fraction it is, a SymPy number as itself."""
    return sp.Rational(bound) if isinstance(bound, float | int) else sp.sympify(bound, strict=True)


MAX_LEVELS = 64


def _jump_arguments(expr: sp.Expr) -> list[sp.Expr]:
    return [node.args[0] for node in sp.preorder_traversal(expr) if isinstance(node, sp.floor | sp.ceiling | sp.frac)]


def _integer_levels(argument: sp.Expr, symbol: sp.Symbol, domain: Interval) -> range | None:
    """The integers a linear argument of floor or ceiling crosses on the domain (None: not linear, or too many)."""
    if not argument.is_polynomial(symbol) or sp.degree(argument, symbol) != 1 or any(domain.unbounded):
        return None  # not linear, or a jump at every integer of an unbounded domain
    ends = [argument.subs(symbol, _exact(end)) for end in (domain.lo, domain.hi)]
    low, high = int(sp.floor(min(ends))), int(sp.ceiling(max(ends)))
    return range(low, high + 1) if high - low <= MAX_LEVELS else None


def _branches(expr: sp.Expr, point: dict[sp.Symbol, sp.Expr]) -> sp.Expr | None:
    """`expr` with each step function replaced by the branch it takes at `point` (and on its whole piece)."""
    def branch(node: sp.Expr) -> sp.Expr:
        if isinstance(node, sp.Max | sp.Min):
            values = [(a.xreplace(point), a) for a in node.args]
            pick = max if isinstance(node, sp.Max) else min
            return pick(values, key=lambda va: va[0])[1]
        if isinstance(node, sp.Piecewise):
            return next(e for e, c in node.args if bool(c.xreplace(point)))
        if isinstance(node, sp.floor | sp.ceiling | sp.frac):
            level = sp.floor(node.args[0].xreplace(point))
            return {sp.floor: level, sp.ceiling: level + 1, sp.frac: node.args[0] - level}[type(node)]
        sign = sp.sign(node.args[0].xreplace(point))
        return {sp.Heaviside: (sign + 1) / 2, sp.sign: sign, sp.Abs: sign * node.args[0], sp.DiracDelta: 0}[type(node)]

    try:
        return expr.replace(lambda n: isinstance(n, (*NON_SMOOTH, sp.floor, sp.ceiling, sp.frac)), branch)
    except (TypeError, StopIteration, KeyError):
        return None


def decide_signs(difference: sp.Expr, variables: tuple[Var, ...]) -> sp.Expr:
    """Let SymPy settle Max, Min and Heaviside by the bounds of interval symbols.

    Each symbol s in (lo, hi) becomes lo + (hi - lo) u / (1 + u) with u > 0, a bijection, and the
    arguments of the step functions are factored, so signs such as that of (1 - L) x become known.
    Max and Min of several arguments are nested in pairs first: SymPy's own Heaviside rewrite of
    Max(x, y, z) is wrong where all three tie (3/4 of the value at (1, 1, 1)); the pairwise rewrite
    a H(a - b) + b H(b - a), with H(0) = 1/2, is exact at ties. Heaviside keeps its value at 0.
    """
    bounded = {
        v.symbol: v.domain.parametrised()
        for v in variables
        if isinstance(v.domain, Interval) and v.symbol in difference.free_symbols
    }
    expr = difference.replace(lambda a: isinstance(a, (sp.Max, sp.Min)), _pairwise_heaviside)
    expr = expr.subs(bounded)
    return expr.replace(
        lambda a: isinstance(a, sp.Heaviside),
        lambda a: sp.Heaviside(sp.factor(sp.cancel(a.args[0])), *a.args[1:]),
    )


def _pairwise_heaviside(extreme: sp.Expr) -> sp.Expr:
    """Max or Min as nested pairs, each pair a H(a - b) + b H(b - a) (Min with the signs swapped)."""
    sign = 1 if isinstance(extreme, sp.Max) else -1
    result = extreme.args[0]
    for other in extreme.args[1:]:
        result = result * sp.Heaviside(sign * (result - other), sp.S.Half) + other * sp.Heaviside(
            sign * (other - result), sp.S.Half
        )
    return result


def prove_under_constraints(
    difference: sp.Expr, constraints: tuple[tuple[sp.Expr, sp.Expr], ...], deadline: Deadline, thorough: bool = False
) -> str | None:
    """Rewrite what the constraints fix (a sum of labels is 1) and prove what is left.

    Quick: each sum's constant factors taken out, so that sum_i c y_i shows the constrained sum, then
    the cheap methods. Thorough: simplify first, then every method.
    """
    if thorough:
        if not budgets_available():
            return None
        try:
            prepared, how = deadline.run(partial(sp.simplify, difference)), "simplify"
        except BudgetExceeded:
            return None
        except Exception:
            return None  # as in prove_zero: a failing method proves nothing
    else:
        prepared, how = difference.replace(lambda e: isinstance(e, sp.Sum), factor_sum), "constant factors out of sums"
    rewritten = prepared.subs(list(constraints))
    if rewritten == prepared:
        return None
    method = prove_zero(rewritten, deadline, METHODS if thorough else CHEAP_METHODS)
    return method and f"{how}, constraints, then {method}"
