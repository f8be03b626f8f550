"""Where-block lines: symbols with domains, definitions, functions, constraints and kinks."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, replace

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
FOR_EACH = re.compile(r"^(.*\S)\s+for\s+([a-z])\s+from\s+(\S+)\s+to\s+(\S+)$")
CONSTRAINT = re.compile(r"^constraint:?\s+(.*)=(.*)$")
INDICES = re.compile(r"^(?:index|indices)\s+([a-z](?:\s*,\s*[a-z])*)\s+from\s+(\S+)\s+to\s+([^,\s]+)"
                     r"(?:\s*,\s*([a-z])\s*(=|\\neq|\\ne)\s*([a-z]))?$")
KINK = re.compile(rf"^at\s+({NAME})\s*=\s*([-+0-9.]+)\s+the derivative is\s+(.*?)\.?$")


@dataclass(frozen=True)
class Declarations:
    """What a where block declares, with everything it names."""

    names: Names
    constraints: tuple[Constraint, ...] = ()
    kink: Kink | None = None
    # every assignment of the free indices a line holds for (i, r = 1..3): each line is read once per assignment
    assignments: tuple[tuple[tuple[str, int], ...], ...] = ()

    def but(self, **changes: object) -> Declarations:
        """A copy with some fields changed."""
        return replace(self, **changes)  # type: ignore[arg-type]


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
    if match := INDICES.match(text):
        return declared.but(assignments=_assignments(match, declared.names))
    if match := FUNCTION.match(text):
        return _with(declared, _function(match.group(1), match.group(2), match.group(3), names))
    if (each := FOR_EACH.match(text)) and (match := DEFINITION.match(each.group(1))):
        lo, hi = _size(each.group(3), names), _size(each.group(4), names)
        if not 1 <= hi - lo + 1 <= 100:
            raise ParseError("a definition for each index runs over 1 to 100 values")
        for value in range(lo, hi + 1):
            names = _definition(match.group(1), match.group(2), names, {each.group(2): value})
        return _with(declared, names)
    if match := DEFINITION.match(text):
        return _with(declared, _definition(match.group(1), match.group(2), names))
    raise ParseError(
        "expected 'x real', 'x in (a, b)', 'y in {0, 1}', 'f, g functions', 'name = formula', "
        "'f(x) = formula', 'constraint: left = right', 'at x = 0 the derivative is 1' or "
        "'indices i, r from 1 to K' or 'name_i = formula for i from 1 to K'"
    )


def _with(declared: Declarations, names: Names) -> Declarations:
    return declared.but(names=names)


def _assignments(match: re.Match[str], names: Names) -> tuple[tuple[tuple[str, int], ...], ...]:
    """Every combination of index values from `lo` to `hi`, kept where the relation (i \\neq r) holds."""
    indices = [i.strip() for i in match.group(1).split(",")]
    lo, hi = (_size(match.group(g), names) for g in (2, 3))
    if not 1 <= hi - lo + 1 <= 20 or len(indices) > 3:
        raise ParseError("indices run over 1 to 20 values, at most three of them")
    combos = []
    for values in itertools.product(range(lo, hi + 1), repeat=len(indices)):
        chosen = dict(zip(indices, values, strict=True))
        if match.group(4):
            left, right = chosen.get(match.group(4)), chosen.get(match.group(6))
            if left is None or right is None:
                raise ParseError("the relation must be between the declared indices")
            if (left == right) != (match.group(5) == "="):
                continue
        combos.append(tuple(chosen.items()))
    return tuple(combos)


def _size(text: str, names: Names) -> int:
    if text.isdigit():
        return int(text)
    value = dict(names.definitions).get(names.symbol(_name(text, names)))
    if value is None or not value.is_Integer:
        raise ParseError(f"{text} is not a number or a name defined as one")
    return int(value)


def _name(text: str, names: Names, indices: dict[str, int] | None = None) -> str:
    if match := re.fullmatch(r"\\(?:text|operatorname|mathrm)\{([A-Za-z][A-Za-z0-9]*)\}", text.strip()):
        return match.group(1)
    expr = _expression(text.strip(), names, indices)
    if not isinstance(expr, sp.Symbol):
        raise ParseError(f"'{text.strip()}' is not a name")
    return expr.name


def _expression(text: str, names: Names, indices: dict[str, int] | None = None) -> sp.Expr:
    elements = read_chain(text, names, labels=False, indices=indices).elements
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


def _definition(name: str, body: str, names: Names, indices: dict[str, int] | None = None) -> Names:
    symbol_name = _name(name, Names(euler=False), indices)
    existing = names.symbol(symbol_name)
    symbol = existing if names.is_declared(symbol_name) else sp.Symbol(symbol_name, real=True)
    return names.with_definition(symbol, _expression(body, names, indices))


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
    return declared.but(constraints=(*declared.constraints, constraint))


def _kink(match: re.Match[str], declared: Declarations) -> Declarations:
    symbol = declared.names.symbol(_name(match.group(1), declared.names))
    at = sp.Rational(match.group(2))
    said = match.group(3).strip()
    value = None if said == "undefined" else _expression(said, declared.names)
    kink = Kink(symbol, at, value, f"declared: at {symbol} = {at} the derivative is {said}")
    return declared.but(kink=kink)
