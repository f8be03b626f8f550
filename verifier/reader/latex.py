"""LaTeX math as lecture notes write it, read into SymPy from a parse tree (nothing is ever evaluated)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from importlib.resources import files

import sympy as sp
from lark import Lark, Token, Tree
from lark.exceptions import LarkError, UnexpectedCharacters, UnexpectedEOF, UnexpectedToken

from verifier.reader.names import GREEK, Names

MAX_CHARS = 20_000
MAX_DEPTH = 40  # brackets and braces nested deeper than this are refused, not parsed
MAX_ELEMENTS = 200  # expressions in one chain
MAX_SUM_TERMS = 100
MAX_DIGITS = 40
MAX_POWER_BITS = 10_000  # 2^{2^{2^{2^{2}}}} is refused rather than computed

GRAMMAR = Lark(
    files("verifier.reader").joinpath("grammar.lark").read_text(encoding="utf-8"),
    parser="lalr",
    propagate_positions=True,
)

READABLE = {
    "RBRACE": "}", "LBRACE": "{", "RPAR": ")", "LPAR": "(", "RSQB": "]", "LSQB": "[", "EQ": "=", "PLUS": "+",
    "MINUS": "-", "TIMES": "\\cdot", "SLASH": "/", "SUP": "^", "SUB": "_", "COMMA": ",", "AMP": "&",
    "NUMBER": "a number", "LETTER": "a letter", "MACRO": "a macro", "TEXT": "\\text{...}", "FRAC": "\\frac",
    "END_CASES": "\\end{cases}", "REL": "a comparison", "PUNCT": "punctuation", "$END": "the end of the formula",
}
ANNOTATIONS = ("\\text", "\\mathrm", "\\textrm", "\\textit", "\\mathit", "\\operatorname", "\\mbox")
OTHERWISE = {"otherwise", "else", "sonst"}


class ParseError(ValueError):
    """A formula that cannot be read: where (1-based line and column in the text given), what and why."""

    def __init__(self, message: str, line: int = 1, column: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column


@dataclass(frozen=True)
class Label:
    """A chain's left-hand name for the derivative it computes: `\\frac{dy}{dx} = ...`."""

    variable: sp.Symbol | sp.ImmutableMatrix  # a column of symbols for a line with free indices
    of: sp.Expr | None  # what is differentiated, when the name has a meaning
    order: int = 1


@dataclass(frozen=True)
class Element:
    """One expression of a chain, as written and as read."""

    expr: sp.Expr | None  # None for a label
    label: Label | None
    source: str
    line: int
    column: int
    note: str = ""  # a trailing \text{...}


@dataclass(frozen=True)
class Chain:
    """The expressions of one display block, equal in turn; `continues` when the block starts with `=`."""

    elements: tuple[Element, ...]
    continues: bool
    undeclared: frozenset[str]
    dangling: bool = False  # ends with `=`: the next block continues it


def read_chain(text: str, names: Names, variable: sp.Symbol | None = None, labels: bool = True,
               indices: dict[str, int] | None = None) -> Chain:
    """Read `A = B = C` (with \\\\ and & as aligned blocks write them); `indices` gives free indices values."""
    tree = parse_tree(text)
    builder = _Builder(text, names, variable, labels)
    builder.bound.update({name: sp.Integer(value) for name, value in (indices or {}).items()})
    chain = builder.chain(tree.children[0])
    builder.check_everything_used(tree)
    return chain


def parse_tree(text: str) -> Tree:
    """The parse tree of a formula, after the size limits; lark's errors become ParseError."""
    _check_depth(text)
    if len(text) > MAX_CHARS:
        raise ParseError(f"formula of {len(text)} characters: the limit is {MAX_CHARS}")
    try:
        return GRAMMAR.parse(text)
    except UnexpectedToken as error:
        found = "the end of the formula" if error.token.type == "$END" else repr(str(error.token))
        raise ParseError(f"found {found}, expected {_expected(error.expected)}", error.line, error.column) from None
    except UnexpectedCharacters as error:
        char = text[error.pos_in_stream] if error.pos_in_stream < len(text) else ""
        raise ParseError(f"unexpected character {char!r}", error.line, error.column) from None
    except UnexpectedEOF as error:
        raise ParseError(f"the formula ends early, expected {_expected(error.expected)}") from None
    except LarkError as error:  # any other failure of the parser is still a parse error
        raise ParseError(f"cannot parse: {error}") from None


def _expected(terminals: set[str]) -> str:
    readable = sorted({READABLE.get(t, t.lower()) for t in terminals})
    return ", ".join(readable[:8]) + (", ..." if len(readable) > 8 else "")


def _check_depth(text: str) -> None:
    depth, line, column = 0, 1, 0
    for char in text:
        column += 1
        if char == "\n":
            line, column = line + 1, 0
        elif char in "{([":
            depth += 1
            if depth > MAX_DEPTH:
                raise ParseError(f"brackets nested more than {MAX_DEPTH} deep", line, column)
        elif char in "})]":
            depth -= 1


class _Builder:
    """Turns one parse tree into SymPy; every token it reads is marked, so none is silently dropped."""

    def __init__(self, text: str, names: Names, variable: sp.Symbol | None, labels: bool) -> None:
        self.text = text
        self.labels = labels
        self.names = names
        self.variable = variable
        self.bound: dict[str, sp.Integer] = {}
        self.used: set[tuple[int, int]] = set()
        self.undeclared: set[str] = set()

    # -- chains and elements -------------------------------------------------------------------
    def chain(self, tree: Tree) -> Chain:
        pieces = [c for c in tree.children if isinstance(c, Tree)]
        for token in tree.children:
            if isinstance(token, Token):
                self.mark(token)
        if len(pieces) > MAX_ELEMENTS:
            raise ParseError(f"a chain of {len(pieces)} expressions: the limit is {MAX_ELEMENTS}")
        elements: list[Element] = []
        for index, piece in enumerate(pieces):
            body = [c for c in piece.children if isinstance(c, Tree)]
            for token in piece.children:
                if isinstance(token, Token):
                    self.mark(token)  # \therefore, \Rightarrow: lead-ins, not mathematics
            if not body:
                if 0 < index < len(pieces) - 1:
                    raise ParseError("nothing between two '=' signs", *self.position(piece, tree))
                continue
            element = self.element(body[0], may_label=self.labels and not elements)
            if element.label is not None and self.variable is None:
                self.variable = element.label.variable
            elements.append(element)
        if not elements:
            raise ParseError("no expression in the formula")
        continues = not [c for c in pieces[0].children if isinstance(c, Tree)]
        dangling = len(pieces) > 1 and not [c for c in pieces[-1].children if isinstance(c, Tree)]
        return Chain(tuple(elements), continues, frozenset(self.undeclared), dangling)

    def element(self, tree: Tree, may_label: bool) -> Element:
        body = tree.children[0]
        for token in tree.children[1:]:
            self.mark(token)  # a full stop or comma closing the expression
        body, note = self.strip_trailing_text(body)
        source = self.source(tree)
        line, column = self.position(tree)
        label = self.label(body) if may_label else None
        if label is not None:
            return Element(None, label, source, line, column, note)
        return Element(self.value(body), None, source, line, column, note)

    def strip_trailing_text(self, tree: Tree | Token) -> tuple[Tree | Token, str]:
        """A \\text{...} that ends the expression and names nothing is its justification."""
        product = tree
        while isinstance(product, Tree) and product.data in ("add", "sub", "mul", "div", "neg", "pos"):
            product = product.children[-1]
        if not (isinstance(product, Tree) and product.data == "product"):
            return tree, ""
        notes: list[str] = []
        while len(product.children) > 1 and self.annotation(product.children[-1]) is not None:
            factor = product.children.pop()
            notes.insert(0, self.annotation(factor) or "")
            self.mark_all(factor)
        return tree, " ".join(n for n in notes if n)

    def annotation(self, factor: Tree | Token) -> str | None:
        """The words of a \\text{...} factor that is not a declared name, else None."""
        if not (isinstance(factor, Tree) and factor.data == "factor" and len(factor.children) == 1):
            return None
        atom = factor.children[0]
        if not (isinstance(atom, Token) and atom.type == "TEXT"):
            return None
        words = _text_content(atom)
        if self.names.is_declared(words) or self.names.function(words) is not None:
            return None
        return words

    # -- labels ---------------------------------------------------------------------------------
    def label(self, tree: Tree | Token) -> Label | None:
        """`\\frac{d}{dx}`, `\\frac{dy}{dx}`, `\\frac{\\partial(\\text{relu})}{\\partial x}` or `f'(x)` alone."""
        if not (isinstance(tree, Tree) and tree.data == "product"):
            return None
        factors = tree.children
        derivative = self.derivative_parts(factors[0]) if len(factors) == 1 else None
        if derivative is not None:
            variable, order, numerator = derivative
            name = self.lone_name(numerator)
            if numerator and name is None:
                return None
            self.mark_all(tree)
            return Label(variable, self.meaning(name), order)
        return self.prime_label(factors)

    def prime_label(self, factors: list[Tree]) -> Label | None:
        if len(factors) != 2:
            return None
        name, subscript, sups, primes = self.split_factor(factors[0])
        argument = factors[1].children[0] if isinstance(factors[1], Tree) else None
        if name is None or subscript is not None or sups or primes != 1 or len(factors[1].children) != 1:
            return None
        if not (isinstance(argument, Tree) and argument.data == "parens"):
            return None
        variable = self.value(argument.children[0])
        if not isinstance(variable, sp.Symbol):
            return None
        self.mark_all(factors[0])
        function = self.names.function(name)
        of = function(variable) if function is not None else None
        return Label(variable, of, 1)

    def lone_name(self, factors: list[Tree]) -> str | None:
        """The name when `factors` is one bare name (y, \\hat{y}_i, (\\text{relu})), else None."""
        if len(factors) != 1:
            return None
        atom = factors[0].children[0]
        if isinstance(atom, Tree) and atom.data == "parens" and len(factors[0].children) == 1:
            inner = atom.children[0]
            if isinstance(inner, Tree) and inner.data == "product":
                return self.lone_name(inner.children)
            return None
        name, subscript, sups, primes = self.split_factor(factors[0])
        if name is None or sups or primes:
            return None
        return name if subscript is None else f"{name}_{subscript}"

    def meaning(self, name: str | None) -> sp.Expr | None:
        if name is None:
            return None
        if any(symbol.name == name for symbol, _ in self.names.definitions):
            return self.names.symbol(name)
        return None

    # -- expressions ----------------------------------------------------------------------------
    def value(self, tree: Tree | Token) -> sp.Expr:
        if isinstance(tree, Token):
            return self.token_value(tree)
        handler = getattr(self, f"_{tree.data}", None)
        if handler is None:
            raise ParseError(f"'{self.source(tree)}' cannot stand here", *self.position(tree))
        return handler(tree)

    def _add(self, tree: Tree) -> sp.Expr:
        terms: list[sp.Expr] = []
        node: Tree | Token = tree
        while isinstance(node, Tree) and node.data in ("add", "sub"):
            left, sign, right = node.children
            self.mark(sign)
            value = self.value(right)
            terms.append(value if node.data == "add" else -value)
            node = left
        terms.append(self.value(node))
        return sp.Add(*reversed(terms))

    _sub = _add

    def _mul(self, tree: Tree) -> sp.Expr:
        operands: list[tuple[str, Tree | Token]] = []
        node: Tree | Token = tree
        while isinstance(node, Tree) and node.data in ("mul", "div"):
            left, sign, right = node.children
            self.mark(sign)
            operands.append((node.data, right))
            node = left
        operands.append(("mul", node))
        operands.reverse()
        result: sp.Expr = sp.S.One
        for index, (kind, operand) in enumerate(operands):
            summed = self.leading_sum(operand)
            if summed is not None:  # \sum_i a_i \cdot b_i: the sum takes every factor up to + or -
                prefix, atom, body = summed
                return result * self.product(prefix) * self.sum(atom, body, operands[index + 1:])
            value = self.value(operand)
            result *= value if kind == "mul" else 1 / value
        return result

    def leading_sum(self, operand: Tree | Token) -> tuple[list[Tree], Tree, list[Tree]] | None:
        """(factors before, the sum, factors after) when a product holds a \\sum outside any operator."""
        if not (isinstance(operand, Tree) and operand.data == "product"):
            return None
        for index, factor in enumerate(operand.children):
            if self.derivative_parts(factor) is not None:
                return None
            atom = factor.children[0]
            if isinstance(atom, Tree) and atom.data == "sum":
                return operand.children[:index], atom, operand.children[index + 1:]
        return None

    _div = _mul

    def _neg(self, tree: Tree) -> sp.Expr:
        sign = 1
        node: Tree | Token = tree
        while isinstance(node, Tree) and node.data in ("neg", "pos"):
            self.mark(node.children[0])
            sign = -sign if node.data == "neg" else sign
            node = node.children[1]
        return sign * self.value(node)

    _pos = _neg

    def _parens(self, tree: Tree) -> sp.Expr:
        return self.value(tree.children[0])

    _brackets = _braced = _parens

    def _arguments(self, tree: Tree) -> sp.Expr:
        raise ParseError("a list of arguments needs a function before it", *self.position(tree))

    def _frac(self, tree: Tree) -> sp.Expr:
        derivative = self.derivative_parts(Tree("factor", [tree]))
        if derivative is not None:
            variable, order, numerator = derivative
            if not numerator:
                message = f"'{self.source(tree)}' must be followed by what it differentiates"
                raise ParseError(message, *self.position(tree))
            return sp.Derivative(self.product(numerator), (variable, order))
        self.mark(tree.children[0])
        for arg in tree.children[1:]:
            if isinstance(arg, Token) and arg.type == "NUMBER" and len(arg) > 1:
                raise ParseError("write \\frac{1}{2}, not \\frac12", *self.position(arg))
        numerator, denominator = (self.value(arg) for arg in tree.children[1:])
        return numerator / denominator

    def _sqrt(self, tree: Tree) -> sp.Expr:
        self.mark(tree.children[0])
        return sp.sqrt(self.value(tree.children[1]))

    def _cases(self, tree: Tree) -> sp.Expr:
        for token in tree.children:
            if isinstance(token, Token):
                self.mark(token)
        pieces = [self.case(case) for case in tree.children if isinstance(case, Tree)]
        return sp.Piecewise(*pieces)

    def case(self, tree: Tree) -> tuple[sp.Expr, sp.Basic]:
        value_tree, *rest = tree.children
        for token in rest:
            if isinstance(token, Token):
                self.mark(token)
        condition = next(c for c in rest if isinstance(c, Tree))
        return self.value(value_tree), self.condition(condition)

    def condition(self, tree: Tree) -> sp.Basic:
        parts = tree.children
        if len(parts) == 1:
            if self.annotation_words(parts[0]) in OTHERWISE:
                return sp.true
            raise ParseError("a condition needs a comparison such as x > 0, or \\text{otherwise}", *self.position(tree))
        first = self.strip_leading_text(parts[0])
        if first is None:
            raise ParseError("a condition needs an expression before its comparison", *self.position(tree))
        values = [self.value(first), *(self.value(p) for p in parts[2::2])]
        relations = []
        for left, op, right in zip(values, parts[1::2], values[1:], strict=False):
            self.mark(op)
            relations.append(_relation(str(op), left, right))
        return sp.And(*relations)

    def strip_leading_text(self, tree: Tree | Token) -> Tree | Token | None:
        """`\\text{if } x` without its leading words; None when only words remain."""
        if not (isinstance(tree, Tree) and tree.data == "product"):
            return tree
        while tree.children and self.annotation(tree.children[0]) is not None:
            if len(tree.children) == 1:
                return None
            self.mark_all(tree.children.pop(0))
        return tree

    def annotation_words(self, tree: Tree | Token) -> str:
        if isinstance(tree, Tree) and tree.data == "product" and len(tree.children) == 1:
            words = self.annotation(tree.children[0])
            if words is not None:
                self.mark_all(tree)
                return words.strip().lower()
        return ""

    def _sum(self, tree: Tree) -> sp.Expr:
        raise ParseError("\\sum must be followed by what it adds up", *self.position(tree))

    def _accent(self, tree: Tree) -> sp.Expr:
        return self.factor_value(Tree("factor", [tree]))

    def _product(self, tree: Tree) -> sp.Expr:
        return self.product(tree.children)

    def _factor(self, tree: Tree) -> sp.Expr:
        return self.product([tree])

    def product(self, factors: list[Tree]) -> sp.Expr:
        """Factors side by side; an operator (d/dx, a sum) takes the rest, a function the next one."""
        result: sp.Expr = sp.S.One
        index = 0
        while index < len(factors):
            factor = factors[index]
            derivative = self.derivative_parts(factor)
            if derivative is not None and not derivative[2]:
                variable, order, _ = derivative
                rest = factors[index + 1:]
                if not rest:
                    raise ParseError(f"'{self.source(factor)}' must be followed by what it differentiates",
                                     *self.position(factor))
                return result * sp.Derivative(self.product(rest), (variable, order))
            atom = factor.children[0]
            if isinstance(atom, Tree) and atom.data == "sum":
                return result * self.sum(atom, factors[index + 1:])
            name, _, _, _ = self.split_factor(factor)
            function = None if name is None else self.names.function(name)
            if function is not None and not self.names.is_declared(name or ""):
                if index + 1 >= len(factors):
                    raise ParseError(f"the function {name} needs an argument", *self.position(factor))
                result *= self.apply(factor, function, factors[index + 1])
                index += 2
                continue
            result *= self.factor_value(factor)
            index += 1
        return result

    def apply(self, factor: Tree, function: sp.Lambda | type[sp.Function], argument: Tree) -> sp.Expr:
        """`\\log_2 a`, `\\tanh^2(x)`, `\\sigma'(z)`, `\\max(0, x)`: a function of the next factor."""
        _, subscript, sups, primes = self.split_factor(factor)
        self.mark_all_tokens_of_factor_head(factor)
        inner = argument.children[0]
        scripts_after = argument.children[1:]
        if isinstance(inner, Tree) and inner.data in ("parens", "arguments", "brackets"):
            arguments = [self.value(c) for c in inner.children]
        else:
            arguments, scripts_after = [self.factor_value(argument)], []
        value = self.call(function, arguments, primes, subscript, factor)
        for sup in sups:
            value = _power(value, self.value(sup), self.position(factor))
        return self.scripted(value, scripts_after)

    def call(self, function: sp.Lambda | type[sp.Function], arguments: list[sp.Expr], primes: int,
             subscript: str | None, factor: Tree) -> sp.Expr:
        if subscript is not None:
            name = self.split_factor(factor)[0]
            if name not in ("log",) or primes or len(arguments) != 1:
                raise ParseError(f"a subscript on the function {name}", *self.position(factor))
            return sp.log(arguments[0], _number(subscript, self.position(factor)))
        arity = function.nargs if isinstance(function, sp.Lambda) else None
        if arity is not None and len(arguments) not in arity:
            raise ParseError(f"{self.split_factor(factor)[0]} takes {min(arity)} argument(s), "
                             f"not {len(arguments)}", *self.position(factor))
        if not primes:
            return function(*arguments)
        if len(arguments) != 1 or primes > 3:
            raise ParseError("a prime needs a function of one argument", *self.position(factor))
        dummy = sp.Dummy("t", real=True)
        derivative = sp.Derivative(function(dummy), (dummy, primes))
        point = arguments[0]
        return derivative.subs(dummy, point) if isinstance(point, sp.Symbol) else sp.Subs(derivative, dummy, point)

    def sum(self, tree: Tree, body: list[Tree], tail: Sequence[tuple[str, Tree | Token]] = ()) -> sp.Expr:
        """`\\sum_{i=1}^{K} x_i` written out term by term, for K a number or a name defined as one.

        `\\sum_{\\substack{i=1 \\\\ i \\neq r}}` skips the terms where the condition fails; a minus sign
        right after the sum is the sign of what it adds up.
        """
        parts = tree.children
        for token in parts:
            if isinstance(token, Token):
                self.mark(token)
        sign = -1 if isinstance(parts[-1], Token) and parts[-1].type == "MINUS" else 1
        bounds = [p for p in parts if isinstance(p, Tree) and p.data == "bounded_index"]
        upper = [p for p in parts[1:] if not (isinstance(p, Tree) and p.data == "bounded_index")
                 and not (isinstance(p, Token) and p.type in ("SUB", "SUP", "MINUS"))]
        if not bounds or not upper:
            raise ParseError("a sum needs its bounds, as in \\sum_{i=1}^{3}", *self.position(tree))
        index, lower, high, condition = self.summation_range(bounds[0], upper[0], tree)
        if not body and not tail:
            raise ParseError("\\sum must be followed by what it adds up", *self.position(tree))
        terms = []
        outer = self.bound.get(index)
        for value in range(lower, high + 1):
            self.bound[index] = sp.Integer(value)
            if condition is not None and not self.holds(condition):
                continue
            term = self.product(body)
            for kind, operand in tail:
                term = term * self.value(operand) if kind == "mul" else term / self.value(operand)
            terms.append(sign * term)
        if outer is None:
            self.bound.pop(index, None)
        else:
            self.bound[index] = outer
        return sp.Add(*terms)

    def summation_range(self, bounds: Tree, upper: Tree | Token, tree: Tree) -> tuple[str, int, int, Tree | None]:
        """(index, first value, last value, condition or None) of a sum's limits."""
        index_tree, _, lower_tree, *rest = (c for c in bounds.children if not (isinstance(c, Token)
                                                                                 and c.type == "SUBSTACK"))
        for token in bounds.children:
            if isinstance(token, Token):
                self.mark(token)
        index = self.lone_name(index_tree.children) if isinstance(index_tree, Tree) else None
        if index is None or len(index) != 1:
            raise ParseError("the index of a sum is one letter", *self.position(bounds))
        self.mark_all(index_tree)
        sizes = {s: v for s, v in self.names.definitions if v.is_Integer}
        lower, high = (self.value(t).xreplace(sizes) for t in (lower_tree, upper))
        if not (lower.is_Integer and high.is_Integer):
            raise ParseError(f"the sum runs to {high}: text files take sums of a given size, e.g. "
                             "\\sum_{i=1}^{3}, or K defined as a number in a where block", *self.position(tree))
        if int(high) - int(lower) + 1 > MAX_SUM_TERMS:
            raise ParseError(f"a sum of more than {MAX_SUM_TERMS} terms", *self.position(tree))
        condition = next((c for c in rest if isinstance(c, Tree)), None)
        return index, int(lower), int(high), condition

    def holds(self, condition: Tree) -> bool:
        """Whether a condition on bound indices (i \\neq r) is true for their current values."""
        value = self.condition(condition)
        if value not in (sp.true, sp.false):
            raise ParseError("a sum's condition must compare its indices", *self.position(condition))
        return bool(value)

    # -- factors: an atom with its subscript, superscript and primes --------------------------
    def split_factor(self, factor: Tree) -> tuple[str | None, str | None, list[Tree | Token], int]:
        """(name if the atom is a name, subscript text, superscripts, number of primes)."""
        atom, *scripts = factor.children
        subscript = None
        sups: list[Tree | Token] = []
        primes = 0
        for script in scripts:
            kind = script.children[0]
            if kind.type == "PRIME":
                primes += 1
            elif kind.type == "SUB":
                if subscript is not None:
                    raise ParseError("double subscript", *self.position(script))
                subscript = self.subscript(script.children[1])
            elif (layer := self.layer_index(script.children[1])) is not None and self.atom_name(atom) is not None:
                self.mark_all(script)
                subscript = layer if subscript is None else f"{subscript}{layer}"
            else:
                if sups:
                    raise ParseError("double superscript: use braces, x^{a^{b}}", *self.position(script))
                sups.append(script.children[1])
        return self.atom_name(atom), subscript, sups, primes

    def layer_index(self, arg: Tree | Token) -> str | None:
        """`l` for a superscript `{(l)}` on a name: a layer index, as in a^{(4)}, not a power."""
        if not (isinstance(arg, Tree) and arg.data == "braced"):
            return None
        inner = arg.children[0]
        if not (isinstance(inner, Tree) and inner.data == "product" and len(inner.children) == 1):
            return None
        parens = inner.children[0].children[0]
        if not (isinstance(parens, Tree) and parens.data == "parens" and len(inner.children[0].children) == 1):
            return None
        content = parens.children[0]
        if isinstance(content, Tree) and content.data == "product" and len(content.children) == 1:
            token, *scripts = content.children[0].children
            if isinstance(token, Token) and token.type in ("NUMBER", "LETTER") and not scripts:
                return self.subscript_token(token)
        return None

    def atom_name(self, atom: Tree | Token) -> str | None:
        if isinstance(atom, Token):
            if atom.type == "LETTER":
                return str(atom)
            if atom.type == "MACRO" and (atom[1:] in GREEK or atom[1:] == "pi" or self.names.function(atom[1:])):
                return atom[1:]
            if atom.type == "TEXT":
                return _text_content(atom)
            return None
        if atom.data == "accent":
            inner = self.accented_name(atom.children[1])
            if inner is None:
                raise ParseError("an accent goes on a single name, as in \\hat{y}", *self.position(atom))
            return f"{inner}{atom.children[0][1:].replace('widehat', 'hat').replace('overline', 'bar')}"
        return None

    def accented_name(self, base: Tree | Token) -> str | None:
        """The name under an accent: \\hat y or \\hat{y}."""
        if isinstance(base, Token):
            return self.atom_name(base)
        inner = base.children[0]
        if isinstance(inner, Tree) and inner.data == "product":
            return self.lone_name(inner.children)
        return None

    def subscript(self, arg: Tree | Token) -> str:
        """The text of a subscript, with summation indices replaced by their values."""
        if isinstance(arg, Token):
            if arg.type == "NUMBER" and len(arg) > 1:
                message = f"x_{arg} reads as x_{arg[0]} {arg[1:]} in LaTeX: write x_{{{arg}}}"
                raise ParseError(message, *self.position(arg))
            return self.subscript_token(arg)
        inner = arg.children[0]
        if isinstance(inner, Tree) and inner.data == "product" and all(
            len(f.children) == 1 and isinstance(f.children[0], Token) for f in inner.children
        ):
            return "".join(self.subscript_token(f.children[0]) for f in inner.children)
        value = self.value(inner)
        if not value.is_Integer:
            raise ParseError(f"cannot read the subscript '{self.source(arg)}'", *self.position(arg))
        return str(value)

    def subscript_token(self, token: Token) -> str:
        self.mark(token)
        if token.type == "LETTER" and str(token) in self.bound:
            return str(self.bound[str(token)])
        if token.type in ("LETTER", "NUMBER"):
            return str(token)
        if token.type == "MACRO" and token[1:] in GREEK:
            return token[1:]
        raise ParseError(f"cannot read the subscript '{token}'", *self.position(token))

    def factor_value(self, factor: Tree) -> sp.Expr:
        atom, *scripts = factor.children
        name, subscript, _, _ = self.split_factor(factor)
        if name is not None:
            self.mark_all_tokens_of_factor_head(factor)
            value = self.name_value(name, subscript, factor)
            powers = [s for s in scripts if s.children[0].type == "PRIME" or
                      (s.children[0].type == "SUP" and self.layer_index(s.children[1]) is None)]
            return self.scripted(value, powers)
        if subscript is not None:
            raise ParseError(f"a subscript on '{self.source(atom)}'", *self.position(factor))
        return self.scripted(self.value(atom), scripts)

    def scripted(self, value: sp.Expr, scripts: list[Tree]) -> sp.Expr:
        for script in scripts:
            kind = script.children[0]
            self.mark(kind)
            if kind.type == "PRIME":
                if self.variable is None:
                    raise ParseError("a prime needs to know the variable: start with \\frac{d}{dx}",
                                     *self.position(script))
                value = sp.Derivative(value, self.variable)
            elif kind.type == "SUP":
                value = _power(value, self.value(script.children[1]), self.position(script))
        return value

    def name_value(self, name: str, subscript: str | None, factor: Tree) -> sp.Expr:
        full = name if subscript is None else f"{name}_{subscript}"
        if subscript is None and name in self.bound:
            return self.bound[name]
        if self.names.is_declared(full):
            return self.names.symbol(full)
        if full == "e" and self.names.euler:
            return sp.E
        if full == "pi":
            return sp.pi
        if self.names.function(full) is not None:
            raise ParseError(f"the function {full} needs an argument", *self.position(factor))
        atom = factor.children[0]
        if isinstance(atom, Token) and atom.type == "TEXT":
            raise ParseError(f"'{atom}' in the middle of a formula: if it is a name, declare it in a where block",
                             *self.position(factor))
        self.undeclared.add(full)
        return self.names.symbol(full)

    def token_value(self, token: Token) -> sp.Expr:
        self.mark(token)
        if token.type == "NUMBER":
            return _number(str(token), self.position(token))
        if token.type == "MACRO":
            raise ParseError(f"unknown macro {token}", *self.position(token))
        if token.type == "PARTIAL":
            raise ParseError("\\partial outside a derivative", *self.position(token))
        return self.factor_value(Tree("factor", [token]))

    def derivative_parts(self, factor: Tree | Token) -> tuple[sp.Symbol, int, list[Tree]] | None:
        """For `\\frac{d^n ...}{dx^n}`: (x, n, the numerator's factors after the d), else None."""
        if not (isinstance(factor, Tree) and factor.data == "factor" and len(factor.children) == 1):
            return None
        frac = factor.children[0]
        if not (isinstance(frac, Tree) and frac.data == "frac"):
            return None
        numerator, denominator = (_factors(arg) for arg in frac.children[1:])
        if numerator is None or denominator is None or len(denominator) != 2 or not numerator:
            return None
        top_order = self.differential(numerator[0])
        bottom = self.differential(denominator[0])
        if top_order is None or bottom != 1:
            return None
        name, subscript, sups, primes = self.split_factor(denominator[1])
        if name is None or primes:
            return None
        order = int(self.value(sups[0])) if sups else 1
        if order != top_order:
            raise ParseError("the orders of the d's above and below differ", *self.position(frac))
        self.mark(frac.children[0])
        self.mark_all(numerator[0])
        self.mark_all(denominator[0])
        self.mark_all(denominator[1])
        variable = self.names.symbol(name if subscript is None else f"{name}_{subscript}")
        if not self.names.is_declared(variable.name):
            self.undeclared.add(variable.name)
        return variable, order, numerator[1:]

    def differential(self, factor: Tree) -> int | None:
        """n for a factor d, d^n, \\partial or \\partial^n; None for anything else."""
        atom, *scripts = factor.children
        if not (isinstance(atom, Token) and (atom.type == "PARTIAL" or str(atom) == "d")):
            return None
        if not scripts:
            return 1
        if len(scripts) == 1 and scripts[0].children[0].type == "SUP":
            exponent = scripts[0].children[1]
            if isinstance(exponent, Token) and exponent.type == "NUMBER" and exponent in ("2", "3"):
                return int(exponent)
        return None

    # -- bookkeeping ---------------------------------------------------------------------------
    def mark(self, token: Token | Tree) -> None:
        if isinstance(token, Token):
            self.used.add((token.start_pos or 0, token.end_pos or 0))

    def mark_all(self, tree: Tree | Token) -> None:
        if isinstance(tree, Token):
            self.mark(tree)
            return
        for token in tree.scan_values(lambda v: isinstance(v, Token)):
            self.mark(token)

    def mark_all_tokens_of_factor_head(self, factor: Tree) -> None:
        """The atom and subscript of a name (its superscripts are read, and marked, as values)."""
        atom, *scripts = factor.children
        self.mark_all(atom)
        for script in scripts:
            if script.children[0].type in ("SUB", "PRIME") or self.layer_index(script.children[1]) is not None:
                self.mark_all(script)
            else:
                self.mark(script.children[0])

    def check_everything_used(self, tree: Tree) -> None:
        """The round-trip check: every token of the formula went into the result (or was a lead-in)."""
        for token in tree.scan_values(lambda v: isinstance(v, Token)):
            if (token.start_pos or 0, token.end_pos or 0) not in self.used:
                raise ParseError(f"'{token}' was not understood here", token.line or 1, token.column or 1)

    def source(self, node: Tree | Token) -> str:
        if isinstance(node, Token):
            return str(node)
        meta = node.meta
        if getattr(meta, "empty", True):
            return ""
        return self.text[meta.start_pos:meta.end_pos]

    def position(self, node: Tree | Token, fallback: Tree | None = None) -> tuple[int, int]:
        if isinstance(node, Token):
            return node.line or 1, node.column or 1
        meta = node.meta
        if getattr(meta, "empty", True):
            return self.position(fallback) if fallback is not None else (1, 1)
        return meta.line, meta.column


def _factors(arg: Tree | Token) -> list[Tree] | None:
    """The factors of a \\frac argument (a braced product, or one token)."""
    if isinstance(arg, Token):
        return [Tree("factor", [arg])]
    if arg.data == "braced" and isinstance(arg.children[0], Tree) and arg.children[0].data == "product":
        return list(arg.children[0].children)
    return None


def _text_content(token: Token) -> str:
    return str(token).split("{", 1)[1].rstrip("}").strip()


def _number(text: str, position: tuple[int, int]) -> sp.Rational:
    if len(text) > MAX_DIGITS:
        raise ParseError(f"a number of {len(text)} digits: the limit is {MAX_DIGITS}", *position)
    return sp.Rational(text)


def _power(base: sp.Expr, exponent: sp.Expr, position: tuple[int, int]) -> sp.Expr:
    """base^exponent, refusing numbers too large to write down."""
    if base.is_Number and exponent.is_Number and abs(base) > 1:
        magnitude = math.log2(abs(sp.Rational(base).p)) - math.log2(abs(sp.Rational(base).q))
        bits = abs(float(exponent)) * magnitude if abs(exponent) < 10**6 else math.inf
        if bits > MAX_POWER_BITS:
            raise ParseError(f"the power {base}^{exponent} is too large to compute", *position)
    if base == sp.E:
        return sp.exp(exponent)
    return sp.Pow(base, exponent)


def _relation(op: str, left: sp.Expr, right: sp.Expr) -> sp.Basic:
    table = {
        "<": sp.Lt, "\\lt": sp.Lt, ">": sp.Gt, "\\gt": sp.Gt, "\\leq": sp.Le, "\\le": sp.Le, "\u2264": sp.Le,
        "\\geq": sp.Ge, "\\ge": sp.Ge, "\u2265": sp.Ge, "\\neq": sp.Ne, "\\ne": sp.Ne,
    }
    return table[op](left, right)
