"""The meaning of each grammar rule: a Lark Transformer from a formula's parse tree to SymPy, one method per rule."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field, replace
from typing import Any

import sympy as sp
from lark import Token, Tree, v_args
from lark.tree import Meta
from lark.visitors import Discard, Transformer_NonRecursive

from verifier.guards import written_needs
from verifier.reader import matrices
from verifier.reader.formula import MAX_ELEMENTS, Element, Label, ParseError, power
from verifier.reader.names import ARITY_VARIANTS, MATRIX_FUNCTIONS, Names, inverse_function
from verifier.tensor import EntryMatrix

MAX_DIGITS = 40
MAX_SUM_TERMS = 100  # terms of one sum
MAX_TERMS_WRITTEN = 2_000  # terms written out by all the sums of one formula (nested sums multiply)
OTHERWISE = {"otherwise", "else", "sonst"}
RELATIONS = {
    "<": sp.Lt, "\\lt": sp.Lt, ">": sp.Gt, "\\gt": sp.Gt, "\\leq": sp.Le, "\\le": sp.Le, "\u2264": sp.Le,
    "\\leqslant": sp.Le, "\\geq": sp.Ge, "\\ge": sp.Ge, "\u2265": sp.Ge, "\\geqslant": sp.Ge, "\\neq": sp.Ne,
    "\\ne": sp.Ne, "\u2260": sp.Ne, "=": sp.Eq,
}
ACCENTS = {"widehat": "hat", "overline": "bar", "widetilde": "tilde"}
FONTS = {"mathcal": "cal", "mathscr": "scr", "mathfrak": "frak", "mathbf": "bf", "boldsymbol": "bf", "bm": "bf"}
NAME_PARTS = re.compile(r"([A-Za-z])(cal|scr|frak|bf|hat|bar|tilde|vec|dot)(?=_|$)")  # Lcal, yhat: as written


def written(name: str) -> str:
    """A name as the formula wrote it: `Lcal` is \\mathcal{L}, `yhat` is \\hat{y}."""
    def shown(match: re.Match[str]) -> str:
        letter, part = match.groups()
        return f"\\math{part}{{{letter}}}" if part in ("cal", "scr", "frak", "bf") else f"\\{part}{{{letter}}}"
    return NAME_PARTS.sub(shown, name)
GREEK_VARIANTS = {"phi": "varphi", "epsilon": "varepsilon"}  # a Unicode phi or epsilon may mean either
COMBINING_ACCENTS = {"\u0302": "hat", "\u0303": "tilde", "\u0304": "bar", "\u0305": "bar"}
# Greek letters typed as Unicode, by their LaTeX names (both phis are \phi and both epsilons \epsilon: notes use
# them as one letter, and \phi(x) is the normal density; capital Sigma and Pi are left out: a sum and a product)
UNICODE_GREEK = dict(zip(
    "\u03b1\u03b2\u03b3\u03b4\u03b5\u03b6\u03b7\u03b8\u03b9\u03ba\u03bb\u03bc\u03bd\u03be\u03c0\u03c1\u03c2\u03c3"
    "\u03c4\u03c5\u03c6\u03c7\u03c8\u03c9\u0393\u0394\u0398\u039b\u039e\u03a5\u03a6\u03a8\u03a9"
    "\u03d5\u03f5\u2113",
    ("alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi pi rho varsigma sigma tau upsilon "
     "phi chi psi omega Gamma Delta Theta Lambda Xi Upsilon Phi Psi Omega phi epsilon ell").split(), strict=True))


# -- what a rule may hand to the rule above it before it is a SymPy expression ----------------------
@dataclass(frozen=True)
class Name:
    """A name before its scripts: x, \\sigma, \\hat{y}, \\text{ReLU}."""

    base: str
    position: tuple[int, int]
    letter: bool = False  # one plain letter, which may spell a function name with its neighbours


@dataclass(frozen=True)
class Letter:
    """A lone letter read as a symbol (kept apart so that `t a n h` next to `(x)` can be seen)."""

    value: sp.Expr
    letter: str
    position: tuple[int, int]
    sups: tuple[Any, ...] = ()  # a power written on it (`tanh^2(x)` spelled out ends in h^2)


@dataclass(frozen=True)
class Words:
    """A `\\text{...}` that names nothing: a justification at the end, a condition's `if`, else an error."""

    text: str
    position: tuple[int, int]


@dataclass(frozen=True)
class Grouped:
    """A bracketed group or an argument list, with the scripts written after it."""

    args: tuple[Any, ...]
    scripts: tuple[tuple[Any, ...], ...] = ()
    position: tuple[int, int] = (1, 1)


@dataclass(frozen=True)
class Head:
    """A function waiting for its argument: `\\log_2`, `\\tanh^2`, `\\sigma'`."""

    name: str
    function: Any
    subscript: tuple[IndexPart, ...]
    sups: tuple[Any, ...]
    primes: int
    position: tuple[int, int]
    alone: sp.Expr | None = None  # what the name is when no argument follows (\Gamma, \psi: also variables)
    braced: bool = False  # written in braces, {\sech} or {\tanh}^{-1}, with its argument outside them


@dataclass(frozen=True)
class Primed:
    """`f'(x)` or `\\sigma'(z)`: a derivative's name when it stands alone, else its value."""

    variable: sp.Symbol
    of: sp.Expr | None
    value: sp.Expr


@dataclass(frozen=True)
class OpeningCall:
    """`L(\\lambda)` at the start of a formula, L declared nowhere: the function L being defined, if it stands
    alone before `=`; else the letter L times the bracket, as before."""

    call: sp.Expr
    start: int
    position: tuple[int, int]
    logged: bool = False  # `\\log p(x) = ...`: the log of the function being defined

    @property
    def opened(self) -> sp.Expr:
        """What the opening says: the call, or its log."""
        return sp.log(self.call) if self.logged else self.call


@dataclass(frozen=True)
class PrimedName:
    """A name with primes that is not a known function: `f'`, `y'`."""

    value: sp.Expr
    primes: int
    position: tuple[int, int]


@dataclass(frozen=True)
class Leibniz:
    """`\\frac{dy}{dx}`: a derivative's name when it stands alone, else the derivative of its numerator."""

    variable: sp.Symbol
    order: int
    numerator: tuple[Any, ...]
    position: tuple[int, int]


@dataclass(frozen=True)
class Operator:
    """`\\frac{d}{dx}`, `\\nabla_x`, `\\sum_{i=1}^{K}` or `\\prod`: applies to the rest of the term."""

    kind: str  # "derivative", "sum" or "product"
    position: tuple[int, int]
    variable: sp.Expr | None = None
    order: int = 1
    index: sp.Dummy | None = None
    lower: sp.Expr | None = None
    upper: sp.Expr | None = None
    condition: sp.Basic | None = None


@dataclass(frozen=True)
class IndexPart:
    """One index of a subscript: its text in a name, and its value (a number, an index, a letter)."""

    text: str
    value: sp.Expr


@dataclass(frozen=True)
class Part:
    """A factor of a product, and how it was joined: by `\\cdot` (explicit) or side by side."""

    value: sp.Expr
    grouped: bool = False
    explicit: bool = False


@dataclass(frozen=True)
class Product:
    """Factors of a term, kept apart so that an operator can tell where its scope could end."""

    parts: tuple[Part, ...]


@dataclass(frozen=True)
class Terms:
    """The terms of a sum written with + and -, added up once at the end (a long sum stays linear)."""

    terms: tuple[sp.Expr, ...]


@dataclass(frozen=True)
class Noted:
    """A value with the words written before it (a condition's `if`) or after it (a justification)."""

    value: Any
    note: str = ""
    lead: Words | None = None


@dataclass(frozen=True)
class Body:
    """The expression (or bare operator) of one piece of a chain, and where it stands."""

    value: Any
    meta: Meta


@dataclass(frozen=True)
class Readings:
    """One reading of a chain: its elements with their spans, and the ambiguous constructs met on the way."""

    elements: tuple[Element, ...]
    spans: tuple[tuple[int, int], ...]
    continues: bool
    dangling: bool
    undeclared: frozenset[str]
    ambiguities: dict[int, tuple[str, str]]


@dataclass
class _State:
    """What one reading of a formula accumulates."""

    variable: sp.Symbol | None
    elements: list[tuple[Element, tuple[int, int]]] = field(default_factory=list)
    undeclared: set[str] = field(default_factory=set)
    ambiguities: dict[int, tuple[str, str]] = field(default_factory=dict)
    terms_written: int = 0
    letter_runs: list[str] = field(default_factory=list)  # letters side by side in the element being read
    conventions: list[str] = field(default_factory=list)  # conventions applied in the element (a bias broadcast)
    restart: bool = False  # the last link was \Rightarrow: the next expression starts a new statement
    continuable: bool = False  # the last piece is an expression a `&+ ...` row may go on with (not empty, not boxed)
    # labels d\sigma/dz read as the derivative of a known function at their variable: (element index, f(z))
    known_labels: list[tuple[int, sp.Expr]] = field(default_factory=list)
    # what the functions and powers built for the element need of their arguments (see `_needing`)
    needed: dict[sp.Basic, None] = field(default_factory=dict)
    divisors: dict[sp.Expr, None] = field(default_factory=dict)  # what the element divides by (see `_dividing`)
    # `L(\lambda)` opening the first expression, L declared nowhere: L applied to its variables
    opening_call: sp.Expr | None = None


MAX_FACTORIAL = 2_000  # 2000! has 5,736 digits; 30000! cannot even be printed (Python's digit limit)


def _bounded_factorial_argument(value: sp.Expr, position: tuple[int, int]) -> sp.Expr:
    """`value` for value!, refusing a number too large to compute (the factorial of a factorial, 30000!)."""
    if value.is_number and value.is_real and (value > MAX_FACTORIAL) is sp.true:
        raise ParseError(f"{value}! is too large to compute (the limit is {MAX_FACTORIAL}!)", *position)
    return value


def _refuse_huge_factorials(head: Head, arguments: list[sp.Expr]) -> None:
    """\\Gamma(10^{30}) and kin: SymPy would compute the whole factorial; refused like a huge k!."""
    function = head.function
    if not (isinstance(function, sp.Lambda) and function.expr.has(sp.gamma, sp.factorial, sp.beta, sp.binomial)) \
            and function not in (sp.factorial, sp.gamma):
        return
    for value in arguments:
        if value.is_number and value.is_real and (value > MAX_FACTORIAL) is sp.true:
            raise ParseError(f"{head.name}({value}) is too large to compute (the limit is {MAX_FACTORIAL}!)",
                             *head.position)


def _canonical_sums(expr: sp.Expr, depth: int = 0) -> sp.Expr:
    """Sums kept to a symbolic size with their index renamed by nesting depth, so that the same sum written with i
    or with j is the same expression (`_1` cannot be written in a formula, so it clashes with no name)."""
    if not expr.has(sp.Sum, sp.Product):
        return expr
    if isinstance(expr, sp.Sum | sp.Product) and len(expr.limits) == 1:
        (index, lower, upper), = expr.limits
        sign = {"positive": True} if lower.is_positive else {"nonnegative": True} if lower.is_nonnegative else {}
        canonical = sp.Symbol(f"_{depth + 1}", integer=True, **sign)  # a 0-based sum (1^T y's entry) takes 0
        body = _canonical_sums(expr.function.xreplace({index: canonical}), depth + 1)
        return type(expr)(body, (canonical, lower, upper))
    return expr.func(*(_canonical_sums(a, depth) if isinstance(a, sp.Expr) else a for a in expr.args))


SIZING = re.compile(r"(?:\\(?:left|bigl|Bigl|biggl|Biggl|big|Big|bigg|Bigg)\s*)+$")


def _sized_start(text: str, start: int) -> int:
    """Where an element starts in the text, with the `\\left` that sizes its first bracket (the lexer skips it)."""
    sized = SIZING.search(text[:start])
    return sized.start() if sized else start


WORDS = re.compile(r"\\(text|mathrm|textrm|textit|mbox)\s*\{([^{}]*)\}")  # \text{power rule}: its words
NEW_EQUATION = ("LEAD", "WIDE")  # \Rightarrow, and \qquad between two equations, start a new one


def _between_implications(kept: list[Any], index: int) -> bool:
    """`A \\Rightarrow \\\\ \\Rightarrow B`: an implication carried over a line break, nothing left out."""
    return isinstance(kept[index - 1], Token) and isinstance(kept[index + 1], Token)


def _position(meta: Meta) -> tuple[int, int]:
    return (meta.line, meta.column) if not getattr(meta, "empty", True) else (1, 1)


def _token_position(token: Token) -> tuple[int, int]:
    return token.line or 1, token.column or 1


@v_args(meta=True, inline=True)
class Reader(Transformer_NonRecursive):  # the parse tree of a 1,000-term sum is 1,000 deep
    """Reads one formula once; `flipped` names the ambiguous constructs to read the other way."""

    def __init__(self, text: str, names: Names, variable: sp.Symbol | None, labels: bool,
                 indices: dict[str, int | sp.Symbol], flipped: frozenset[int]) -> None:
        super().__init__()
        self.text, self.names, self.labels, self.flipped = text, names, labels, flipped
        # a free index's value: a number, or a symbol when it runs to a symbolic size
        self.indices = {name: sp.Integer(v) if isinstance(v, int) else v for name, v in indices.items()}
        self.kept: set[sp.Symbol] = set()  # the indices of sums kept as sums (to a symbolic size)
        self.state = _State(variable)
        self.dummies: dict[str, sp.Dummy] = {}
        self.layer_like: dict[tuple[int, int], str] = {}  # ^(2), ^(l) written in brackets: where, and what

    def read(self, tree: Tree) -> Readings:
        """The chain this tree reads as."""
        for node in tree.find_data("index_name"):
            letter = str(node.children[0])
            self.dummies.setdefault(letter, sp.Dummy(letter, integer=True))
        return self.transform(tree)

    # -- chains ------------------------------------------------------------------------------------
    def start(self, meta: Meta, chain: Readings) -> Readings:
        return chain

    def chain(self, meta: Meta, *children: Any) -> Readings:
        kept = [c for c in children if c is None or isinstance(c, Element) or getattr(c, "type", "") in NEW_EQUATION]
        pieces = [c for c in kept if not isinstance(c, Token)]
        if len(pieces) > MAX_ELEMENTS:
            raise ParseError(f"a chain of {len(pieces)} expressions: the limit is {MAX_ELEMENTS}")
        for index, piece in enumerate(kept):
            if piece is None and 0 < index < len(kept) - 1 and not _between_implications(kept, index):
                raise ParseError("nothing between two '=' signs", *_position(meta))
        if not self.state.elements:
            raise ParseError("no expression in the formula")
        self._check_known_labels()
        elements, spans = zip(*self.state.elements, strict=True)
        return Readings(elements, spans, pieces[0] is None, len(pieces) > 1 and pieces[-1] is None,
                        self._undeclared(elements), dict(self.state.ambiguities))

    def _check_known_labels(self) -> None:
        """d\\sigma/dw with \\sigma(z) on the right is the chain rule through z, not \\sigma(w): a known function's
        name is the derivative of f(w) only where the chain applies f to w; else the label names nothing."""
        exprs = [e.expr for e, _ in self.state.elements if e.expr is not None]
        for index, of in self.state.known_labels:
            if not any(expr.has(of) for expr in exprs):
                element, span = self.state.elements[index]
                label = replace(element.label, of=None) if element.label is not None else None
                self.state.elements[index] = (replace(element, label=label), span)

    def _undeclared(self, elements: tuple[Element, ...]) -> frozenset[str]:
        """The names used as read that no where block declares (letters of a function's name read as one are not)."""
        used = {s for e in elements if e.expr is not None for s in e.expr.free_symbols}
        used -= {i.base.label for e in elements if e.expr is not None for i in e.expr.atoms(sp.Indexed)}
        used |= {e.label.variable for e in elements if e.label is not None and isinstance(e.label.variable, sp.Symbol)}
        return frozenset(s.name for s in used if isinstance(s, sp.Symbol) and not isinstance(s, sp.Dummy)
                         and s.name in self.state.undeclared)

    def link(self, meta: Meta, token: Token) -> Token:
        if token.type == "APPROX":
            raise ParseError("\\approx is not an equality: backproof checks equal steps only",
                             *_token_position(token))
        self.state.restart = token.type in NEW_EQUATION
        return token

    def piece(self, meta: Meta, *children: Any) -> Element | None:
        bodies = [c for c in children if isinstance(c, Body)]
        self.state.continuable = bool(bodies)
        if not bodies:
            return None
        body = bodies[0]
        restarts, self.state.restart = self.state.restart and bool(self.state.elements), False
        first = not self.state.elements or restarts
        label = self._label(body.value) if self.labels and first else None
        if label is not None:
            self.state.variable = self.state.variable if self.state.variable is not None else label.variable
            expr, note = None, ""
        elif first and self._word_name(body.value) is not None:  # \mathrm{KL} = ...: a name being defined
            expr, note = self._symbol(self._word_name(body.value)), ""
        else:
            expr, note = self._unnote(body.value)
            opening = isinstance(expr, OpeningCall) and expr.start == body.meta.start_pos
            expr = expr.opened if opening else self._final(expr)
        source = self.text[_sized_start(self.text, body.meta.start_pos):body.meta.end_pos]
        lost = self._lost(expr)
        runs, conventions = self._collected()
        element = Element(expr, label, source, *_position(body.meta), note, letter_products=runs, restarts=restarts,
                          conventions=conventions, lost=lost)
        self.state.elements.append((element, (body.meta.start_pos, body.meta.end_pos)))
        return element

    def row(self, meta: Meta, body: Body) -> Element | None:
        """A row of an aligned block that starts with an expression: a new equation, as after \\Rightarrow."""
        if self.text[body.meta.start_pos:].lstrip().startswith("+"):
            raise ParseError("a row that starts with + goes on with the expression above it: write & before the +",
                             *_position(body.meta))
        self.state.restart = True
        return self.piece(meta, body)

    def continued_row(self, meta: Meta, amp: Token, value: Any) -> Any:
        """A row that starts with + or -: the rest of the expression on the row above (`&= a \\\\ &\\quad + b`)."""
        if not self.state.continuable or self.state.elements[-1][0].expr is None:
            raise ParseError("a row that starts with & and + or - goes on with the expression above it, and there "
                             "is none (the row above ends with '=', a box or a derivative's name)", *_position(meta))
        element, (start, _) = self.state.elements[-1]
        rest, note = self._unnote(value)
        expr = self._final(Terms((element.expr, self._v(rest))))
        lost = (*element.lost, *self._lost(expr))
        runs, conventions = self._collected()
        source = self.text[_sized_start(self.text, start):meta.end_pos]
        self.state.elements[-1] = (replace(
            element, expr=expr, source=source, note=note or element.note,
            letter_products=tuple(dict.fromkeys((*element.letter_products, *runs))), lost=lost,
            conventions=tuple(dict.fromkeys((*element.conventions, *conventions)))), (start, meta.end_pos))
        return Discard

    def boxed_piece(self, meta: Meta, *children: Any) -> Element | None:
        """`\\boxed{A = B}`: the equation's pieces were read in turn; the last one stands for the box."""
        if None in children:
            raise ParseError("nothing between two '=' signs", *_position(meta))
        self.state.continuable = False
        return [c for c in children if isinstance(c, Element)][-1]

    def _needing(self, value: sp.Expr) -> sp.Expr:
        """`value`, a function or power just built, with what it needs of its argument remembered (log x: x > 0;
        x^{-1}: x != 0)."""
        bound = set(self.dummies.values())  # a sum's term: what it needs is the sum's, written out or kept
        if isinstance(value, sp.Basic) and not isinstance(value, sp.MatrixExpr) and not value.free_symbols & bound:
            for relation in written_needs(value):
                self.state.needed.setdefault(relation, None)
            if isinstance(value, sp.Pow) and value.exp.is_negative:
                self._dividing(value.base)
        return value

    def _dividing(self, divisor: sp.Expr) -> None:
        """Remember that the element divides by `divisor` (each factor that varies), which must not be 0."""
        if isinstance(divisor, sp.Basic) and not isinstance(divisor, sp.MatrixExpr):
            for factor in sp.Mul.make_args(divisor):
                base = factor.base if isinstance(factor, sp.Pow) and factor.exp.is_positive else factor
                if base.free_symbols:
                    self.state.divisors.setdefault(base, None)

    def _lost(self, expr: sp.Expr | None) -> tuple[sp.Basic, ...]:
        """What the element's functions, powers and quotients needed that its value no longer shows (e^{\\log x} is
        x: x > 0; x/x is 1: x != 0)."""
        needed, self.state.needed = self.state.needed, {}
        divisors, self.state.divisors = self.state.divisors, {}
        if expr is None or not (needed or divisors) or isinstance(expr, sp.MatrixBase | sp.MatrixExpr) or \
                expr.has(sp.Piecewise, sp.Derivative):  # a branch's or a derivative's needs are not the line's
            return ()
        kept = {r for node in sp.preorder_traversal(expr) for r in written_needs(node)} - {sp.false}
        lost = [r for r in needed if r not in kept]  # a need nothing meets (log(-cosh x)) is kept as a guard
        bases = {p.base for p in expr.atoms(sp.Pow) if p.exp.is_negative}
        lost += [sp.Ne(d, 0) for d in divisors if d not in bases]
        bound = set(self.dummies.values())  # a sum's index: its conditions are its terms', written out or kept
        return tuple(r for r in lost if r is not sp.true and not (r.free_symbols & bound) and not r.has(sp.Indexed))

    def _collected(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """The letter runs and conventions met since the last element, which then start afresh."""
        runs = tuple(dict.fromkeys(self.state.letter_runs))
        conventions = tuple(dict.fromkeys(self.state.conventions))
        self.state.letter_runs.clear()
        self.state.conventions.clear()
        return runs, conventions

    def element(self, meta: Meta, expr: Any, *end: Token) -> Body:
        because = next((str(t) for t in end if t.type == "BECAUSE"), None)
        if because is None:
            return Body(expr, meta)
        value, note = self._unnote(expr)
        said = WORDS.sub(r"\2", because.lstrip("& \t\n").removeprefix("\\because")).strip()
        return Body(Noted(value, f"{note}; {said}" if note else said), meta)

    def bare_operator(self, meta: Meta, operator: Operator, *end: Token) -> Body:
        return Body(operator, meta)

    def _label(self, value: Any) -> Label | None:
        if isinstance(value, Operator) and value.kind == "derivative":
            return Label(value.variable, None, value.order)
        if isinstance(value, Primed):
            return Label(value.variable, value.of, 1)
        if isinstance(value, Leibniz):
            lone = self._lone_symbol(value.numerator)
            if lone is None:
                return None
            if isinstance(lone, Head):  # J with J(w, b) = ... declared: the derivative of J(w, b)
                of = self._declared_call(lone)
                return Label(value.variable, of if of is not None else self._known_call(lone, value.variable),
                             value.order)
            defined = any(symbol == lone for symbol, _ in self.names.definitions)
            return Label(value.variable, lone if defined else None, value.order)
        return None

    def _declared_call(self, head: Head) -> sp.Expr | None:
        """A declared function at its own parameters, when each names a declared variable: J(w, b)."""
        function = head.function
        if not isinstance(function, sp.Lambda) or dict(self.names.functions).get(head.name) is not function:
            return None
        names = [p.name for p in function.variables]
        if not all(self.names.is_declared(n) for n in names):
            return None
        return function(*(self.names.symbol(n) for n in names))

    def _known_call(self, head: Head, variable: Any) -> sp.Expr | None:
        """\\sigma of d\\sigma/dz: a built-in function of one argument at the derivative's variable, kept only if the
        chain applies it to that variable somewhere else (checked in `chain`); z must not be a defined name."""
        function = head.function
        if head.alone is not None or not isinstance(variable, sp.Symbol) or 1 not in function.nargs:
            return None
        if any(symbol == variable for symbol, _ in self.names.definitions):
            return None
        of = self._call(head, [variable])
        self.state.known_labels.append((len(self.state.elements), of))
        return of

    def _lone_symbol(self, items: tuple[Any, ...]) -> Any:
        """The one name a derivative's numerator holds (y, \\hat{y}_i, (\\text{relu})), else None."""
        if len(items) != 1:
            return None
        item = items[0]
        if isinstance(item, Grouped) and len(item.args) == 1 and not item.scripts:
            inner = item.args[0]
            return self._lone_symbol((inner,)) if not isinstance(inner, tuple) else None
        if isinstance(item, Letter):
            return item.value
        if isinstance(item, Words) or (isinstance(item, Noted) and item.value is None and item.lead is None):
            return item  # a word such as (\text{softmax}): the derivative's name, with no meaning of its own
        if isinstance(item, Head) and not (item.subscript or item.sups or item.primes):
            return item
        return item if isinstance(item, sp.Symbol | sp.MatrixSymbol) else None  # s of ds/dz, s a defined column

    def _final(self, value: Any) -> sp.Expr:
        expr = _canonical_sums(matrices.settled_sizes(self._v(value)))
        if any(matrices.is_open(d) for i in expr.atoms(sp.Identity) for d in i.shape):
            raise ParseError("I among matrices is the identity, and nothing here gives its size: write I_n, or "
                             "declare I as a number (I real)")
        unbound = expr.replace(lambda e: isinstance(e, EntryMatrix), lambda e: sp.ZeroMatrix(*e.shape))  # a tuple's
        leftover = [d for d in self.dummies.values() if unbound.has(d)]
        if leftover:
            raise ParseError(f"the index {leftover[0].name} is used outside its sum")
        return expr  # a ones vector whose length no product gives takes it from the line before (every_size)

    # -- arithmetic ----------------------------------------------------------------------------------
    def add(self, meta: Meta, left: Any, sign: Token, right: Any) -> Any:
        value, note = self._unnote(right)
        return self._noted(Terms((*self._terms(left), self._v(value))), note)

    def sub(self, meta: Meta, left: Any, sign: Token, right: Any) -> Any:
        value, note = self._unnote(right)
        if isinstance(left, Noted) and left.value is None and left.lead is None:  # \text{if } -3 \le x
            return Noted(-self._v(value), note, Words(left.note, _position(meta)))
        return self._noted(Terms((*self._terms(left), -self._v(value))), note)

    def _terms(self, value: Any) -> tuple[sp.Expr, ...]:
        return value.terms if isinstance(value, Terms) else (self._v(value),)

    def plus_minus(self, meta: Meta, left: Any, sign: Token, right: Any) -> Any:
        raise ParseError(f"'{sign}' stands for two formulas: write each case as its own line",
                         *_token_position(sign))

    def neg(self, meta: Meta, sign: Token, operand: Any) -> Any:
        value, note = self._unnote(operand)
        return self._noted(-self._v(value), note)

    def pos(self, meta: Meta, sign: Token, operand: Any) -> Any:
        return operand

    def times(self, meta: Meta, left: Any, sign: Token, right: Any) -> Any:
        value, note = self._unnote(right)
        right_parts = self._parts(value)
        joined = (Part(right_parts[0].value, right_parts[0].grouped, True), *right_parts[1:])
        return self._noted(Product((*self._parts(left), *joined)), note)

    def _not_a_plain_derivative(self, left: Any, right: Any, sign: Token) -> None:
        """`dy_1/dx` or `d^2y/dx^2` in plain text, with d a letter nobody declared: refused, not read as y_1/x."""
        if self.names.is_declared("d"):
            return
        starts = [self._parts(side)[0].value if not isinstance(side, Letter) else side.value for side in (left, right)]
        bases = [v.base if isinstance(v, sp.Pow) else v for v in starts]
        if all(isinstance(b, sp.Symbol) and b.name == "d" for b in bases):
            raise ParseError("d.../d... reads as a derivative only as d/dx f or dy/dx with single letters: write "
                             "\\frac{dy}{dx}", *_token_position(sign))

    def times_negated(self, meta: Meta, left: Any, sign: Token, minus: Token, right: Any) -> Any:
        """`z * -\\log x`: the product with the factor after the sign negated."""
        value, note = self._unnote(right)
        return self.times(meta, left, sign, self._noted(-self._v(value), note))

    def divide(self, meta: Meta, left: Any, sign: Token, right: Any) -> Any:
        value, note = self._unnote(right)
        self._not_a_plain_derivative(left, value, sign)
        whole = matrices.quotient(self._v(left), self._v(value), _token_position(sign))
        self._dividing(self._v(value))
        parts = self._parts(value)
        if len(parts) < 2 or not parts[0].value.is_Number:
            return self._noted(whole, note)
        split = self._v(left) / parts[0].value * self._v(Product(parts[1:]))
        chosen, other = f"{sign} divides by {parts[0].value} only", f"{sign} divides by the whole product after it"
        flipped = whole != split and self._choose(self._key(_token_position(sign)), chosen, other)
        return self._noted(whole if flipped else split, note)

    def divide_negated(self, meta: Meta, left: Any, sign: Token, minus: Token, right: Any) -> Any:
        """`a / -b c`: as `a / b c` (with its two readings), the first factor negated."""
        value, note = self._unnote(right)
        first, *rest = self._parts(value)
        negated = Product((replace(first, value=-first.value), *rest)) if rest else -first.value
        return self.divide(meta, left, sign, self._noted(negated, note))

    def scoped(self, meta: Meta, operator: Operator, operand: Any) -> Any:
        value, note = self._unnote(operand)
        return self._noted(self._apply(operator, value), note)

    def scoped_after(self, meta: Meta, left: Any, operator: Operator, operand: Any) -> Any:
        value, note = self._unnote(operand)
        return self._noted(Product((*self._parts(left), Part(self._apply(operator, value)))), note)

    def juxtaposed(self, meta: Meta, *items: Any) -> Any:
        items_left = list(items)
        opening = self._opening_call(meta, items_left) if isinstance(items_left[0], Words) else None
        if opening is not None:  # \operatorname{selu}(x) = ...: the words name the function being defined
            return opening
        lead = items_left.pop(0) if len(items_left) > 1 and isinstance(items_left[0], Words) else None
        notes: list[str] = []
        while items_left and isinstance(items_left[-1], Words) and (len(items_left) > 1 or lead is None):
            notes.insert(0, items_left.pop().text)
        if not items_left:
            return Noted(None, " ".join(notes), lead)
        opening = self._opening_call(meta, items_left)
        if opening is not None:
            return opening
        spelled = self._spelled(items_left)
        self._note_letter_runs(spelled)
        parts = self._applied(spelled)
        if len(parts) == 1:
            only = parts[0]
            value = only.value if isinstance(only, Part) and not only.grouped else only
        else:
            value = Product(tuple(p if isinstance(p, Part) else Part(self._v(p)) for p in parts))
        return Noted(value, " ".join(notes), lead) if notes or lead else value

    def _opening_call(self, meta: Meta, items: list[Any]) -> OpeningCall | None:
        """`L(\\lambda)` (a name declared nowhere, then its declared variables in brackets) in the first expression
        of a formula: written alone before `=`, it defines the function L (`_Drafts.defined`); so does its log,
        `\\log p(x)` (a log-density)."""
        if self.state.elements or getattr(meta, "empty", True) or len(items) != 2:
            return None
        head, bracket = items
        name = head.value if isinstance(head, Letter) and not head.sups else head
        if isinstance(head, Words) and re.fullmatch(r"[A-Za-z][A-Za-z0-9]*", head.text):
            name = sp.Symbol(head.text)  # \operatorname{selu}(x) = ...: a function with a word for a name
        if not isinstance(name, sp.Symbol) or self.names.is_declared(name.name) or name.name in ("e", "pi"):
            return None
        if not isinstance(bracket, Grouped) or bracket.scripts:
            return None
        arguments = [self._v(self._unnote(a)[0]) for a in bracket.args]
        if not all(isinstance(a, sp.Symbol) and self.names.is_declared(a.name) for a in arguments) or \
                len(set(arguments)) != len(arguments):
            return None
        self.state.opening_call = sp.Function(name.name)(*arguments)
        self.state.undeclared.add(name.name)
        return OpeningCall(self.state.opening_call, meta.start_pos, _position(meta))

    def _note_letter_runs(self, items: list[Any]) -> None:
        """Remember letters written side by side (`xy`, `ab`): each is its own symbol, which the output says."""
        run: list[str] = []
        for item in [*items, None]:
            if isinstance(item, Letter) and not item.sups:
                run.append(item.letter)
                continue
            if len(run) > 1:
                self.state.letter_runs.append("".join(run))
            run = []

    def _applied(self, items: list[Any]) -> list[Any]:
        """Each function applied to the item after it; a lone pending item (a name, a derivative) kept as is."""
        if len(items) == 1 and isinstance(items[0], (Head, Leibniz, Letter, PrimedName, OpeningCall)):
            return items
        if len(items) == 2 and isinstance(items[0], PrimedName) and isinstance(items[1], Grouped):
            primed = self._primed_call(items[0], items[1])
            if primed is not None:
                return [primed]
        parts: list[Any] = []
        index = 0
        while index < len(items):
            item = items[index]
            if isinstance(item, Head) and item.alone is not None and not (
                    index + 1 < len(items) and isinstance(items[index + 1], Grouped)):
                parts.append(Part(item.alone))
                index += 1
                continue
            if isinstance(item, Head):
                if index + 1 >= len(items):
                    raise ParseError(f"the function {written(item.name)} needs an argument", *item.position)
                end = self._braced_argument_end(item, items, index + 1)
                parts.append(self._applied_head(item, items[index + 1]) if end == index + 2 else
                             Part(self._call(item, [self._v(self.juxtaposed(Meta(), *items[index + 1:end]))])))
                index = end
                continue
            parts.append(Part(self._v(item), grouped=isinstance(item, Grouped)))
            index += 1
        return parts

    @staticmethod
    def _braced_argument_end(head: Head, items: list[Any], start: int) -> int:
        """Where the argument of a function name that starts at `start` ends: one item, except after a name in
        braces, which takes the factors up to the next function, as the same name unbraced does (`{\\sech} 2x`
        is `\\sech 2x`, sech(2x))."""
        if not head.braced or isinstance(items[start], Grouped):
            return start + 1
        return next((i for i in range(start + 1, len(items)) if isinstance(items[i], Head | Part)), len(items))

    def _applied_head(self, head: Head, argument: Any) -> Any:
        if isinstance(argument, Grouped) and head.alone is not None and not self._takes(head, len(argument.args)):
            return Part(self._v(head.alone) * self._v(argument))  # \gamma(1 - p): the letter times a bracket
        if isinstance(argument, Grouped):
            value = self._call(head, [self._v(a) for a in argument.args])
            if len(argument.args) == 1 and head.primes == 1 and not argument.scripts and not head.sups:
                point = self._v(argument.args[0])
                if isinstance(point, sp.Symbol):
                    function = head.function
                    return Primed(point, function(point) if callable(function) else None, value)
            return Part(self._scripted(value, argument.scripts))
        return Part(self._call(head, [self._v(argument)]))

    def _takes(self, head: Head, count: int) -> bool:
        """Whether the function takes `count` arguments, as written or by its variant of that arity."""
        arity = head.function.nargs if isinstance(head.function, sp.Lambda) else None
        return arity is None or count in arity or self._arity_variant(head, count) is not None

    def _primed_call(self, name: PrimedName, group: Grouped) -> Primed | None:
        if name.primes != 1 or len(group.args) != 1 or group.scripts:
            return None
        point = self._v(group.args[0])
        if not isinstance(point, sp.Symbol):
            return None
        call = self.state.opening_call
        if call is not None and self.state.variable is None and type(call).__name__ == getattr(name.value, "name", ""):
            # g(x) = x^3 \Rightarrow g'(x) = ...: g is being defined (the block is read again once it is)
            return Primed(point, None, sp.Derivative(type(call)(point), point))
        return Primed(point, None, self._v(name) * point)

    def _spelled(self, items: list[Any]) -> list[Any]:
        """Letters that spell a function's name before a bracket (`tanh(x)`): the function, or (flipped) letters."""
        for start in range(len(items)):
            for end in range(start + 2, len(items)):
                word = items[start:end]
                if not all(isinstance(i, Letter) for i in word) or not isinstance(items[end], Grouped):
                    continue
                if any(i.sups for i in word[:-1]):
                    continue
                name = "".join(i.letter for i in word)
                function = self.names.function(name)
                if function is None or self.names.is_declared(name):
                    continue
                key = self._key(word[0].position)
                chosen = f"'{name}' read as the function {name}"
                other = f"'{name}' read as the product " + " \\cdot ".join(i.letter for i in word)
                if self._choose(key, chosen, other):
                    continue
                head = Head(name, function, (), word[-1].sups, 0, word[0].position)
                return [*items[:start], head, *self._spelled(items[end:])]
        return items

    # -- operators -------------------------------------------------------------------------------------
    def _apply(self, operator: Operator, operand: Any) -> sp.Expr:
        if operator.kind in ("sum", "product"):
            body = self._v(operand)
            if matrices.is_matrix(body):
                raise ParseError("a sum or product of a matrix over an index is not read: sum its entries "
                                 "(\\sum_i G_{ij}) or write the product with a ones vector (\\mathbf{1}^T G)",
                                 *operator.position)
            return self._written_out(operator, body)
        parts = self._parts(operand)
        whole = self._differentiate(operator, Product(parts))
        if len(parts) > 1 and parts[0].grouped:  # d/dx (f) g: the bracket right after it is its argument
            return self._differentiate(operator, parts[0].value) * self._v(Product(parts[1:]))
        cut = next((i for i, p in enumerate(parts) if p.explicit), None)
        if cut is None:
            return whole
        up_to = self._differentiate(operator, Product(parts[:cut])) * self._v(Product(parts[cut:]))
        chosen, other = "the derivative of the whole product", "the derivative of the factors before \\cdot only"
        return up_to if self._ambiguous(operator, whole, up_to, chosen, other) else whole

    def _ambiguous(self, operator: Operator, chosen_value: sp.Expr, other_value: sp.Expr, chosen: str,
                   other: str) -> bool:
        """Whether to take the other reading (only asked when the two readings differ)."""
        if chosen_value == other_value:
            return False
        return self._choose(self._key(operator.position), chosen, other)

    def _differentiate(self, operator: Operator, operand: Any) -> sp.Expr:
        return matrices.derivative(self._v(operand), operator.variable, operator.order, operator.position)

    def _written_out(self, operator: Operator, body: sp.Expr) -> sp.Expr:
        symbolic = self._symbolic_bounds(operator, body)
        if symbolic is not None:
            return self._kept(operator, body, *symbolic)
        lower = self._size(operator.lower, operator.position)
        upper = self._size(operator.upper, operator.position) if operator.upper is not None else \
            self._unbounded_end(operator, body)
        if upper - lower + 1 > MAX_SUM_TERMS:
            raise ParseError(f"a sum of more than {MAX_SUM_TERMS} terms", *operator.position)
        self.state.terms_written += max(0, upper - lower + 1) * len(sp.Add.make_args(body))
        if self.state.terms_written > MAX_TERMS_WRITTEN:
            raise ParseError(f"the sums of this formula write out more than {MAX_TERMS_WRITTEN} terms",
                             *operator.position)
        terms = []
        for value in range(lower, upper + 1):
            at = {operator.index: sp.Integer(value)}
            if operator.condition is not None:
                holds = operator.condition.xreplace(at)
                if holds not in (sp.true, sp.false):
                    raise ParseError("a sum's condition must compare its indices", *operator.position)
                if holds is sp.false:
                    continue
            terms.append(self._entries(body.xreplace(at)))
        return sp.Add(*terms) if operator.kind == "sum" else sp.Mul(*terms)

    def _symbolic_bounds(self, operator: Operator, body: sp.Expr) -> tuple[sp.Expr, sp.Expr] | None:
        """The bounds of a sum that runs to a symbolic size (`n positive integer`), or None for a sum to a number.

        `\\sum_i` with no bounds runs to the one size there is, else over the entries its index picks (the rows of
        Z_3 in `\\sum_i Z_{3ik}`)."""
        sizes = set(self.names.sizes)
        if not sizes:
            return None
        upper = operator.upper if operator.upper is not None else (self.names.sizes[0] if len(sizes) == 1 else None)
        if operator.upper is None and upper is None:
            upper = matrices.index_length(body, operator.index)
        lower = operator.lower if operator.lower is not None else sp.Integer(1)
        if upper is None or not (upper.free_symbols & sizes):
            return None
        return lower, upper

    def _kept(self, operator: Operator, body: sp.Expr, lower: sp.Expr, upper: sp.Expr) -> sp.Expr:
        """A sum to a symbolic size, kept as a sum: its index a positive integer, its entries indexed."""
        index = sp.Symbol(operator.index.name, integer=True, positive=True)
        self.kept.add(index)
        term = body.xreplace({operator.index: index})
        if operator.condition is not None:
            term = sp.Piecewise((term, operator.condition.xreplace({operator.index: index})), (0, True))
        kind = sp.Sum if operator.kind == "sum" else sp.Product
        return kind(term, (index, lower, upper))

    def _unbounded_end(self, operator: Operator, body: sp.Expr) -> int:
        """Where `\\sum_j` with no upper bound runs to, said with the line: the last declared entry of the family it
        adds up (w_j, w_1 ... w_4 declared), else the one range the index lines declare, else the one size defined."""
        letter = operator.index.name
        family = self._family_end(body, operator.index, operator.position)
        ranges = sorted(set(self.names.index_ends))
        sizes = [(s, int(v)) for s, v in self.names.definitions if v.is_Integer]
        if family is not None:
            end, why = family[1], f"{family[0]}_1 ... {family[0]}_{family[1]} are declared"
        elif len(ranges) == 1:
            end, why = ranges[0], f"the where block's indices run from 1 to {ranges[0]}"
        elif len(sizes) == 1:
            end, why = sizes[0][1], f"{sizes[0][0]} = {sizes[0][1]} is the one size defined"
        else:
            raise ParseError("say where the sum runs, as in \\sum_{i=1}^{K}, or define one size K in a where "
                             "block", *operator.position)
        self.state.conventions.append(f"\\{operator.kind}_{letter} runs from 1 to {end}: {why}")
        return end

    def _family_end(self, body: sp.Expr, index: sp.Symbol, position: tuple[int, int]) -> tuple[str, int] | None:
        """The family a sum's index runs over and its last declared entry (w_j with w_1 ... w_4 declared: 4), when
        every family under the sum that the index subscripts agrees."""
        ends = set()
        for entry in body.atoms(sp.Indexed):
            if entry.indices != (index,):
                continue
            name = str(entry.base.label)
            declared = [k for k in range(MAX_SUM_TERMS + 1) if self.names.is_declared(f"{name}_{k}")]
            if declared and declared != list(range(1, len(declared) + 1)):  # w_1, w_2, w_4 or w_0, w_1
                raise ParseError(f"the declared entries of {name} are {name}_" + f", {name}_".join(map(str, declared))
                                 + f": say where the sum over {index.name} runs", *position)
            if declared:
                ends.add((name, len(declared)))
        return ends.pop() if len(ends) == 1 else None

    def _size(self, value: sp.Expr, position: tuple[int, int]) -> int:
        """A sum's bound as a number: written as one, or a name the where block defines as one."""
        value = value.xreplace({s: v for s, v in self.names.definitions if v.is_Integer})
        if not value.is_Integer:
            raise ParseError(f"the sum runs to {value}: text files take sums of a given size, e.g. "
                             "\\sum_{i=1}^{3}, or K defined as a number in a where block", *position)
        return int(value)

    def _entries(self, expr: sp.Expr) -> sp.Expr:
        """Entries whose indices all have values become the plain symbols they name (x[2] is x_2)."""
        indices = self._index_symbols()
        return expr.replace(
            lambda e: isinstance(e, sp.Indexed) and not any(i.free_symbols & indices for i in e.indices),
            lambda e: self._symbol(f"{e.base.label}_" + "".join(str(i) for i in e.indices)),
        )

    def derivative_operator(self, meta: Meta, token: Token, denominator: tuple[sp.Expr, int]) -> Operator:
        variable, order = denominator
        if token.type == "PLAIN_OPERATOR":
            self._plain_d(token)
        written = str(token)
        above = int("".join(c for c in written.split("^", 1)[1] if c.isdigit())) if "^" in written else 1
        if above != order:
            raise ParseError("the orders of the d's above and below differ", *_position(meta))
        return Operator("derivative", _position(meta), variable, order)

    def denominator(self, meta: Meta, diff: Token, factor: Any) -> tuple[sp.Expr, int]:
        value = self._v(factor)
        if isinstance(value, sp.Pow) and value.exp.is_Integer and 1 < value.exp <= 3:
            return value.base, int(value.exp)
        if not isinstance(value, (sp.Symbol, sp.Indexed, sp.MatrixSymbol)) and not matrices.is_entry(value):
            raise ParseError("a derivative is taken with respect to a name, as in dx", *_position(meta))
        return value, 1

    def nabla(self, meta: Meta, token: Token, sub: Token, parts: tuple[IndexPart, ...]) -> Operator:
        variable = self._name_value(Name(parts[0].text, _position(meta)), parts[1:], _position(meta))
        return Operator("derivative", _position(meta), variable, 1)

    def nabla_layer(self, meta: Meta, token: Token, sub: Token, letter: Token, layer: Token) -> Operator:
        """`\\nabla_{W^{(2)}}`: the gradient in a name with a layer index."""
        name = Name(str(letter), _token_position(letter), letter=True)
        variable = self._v(self._named(name, (self.layer(meta, layer),)))
        return Operator("derivative", _position(meta), variable, 1)

    def nabla_font(self, meta: Meta, token: Token, sub: Token, font: Token) -> Operator:
        """`\\nabla_{\\mathbf{w}}`: the gradient in a bold (or calligraphic) name."""
        variable = self._v(self._named(self.font_letter(meta, font), ()))
        return Operator("derivative", _position(meta), variable, 1)

    def big_operator(self, meta: Meta, token: Token, limits: tuple[Any, ...] | None = None) -> Operator:
        kind = "sum" if str(token) == "\\sum" else "product"
        if limits is None:
            raise ParseError(f"a {kind} needs its index, as in {token}_{{i=1}}^{{3}}", *_position(meta))
        letter, lower, upper, condition = limits
        return Operator(kind, _position(meta), None, 1, self.dummies[letter], lower, upper, condition)

    def limits(self, meta: Meta, sub: Token, lower: tuple[Any, ...], sup: Token | None = None,
               bound: Any = None) -> tuple[Any, ...]:
        letter, first, condition = lower
        return letter, first, None if bound is None else self._arg(bound), condition

    def limits_swapped(self, meta: Meta, sup: Token, bound: Any, sub: Token, lower: tuple[Any, ...]) -> tuple[Any, ...]:
        return self.limits(meta, sub, lower, sup, bound)

    def upper_only(self, meta: Meta, sup: Token, bound: Any) -> tuple[Any, ...]:
        raise ParseError("a sum needs its index, as in \\sum_{i=1}^{K}", *_position(meta))

    def index_only(self, meta: Meta, letter: str) -> tuple[Any, ...]:
        return letter, sp.Integer(1), None

    def index_from(self, meta: Meta, letter: str, eq: Token, first: Any) -> tuple[Any, ...]:
        return letter, self._v(first), None

    def index_except(self, meta: Meta, letter: str, relation: Token, other: str) -> tuple[Any, ...]:
        return letter, sp.Integer(1), self._relation(relation, letter, other)

    def index_from_except(self, meta: Meta, substack: Token, letter: str, eq: Token, first: Any,
                          *rest: Any) -> tuple[Any, ...]:
        left, relation, right = [r for r in rest if not (isinstance(r, Token) and r.type == "COMMA")]
        return letter, self._v(first), self._relation(relation, left, right)

    def index_name(self, meta: Meta, letter: Token) -> str:
        return str(letter)

    index_value = index_name

    def _relation(self, relation: Token, left: str, right: str) -> sp.Basic:
        values = [self._index_value(letter) for letter in (left, right)]
        return RELATIONS[str(relation)](*values)

    def _index_value(self, letter: str) -> sp.Expr:
        if letter.isdigit():
            return sp.Integer(letter)
        if letter in self.dummies:
            return self.dummies[letter]
        if letter in self.indices:
            return self.indices[letter]
        return self._symbol(letter)

    # -- functions -----------------------------------------------------------------------------------------
    def application(self, meta: Meta, token: Token, *rest: Any) -> Any:
        *scripts, argument = rest
        name = str(token).lstrip("\\")
        function = self.names.function(name)
        if function is None:
            raise ParseError(f"the function \\{name} is not known", *_token_position(token))
        head = self._head(name, function, scripts, _token_position(token))
        kind, value = argument
        if kind != "value" and name in ("log", "ln") and not scripts:
            opening = self._opening_call(meta, value)
            if opening is not None:  # \log p(x) = ...: the log of the function p being defined
                return replace(opening, logged=True)
        if kind == "value":
            return Part(self._call(head, [self._v(value)]))
        first, *others = value
        if not isinstance(first, Grouped):
            argument = self._v(self.juxtaposed(Meta(), *value))
            return Part(self._power_or_argument(head, argument) if not others else self._call(head, [argument]))
        applied = self._applied_head(head, first)
        if not others:
            return applied
        rest = self._v(self.juxtaposed(Meta(), *others))
        return Product((Part(self._v(applied)), Part(rest)))

    def function_name(self, meta: Meta, token: Token, *scripts: Any) -> Head:
        """`\\tanh` written with nothing after it (as in `{\\tanh}^{-1} x`): a function waiting for its argument."""
        name = str(token).lstrip("\\")
        function = self.names.function(name)
        if function is None:
            raise ParseError(f"the function \\{name} is not known", *_token_position(token))
        return self._head(name, function, list(scripts), _token_position(token))

    def _power_or_argument(self, head: Head, argument: sp.Expr) -> sp.Expr:
        """`\\log x^2` is the log of the square (flipped: the square of the log)."""
        value = self._call(head, [argument])
        if not (isinstance(argument, sp.Pow) and argument.base.is_Symbol and argument.exp.is_Integer
                and argument.exp.is_positive):  # \arctan \frac{1}{x} is x^-1 with no power written: one reading
            return value
        squared = power(self._call(head, [argument.base]), argument.exp, head.position)
        chosen = f"\\{head.name} applied to {argument.base}^{argument.exp}"
        other = f"\\{head.name} of {argument.base}, to the power {argument.exp}"
        return squared if self._choose(self._key(head.position), chosen, other) else value

    def argument_factors(self, meta: Meta, *factors: Any) -> tuple[str, tuple[Any, ...]]:
        return "factors", factors

    def argument_application(self, meta: Meta, application: Any) -> tuple[str, Any]:
        return "value", application

    def argument_operator(self, meta: Meta, operator: Operator, operand: Any) -> tuple[str, Any]:
        return "value", self._apply(operator, self._unnote(operand)[0])

    def _head(self, name: str, function: Any, scripts: list[tuple[Any, ...]], position: tuple[int, int]) -> Head:
        subscript: tuple[IndexPart, ...] = ()
        sups: list[Any] = []
        primes = 0
        for script in scripts:
            if script[0] == "sub":
                subscript = script[1]
            elif script[0] == "sup":
                sups.append(self._arg(script[1]))
            elif script[0] == "prime":
                primes += 1
            else:
                raise ParseError(f"cannot read this script on the function {name}", *position)
        return Head(name, function, subscript, tuple(sups), primes, position)

    def _call(self, head: Head, arguments: list[sp.Expr]) -> sp.Expr:
        on_matrix = matrices.applied(head.name, head.function, arguments, head.position, head.primes)
        arguments = matrices.as_scalars(arguments)
        if on_matrix is not None:
            if head.sups or head.subscript:
                raise ParseError(f"a script on {head.name} applied to a matrix is not read", *head.position)
            self.state.conventions.extend(matrices.said_of(head.name, arguments))
            return on_matrix
        if head.name in MATRIX_FUNCTIONS:
            raise ParseError(f"{head.name} applies to a vector or a matrix: declare its shape in the where block, "
                             "as in z \\in \\mathbb{R}^{k}", *head.position)
        if head.subscript:
            if head.name != "log" or head.primes or len(arguments) != 1:
                raise ParseError(f"a subscript on the function {head.name}", *head.position)
            return sp.log(arguments[0], self._number("".join(p.text for p in head.subscript), head.position))
        arity = head.function.nargs if isinstance(head.function, sp.Lambda) else None
        if arity is not None and len(arguments) not in arity:
            variant = self._arity_variant(head, len(arguments))
            if variant is None:
                raise ParseError(f"{head.name} takes {min(arity)} argument(s), not {len(arguments)}", *head.position)
            head = replace(head, function=variant)
        _refuse_huge_factorials(head, arguments)
        value = self._needing(self._primed(head, arguments) if head.primes else head.function(*arguments))
        for sup in head.sups:
            value = self._needing(self._function_power(head, value, arguments, sup))
        return value

    def _arity_variant(self, head: Head, count: int) -> sp.Lambda | None:
        """The built-in function a name means with `count` arguments (\\Gamma(a, x), \\zeta(s, q)), unless declared."""
        if dict(self.names.functions).get(head.name) is not None:
            return None
        return ARITY_VARIANTS.get((head.name, count))

    def _primed(self, head: Head, arguments: list[sp.Expr]) -> sp.Expr:
        if len(arguments) != 1 or head.primes > 3:
            raise ParseError("a prime needs a function of one argument", *head.position)
        dummy = sp.Dummy("t", real=True)
        derivative = sp.Derivative(head.function(dummy), (dummy, head.primes))
        point = arguments[0]
        return derivative.subs(dummy, point) if isinstance(point, sp.Symbol) else sp.Subs(derivative, dummy, point)

    def _function_power(self, head: Head, value: sp.Expr, arguments: list[sp.Expr], sup: sp.Expr) -> sp.Expr:
        """`\\tanh^2 x` is a power; `\\sinh^{-1} x` is read as the inverse function (or, flipped, 1/sinh x)."""
        inverse_of = inverse_function(head.function) if sup == -1 else None
        if sup == -1 and inverse_of is None:
            raise ParseError(f"{head.name}^{{-1}} is its inverse function, which backproof cannot compute: write "
                             f"\\frac{{1}}{{{head.name}(x)}} for the reciprocal, or name the inverse in a where block",
                             *head.position)
        if inverse_of is not None and len(arguments) == 1:
            inverse = inverse_of(arguments[0])
            chosen = f"\\{head.name}^{{-1}} read as the inverse function"
            other = f"\\{head.name}^{{-1}} read as 1/\\{head.name}"
            return 1 / value if self._choose(self._key(head.position), chosen, other) else inverse
        return power(value, sup, head.position)

    # -- factors ---------------------------------------------------------------------------------------------
    def factor(self, meta: Meta, atom: Any, *scripts: tuple[Any, ...]) -> Any:
        if isinstance(atom, Words) and re.fullmatch(r"[A-Za-z][A-Za-z0-9]*", atom.text) and \
                any(s[0] == "sub" for s in scripts):  # \text{net}_j: prose carries no subscript, a name does
            atom = Name(atom.text, atom.position)
        if isinstance(atom, Name):
            return self._named(atom, scripts)
        if isinstance(atom, Head):  # {\tanh}^{-1}: scripts on a function name in braces
            more = self._head(atom.name, atom.function, list(scripts), atom.position)
            return replace(atom, sups=(*atom.sups, *more.sups), primes=atom.primes + more.primes, alone=None)
        if isinstance(atom, Grouped):
            return Grouped(atom.args, (*atom.scripts, *scripts), atom.position)
        if not scripts:
            return atom
        return self._scripted(self._v(atom), scripts)

    def _named(self, name: Name, scripts: tuple[tuple[Any, ...], ...]) -> Any:
        """A name with its scripts: a function waiting for its argument, a derivative's name, or a value."""
        self._refuse_layer_like(name, scripts)
        derivative = self._derivative_order(name, scripts)
        if derivative is not None:
            return derivative
        subs = [s for s in scripts if s[0] == "sub"]
        if len(subs) > 1:
            raise ParseError("double subscript", *subs[1][2])
        parts = (*(subs[0][1] if subs else ()), *(p for s in scripts if s[0] == "layer" for p in s[1]))
        rest = tuple(s for s in scripts if s[0] not in ("sub", "layer"))
        full = self._full_name(name.base, parts)
        head = self._function_named(name, full, parts, subs, rest)
        if head is not None:
            return head
        value = self._name_value(name, parts, name.position)
        primes = sum(1 for s in rest if s[0] == "prime")
        if primes and len(rest) == primes and not matrices.is_matrix(value):
            return PrimedName(value, primes, name.position)
        scripted = self._scripted(value, rest)
        if name.letter and not parts and isinstance(value, sp.Symbol) and all(s[0] == "sup" for s in rest):
            return Letter(scripted, name.base, name.position, tuple(self._arg(s[1]) for s in rest))
        return scripted

    def _refuse_layer_like(self, name: Name, scripts: tuple[tuple[Any, ...], ...]) -> None:
        """`W^(2)` or `a^(l)`: on a name, a number or a letter in brackets could be a power or a layer index; and
        `x_{r=1}^{k}`, a tuple's index on a name rather than on its bracketed entry."""
        if any(s[0] == "tuple" for s in scripts):
            raise ParseError("a tuple of entries puts its index after the bracketed entry, as in (x_r)_{r=1}^{k}",
                             *name.position)
        layered = [self.layer_like[s[2]] for s in scripts if s[0] == "sup" and s[2] in self.layer_like]
        if layered and name.base not in ("e", "pi"):
            raise ParseError(f"^({layered[0]}) on a name is a power or a layer index: write ^{{{layered[0]}}} or "
                             f"^{{({layered[0]})}}", *name.position)

    def _function_named(self, name: Name, full: str, parts: tuple[IndexPart, ...], subs: list[tuple[Any, ...]],
                        rest: tuple[tuple[Any, ...], ...]) -> Head | None:
        """The function the name calls, waiting for its argument (\\log_2, L_{\\delta}, \\Gamma), or None."""
        function = self.names.function(name.base) if not parts or name.base == "log" else None
        if function is not None and not self.names.is_declared(full) and name.base not in self.dummies:
            return self._head(name.base, function, [*((("sub", subs[0][1]),) if subs else ()), *rest],
                              name.position)
        subscripted = dict(self.names.functions).get(full) if parts else None  # L_{\delta}(a) = ... declared
        if subscripted is not None and not self.names.is_declared(full):
            return self._head(full, subscripted, list(rest), name.position)
        applied = self.names.applied(name.base) if not parts and not name.letter else None
        if applied is None or self.names.is_declared(full):
            return None
        head = self._head(name.base, applied, list(rest), name.position)
        if head.primes:  # \Gamma'(x): only ever the function
            return head
        return replace(head, alone=self._scripted(self._name_value(name, (), name.position), rest))

    def _derivative_order(self, name: Name, scripts: tuple[tuple[Any, ...], ...]) -> Head | None:
        """`\\psi^{(1)}(x)`, `f^{(2)}(x)`: a function's n-th derivative, written as a layer index on its name."""
        layers = [s for s in scripts if s[0] == "layer"]
        if len(layers) != 1 or len(scripts) != 1 or self.names.is_declared(name.base):
            return None
        (part,) = layers[0][1]
        function = self.names.applied(name.base)
        if function is None or not part.text.isdigit():
            return None
        return Head(name.base, function, (), (), int(part.text), name.position)

    def _scripted(self, value: sp.Expr, scripts: tuple[tuple[Any, ...], ...]) -> sp.Expr:
        sups = [s for s in scripts if s[0] == "sup"]
        if len(sups) > 1:
            raise ParseError("double superscript: use braces, x^{a^{b}}", *sups[1][2])
        for script in scripts:
            kind = script[0]
            if kind == "sup":
                value = self._superscript(value, script[1], script[2])
            elif kind == "prime" and matrices.is_matrix(value):  # A' of a matrix: its transpose, said
                value = matrices.transpose(value)
                self.state.conventions.append(f"{matrices.shown(value.T)}' read as the transpose of "
                                              f"{matrices.shown(value.T)}")
            elif kind == "prime":
                value = sp.Derivative(value, self._variable(script[1]))
            elif kind == "factorial":
                value = sp.factorial(_bounded_factorial_argument(value, script[2]))
            elif kind == "transpose":
                value = matrices.transpose(value)  # the transpose of a scalar is itself
            elif kind == "tuple":
                value = matrices.tuple_of(value, *script[1], script[2])
            elif kind == "shape":
                value = self._shaped(value, *script[1])
            else:
                raise ParseError("a subscript on something that is not a name", *script[2])
        return value

    def _superscript(self, value: sp.Expr, exponent: Any, position: tuple[int, int]) -> sp.Expr:
        """A power; `w^T` with T undeclared is read as a transpose (flipped: the power T)."""
        if isinstance(exponent, Name) and exponent.base == "T" and matrices.is_matrix(value):
            return matrices.transpose(value)  # a declared matrix: only ever its transpose
        if matrices.is_matrix(value) and value.shape == (1, 1):  # (a^T x)^2: the power of a number
            value = matrices.as_number(value)
        if matrices.is_matrix(value):
            raise ParseError("a power of a matrix is not read: write the product", *position)
        if isinstance(exponent, Name) and exponent.base == "T" and not self.names.is_declared("T"):
            chosen, other = "^T read as a transpose", "^T read as the power T"
            if not self._choose(self._key(position), chosen, other):
                return value
        return self._needing(power(value, self._arg(exponent), position))

    def _variable(self, position: tuple[int, int]) -> sp.Symbol:
        if self.state.variable is None:
            raise ParseError("a prime needs to know the variable: start with \\frac{d}{dx}", *position)
        return self.state.variable

    def sup_script(self, meta: Meta, sup: Token, arg: Any) -> tuple[Any, ...]:
        return "sup", arg, _token_position(sup)

    def sup_group(self, meta: Meta, sup: Token, arg: Any) -> tuple[Any, ...]:
        """`x^(1/2)` as plain text writes a power; on a name, `W^(2)` or `a^(l)` could also be a layer index (a
        number or a letter in the brackets): `_named` refuses those."""
        if (isinstance(arg, sp.Integer) and arg >= 0) or isinstance(arg, sp.Symbol | Letter | Name):
            inner = self.text[meta.start_pos:meta.end_pos].split("(", 1)[1].rsplit(")", 1)[0].strip()
            self.layer_like[_token_position(sup)] = inner
        return self.sup_script(meta, sup, arg)

    def sub_script(self, meta: Meta, sub: Token, parts: tuple[IndexPart, ...]) -> tuple[Any, ...]:
        return "sub", parts, _token_position(sub)

    def tuple_index(self, meta: Meta, sub: Token, letter: str, token: Token,
                    span: tuple[sp.Expr, sp.Expr]) -> tuple[Any, ...]:
        """`_{r \\in \\{1, \\dots, k\\}}` after a bracketed entry: the tuple of its entries, r running over the set."""
        return "tuple", (self.dummies[letter], *span), _token_position(sub)

    def tuple_range(self, meta: Meta, sub: Token, letter: str, eq: Token, first: Any, sup: Token,
                    last: Any) -> tuple[Any, ...]:
        """`_{r=1}^{k}` after a bracketed entry: the tuple of its entries for r from 1 to k."""
        return self.tuple_index(meta, sub, letter, eq, (self._arg(first), self._arg(last)))

    def index_set(self, meta: Meta, first: Any, *rest: Any) -> tuple[sp.Expr, sp.Expr]:
        """`\\{1, \\dots, k\\}` or `\\{1, 2, \\dots, k\\}`: the whole numbers from the first to the last."""
        values = [self._arg(v) for v in (first, *rest) if not (isinstance(v, Token) and v.type == "DOTS")]
        if len(values) == 3 and sp.expand(values[1] - values[0]) != 1:
            raise ParseError("a set written with \\dots counts up by one, as in \\{1, 2, \\dots, k\\}",
                             *_position(meta))
        return values[0], values[-1]

    def index_set_to(self, meta: Meta, last: Any) -> tuple[sp.Expr, sp.Expr]:
        """`[k]`: the whole numbers 1 to k."""
        return sp.Integer(1), self._arg(last)

    def layer(self, meta: Meta, token: Token) -> tuple[Any, ...]:
        inner = str(token).split("{", 1)[1].strip(" }").strip("()[] ")
        return "layer", (self._index_part(inner, token),), _token_position(token)

    def transpose(self, meta: Meta, token: Token) -> tuple[Any, ...]:
        return "transpose", None, _token_position(token)

    def shape_script(self, meta: Meta, token: Token) -> tuple[Any, ...]:
        """`^{n \\times 10}`: the shape a matrix is labelled with (rows, columns); on a number, a power
        (`e^{2 \\times x}`)."""
        rows, cols = (part.strip() for part in str(token).split("{", 1)[1].rstrip(" }").split("\\times"))
        return "shape", (rows, cols, token), _token_position(token)

    def _shaped(self, value: sp.Expr, rows: str, cols: str, token: Token) -> sp.Expr:
        """A matrix labelled `rows x cols` (sizes), or a number to the power rows times cols."""
        if matrices.is_matrix(value):
            return matrices.labelled(value, self._size_named(rows, token), self._size_named(cols, token),
                                     _token_position(token))
        factors = [self._shape_factor(part, token) for part in (rows, cols)]
        return self._needing(power(value, factors[0] * factors[1], _token_position(token)))

    def _shape_factor(self, text: str, token: Token) -> sp.Expr:
        if text.isdigit():
            return self._number(text, _token_position(token))
        if len(text) == 1 and text.isalpha():
            return self._name_value(Name(text, _token_position(token), letter=True), (), _token_position(token))
        raise ParseError(f"^{{a \\times b}} with {text}: write the exponent with \\cdot, as in ^{{2 \\cdot x}}",
                         *_token_position(token))

    def _size_named(self, text: str, token: Token) -> sp.Expr:
        size = sp.Integer(text) if text.isdigit() else self.names.size(text)
        if size is None or size == 0:
            raise ParseError(f"{text} in a shape ^{{a \\times b}} is not a size: declare it (n \\in \\mathbb{{N}})",
                             *_token_position(token))
        return size

    def prime(self, meta: Meta, token: Token) -> tuple[Any, ...]:
        return "prime", _token_position(token), _token_position(token)

    def factorial(self, meta: Meta, token: Token) -> tuple[Any, ...]:
        return "factorial", None, _token_position(token)

    def subscript(self, meta: Meta, token: Token) -> tuple[IndexPart, ...]:
        if token.type == "NUMBER" and len(token) > 1:
            raise ParseError(f"x_{token} reads as x_{token[0]} {token[1:]} in LaTeX: write x_{{{token}}}",
                             *_token_position(token))
        return (self._index_part(str(token), token),)

    def subscript_list(self, meta: Meta, *tokens: Token) -> tuple[IndexPart, ...]:
        return tuple(self._index_part(str(t), t) for t in tokens if t.type != "COMMA")

    def subscript_offset(self, meta: Meta, token: Token, sign: Token, number: Token) -> tuple[IndexPart, ...]:
        part = self._index_part(str(token), token)
        offset = sp.Integer(str(number)) * (-1 if sign.type == "MINUS" else 1)
        value = part.value + offset
        return (IndexPart(str(value) if value.is_Integer else f"{part.text}{sign}{number}", value),)

    def _index_part(self, text: str, token: Token) -> IndexPart:
        if token.type == "COMMA":
            raise ParseError("a comma cannot start a subscript", *_token_position(token))
        if text.isdigit():
            return IndexPart(text, sp.Integer(text))
        text = text.lstrip("\\")
        if text in self.dummies:
            return IndexPart(text, self.dummies[text])
        if text in self.indices:
            return IndexPart(str(self.indices[text]), self.indices[text])
        number = dict((s.name, m) for s, m in self.names.definitions).get(text)
        if number is not None and number.is_Integer:  # y = 2 in the where block: x_y is x_2, the true class's
            self.state.conventions.append(f"the subscript {text} read as {number} ({text} = {number}, the where block)")
            return IndexPart(str(number), number)
        return IndexPart(text, sp.Symbol(text))  # a size's letter too: Z_{3ik} with k a size is entry k of a row

    def _index_symbols(self) -> set[sp.Symbol]:
        """The symbols that stand for an index: a sum's, and a free index that runs to a symbolic size."""
        free = {v for v in self.indices.values() if isinstance(v, sp.Symbol)}
        return set(self.dummies.values()) | free | self.kept

    def _full_name(self, base: str, parts: tuple[IndexPart, ...]) -> str:
        return base if not parts else f"{base}_" + "".join(p.text for p in parts)

    def _name_value(self, name: Name, parts: tuple[IndexPart, ...], position: tuple[int, int]) -> sp.Expr:
        base = name.base
        if not parts and base in self.dummies:
            return self.dummies[base]
        if not parts and base in self.indices:
            return self.indices[base]
        full = self._full_name(base, parts)
        if base == "delta" and len(parts) == 2 and not self.names.is_declared(full) and all(
                self._delta_index(p.value) for p in parts):
            return sp.KroneckerDelta(parts[0].value, parts[1].value)
        declared = self.names.symbol(base) if parts and self.names.is_declared(base) else self.names.entries_of(base)
        if isinstance(declared, sp.MatrixSymbol) and not self.names.is_declared(full):
            return matrices.element(declared, tuple(p.value for p in parts), position)
        layer = self._full_name(base, parts[:1]) if len(parts) > 1 else None  # Z_{3ik}: the entry (i, k) of Z_3
        named = self.names.symbol(layer) if layer is not None and self.names.is_declared(layer) else None
        if isinstance(named, sp.MatrixSymbol) and not self.names.is_declared(full):
            return matrices.element(named, tuple(p.value for p in parts[1:]), position)
        if any(p.value.free_symbols & self._index_symbols() for p in parts):
            return sp.Indexed(sp.IndexedBase(base, real=True), *(p.value for p in parts))
        if self.names.sizes and len(parts) == 1 and parts[0].value.is_Integer and not self.names.is_declared(full):
            # x_1 where sums run to a symbolic size: the entry x[1] of the family the sums add up, not a symbol
            # apart (d/dx_1 of \sum_j x_j^2 is 2 x_1, not 0)
            return sp.Indexed(sp.IndexedBase(base, real=True), parts[0].value)
        if self.names.is_declared(full):
            return self.names.symbol(full)
        if base == "I" and self.names.has_matrices and len(parts) <= 1:
            return self._identity(parts, position)
        if full == "e" and self.names.euler:
            return sp.E
        if full == "pi":
            return sp.pi
        if self.names.function(full) is not None:
            raise ParseError(f"the function {written(full)} needs an argument", *position)
        return self._symbol(full)

    @staticmethod
    def _word_name(value: Any) -> str | None:
        """The word of `\\mathrm{KL}` or `\\text{BCE}` written alone as a formula's first expression, else None."""
        if isinstance(value, Noted) and value.value is None and value.lead is None and \
                re.fullmatch(r"[A-Za-z][A-Za-z0-9]*", value.note.strip()):
            return value.note.strip()
        return None

    def _delta_index(self, value: sp.Expr) -> bool:
        """Whether \\delta_{..} has this index: a number, a sum's or a free index, or (among matrices) a letter that
        indexes entries."""
        letter = self.names.has_matrices and value.is_Symbol and not self.names.is_declared(value.name)
        return value.is_Integer or value in self._index_symbols() or letter

    def _identity(self, parts: tuple[IndexPart, ...], position: tuple[int, int]) -> sp.MatrixExpr:
        """`I` or `I_n` among matrices: the identity matrix (its size from `I_n`, or from the product or sum)."""
        self.state.conventions.append("I read as the identity matrix")
        if not parts:
            return matrices.identity()
        size = parts[0].value if parts[0].value.is_Integer else self.names.size(parts[0].text)
        if size is None or size == 0:
            raise ParseError(f"I_{parts[0].text}: {parts[0].text} is not a size (declare n \\in \\mathbb{{N}})",
                             *position)
        return sp.Identity(size)

    def _symbol(self, full: str) -> sp.Symbol:
        if not self.names.is_declared(full):
            self.state.undeclared.add(full)
        return self.names.symbol(full)

    # -- atoms ---------------------------------------------------------------------------------------------
    def digit(self, meta: Meta, token: Token) -> sp.Expr:
        """An unbraced digit argument, as TeX takes it (\\frac12); refused when another digit follows (\\sqrt 36 is
        TeX's \\sqrt{3} 6, seldom what was meant)."""
        following = self.text[token.end_pos:token.end_pos + 2] if token.end_pos is not None else ""
        if following[:1].isdigit() or (following[:1] == "." and following[1:].isdigit()):  # \sqrt 36, \sqrt3.5
            raise ParseError(f"TeX takes one digit here ({token} of {token}{following}...): write the argument in "
                             "braces", *_token_position(token))
        return self.number(meta, token)

    def number(self, meta: Meta, token: Token) -> sp.Expr:
        return self._number(str(token), _token_position(token))

    def _number(self, text: str, position: tuple[int, int]) -> sp.Rational:
        if len(text) > MAX_DIGITS:
            raise ParseError(f"a number of {len(text)} digits: the limit is {MAX_DIGITS}", *position)
        return sp.Rational(text)

    def letter(self, meta: Meta, token: Token) -> Name:
        return Name(str(token), _token_position(token), letter=True)

    def greek(self, meta: Meta, token: Token) -> Name:
        """`\\sigma` or a Greek letter typed as Unicode: the name it stands for."""
        text = str(token)
        if text.startswith("\\"):
            return Name(text[1:], _token_position(token))
        return Name(self._unicode_variant(UNICODE_GREEK[text], _token_position(token)), _token_position(token))

    def _unicode_variant(self, name: str, position: tuple[int, int]) -> str:
        """\\phi or \\varphi for a phi typed as Unicode (and epsilon): the one the where block declares, \\phi when
        neither is; refused when both are."""
        variant = GREEK_VARIANTS.get(name)
        if variant is None:
            return name
        known = [n for n in (name, variant) if self.names.is_declared(n) or dict(self.names.functions).get(n)]
        if len(known) == 2:
            raise ParseError(f"\\{name} and \\{variant} are both declared: write the one meant, not the Unicode "
                             "letter", *position)
        return known[0] if known else name

    def accented(self, meta: Meta, token: Token) -> Name:
        """A letter typed with its accent, as \u0177 or x\u0302: the name \\hat{y} or \\hat{x} makes."""
        letter, mark = unicodedata.normalize("NFD", str(token))[:2]
        return Name(f"{letter}{COMBINING_ACCENTS[mark]}", _token_position(token))

    def font_letter(self, meta: Meta, token: Token) -> Name:
        """`\\mathcal{L}`, `\\mathbf{x}`: a name of its own (Lcal, xbf), apart from the plain letter."""
        font, letter = str(token).lstrip("\\").split("{", 1)
        return Name(f"{letter.strip(' }').lstrip(chr(92))}{FONTS[font.strip()]}", _token_position(token))

    def named(self, meta: Meta, token: Token) -> Name | Words:
        words = re.search(r"\{\s*(?:\\rm\s+)?([^{}\\]*?)\s*\}", str(token)).group(1)  # type: ignore[union-attr]
        if self.names.is_declared(words) or self.names.applied(words) is not None or words == "e":
            return Name(words, _token_position(token))
        return Words(words, _token_position(token))

    def accent(self, meta: Meta, token: Token, arg: Any) -> Name:
        kind = str(token)[1:]
        inner = arg.base if isinstance(arg, Name) else arg.letter if isinstance(arg, Letter) else None
        if inner is None and isinstance(arg, (sp.Symbol, sp.MatrixSymbol)):
            inner = arg.name
        if inner is None:
            raise ParseError(f"an accent goes on a single name, as in \\{kind}{{y}}", *_token_position(token))
        return Name(f"{inner}{ACCENTS.get(kind, kind)}", _token_position(token))

    def group(self, meta: Meta, expr: Any) -> Grouped | Words:
        """`(x + 1)`; words alone in brackets, `[\\text{chain rule}]`, are a justification as `\\text{...}` is."""
        if isinstance(expr, Noted) and expr.value is None and expr.lead is None:
            return Words(expr.note, _position(meta))
        return Grouped((expr,), (), _position(meta))

    def braces(self, meta: Meta, expr: Any) -> Any:
        """`{x + 1}`: a group; `{\\sec}` or `{\\tanh}`: the function name itself, applied to what follows."""
        return replace(expr, braced=True) if isinstance(expr, Head) else self.group(meta, expr)

    def mapped(self, meta: Meta, token: Token, head: Any, argument: Any) -> Any:
        """`\\map {f} {x}` is f(x); `\\map {\\dfrac \\d {\\d x}} {f}` is the derivative of f."""
        if isinstance(head, Operator):
            return self._apply(head, argument)
        if not isinstance(head, Head):
            raise ParseError("\\map {f} {x} applies a function: f must be one (declare it: f, g functions)",
                             *_token_position(token))
        return self.juxtaposed(meta, head, Grouped((self._unnote(argument)[0],), (), _position(meta)))

    def density(self, meta: Meta, token: Token, point: Any, given: Token, mean: Any, variance: Any) -> sp.Expr:
        """`\\mathcal{N}(x \\mid \\mu, \\sigma^2)`: the normal density at x, its second parameter the variance."""
        x, mu, var = (self._arg(v) for v in (point, mean, variance))
        self.state.conventions.append("\\mathcal{N}(x | \\mu, s): the normal density of mean \\mu and variance s")
        return sp.exp(-(x - mu) ** 2 / (2 * var)) / sp.sqrt(2 * sp.pi * var)

    def boxed(self, meta: Meta, token: Token, expr: Any) -> Grouped:
        return self.group(meta, expr)

    def arguments(self, meta: Meta, *exprs: Any) -> Grouped:
        return Grouped(tuple(self._unnote(e)[0] for e in exprs), (), _position(meta))

    def absolute(self, meta: Meta, left: Token, expr: Any, right: Token) -> sp.Expr:
        value = self._v(self._unnote(expr)[0])
        if matrices.is_matrix(value):
            self.state.conventions.extend(matrices.said_of("norm", [value]))
            return matrices.norm(value)
        return sp.Abs(value)

    def norm_indexed(self, meta: Meta, left: Token, expr: Any, right: Token, index: Token) -> sp.Expr:
        """`\\|x\\|_2` of a vector, `\\|W\\|_F` of a matrix: the root of the sum of squared entries; `\\|W\\|_2` of a
        matrix is its spectral norm, not read."""
        value = self._v(self._unnote(expr)[0])
        frobenius = str(index).rstrip(" }").endswith("F")
        if matrices.is_matrix(value) and not frobenius and 1 not in value.shape:
            raise ParseError("\\|A\\|_2 of a matrix is its spectral norm, which is not read: write \\|A\\|_F for the "
                             "root of the sum of squared entries", *_token_position(index))
        return self.absolute(meta, left, expr, right)

    def floor(self, meta: Meta, left: Token, expr: Any, right: Token) -> sp.Expr:
        """`\\lfloor x \\rfloor`: the greatest integer not above x."""
        return sp.floor(self._v(self._unnote(expr)[0]))

    def ceiling(self, meta: Meta, left: Token, expr: Any, right: Token) -> sp.Expr:
        """`\\lceil x \\rceil`: the least integer not below x."""
        return sp.ceiling(self._v(self._unnote(expr)[0]))

    def ones(self, meta: Meta, token: Token) -> sp.Expr:
        return matrices.ones()

    def ones_sized(self, meta: Meta, token: Token, sub: Token, size: Token) -> sp.Expr:
        """`\\mathbf{1}_n`: a column of n ones."""
        length = sp.Integer(str(size)) if size.type == "NUMBER" else self.names.size(str(size))
        if length is None or length == 0:
            raise ParseError(f"{size} is not a size: declare it (n \\in \\mathbb{{N}}) or give a matrix of it",
                             *_token_position(size))
        return sp.OneMatrix(length, 1)

    def hadamard(self, meta: Meta, left: Any, sign: Token, right: Any) -> Any:
        value, note = self._unnote(right)
        return self._noted(matrices.hadamard(self._v(left), self._v(value), _token_position(sign)), note)

    def indicator(self, meta: Meta, token: Token, *parts: Any) -> sp.Expr:
        """`\\mathbb{1}[Z > 0]` of a matrix (a ReLU's pattern), or the indicator of a comparison of numbers."""
        left, relation, right = parts[-3:]  # after `_` in \mathbf{1}_{Z > 0}
        value, bound = self._v(self._unnote(left)[0]), self._v(self._unnote(right)[0])
        if not matrices.is_matrix(value) and not matrices.is_matrix(bound):  # \mathbb{1}(x > 0) of a number
            return sp.Piecewise((1, RELATIONS[str(relation)](value, bound)), (0, True))
        if not matrices.is_matrix(value) or str(relation) != ">" or bound != 0:
            raise ParseError("an indicator is read as 1[Z > 0] of a matrix Z (a ReLU's pattern)",
                             *_token_position(token))
        return matrices.indicator(value)

    def fraction(self, meta: Meta, token: Token, numerator: Any, denominator: Any) -> sp.Expr:
        self._dividing(self._arg(denominator))
        return matrices.quotient(self._arg(numerator), self._arg(denominator), _token_position(token))

    def leibniz(self, meta: Meta, token: Token, diff: Token, *rest: Any) -> Leibniz:
        *order, numerator, (variable, below) = rest
        above = order[0] if order else 1
        if above != below:
            raise ParseError("the orders of the d's above and below differ", *_position(meta))
        return Leibniz(variable, below, numerator, _position(meta))

    def plain_leibniz(self, meta: Meta, token: Token, numerator: Any, slash: Token,
                      denominator: tuple[sp.Expr, int]) -> Leibniz:
        """`dy/dx` or `\u2202E/\u2202w` written as plain text: the derivative of y in x."""
        self._plain_d(token)
        variable, order = denominator
        return Leibniz(variable, order, (numerator,), _position(meta))

    def _plain_d(self, token: Token) -> None:
        """Refuse d/dx as plain text when d is a declared variable: d/dx could then be a quotient."""
        if str(token).startswith("d") and self.names.is_declared("d"):
            raise ParseError("d is a declared variable, so d/dx could be a quotient: write \\frac{d}{dx}",
                             *_token_position(token))

    def differential_order(self, meta: Meta, sup: Token, number: Token) -> int:
        return int(str(number))

    def numerator(self, meta: Meta, *items: Any) -> tuple[Any, ...]:
        return items

    def root(self, meta: Meta, token: Token, *args: Any) -> sp.Expr:
        if len(args) == 2:
            return self._needing(sp.root(self._arg(args[1]), self._v(args[0])))
        return self._needing(sp.sqrt(self._arg(args[0])))

    def cases(self, meta: Meta, *children: Any) -> sp.Expr:
        pieces = [c for c in children if isinstance(c, tuple)]
        if any(isinstance(condition, matrices.Comparison) for _, condition in pieces):
            return matrices.pattern(pieces, _position(meta))
        return sp.Piecewise(*pieces)

    def case(self, meta: Meta, value: Any, *rest: Any) -> tuple[sp.Expr, sp.Basic]:
        """One row of cases: its value and its condition."""
        condition = [r for r in rest if not isinstance(r, Token)][-1]  # after the separator, before a comma
        return self._v(self._unnote(value)[0]), condition

    def condition(self, meta: Meta, *children: Any) -> sp.Basic:
        if len(children) == 1:
            only = children[0]
            if isinstance(only, Noted) and only.value is None and only.note.strip().rstrip(".,;").lower() in OTHERWISE:
                return sp.true
            raise ParseError("a condition needs a comparison such as x > 0, or \\text{otherwise}", *_position(meta))
        first = children[0]
        if isinstance(first, Noted):
            if first.value is None:
                raise ParseError("a condition needs an expression before its comparison", *_position(meta))
            first = first.value
        values = [self._v(first), *(self._v(self._unnote(c)[0]) for c in children[2::2])]
        if any(matrices.is_matrix(v) for v in values):  # Z_2 > 0 of a matrix: entry by entry, in cases
            if len(values) != 2:
                raise ParseError("a condition on a matrix compares it with one value, as in Z > 0", *_position(meta))
            return matrices.Comparison(values[0], str(children[1]), values[1])
        relations = [RELATIONS[str(op)](left, right) for left, op, right in
                     zip(values, children[1::2], values[1:], strict=False)]
        return sp.And(*relations)

    # -- conversions ---------------------------------------------------------------------------------------
    def _arg(self, value: Any) -> sp.Expr:
        if isinstance(value, Token):  # a sum's bound written as one token
            if value.type == "NUMBER":
                return self._number(str(value), _token_position(value))
            name = Name(str(value).lstrip("\\"), _token_position(value), letter=value.type == "LETTER")
            return self._name_value(name, (), name.position)
        if isinstance(value, Name):
            return self._v(self._named(value, ()))
        return self._v(self._unnote(value)[0])

    def _parts(self, value: Any) -> tuple[Part, ...]:
        if isinstance(value, Product):
            return value.parts
        if isinstance(value, Part):
            return (value,)
        return (Part(self._v(value), grouped=isinstance(value, Grouped)),)

    def _unnote(self, value: Any) -> tuple[Any, str]:
        if isinstance(value, Noted):
            if value.lead is not None:
                self._v(value.lead)
            if value.value is None:
                raise ParseError(f"'{value.note}' in the middle of a formula: if it is a name, declare it in a "
                                 "where block")
            return value.value, value.note
        return value, ""

    def _noted(self, value: Any, note: str) -> Any:
        return Noted(value, note) if note else value

    def _v(self, value: Any) -> sp.Expr:
        """A SymPy expression for whatever a rule handed up; pending things that cannot be values are errors."""
        if isinstance(value, sp.Basic):
            return value
        if isinstance(value, (Letter, Part, Primed)):
            return value.value
        if isinstance(value, Product):
            return matrices.product([p.value for p in value.parts])
        if isinstance(value, Terms):
            total, said = matrices.summed(value.terms)
            self.state.conventions.extend(said)
            return total
        if isinstance(value, OpeningCall):  # L(x) inside a longer expression: L declared nowhere, a letter
            if len(value.call.args) != 1:
                raise ParseError("a list of arguments needs a function before it", *value.position)
            letters = self._symbol(type(value.call).__name__) * value.call.args[0]
            return sp.log(letters) if value.logged else letters
        if isinstance(value, Grouped):
            if len(value.args) != 1:
                raise ParseError("a list of arguments needs a function before it", *value.position)
            return self._scripted(self._v(value.args[0]), value.scripts)
        if isinstance(value, PrimedName):
            derivative = value.value
            for _ in range(value.primes):
                derivative = sp.Derivative(derivative, self._variable(value.position))
            return derivative
        if isinstance(value, Leibniz):
            if not value.numerator:
                raise ParseError("the derivative must be followed by what it differentiates", *value.position)
            numerator = self.juxtaposed(Meta(), *value.numerator)
            return matrices.derivative(self._v(numerator), value.variable, value.order, value.position)
        if isinstance(value, Head) and value.alone is not None:
            return value.alone
        if isinstance(value, Head):
            raise ParseError(f"the function {written(value.name)} needs an argument", *value.position)
        if isinstance(value, Words):
            raise ParseError(f"'\\text{{{value.text}}}' in the middle of a formula: if it is a name, declare it in "
                             "a where block", *value.position)
        if isinstance(value, Operator):
            what = "differentiates" if value.kind == "derivative" else "adds up"
            raise ParseError(f"an operator must be followed by what it {what}", *value.position)
        if isinstance(value, Noted):
            return self._v(self._unnote(value)[0])
        if isinstance(value, Name):
            return self._v(self._named(value, ()))
        raise ParseError(f"cannot read {value!r} here")

    # -- readings ------------------------------------------------------------------------------------------
    def _key(self, position: tuple[int, int]) -> int:
        line, column = position
        lines = self.text.split("\n")
        return sum(len(text) + 1 for text in lines[:line - 1]) + column - 1

    def _choose(self, key: int, chosen: str, other: str) -> bool:
        """Record an ambiguous construct at `key`; True when this reading takes its other meaning."""
        self.state.ambiguities[key] = (chosen, other)
        return key in self.flipped

