"""Where-block lines: symbols with domains, definitions, functions, constraints and kinks."""

from __future__ import annotations

import re
from dataclasses import dataclass

import sympy as sp

from verifier.model import Choice, Constraint, Interval, Kink, Var
from verifier.reader.latex import ParseError, read_chain
from verifier.reader.names import DEFAULT_DOMAIN, Names, symbol_for

NAME = (
    r"(?:\\[A-Za-z]+|\\hat\{[A-Za-z]\}|\\text\{[A-Za-z][A-Za-z0-9]*\}|[A-Za-z])"
    r"(?:_(?:\{[A-Za-z0-9]+\}|[A-Za-z0-9]))?(?:\^\{\([A-Za-z0-9]+\)\})?"
)
NAMES = rf"({NAME}(?:\s*,\s*{NAME})*)"
INTERVAL = re.compile(rf"^{NAMES}\s+(?:\\in|in)\s+[(\[]\s*([-+0-9.]+)\s*,\s*([-+0-9.]+)\s*[)\]]$")
CHOICE = re.compile(rf"^{NAMES}\s+(?:\\in|in)\s+\\?\{{([-+0-9,\s]+)\\?\}}$")
KIND = re.compile(rf"^{NAMES}\s+(real|positive|functions?)$")
FUNCTION = re.compile(rf"^({NAME})\s*\(([^()]*)\)\s*=(.*)$")
DEFINITION = re.compile(rf"^({NAME})\s*=(.*)$")
CONSTRAINT = re.compile(r"^constraint:?\s+(.*)=(.*)$")
KINK = re.compile(rf"^at\s+({NAME})\s*=\s*([-+0-9.]+)\s+the derivative is\s+(.*?)\.?$")


@dataclass(frozen=True)
class Declarations:
    """What a where block declares, with everything it names."""

    names: Names
    constraints: tuple[Constraint, ...] = ()
    kink: Kink | None = None


def read_where(lines: tuple[tuple[int, str], ...], declared: Declarations) -> Declarations:
    """Add each where line to `declared`; a line that means nothing raises ParseError at that line."""
    for number, raw in lines:
        text = re.split(r"\s#", raw, maxsplit=1)[0].strip()  # a trailing `# comment`
        if not text or text.startswith("#"):
            continue
        try:
            declared = _declare(text, declared)
        except ParseError as error:
            column = raw.index(text[0]) + error.column
            raise ParseError(f"where block: {error.message}", number, column) from None
    return declared


def _declare(text: str, declared: Declarations) -> Declarations:
    names = declared.names
    if match := INTERVAL.match(text):
        lo, hi = float(match.group(2)), float(match.group(3))
        if not lo < hi:
            raise ParseError(f"the interval ({lo:g}, {hi:g}) is empty")
        return _with(declared, _variables(match.group(1), Interval(lo, hi), names))
    if match := CHOICE.match(text):
        values = tuple(sp.Rational(v) for v in match.group(2).replace(" ", "").split(",") if v)
        if not values:
            raise ParseError("a set needs values, as in {0, 1}")
        return _with(declared, _variables(match.group(1), Choice(values), names))
    if match := KIND.match(text):
        return _with(declared, _kind(match.group(1), match.group(2), names))
    if match := CONSTRAINT.match(text):
        return _constraint(match.group(1), match.group(2), declared)
    if match := KINK.match(text):
        return _kink(match, declared)
    if match := FUNCTION.match(text):
        return _with(declared, _function(match.group(1), match.group(2), match.group(3), names))
    if match := DEFINITION.match(text):
        return _with(declared, _definition(match.group(1), match.group(2), names))
    raise ParseError(
        "expected 'x real', 'x in (a, b)', 'y in {0, 1}', 'f, g functions', 'name = formula', "
        "'f(x) = formula', 'constraint: left = right' or 'at x = 0 the derivative is 1'"
    )


def _with(declared: Declarations, names: Names) -> Declarations:
    return Declarations(names, declared.constraints, declared.kink)


def _name(text: str, names: Names) -> str:
    if match := re.fullmatch(r"\\(?:text|operatorname|mathrm)\{([A-Za-z][A-Za-z0-9]*)\}", text.strip()):
        return match.group(1)
    expr = _expression(text.strip(), names)
    if not isinstance(expr, sp.Symbol):
        raise ParseError(f"'{text.strip()}' is not a name")
    return expr.name


def _expression(text: str, names: Names) -> sp.Expr:
    elements = read_chain(text, names, labels=False).elements
    if len(elements) != 1 or elements[0].expr is None:
        raise ParseError(f"'{text}' is not one formula")
    return elements[0].expr


def _variables(listed: str, domain: Interval | Choice, names: Names) -> Names:
    for part in _split_names(listed):
        names = names.with_variable(Var(symbol_for(_name(part, names), domain), domain))
    return names


def _kind(listed: str, kind: str, names: Names) -> Names:
    for part in _split_names(listed):
        name = _name(part, names) if kind != "function" and kind != "functions" else _function_name(part)
        if kind.startswith("function"):
            names = names.with_function(name, sp.Function(name))
        elif kind == "positive":
            names = names.with_variable(Var(sp.Symbol(name, positive=True), Interval(0, 6)))
        else:
            names = names.with_variable(Var(sp.Symbol(name, real=True), DEFAULT_DOMAIN))
    return names


def _split_names(listed: str) -> list[str]:
    return [part for part in re.split(r"\s*,\s*(?![^{]*\})", listed) if part]


def _function_name(text: str) -> str:
    text = text.strip()
    if text.startswith("\\text{"):
        return text[6:-1]
    return text.lstrip("\\")


def _function(name: str, params: str, body: str, names: Names) -> Names:
    symbols = [sp.Symbol(_name(p, Names()), real=True) for p in params.split(",") if p.strip()]
    if not symbols:
        raise ParseError(f"the function {name} needs a parameter, as in f(x)")
    scope = names
    for symbol in symbols:
        scope = scope.with_variable(Var(symbol, DEFAULT_DOMAIN))
    value = _expression(body, scope)
    return names.with_function(_function_name(name), sp.Lambda(tuple(symbols), value))


def _definition(name: str, body: str, names: Names) -> Names:
    symbol_name = _name(name, Names(euler=False))
    existing = names.symbol(symbol_name)
    symbol = existing if names.is_declared(symbol_name) else sp.Symbol(symbol_name, real=True)
    return names.with_definition(symbol, _expression(body, names))


def _constraint(left: str, right: str, declared: Declarations) -> Declarations:
    equation = _expression(left, declared.names) - _expression(right, declared.names)
    order = [v.symbol for v in declared.names.variables]
    candidates = [s for s in reversed(order) if s in equation.free_symbols and sp.degree(equation, s) == 1]
    if not candidates:
        raise ParseError("a constraint needs a declared symbol it can be solved for")
    symbol = candidates[0]
    solved = sp.solve(equation, symbol)
    if len(solved) != 1:
        raise ParseError(f"the constraint cannot be solved for {symbol}")
    statement = f"{left.strip()} = {right.strip()}"
    constraint = Constraint(symbol, solved[0], statement)
    return Declarations(declared.names, (*declared.constraints, constraint), declared.kink)


def _kink(match: re.Match[str], declared: Declarations) -> Declarations:
    symbol = declared.names.symbol(_name(match.group(1), declared.names))
    at = sp.Rational(match.group(2))
    said = match.group(3).strip()
    value = None if said == "undefined" else _expression(said, declared.names)
    kink = Kink(symbol, at, value, f"declared: at {symbol} = {at} the derivative is {said}")
    return Declarations(declared.names, declared.constraints, kink)
