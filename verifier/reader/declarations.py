"""Where-block lines read by a grammar (where.lark): symbols with domains, sizes, definitions, functions,
constraints and kinks. Formula parts are read by the formula reader; nothing is evaluated."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from importlib.resources import files
from typing import TypeVar

import sympy as sp
from lark import Lark, Token, Transformer, Tree, v_args
from lark.exceptions import LarkError, UnexpectedCharacters, UnexpectedEOF, UnexpectedToken, VisitError
from lark.tree import Meta
from sympy.matrices.expressions.matexpr import MatrixElement

from verifier.budget import BudgetExceeded, budgets_available, time_limit
from verifier.model import MATRIX_ENTRY_DOMAIN, Choice, Constraint, IndexRange, Interval, Kink, Var
from verifier.reader.formula import Element
from verifier.reader.latex import MAX_CHARS, ParseError, read_chain
from verifier.reader.names import DEFAULT_DOMAIN, NORMAL_CDF, NORMAL_PDF, Names, symbol_for
from verifier.tensor import index_problem, shape_problem

GRAMMAR = Lark(files("verifier.reader").joinpath("where.lark").read_text(encoding="utf-8"), parser="lalr",
               propagate_positions=True)
FORMS = (
    "'x real', 'x in (a, b)', 'x > 0', 'y in {0, 1}', 'x \\in \\mathbb{R}', 'n positive integer', 'f, g functions', "
    "'f: \\mathbb{R} \\to \\mathbb{R}', '\\Phi standard normal cdf', 'name = formula', 'f(x) = formula', "
    "'constraint: left = right', 'at x = 0 the derivative is 1', 'indices i, r from 1 to K' or "
    "'name_i = formula for i from 1 to K'"
)
READABLE = {
    "NAME": "a name", "NUMBER": "a number", "INFINITY": "\\infty", "COMMA": "','", "_IN": "'in'",
    "KIND": "'real', 'positive' or 'functions'", "REL": "a comparison (<, >, \\leq, \\geq)", "_DEFINE": "'='",
    "LPAR": "'('", "RPAR": "')'", "COLON": "':'", "OPEN": "'(' or '['", "CLOSE": "')' or ']'", "_LBRACE": "'{'",
    "_RBRACE": "'}'", "BLACKBOARD": "\\mathbb{R}", "SCRIPT": "_{>0}", "SPACE": "\\mathbb{R}", "_ARROW": "\\to",
    "FORMULA": "a formula", "_DERIVATIVE_IS": "'the derivative is'", "_FROM": "'from'", "_TO": "'to'",
    "INDEX": "an index letter", "SIZE": "a size (a number or a name defined as one)", "INDEX_REL": "'=' or '\\neq'",
    "_FOR": "'for'", "NORMAL": "'standard normal cdf' or 'standard normal pdf'", "$END": "the end of the line",
    "<END-OF-FILE>": "the end of the line",
}
SIGNS = {
    **dict.fromkeys(("+", "++", ">0", "\\gt0"), "positive"), **dict.fromkeys(("-", "--", "<0", "\\lt0"), "negative"),
    **dict.fromkeys(("\\geq0", "\\ge0", ">=0", "\u22650"), "nonnegative"), "*": "nonzero",
    **dict.fromkeys(("\\leq0", "\\le0", "<=0", "\u22640"), "nonpositive"),
}
SPACES = {("R", ""): "real", ("R", "positive"): "positive", ("R", "negative"): "negative", ("N", ""): "size",
          ("R", "nonnegative"): "nonnegative", ("R", "nonpositive"): "nonpositive",
          ("N", "positive"): "size", ("N", "nonzero"): "size", ("Z", "positive"): "size"}
STRICT = ("<", ">", "\\lt", "\\gt")
LESS = ("<", "\\lt", "\\le", "\\leq", "\\leqslant", "<=", "\u2264")
COMMENT = re.compile(r"(?:^|\s)#|(?<!\\)%")
WORD = re.compile(r"\\(?:text|operatorname|mathrm|textrm|mathit)\s*\{\s*([A-Za-z][A-Za-z0-9]*)\s*\}")
ENTRY_NAME = re.compile(r"([A-Za-z])_(?:([a-z])|\{\s*([a-z])\s*([a-z])?\s*\})")  # a_{ij}, z_r: names for entries
SIZE_TEXT = re.compile(r"[0-9]+|[A-Za-z](?:_\{?[A-Za-z0-9]\}?)?")  # a matrix's size: a number or a letter
BARE = Names(euler=False, builtins=False)  # where names are read with no meaning attached: `\sigma` is a name there
BOX = 6  # an unbounded side is sampled this far from the other (0 < x: (0, 6), as `x positive`)
MAX_DIGITS = 40
MAX_NUMERIC_SIZE = 64  # a size the numeric check writes every entry out at
MAX_VALUES = 100
SOLVE_SECONDS = 2.0
T = TypeVar("T")


@dataclass(frozen=True)
class Declarations:
    """What a where block declares, with everything it names."""

    names: Names
    constraints: tuple[Constraint, ...] = ()
    kink: Kink | None = None
    # every assignment of the free indices a line holds for (i, r = 1..3): each line is read once per assignment
    assignments: tuple[tuple[tuple[str, int], ...], ...] = ()
    # free indices that run to a symbolic size (indices r from 1 to n): each line holds for every r, proved so
    index_ranges: tuple[IndexRange, ...] = ()
    # definitions of every entry: y^{(i)} = \sigma(w x^{(i)} + b) gives y[k] its meaning for any index k
    entries: tuple[tuple[sp.Indexed, sp.Expr], ...] = ()
    # conventions the definitions were read with (Z = X W + b: b added to every row), said with each derivation
    conventions: tuple[tuple[str, str], ...] = ()  # (the defined name, the convention its definition was read with)
    # the sizes the numeric cross-check of a matrix derivation runs at (`numeric check at n = 8, h = 10`)
    numeric_sizes: tuple[tuple[sp.Symbol, int], ...] = ()

    def but(self, **changes: object) -> Declarations:
        """A copy with some fields changed."""
        return replace(self, **changes)  # type: ignore[arg-type]


def read_where(lines: tuple[tuple[int, str], ...], declared: Declarations) -> Declarations:
    """Add each where line to `declared`; a line that means nothing raises ParseError at that line."""
    for number, raw in lines:
        text = _declaration_text(raw)
        if not text:
            continue
        try:
            declared = declare(text, declared)
        except ParseError as error:
            column = len(raw) - len(raw.lstrip()) + error.column
            raise ParseError(f"where block: {error.message}", number, column) from None
    return declared


def _declaration_text(raw: str) -> str:
    """The line without its `#` or `%` comment, surrounding space and a trailing full stop or comma."""
    text = COMMENT.split(raw, maxsplit=1)[0].strip()
    return re.sub(r"\s*[.,]$", "", text)


def declare(text: str, declared: Declarations) -> Declarations:
    """`declared` with one where line added (errors at columns of `text`)."""
    if len(text) > MAX_CHARS:
        raise ParseError(f"a where line of {len(text)} characters: the limit is {MAX_CHARS}")
    tree = _parse(text)
    try:
        return _Declare(declared).transform(tree)
    except VisitError as error:
        raise error.orig_exc from None


def _parse(text: str) -> Tree:
    try:
        return GRAMMAR.parse(text)
    except UnexpectedToken as error:
        at = len(text) if error.token.type == "$END" else error.token.start_pos
        raise _unexpected(text, at, error.expected) from None
    except UnexpectedCharacters as error:
        raise _unexpected(text, error.pos_in_stream, error.allowed) from None
    except UnexpectedEOF as error:
        raise _unexpected(text, len(text), set(error.expected)) from None
    except LarkError as error:  # any other failure of the parser is still a parse error
        raise ParseError(f"cannot read: {error}") from None


def _unexpected(text: str, at: int, expected: set[str]) -> ParseError:
    """`found X, expected Y` at 0-based offset `at`: the list of forms when the line's form is unknown."""
    word = re.match(r"\s*(\\?[A-Za-z]+|[0-9.]+|\S)", text[at:])
    found = f"{word.group(1)[:30]!r}" if word else "the end of the line"
    if at == 0 or expected & {"_IN", "KIND"}:
        return ParseError(f"found {found}, expected {FORMS}", 1, at + 1)
    words = sorted({READABLE.get(name, name.lower()) for name in expected})
    return ParseError(f"found {found}, expected {' or '.join(words)}", 1, at + 1)


@v_args(inline=True)
class _Declare(Transformer):
    """Each form of where.lark into the declarations it adds; one method per rule."""

    def __init__(self, declared: Declarations) -> None:
        super().__init__()
        self.declared = declared
        self.scope = declared.names

    # -- pieces ------------------------------------------------------------------------------------------------
    def start(self, declared: Declarations) -> Declarations:
        return declared

    def names(self, *tokens: Token) -> tuple[Token, ...]:
        return tokens

    def number(self, token: Token) -> sp.Rational:
        text = str(token).replace("\u2212", "-")
        if not re.fullmatch(r"[-+]?(\d+\.?\d*|\.\d+)", text):
            raise ParseError(f"'{token}' is not a number", 1, token.column)
        if len(text) > MAX_DIGITS:
            raise ParseError(f"a number of {len(text)} digits: the limit is {MAX_DIGITS}", 1, token.column)
        return sp.Rational(text)

    def INFINITY(self, token: Token) -> sp.Expr:
        return sp.S.NegativeInfinity if str(token).lstrip()[:1] in "-\u2212" else sp.S.Infinity

    @v_args(inline=True, meta=True)
    def interval(self, meta: Meta, opening: Token, lo: sp.Expr, hi: sp.Expr, closing: Token) -> Interval:
        return _sampled(lo, hi, meta.column, (str(opening).endswith("["), str(closing).endswith("]")))

    @v_args(inline=True, meta=True)
    def choice(self, meta: Meta, *values: sp.Rational) -> Choice:
        if len(values) > MAX_VALUES:
            raise ParseError(f"a set of {len(values)} values: the limit is {MAX_VALUES}", 1, meta.column)
        return Choice(values)

    def space(self, letter: Token, script: Token | None = None) -> str | tuple[sp.Expr, sp.Expr]:
        shape = _shape(letter, script)
        return shape if shape is not None else _space(letter, script)

    def index_list(self, *tokens: Token) -> tuple[str, ...]:
        return tuple(str(t) for t in tokens)

    def relation(self, left: Token, relation: Token, right: Token) -> tuple[str, bool, str]:
        return str(left), str(relation) == "=", str(right)

    # -- forms -------------------------------------------------------------------------------------------------
    def in_interval(self, names: tuple[Token, ...], domain: Interval | Choice) -> Declarations:
        return self._declare(names, lambda name: Var(symbol_for(name, domain), domain))

    def in_set(self, names: tuple[Token, ...], domain: Choice) -> Declarations:
        return self.in_interval(names, domain)

    def in_space(self, names: tuple[Token, ...], space: str | tuple[sp.Expr, sp.Expr]) -> Declarations:
        if isinstance(space, tuple):  # X \in \mathbb{R}^{n \times 3}: a matrix
            for token in names:
                self.scope = self.scope.with_matrix(_name(token), *space, MATRIX_ENTRY_DOMAIN)
            return self.declared.but(names=self.scope)
        return self._kind(names, space)

    def kind(self, names: tuple[Token, ...], kind: Token) -> Declarations:
        word = str(kind).split()[-1]
        meaning = {"integer": "size", "integers": "size", "number": "real", "numbers": "real", "functions": "function"}
        return self._kind(names, meaning.get(word, word))

    def compared(self, names: tuple[Token, ...], relation: Token, bound: sp.Rational) -> Declarations:
        lo, hi = (sp.S.NegativeInfinity, bound) if str(relation) in LESS else (bound, sp.S.Infinity)
        closed = str(relation) not in STRICT  # x >= 0 holds 0
        return self.in_interval(names, _sampled(lo, hi, relation.column, (closed, closed)))

    def between(self, lo: sp.Rational, first: Token, names: tuple[Token, ...], second: Token | None = None,
                hi: sp.Rational | None = None) -> Declarations:
        below = str(first) in LESS  # 0 < x: x above 0
        if second is None or hi is None:
            return self.compared(names, first.update(value=">" if below else "<"), lo)
        if (str(second) in LESS) != below:
            raise ParseError("both comparisons must point the same way, as in 0 < a < 1", 1, second.column)
        low, high = (lo, hi) if below else (hi, lo)
        closed = (str(first) not in STRICT, str(second) not in STRICT)  # 0 <= x < 1
        return self.in_interval(names, _sampled(low, high, first.column, closed if below else closed[::-1]))

    def signature(self, names: tuple[Token, ...], source: Token, target: Token) -> Declarations:
        return self._kind(names, "function")

    def normal(self, names: tuple[Token, ...], which: Token) -> Declarations:
        density = any(w in str(which).lower() for w in ("pdf", "density"))
        for token in names:
            name = _function_name(str(token))
            self.scope = self.scope.with_function(name, NORMAL_PDF if density else NORMAL_CDF)
        return self.declared.but(names=self.scope)

    def size_value(self, name: Token, value: Token) -> tuple[sp.Symbol, int]:
        size = self.scope.size(_name(name))
        if size is None or not str(value).isdigit() or not 1 <= int(value) <= MAX_NUMERIC_SIZE:
            raise ParseError(f"{name} = {value}: a declared size and a whole number from 1 to {MAX_NUMERIC_SIZE}", 1,
                             name.column)
        return size, int(value)

    def numeric_sizes(self, *values: tuple[sp.Symbol, int]) -> Declarations:
        return self.declared.but(numeric_sizes=tuple(values))

    def constraint(self, keyword: Token, formula: Token) -> Declarations:
        left, right = _sides(formula)
        lhs = _within(left[1], lambda: self._expression(left[0]))
        rhs = _within(right[1], lambda: self._expression(right[0]))
        if isinstance(lhs, sp.MatrixExpr) or isinstance(rhs, sp.MatrixExpr):
            constraint = _row_sums(lhs, rhs, f"{left[0]} = {right[0]}", formula.column)
            return self.declared.but(constraints=(*self.declared.constraints, constraint))
        equation = lhs - rhs
        constraint = _within(formula.column, lambda: _solved(equation, self.scope, f"{left[0]} = {right[0]}"))
        return self.declared.but(constraints=(*self.declared.constraints, constraint))

    def kink(self, name: Token, at: sp.Rational, formula: Token) -> Declarations:
        symbol = self.scope.symbol(_name(name))
        said = str(formula)
        value = None if said == "undefined" else _within(formula.column, lambda: self._expression(said))
        kink = Kink(symbol, at, value, f"declared: at {symbol} = {at} the derivative is {said}")
        earlier = self.declared.kink
        if earlier is not None and (earlier.symbol, earlier.at) != (symbol, at):  # it replaced the first, unsaid
            raise ParseError(f"one kink convention per section is read, and this one has at {earlier.symbol} = "
                             f"{earlier.at} already: split the derivation, one kink a section", 1, name.column)
        return self.declared.but(kink=kink)

    def indices(self, listed: tuple[str, ...], lo: Token, hi: Token,
                relation: tuple[str, bool, str] | None = None) -> Declarations:
        size = None if str(hi).strip().isdigit() else self.scope.size(_name(hi))
        if size is not None:
            if str(lo).strip() != "1" or relation is not None:
                raise ParseError("an index to a symbolic size runs from 1, with no relation", 1, lo.column)
            ranges = tuple(IndexRange(sp.Symbol(i, integer=True, positive=True), size) for i in listed)
            return self.declared.but(index_ranges=ranges)
        first, last = self._size(lo), self._size(hi)
        if not 1 <= last - first + 1 <= 20 or len(listed) > 3:
            raise ParseError("indices run over 1 to 20 values, at most three of them", 1, lo.column)
        if relation is not None and not {relation[0], relation[2]} <= set(listed):
            raise ParseError("the relation must be between the declared indices", 1, hi.end_column + 1)
        self._index_range(first, last)
        combos = []
        for values in itertools.product(range(first, last + 1), repeat=len(listed)):
            chosen = dict(zip(listed, values, strict=True))
            if relation is None or (chosen[relation[0]] == chosen[relation[2]]) == relation[1]:
                combos.append(tuple(chosen.items()))
        return self.declared.but(names=self.scope, assignments=tuple(combos))

    def function(self, name: Token, params: tuple[Token, ...], formula: Token) -> Declarations:
        symbols = [sp.Symbol(_name(p), real=True) for p in params]
        inner = self.scope
        for symbol in symbols:
            inner = inner.with_variable(Var(symbol, DEFAULT_DOMAIN))
        value = _within(formula.column, lambda: _expression(str(formula), inner))
        names = self.scope.with_function(_function_name(str(name)), sp.Lambda(tuple(symbols), value))
        return self.declared.but(names=names)

    def for_each(self, name: Token, formula: Token, index: Token, lo: Token, hi: Token) -> Declarations:
        first, last = self._size(lo), self._size(hi)
        if not 1 <= last - first + 1 <= 100:
            raise ParseError("a definition for each index runs over 1 to 100 values", 1, lo.column)
        for value in range(first, last + 1):
            self.scope = self._defined(name, formula, {str(index): value}).names
        self._index_range(first, last)
        return self.declared.but(names=self.scope)

    def _index_range(self, first: int, last: int) -> None:
        """Remember an index line's range from 1 to `last`: an unbounded sum may run over it (one from 0 is not)."""
        if first == 1:
            self.scope = self.scope.with_index_end(last)

    def definition(self, name: Token, formula: Token) -> Declarations:
        entries = ENTRY_NAME.fullmatch(str(name).strip())
        if entries is not None and self.scope.has_matrices:  # a_{ij} = A_{ij}, z_r = Z_{3r}: entries of a matrix
            letters = "".join(g or "" for g in entries.groups()[1:])
            named = self._entries_named(entries.group(1), letters, formula, braced=entries.group(2) is None)
            if named is not None:
                return named
        free = {r.index.name: r.index for r in self.declared.index_ranges}
        if free:  # s_j = ... with j running to a symbolic size: s[j] is defined, for every j
            return self._defined_entry(name, formula, free)
        return self._with_entry(name, formula, self._defined(name, formula, None))

    def tuple_definition(self, name: Token, entries: Token) -> Declarations:
        """`Z_3 = (z_1, \\dots, z_k)`: Z_3 is a row of k numbers (a matrix 1 x k), z_r its entry r."""
        base, size = _entry_family(str(entries), entries.column)
        matrix_name = _name(name)
        if not self.scope.is_declared(matrix_name):
            self.scope = self.scope.with_matrix(matrix_name, sp.Integer(1), size, MATRIX_ENTRY_DOMAIN)
        matrix = self.scope.symbol(matrix_name)
        wanted = (1, self.scope.size(size.name) if isinstance(size, sp.Symbol) else size)
        if not isinstance(matrix, sp.MatrixSymbol) or tuple(matrix.shape) != wanted:
            raise ParseError(f"{name} = (...) writes a row of entries: {name} is declared otherwise", 1, name.column)
        self.scope = self.scope.with_entries_of(base, matrix)
        return self.declared.but(names=self.scope)

    def square_definition(self, name: Token, square: Token, formula: Token) -> Declarations:
        """`\\sigma^2 = v`: sigma is the non-negative square root of v (a standard deviation from its variance)."""
        declared = self._defined(name, formula, None)
        symbol, value = declared.names.definitions[-1]
        if isinstance(symbol, sp.MatrixSymbol) or value.is_extended_negative:
            raise ParseError(f"{name}^2 = ... defines the square of a real number, not a matrix or a negative number",
                             1, name.column)
        said = f"{name}^2 = {formula}: {name} read as its non-negative square root"
        return declared.but(names=self.scope.with_definition(symbol, sp.sqrt(value)),
                            conventions=(*declared.conventions, (symbol.name, said)))

    def _entries_named(self, base: str, letters: str, formula: Token, braced: bool) -> Declarations | None:
        """`a_{ij} = A_{ij}`: the entries a_{kj}, a_{ik} ... of the lines are those of the matrix A (None: `z_r = ...`
        without braces and not an entry, an ordinary definition)."""
        value = _within(formula.column, lambda: self._expression(str(formula)))
        matrix = value.parent if isinstance(value, MatrixElement) else None
        if matrix is None and not braced:
            return None
        wanted = tuple(sp.Symbol(c) - 1 for c in letters)
        if not isinstance(matrix, sp.MatrixSymbol) or _running_indices(value, len(letters)) != wanted:
            raise ParseError(f"{base}_{{{letters}}} = ... names the entries of a declared matrix, as in "
                             f"{base}_{{{letters}}} = {base.upper()}_{{{letters}}}", 1, formula.column)
        self.scope = self.scope.with_entries_of(base, matrix)
        return self.declared.but(names=self.scope)

    def _with_entry(self, name: Token, formula: Token, declared: Declarations) -> Declarations:
        """Also define every entry when the name and its formula share an index letter (y_i = x_i^2 for any i)."""
        try:
            plain = _expression(str(name), Names(euler=False, builtins=False))
        except ParseError:  # a word such as \text{Sigmoid}: a name, with no index
            return declared
        if not isinstance(plain, sp.Symbol):
            return declared
        for letter in sorted({c for c in str(name) if c.isalpha() and c.islower()}):
            index = {letter: sp.Symbol(letter, integer=True, positive=True)}
            entry = _expression(str(name), Names(euler=False, builtins=False), index)
            if isinstance(entry, sp.Indexed) and entry.indices == (index[letter],):
                value = _expression(str(formula), self.scope, index)
                if value.has(index[letter]):
                    return declared.but(entries=(*declared.entries, (entry, value)))
        return declared

    def _defined_entry(self, name: Token, formula: Token, free: dict[str, sp.Symbol]) -> Declarations:
        entry = _within(name.column, lambda: _expression(str(name), Names(euler=False, builtins=False), free))
        if not isinstance(entry, sp.Indexed):
            return self._defined(name, formula, free)
        value = _within(formula.column, lambda: _expression(str(formula), self.scope, free))
        return self.declared.but(names=self.scope.with_definition(entry, value))

    # -- helpers -----------------------------------------------------------------------------------------------
    def _declare(self, names: tuple[Token, ...], var: Callable[[str], Var]) -> Declarations:
        for token in names:
            self.scope = self.scope.with_variable(var(_name(token)))
        return self.declared.but(names=self.scope)

    def _kind(self, names: tuple[Token, ...], kind: str) -> Declarations:
        if kind == "function":
            for token in names:
                name = _function_name(str(token))
                self.scope = self.scope.with_function(name, sp.Function(name))
            return self.declared.but(names=self.scope)
        if kind == "size":
            for token in names:
                self.scope = self.scope.with_size(_name(token))
            return self.declared.but(names=self.scope)
        domain = {"real": DEFAULT_DOMAIN, "positive": Interval(0, BOX, unbounded=(False, True)),
                  "negative": Interval(-BOX, 0, unbounded=(True, False)),
                  "nonnegative": Interval(0, BOX, unbounded=(False, True), closed=(True, False)),
                  "nonpositive": Interval(-BOX, 0, unbounded=(True, False), closed=(False, True))}[kind]
        assumption = kind
        return self._declare(names, lambda name: Var(sp.Symbol(name, **{assumption: True}), domain))

    def _defined(self, name: Token, formula: Token, indices: dict[str, int | sp.Symbol] | None) -> Declarations:
        symbol_name = _name(name, indices)
        symbol = self.scope.symbol(symbol_name) if self.scope.is_declared(symbol_name) else sp.Symbol(
            symbol_name, real=True)
        element = _within(formula.column, lambda: _element(str(formula), self.scope, indices))
        value = element.expr
        conventions = self.declared.conventions + tuple((symbol_name, c) for c in element.conventions)
        problem = index_problem(value)  # \sum_{i=1}^{k} Y_{ic} with Y n x k
        if problem is not None:
            raise ParseError(f"{symbol_name} = {formula}: {problem}", 1, formula.column)
        if isinstance(value, sp.MatrixExpr) and value.shape == (1, 1):
            value = sp.Trace(value)  # mu = 1^T x, then f = x^T x - mu^2: the number it is (its trace: never
            # written out entry by entry here, a 64 x 64 product's entry is a sum of 64^4 terms)
        if isinstance(value, sp.MatrixExpr) and value.shape != (1, 1):  # x^T A x is a scalar
            problem = shape_problem(value)
            if problem is not None:
                raise ParseError(f"{symbol_name} = {formula}: {problem}", 1, formula.column)
            symbol = sp.MatrixSymbol(symbol_name, *value.shape)
        if symbol_name in {str(s) for s in value.free_symbols}:  # Z = Z W: Z read as a number there, a matrix here
            raise ParseError(f"{symbol} is defined in terms of itself: a definition cannot be expanded", 1,
                             name.column)
        return self.declared.but(names=self.scope.with_definition(symbol, value), conventions=conventions)

    def _expression(self, text: str) -> sp.Expr:
        return _expression(text, self.scope)

    def _size(self, token: Token) -> int:
        text = str(token)
        if text.isdigit() and len(text) <= MAX_DIGITS:
            return int(text)
        name = _name(token)
        if self.scope.size(name) is not None:
            raise ParseError(f"{text} is a symbolic size: indices run to a number or a name defined as one", 1,
                             token.column)
        value = dict(self.scope.definitions).get(self.scope.symbol(name))
        if value is None or not value.is_Integer:
            raise ParseError(f"{text} is not a number or a name defined as one", 1, token.column)
        return int(value)


def _name(token: Token, indices: dict[str, int | sp.Symbol] | None = None) -> str:
    """The symbol name a where name stands for, as formulas read it (`\\hat{y}_i` at i = 2: yhat_2)."""
    text = str(token)
    if match := WORD.fullmatch(text.strip()):
        return match.group(1)
    expr = _within(token.column, lambda: _expression(text, BARE, indices))
    if not isinstance(expr, sp.Symbol):
        raise ParseError(f"'{text}' is not a name", 1, token.column)
    return expr.name


def _function_name(text: str) -> str:
    """The name formulas call a declared function by: as the formula reader names it (\\mathcal{L} is Lcal)."""
    if match := WORD.fullmatch(text.strip()):
        return match.group(1)
    try:
        read = _expression(text, Names(euler=False, builtins=False))
    except ParseError:
        read = None
    return read.name if isinstance(read, sp.Symbol) else text.strip().lstrip("\\")


def _expression(text: str, names: Names, indices: dict[str, int | sp.Symbol] | None = None) -> sp.Expr:
    return _element(text, names, indices).expr


def _element(text: str, names: Names, indices: dict[str, int | sp.Symbol] | None = None) -> Element:
    elements = read_chain(text, names, labels=False, indices=indices).elements
    if len(elements) != 1 or elements[0].expr is None:
        raise ParseError(f"'{text}' is not one formula")
    return elements[0]


def _entry_family(text: str, column: int) -> tuple[str, sp.Expr]:
    """The family and the length of a tuple `(z_1, \\dots, z_k)`: its entries are z_1 (then z_2) up to z_k."""
    inside = re.sub(r"^\s*(\\left\s*)?\(|(\\right\s*)?\)\s*$", "", text)
    parts = [p.strip() for p in inside.split(",")]
    dots = [i for i, p in enumerate(parts) if re.fullmatch(r"\\[lc]?dots", p)]
    if len(dots) != 1 or dots[0] != len(parts) - 2 or not 1 <= dots[0] <= 2:
        raise ParseError("a row as a tuple is written (z_1, \\dots, z_k) or (z_1, z_2, \\dots, z_k)", 1, column)
    entries = [_indexed_entry(p, column) for i, p in enumerate(parts) if i != dots[0]]
    bases = {str(e.base.label) for e in entries}
    numbers = [e.indices[0] for e in entries[:-1]]
    if len(bases) != 1 or numbers != list(range(1, len(numbers) + 1)):
        raise ParseError("a row as a tuple counts one family from 1: (z_1, \\dots, z_k)", 1, column)
    last = entries[-1].indices[0]
    if not (isinstance(last, sp.Symbol) or (last.is_Integer and last >= len(numbers))):
        raise ParseError("a tuple's last entry is numbered by a size, a letter or a number", 1, column)
    return bases.pop(), last


def _indexed_entry(text: str, column: int) -> sp.Indexed:
    """One entry of a tuple, `z_1` or `\\hat{y}_k`, as the family's entry (its one index a number or a letter)."""
    letters = {c: sp.Symbol(c) for c in text if c.isalpha() and c.islower()}
    probe = Names(euler=False, builtins=False).with_size("n")  # with a size, an entry z_1 is the family's z[1]
    entry = _within(column, lambda: _expression(text, probe, letters))
    if not isinstance(entry, sp.Indexed) or len(entry.indices) != 1:
        raise ParseError(f"{text} is not an entry of a family, as z_1 or z_k", 1, column)
    return entry


def _running_indices(entry: MatrixElement, count: int) -> tuple[sp.Expr, ...]:
    """The indices of an entry that run, as many as a name has letters: a vector's one (the column of a row)."""
    rows, cols = entry.parent.shape
    if count == 1 and rows == 1 and cols != 1:
        return (entry.j,)
    return (entry.i, entry.j)[:count]


def _within(column: int, read: Callable[[], T]) -> T:
    """`read()`, its ParseError moved from the start of a part of the line (at `column`) to the line's columns."""
    try:
        return read()
    except ParseError as error:
        raise ParseError(error.message, 1, column + error.column - 1) from None


def _sides(formula: Token) -> tuple[tuple[str, int], tuple[str, int]]:
    """An equation's two sides and their columns, cut at its last `=` outside braces."""
    text, depth, cut = str(formula), 0, -1
    for index, char in enumerate(text):
        depth += {"{": 1, "}": -1}.get(char, 0)
        if char == "=" and depth == 0:
            cut = index
    if cut < 0:
        raise ParseError("a constraint is an equation, as in constraint: y_1 + y_2 = 1", 1, formula.column)
    right = text[cut + 1:]
    if not text[:cut].strip() or not right.strip():
        raise ParseError("a constraint needs a formula on each side of '='", 1, formula.column + cut)
    start = cut + 1 + len(right) - len(right.lstrip())
    return (text[:cut].strip(), formula.column), (right.strip(), formula.column + start)


def _solved(equation: sp.Expr, names: Names, statement: str) -> Constraint:
    """The constraint `equation = 0` solved for the last declared symbol it holds linearly."""
    order = [v.symbol for v in names.variables]
    candidates = [s for s in reversed(order) if s in equation.free_symbols and _linear(equation, s)]
    if not candidates:
        raise ParseError("a constraint needs a declared symbol it can be solved for")
    symbol = candidates[0]
    try:  # linear in it: a symbol + b = 0 is symbol = -b / a, at once (sp.solve took seconds under load)
        slope, rest = _bounded(lambda: (sp.expand(equation).coeff(symbol), equation.subs(symbol, 0)), SOLVE_SECONDS)
    except BudgetExceeded:
        raise ParseError(f"solving the constraint for {symbol} took more than {SOLVE_SECONDS:g} s") from None
    if slope == 0 or slope.has(symbol):
        raise ParseError(f"the constraint cannot be solved for {symbol}")
    return Constraint(symbol, -rest / slope, statement)


def _row_sums(lhs: sp.Expr, rhs: sp.Expr, statement: str, column: int) -> Constraint:
    """`Y \\mathbf{1} = \\mathbf{1}`: every row of Y sums to 1 (the only constraint in matrix form read)."""
    if isinstance(lhs, sp.MatMul) and len(lhs.args) == 2 and isinstance(lhs.args[0], sp.MatrixSymbol) and \
            isinstance(lhs.args[1], sp.OneMatrix) and isinstance(rhs, sp.OneMatrix):
        matrix = lhs.args[0]
        return Constraint(matrix * sp.OneMatrix(matrix.shape[1], 1), sp.OneMatrix(matrix.shape[0], 1), statement)
    raise ParseError("a constraint in matrix form is read as Y \\mathbf{1} = \\mathbf{1} (each row of Y sums to 1)",
                     1, column)


def _linear(equation: sp.Expr, symbol: sp.Symbol) -> bool:
    try:
        return bool(sp.degree(equation, symbol) == 1)
    except Exception:  # not a polynomial in symbol (sin(y), |y|): not a candidate
        return False


def _bounded(compute: Callable[[], T], seconds: float) -> T:
    """`compute()`, stopped after `seconds` where a timer can interrupt it (the main thread)."""
    if not budgets_available():
        return compute()
    with time_limit(seconds):
        return compute()


def _sampled(lo: sp.Expr, hi: sp.Expr, column: int, closed: tuple[bool, bool] = (False, False)) -> Interval:
    """The domain from lo to hi (each end held or not), sampled in a finite box: an unbounded side BOX away from
    the other."""
    if not lo < hi:
        raise ParseError(f"the interval ({_show(lo)}, {_show(hi)}) is empty", 1, column)
    if lo.is_infinite and hi.is_infinite:
        return DEFAULT_DOMAIN
    low = float(min(-BOX, hi - BOX)) if lo.is_infinite else float(lo)
    high = float(max(BOX, lo + BOX)) if hi.is_infinite else float(hi)
    if not low < high:
        raise ParseError(f"the interval ({_show(lo)}, {_show(hi)}) is too narrow to sample", 1, column)
    unbounded = (bool(lo.is_infinite), bool(hi.is_infinite))
    return Interval(low, high, unbounded, (closed[0] and not unbounded[0], closed[1] and not unbounded[1]))


def _shape(letter: Token, script: Token | None) -> tuple[sp.Expr, sp.Expr] | None:
    """The shape `\\mathbb{R}^{n \\times 3}` gives (rows, columns), `\\mathbb{R}^{n}` a column; None for no shape."""
    blackboard = re.sub(r"\\mathbb|[\s{}\\]", "", str(letter)).translate(str.maketrans("\u211d", "R"))
    if script is None or blackboard != "R" or not str(script).startswith("^"):
        return None
    inner = str(script)[1:].strip().removeprefix("{").removesuffix("}").strip()
    sizes = [part.strip() for part in re.split(r"\\times|\u00d7", inner)]
    if len(sizes) > 2 or not all(SIZE_TEXT.fullmatch(s) for s in sizes):
        return None
    values = [sp.Integer(s) if s.isdigit() else sp.Symbol(re.sub(r"[{}\s]", "", s)) for s in sizes]
    if any(v == 0 for v in values):
        raise ParseError(f"a matrix of {inner} has no entries", 1, script.column)
    if any(v.is_Integer and v > MAX_NUMERIC_SIZE for v in values):
        raise ParseError(f"a matrix of {inner} is written out entry by entry at that size, up to {MAX_NUMERIC_SIZE}: "
                         "write a letter for a larger size (decided for every size)", 1, script.column)
    return (values[0], values[1]) if len(values) == 2 else (values[0], sp.Integer(1))


def _space(letter: Token, script: Token | None) -> str:
    """The kind of domain `\\mathbb{R}`, `\\mathbb{R}_{>0}`, `\\mathbb{N}` ... stands for."""
    blackboard = re.sub(r"\\mathbb|[\s{}\\]", "", str(letter)).translate(str.maketrans("\u211d\u2115\u2124", "RNZ"))
    sign = "" if script is None else SIGNS.get(re.sub(r"[\s{}^_]", "", str(script)), "?")
    kind = SPACES.get((blackboard, sign))
    if kind is None:
        column = letter.column if script is None else script.column
        raise ParseError(f"{letter}{script or ''} is not read: write \\mathbb{{R}}, \\mathbb{{R}}_{{>0}}, "
                         "\\mathbb{N} or an interval (a, b)", 1, column)
    return kind


def _show(value: sp.Expr) -> str:
    if value.is_infinite:
        return "\\infty" if value > 0 else "-\\infty"
    return f"{float(value):g}"
