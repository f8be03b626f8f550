"""Certified values: rigorous ball enclosures (Arb, through python-flint) of expressions at exact points.

A step is refuted at a point only when the enclosure of `before - after` excludes 0, or when one side
is provably undefined there (division by 0, log of 0, a pole) while the other is not. Precision is
raised adaptively up to a cap; a ball that still contains 0 proves nothing, and nothing is refuted.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import sympy as sp
from flint import acb, arb, ctx, fmpq, fmpz
from sympy.logic.boolalg import BooleanFalse, BooleanTrue

from verifier.guards import shown_relation

PRECISIONS = (64, 128, 256, 512, 1024, 2048, 4096, 8192)  # bits; the last is the cap
SHOWN_DIGITS = 20
DISPLAY_BITS = 128

Point = dict[sp.Symbol, sp.Expr]  # exact coordinates: rationals, or algebraic numbers at breakpoints


class Undefined(Exception):
    """The expression provably has no value at the point (the reason says why)."""


class Uncertain(Exception):
    """No enclosure at this precision: a branch's sign not decided, or something Arb cannot evaluate."""


@dataclass(frozen=True)
class Enclosure:
    """A side's certified value at a point: a complex ball, or the reason it is undefined."""

    ball: acb | None
    undefined: str | None = None
    complex_meant: bool = False  # the line writes i: a complex value is a value, not an undefined one

    def shown(self) -> str:
        """The digits the ball guarantees (each correct to one unit in the last place), or why it is undefined."""
        if self.ball is None:
            return f"undefined ({self.undefined})"
        real = self.ball.real.str(SHOWN_DIGITS, radius=False)
        if self.ball.imag.is_zero():
            return real
        complex_value = f"{real} + ({self.ball.imag.str(SHOWN_DIGITS, radius=False)})i"
        return complex_value if self.complex_meant else f"undefined (not real: {complex_value})"


@dataclass(frozen=True)
class Certificate:
    """Both sides' enclosures where they provably differ, and a certified lower bound of |difference|."""

    lhs: Enclosure
    rhs: Enclosure
    bound: str | None  # e.g. "3.2e-5": |lhs - rhs| >= bound; None when a side is undefined
    bits: int


def certify(before: sp.Expr, after: sp.Expr, point: Point, literal_undefined: bool = False) -> Certificate | None:
    """A certificate that `before` and `after` differ at `point`, or None if that cannot be shown.

    Both sides undefined is a difference only with `literal_undefined` (a side that is 1/0 or log 0
    as written, not a removable point of a formula defined around it). A side whose value is certainly not real
    has no real value: it is undefined there too (arcsin x past 1, whatever complex number SymPy's formula for
    its derivative gives).
    """
    point = {symbol: sp.sympify(value, strict=True) for symbol, value in point.items()}
    meant = before.has(sp.I) or after.has(sp.I)  # exp(3ix/2): complex values are what the line is about
    for bits in PRECISIONS:
        lhs, rhs = enclose(before, point, bits, meant), enclose(after, point, bits, meant)
        if lhs is None or rhs is None:
            continue
        real = [_real(side.ball) for side in (lhs, rhs)]
        if None in real and not meant:
            continue  # an imaginary part not yet told from 0: more precision
        if not all(real) and not meant:
            if any(real) or literal_undefined:
                return Certificate(lhs, rhs, None, bits)
            return None
        with _precision(bits):
            difference = lhs.ball - rhs.ball
            lower = difference.abs_lower()
        if lower > 0:
            shown = max(bits, DISPLAY_BITS)  # enough bits that the shown digits are all guaranteed ones
            lhs, rhs = enclose(before, point, shown, meant) or lhs, enclose(after, point, shown, meant) or rhs
            return Certificate(lhs, rhs, _rounded_down(lower), bits)
    return _exact_rational(before, after, point)


def _real(ball: acb | None) -> bool | None:
    """Whether a side's value is real: False when it is undefined or its imaginary part excludes 0, None when
    the ball cannot tell."""
    if ball is None or not ball.imag.contains(0):
        return False
    return True if ball.imag.is_zero() else None


def _exact_rational(before: sp.Expr, after: sp.Expr, point: Point) -> Certificate | None:
    """Past the precision cap, sides built from rational operations alone are compared in exact rationals."""
    rational = all(c.is_Rational for c in point.values()) and all(map(_rational_operations, (before, after)))
    if not rational:  # x^p at x = 10^15, p = m / 2^52: an exact root SymPy would take forever to decide
        return None
    values = [_exactly(side, point) for side in (before, after)]
    if not all(v is not None and v.is_Rational for v in values):
        return None
    lhs, rhs = values
    if lhs == rhs:
        return None
    with _precision(DISPLAY_BITS):
        shown = [Enclosure(_rational(v)) for v in (lhs, rhs)]
        gap = abs(lhs - rhs)
        lower = arb(fmpq(int(gap.p), int(gap.q))).lower()
        return Certificate(shown[0], shown[1], _rounded_down(lower) if lower > 0 else _tiny(gap), PRECISIONS[-1])


def _rational_operations(expr: sp.Expr) -> bool:
    """Whether `expr` is built by +, - , x and integer powers of numbers and symbols alone."""
    return all(isinstance(node, sp.Symbol | sp.Number | sp.Add | sp.Mul) or
               (isinstance(node, sp.Pow) and node.exp.is_Integer)
               for node in sp.preorder_traversal(expr) if not isinstance(node, sp.Tuple))


def _tiny(gap: sp.Rational) -> str:
    """A positive rational too small for a float, as a power of ten below it: 1e-3011 <= gap."""
    exponent = len(str(gap.q)) - len(str(gap.p))  # gap >= 10^-(exponent + 1)
    return f"1.0e-{exponent + 1}"


def enclose(expr: sp.Expr, point: Point, bits: int, complex_meant: bool = False) -> Enclosure | None:
    """`expr` at `point` as a ball at `bits` of working precision; None when this precision cannot decide."""
    with _precision(bits):
        try:
            return Enclosure(_Evaluator(point).value(sp.sympify(expr)), complex_meant=complex_meant)
        except Undefined as reason:
            return Enclosure(None, str(reason))
        except (Uncertain, ZeroDivisionError, ValueError, OverflowError, TypeError, NotImplementedError):
            return None


def positive_on(expr: sp.Expr, box: dict[sp.Symbol, tuple[float, float]], evaluations: int = 256) -> bool:
    """Whether `expr` is provably real and positive at every point of the box (each symbol in its closed
    interval): Arb encloses it over slices of the first symbol's interval, halving a slice whose enclosure does
    not decide, within `evaluations` enclosures."""
    if not box or len(box) > 2 or not expr.free_symbols <= set(box):
        return False
    first, *rest = box
    others = {s: _span(*box[s]) for s in rest}
    todo = [box[first]]
    with _precision(PRECISIONS[0]):
        while todo:
            evaluations -= 1
            if evaluations < 0:
                return False
            a, b = todo.pop()
            try:
                z = _Evaluator({first: _span(a, b), **others}).value(sp.sympify(expr))
            except (Undefined, Uncertain, ZeroDivisionError, ValueError, OverflowError, TypeError,
                    NotImplementedError):
                return False
            if z.imag.is_zero() and z.real > 0:
                continue
            if z.imag.is_zero() and z.real < 0:
                return False
            todo += [(a, (a + b) / 2), ((a + b) / 2, b)]
    return True


def _span(lo: float, hi: float) -> acb:
    """The real interval [lo, hi] as a ball."""
    low, high = (_rational(sp.Rational(end)).real for end in (lo, hi))
    return acb(arb.union(low, high))


class _precision:
    """Arb's working precision, set for a block and restored after it."""

    def __init__(self, bits: int) -> None:
        self.bits = bits

    def __enter__(self) -> None:
        self.saved = ctx.prec
        ctx.prec = self.bits

    def __exit__(self, *exc: object) -> None:
        ctx.prec = self.saved


def _rounded_down(lower: arb) -> str:
    """A positive exact lower bound as two significant digits, rounded down (so still a lower bound)."""
    mid, rad, exponent = lower.mid_rad_10exp(8)
    value = int(mid) - int(rad)
    if value <= 0:
        return "0"
    digits = str(value)
    kept = digits[:2].ljust(2, "0")
    power = exponent + len(digits) - 1
    return f"{kept[0]}.{kept[1]}e{power}"


def _rational(value: sp.Rational) -> acb:
    return acb(arb(fmpq(int(value.p), int(value.q))))


def _float(value: sp.Float) -> acb:
    sign, mantissa, exponent, _ = value._mpf_
    if mantissa == 0 and exponent != 0:  # inf, -inf, nan as mpf special values
        raise Undefined("an infinite or undefined number")
    exact = fmpq(int(mantissa) << exponent) if exponent >= 0 else fmpq(int(mantissa), 1 << -exponent)
    return acb(arb(-exact if sign else exact))


CONSTANTS: dict[sp.Basic, Callable[[], acb]] = {
    sp.pi: lambda: acb(arb.pi()),
    sp.E: lambda: acb(arb(1).exp()),
    sp.EulerGamma: lambda: acb(arb.const_euler()),
    sp.Catalan: lambda: acb(arb.const_catalan()),
    sp.I: lambda: acb(0, 1),
    sp.GoldenRatio: lambda: acb((1 + arb(5).sqrt()) / 2),
}

UNDEFINED_CONSTANTS = {sp.zoo: "complex infinity", sp.nan: "not a number", sp.oo: "infinity", -sp.oo: "-infinity"}


def _reciprocal(z: acb) -> acb:
    return 1 / z


def _on_reals(function: Callable[[arb], arb]) -> Callable[[acb], acb]:
    """A function Arb defines on the real line only (erfinv): its ball at a real ball, else Uncertain."""
    def enclosed(z: acb) -> acb:
        if not z.imag.is_zero():
            raise Uncertain("defined on the real line only")
        return acb(function(z.real))
    return enclosed


# Analytic functions: the ball of f(z) from the ball of z. A pole or a log of 0 gives a non-finite ball,
# which `_Evaluator` then decides exactly.
ANALYTIC: dict[type, Callable[..., acb]] = {
    sp.exp: acb.exp, sp.log: acb.log, sp.sin: acb.sin, sp.cos: acb.cos, sp.tan: acb.tan,
    sp.cot: acb.cot, sp.sec: acb.sec, sp.csc: acb.csc,
    sp.sinh: acb.sinh, sp.cosh: acb.cosh, sp.tanh: acb.tanh, sp.coth: acb.coth, sp.sech: acb.sech,
    sp.csch: acb.csch, sp.asin: acb.asin, sp.acos: acb.acos, sp.atan: acb.atan, sp.asinh: acb.asinh,
    sp.acosh: acb.acosh, sp.atanh: acb.atanh, sp.gamma: acb.gamma, sp.loggamma: acb.lgamma,
    sp.erf: acb.erf, sp.erfc: acb.erfc, sp.erfi: acb.erfi, sp.Ei: acb.ei, sp.Si: acb.si, sp.Ci: acb.ci,
    sp.LambertW: lambda z: acb.lambertw(z), sp.zeta: acb.zeta, sp.digamma: acb.digamma,
    sp.acot: lambda z: acb.atan(_reciprocal(z)), sp.asec: lambda z: acb.acos(_reciprocal(z)),
    sp.acsc: lambda z: acb.asin(_reciprocal(z)),
    sp.sinc: acb.sinc,
    sp.factorial: lambda z: acb.gamma(z + 1),
    sp.polygamma: lambda n, z: z.polygamma(n),  # a method of the argument: z.polygamma(n) is psi^(n)(z)
    sp.polylog: lambda s, z: acb.polylog(z, s),
    sp.beta: lambda a, b: acb.gamma(a) * acb.gamma(b) / acb.gamma(a + b),
    sp.lowergamma: lambda s, z: z.gamma_lower(s), sp.uppergamma: lambda s, z: z.gamma_upper(s),
    sp.besseli: lambda n, z: acb.bessel_i(z, n), sp.besselj: lambda n, z: acb.bessel_j(z, n),
    sp.besselk: lambda n, z: acb.bessel_k(z, n), sp.bessely: lambda n, z: acb.bessel_y(z, n),
    sp.Abs: lambda z: acb(abs(z)), sp.re: lambda z: acb(z.real), sp.im: lambda z: acb(z.imag),
    sp.conjugate: acb.conjugate,
    sp.erfinv: _on_reals(arb.erfinv), sp.erfcinv: _on_reals(arb.erfcinv),
}


class _Evaluator:
    """One point's evaluation, each distinct subexpression enclosed once."""

    def __init__(self, point: Point) -> None:
        self.point = {symbol: value if isinstance(value, acb) else sp.sympify(value) for symbol, value in point.items()}
        self.done: dict[sp.Basic, acb] = {}

    def value(self, node: sp.Basic) -> acb:
        """The ball of `node`; raises Undefined or Uncertain."""
        if node not in self.done:
            self.done[node] = self._compute(node)
        return self.done[node]

    def _compute(self, node: sp.Basic) -> acb:
        if node in UNDEFINED_CONSTANTS:
            raise Undefined(UNDEFINED_CONSTANTS[node])
        if isinstance(node, sp.Symbol | sp.Indexed):
            if node not in self.point:
                raise Uncertain(f"no value for {node}")
            given = self.point[node]
            return given if isinstance(given, acb) else self.value(given)
        if isinstance(node, sp.Rational):
            return _rational(node)
        if isinstance(node, sp.Float):
            return _float(node)
        if node in CONSTANTS:
            return CONSTANTS[node]()
        method = getattr(self, f"_{type(node).__name__}", None)
        if method is not None:
            return method(node)
        for kind, function in ANALYTIC.items():
            if isinstance(node, kind):
                return self._analytic(node, function)
        raise Uncertain(f"no enclosure for {type(node).__name__}")

    def _analytic(self, node: sp.Function, function: Callable[..., acb]) -> acb:
        arguments = [self.value(a) for a in node.args]
        result = function(*arguments)
        if not result.is_finite():
            self._undefined_if_exact(node, f"{type(node).__name__} has no finite value here")
        return result

    def _undefined_if_exact(self, node: sp.Basic, reason: str) -> None:
        """Raise Undefined if SymPy, evaluating `node` exactly at the point, finds no finite value; else Uncertain."""
        exact = _exactly(node, self.point)
        if exact is not None and (exact.has(sp.zoo, sp.nan, sp.oo, -sp.oo) or exact.is_finite is False):
            raise Undefined(reason)
        raise Uncertain(reason)

    def _Add(self, node: sp.Add) -> acb:
        total = acb(0)
        for term in node.args:
            total += self.value(term)
        return total

    def _Mul(self, node: sp.Mul) -> acb:
        product = acb(1)
        for factor in node.args:
            product *= self.value(factor)
        return product

    def _Pow(self, node: sp.Pow) -> acb:
        base, exponent = node.args
        z = self.value(base)
        if z.contains(0):
            exact = _exactly(base, self.point)
            if exact is not None and exact.is_zero:
                return self._power_of_zero(exponent)
        result = z ** int(exponent) if exponent.is_Integer else z ** self.value(exponent)
        if not result.is_finite():
            raise Uncertain("a power with no finite enclosure")
        return result

    def _power_of_zero(self, exponent: sp.Expr) -> acb:
        e = self.value(exponent)
        if e.imag.is_zero() and e.real > 0:
            return acb(0)
        if e.imag.is_zero() and e.real <= 0:
            raise Undefined("division by zero" if e.real < 0 else "0 to the power 0")
        raise Uncertain("0 to a power whose sign is not decided")

    def _exp(self, node: sp.exp) -> acb:
        return acb.exp(self.value(node.args[0]))

    def _log(self, node: sp.log) -> acb:
        if len(node.args) != 1:
            raise Uncertain("log with a base")
        z = self.value(node.args[0])
        if z.contains(0) and self.sign(node.args[0]) == 0:
            raise Undefined("log of 0")
        return acb.log(z)

    def _Heaviside(self, node: sp.Heaviside) -> acb:
        sign = self.sign(node.args[0])
        if sign != 0:
            return acb(1 if sign > 0 else 0)
        at_zero = node.args[1] if len(node.args) > 1 else sp.Rational(1, 2)
        return self.value(at_zero)

    def _Positive(self, node: sp.Expr) -> acb:  # 1[z > 0], a ReLU's pattern (verifier.tensor.Positive)
        return acb(1 if self.sign(node.args[0]) > 0 else 0)

    def _sign(self, node: sp.sign) -> acb:
        return acb(self.sign(node.args[0]))

    def _DiracDelta(self, node: sp.DiracDelta) -> acb:
        if self.sign(node.args[0]) == 0:
            raise Undefined("DiracDelta at 0")
        return acb(0)

    def _KroneckerDelta(self, node: sp.KroneckerDelta) -> acb:
        return acb(1 if self.sign(node.args[0] - node.args[1]) == 0 else 0)

    def _Max(self, node: sp.Max) -> acb:
        return self._extreme(node, largest=True)

    def _Min(self, node: sp.Min) -> acb:
        return self._extreme(node, largest=False)

    def _extreme(self, node: sp.Basic, largest: bool) -> acb:
        best = node.args[0]
        for candidate in node.args[1:]:
            sign = self.sign(candidate - best)
            if (sign > 0) if largest else (sign < 0):
                best = candidate
        return self.value(best)

    def _atan2(self, node: sp.atan2) -> acb:
        y, x = (self.real(a) for a in node.args)
        if x > 0 or y > 0 or y < 0:
            return acb(arb.atan2(y, x))
        if x < 0 and self.sign(node.args[0]) == 0:
            return acb(arb.pi())
        raise Undefined("atan2(0, 0)") if self.sign(node.args[0]) == 0 and self.sign(node.args[1]) == 0 else Uncertain(
            "atan2 on its branch cut")

    def _floor(self, node: sp.floor) -> acb:
        return acb(self._integer_part(node.args[0], ceiling=False))

    def _ceiling(self, node: sp.ceiling) -> acb:
        return acb(self._integer_part(node.args[0], ceiling=True))

    def _frac(self, node: sp.frac) -> acb:
        return self.value(node.args[0]) - self._integer_part(node.args[0], ceiling=False)

    def _integer_part(self, argument: sp.Expr, ceiling: bool) -> fmpz:
        z = self.real(argument)
        low, high = (z.ceil(), z.ceil()) if ceiling else (z.floor(), z.floor())
        if low.is_exact() and high.is_exact() and low.unique_fmpz() is not None:
            return low.unique_fmpz()
        exact = _exactly(argument, self.point)
        if exact is not None and exact.is_Rational:
            return fmpz(int(sp.ceiling(exact) if ceiling else sp.floor(exact)))
        raise Uncertain("an integer part not decided")

    def _Piecewise(self, node: sp.Piecewise) -> acb:
        for expr, condition in node.args:
            if self.holds(condition):
                if expr is sp.nan and len(node.args) == 2:  # a line that needs what SymPy dropped (domains.guarded)
                    needs = " and ".join(shown_relation(r) for r in sp.And.make_args(node.args[0].cond))
                    raise Undefined(f"as written, it needs {needs}")
                return self.value(expr)
        raise Undefined("no case of the Piecewise applies")

    def real(self, node: sp.Expr) -> arb:
        """The real ball of a real-valued `node`; Uncertain if it may have an imaginary part."""
        z = self.value(node)
        if not z.imag.is_zero():
            if z.imag.contains(0) and _exactly_real(node, self.point):
                return z.real
            raise Uncertain("a comparison of a number that may not be real")
        return z.real

    def sign(self, node: sp.Expr) -> int:
        """The sign (-1, 0, 1) of a real `node`, from its ball or, when that holds 0, exactly."""
        z = self.real(node)
        if z > 0:
            return 1
        if z < 0:
            return -1
        exact = _exactly(node, self.point)
        if exact is not None and exact.is_number:
            if exact.is_zero:
                return 0
            if exact.is_positive:
                return 1
            if exact.is_negative:
                return -1
        raise Uncertain("a sign not decided")

    def holds(self, condition: sp.Basic) -> bool:
        """Whether a Piecewise condition holds at the point."""
        if isinstance(condition, BooleanTrue):
            return True
        if isinstance(condition, BooleanFalse):
            return False
        if isinstance(condition, sp.And):
            return all(self.holds(c) for c in condition.args)
        if isinstance(condition, sp.Or):
            return any(self.holds(c) for c in condition.args)
        if isinstance(condition, sp.Not):
            return not self.holds(condition.args[0])
        if isinstance(condition, sp.core.relational.Relational):
            sign = self.sign(condition.lhs - condition.rhs)
            return {"<": sign < 0, "<=": sign <= 0, ">": sign > 0, ">=": sign >= 0, "==": sign == 0,
                    "!=": sign != 0}[condition.rel_op]
        raise Uncertain(f"a condition of kind {type(condition).__name__}")


def _exactly(node: sp.Basic, point: Point) -> sp.Expr | None:
    """`node` at `point` evaluated exactly by SymPy's automatic simplification, if that finishes (never where the
    point holds a ball: an interval has no exact value)."""
    if any(isinstance(value, acb) for value in point.values()):
        return None
    try:
        exact = node.xreplace(point)
    except (ValueError, TypeError, ZeroDivisionError, RecursionError):
        return None
    return exact if isinstance(exact, sp.Basic) else None


def _exactly_real(node: sp.Basic, point: Point) -> bool:
    exact = _exactly(node, point)
    return exact is not None and exact.is_extended_real is True
