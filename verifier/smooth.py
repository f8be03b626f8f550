"""Kinks a derivative passes through smoothly: where both one-sided derivatives agree, the derivative exists.

d/dx max(x, 0)^2 has a kink of max at 0 under it, yet the function is differentiable there (both one-sided
derivatives are 0), so a step proved on each side of 0 holds at 0 too when its other side takes that value
there. Decided exactly with SymPy's one-sided limits; anything it cannot decide leaves the kink open.
"""

from __future__ import annotations

import sympy as sp

from verifier.context import written_out
from verifier.edges import Breakpoint


def smooth_at(kinks: list[Breakpoint], before: sp.Expr, after: sp.Expr,
              meaning: dict[sp.Symbol, sp.Expr]) -> str | None:
    """How the step holds at each kink, every function under a derivative being differentiable there with the
    step's two sides equal; None when that cannot be shown for one of them."""
    said = []
    for symbol, at in kinks:
        derivatives = {d for e in (before, after) for d in e.atoms(sp.Derivative)}
        if any(symbol in d.variables and d.variables != (symbol,) for d in derivatives):
            return None  # a second or a mixed derivative through the kink: not decided here
        values = {d: _derivative_at(d, symbol, at, meaning) if d.variables == (symbol,) else
                  sp.Derivative(written_out(d.expr, meaning), *d.variable_count).doit()
                  for d in derivatives}
        if not any(d.variables == (symbol,) for d in derivatives) or any(v is None for v in values.values()):
            return None
        sides = [written_out(e.xreplace(values), meaning).subs(symbol, at) for e in (before, after)]
        if any(s.has(sp.Derivative, sp.nan, sp.zoo) for s in sides) or sp.simplify(sides[0] - sides[1]) != 0:
            return None
        said.append(f"{symbol} = {at}: both one-sided derivatives are {sp.sstr(sides[0])}")
    return "; ".join(said)


def _one_sided(expr: sp.Expr, symbol: sp.Symbol, at: sp.Expr, side: int) -> sp.Expr:
    """The limit of `expr` as `symbol` tends to `at` from one side, approached as at + side t with t > 0: each
    branch is then the one taken on that side. (SymPy's limit(Piecewise((x, x < 0), (x + 5, True)), x, 0, '-')
    is 5: its own one-sided limit of a Piecewise takes the branch at the point, so a jump looked continuous.)"""
    t = sp.Dummy("t", positive=True)
    return sp.limit(expr.subs(symbol, at + side * t), t, 0, "+")


def _derivative_at(derivative: sp.Derivative, symbol: sp.Symbol, at: sp.Expr,
                   meaning: dict[sp.Symbol, sp.Expr]) -> sp.Expr | None:
    """The derivative's value at `symbol = at` when the function is continuous there and its one-sided
    derivatives agree; None otherwise."""
    function = written_out(derivative.expr, meaning)
    if function.free_symbols != {symbol}:  # |x - y|: the kink moves with y, found at one value of it only
        return None
    slope = sp.diff(function, symbol)
    try:
        ends = [_one_sided(function, symbol, at, side) for side in (-1, 1)]
        slopes = [_one_sided(slope, symbol, at, side) for side in (-1, 1)]
    except (NotImplementedError, ValueError, TypeError):
        return None
    if not all(v.is_finite for v in (*ends, *slopes)):
        return None
    continuous = sp.simplify(ends[0] - ends[1]) == 0 and sp.simplify(ends[0] - function.subs(symbol, at)) == 0
    return slopes[0] if continuous and sp.simplify(slopes[0] - slopes[1]) == 0 else None
