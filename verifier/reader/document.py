"""A text file of derivations read into the engine's model, with where each step was written."""

from __future__ import annotations

import re
import stat
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import TypeVar

import sympy as sp
from sympy.core.function import AppliedUndef

from verifier.budget import BudgetExceeded, budgets_available, time_limit
from verifier.domains import natural_domains
from verifier.guards import guarded, settled
from verifier.model import Derivation, Family, Reading, Step, Var, lines_text
from verifier.reader.declarations import Declarations, read_where
from verifier.reader.latex import Chain, Element, Label, ParseError, read_chain
from verifier.reader.markdown import Block, Layout, Section, read_layout
from verifier.reader.marks import Mark, MarkError, cited_lines, read_mark
from verifier.reader.names import DEFAULT_DOMAIN, Names
from verifier.tensor import Gradient, VectorJacobian, entry_indices, reached

MAX_FILE_BYTES = 1_000_000
MAX_NOTEBOOK_BYTES = 30_000_000  # outputs and images included; its Markdown cells have MAX_FILE_BYTES
MAX_STEPS_PER_FILE = 2_000
COMMENT = re.compile(r"(?<!\\)%(.*)$")
# Reading one block, one where block, or building one derivation (domains included) stops after this long:
# the steps have their own budget in the engine, and this bounds everything before them.
READ_SECONDS = 10.0
READ_FILE_SECONDS = 120.0
UNDECLARED = "not declared: the default domain"
T = TypeVar("T")


@dataclass(frozen=True)
class Located:
    """Where a step of a derivation was written: file line and column, and the block's prose."""

    line: int
    column: int
    prose: str = ""


@dataclass(frozen=True)
class TextDerivation:
    """A derivation read from a file, and where each of its steps stands in it."""

    derivation: Derivation
    path: str
    heading_line: int
    steps: tuple[Located, ...]
    undeclared: tuple[str, ...] = ()
    section: str = ""  # the id of the section it was read from (a section may hold several derivations)


@dataclass(frozen=True)
class BlockError:
    """A block (or where line) that could not be read: file:line:column and what went wrong."""

    path: str
    line: int
    column: int
    message: str
    section: str = ""

    def describe(self) -> str:
        """`notes.md:12:5: found '*', expected ...`."""
        return f"{self.path}:{self.line}:{self.column}: {self.message}"


@dataclass(frozen=True)
class Document:
    """Everything read from one file: the derivations and the errors, in file order."""

    path: str
    derivations: tuple[TextDerivation, ...]
    errors: tuple[BlockError, ...]


class Unreadable(Exception):
    """A file that is not read: not a regular file, or past the size limit."""


def read_file(path: str | Path) -> Document:
    """Read a Markdown file of derivations; an unreadable file is one error, not an exception."""
    name = str(path)
    try:
        text = file_text(name)
    except Unreadable as error:
        return Document(name, (), (BlockError(name, 1, 1, str(error)),))
    except (OSError, UnicodeDecodeError) as error:
        return Document(name, (), (BlockError(name, 1, 1, f"cannot read the file: {error}"),))
    from verifier.reader.sources import read_source  # notebooks and .tex files: readers built on this module

    return read_source(text, name)


def file_text(path: str) -> str:
    """A file's text, newlines as text mode reads them, never more than its limit (a notebook's outputs and images
    count: it may be larger); raises Unreadable, OSError or UnicodeDecodeError."""
    if not stat.S_ISREG(Path(path).stat().st_mode):  # a pipe or a device would be read forever
        raise Unreadable("not a regular file (a pipe, a device or a socket): backproof reads files")
    limit = MAX_NOTEBOOK_BYTES if path.endswith(".ipynb") else MAX_FILE_BYTES
    with open(path, "rb") as stream:
        data = stream.read(limit + 1)  # never more than the limit, whatever stat said
    if len(data) > limit:
        raise Unreadable(f"file of more than {limit:,} bytes: the limit is {limit:,}")
    return data.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")  # as text mode reads newlines


def read_text(text: str, path: str = "<text>") -> Document:
    """Read derivations from Markdown text (see the README for the format)."""
    return read_layout_document(read_layout(text, Path(path).stem), path)


def read_layout_document(layout: Layout, path: str) -> Document:
    """Read the derivations of a file already cut into sections (Markdown, a notebook, a .tex source)."""
    errors = [BlockError(path, p.line, p.column, p.message) for p in layout.problems]
    first = layout.where[0][0] if layout.where else 1
    header = _attempt(partial(declarations, layout.where, Declarations(Names())), path, "", (first, 1))
    if isinstance(header, BlockError):
        errors.append(header)
        header = Declarations(Names())
    if layout.unclosed is not None:
        errors.append(BlockError(path, layout.unclosed, 1, "'$$' opens a block that is never closed"))
    derivations: list[TextDerivation] = []
    ids: set[str] = set()
    steps = 0
    started = time.perf_counter()
    for section in layout.sections:
        if time.perf_counter() - started > READ_FILE_SECONDS:
            errors.append(BlockError(path, section.line, 1, f"reading the file took more than {READ_FILE_SECONDS:g} s: "
                                                            "the rest is not checked"))
            break
        found, problems = _read_section(section, header, path, ids)
        steps += sum(len(d.steps) for d in found)
        if steps > MAX_STEPS_PER_FILE:
            errors.append(BlockError(path, section.line, 1, f"more than {MAX_STEPS_PER_FILE} steps in one file: "
                                                            "the rest is not checked"))
            break
        derivations.extend(found)
        errors.extend(problems)
    return Document(path, tuple(derivations), tuple(sorted(errors, key=lambda e: (e.line, e.column))))


def declarations(lines: tuple[tuple[int, str], ...], declared: Declarations) -> Declarations:
    """`read_where`, one line at a time, refusing a definition that refers to itself at the line that makes it."""
    for line, text in lines:
        declared = read_where(((line, text),), declared)
        circular = _circular(declared.names.definitions)
        if circular is not None:
            column = len(text) - len(text.lstrip()) + 1
            raise ParseError(f"where block: {circular} is defined in terms of itself (directly or through other "
                             "definitions): a definition cannot be expanded", line, column)
    return declared


def _circular(definitions: tuple[tuple[sp.Symbol, sp.Expr], ...]) -> sp.Symbol | None:
    """A defined symbol that its own definition depends on, through the others; None when there is none."""
    meaning = dict(definitions)
    for symbol in meaning:
        seen: set[sp.Basic] = set()
        todo = [symbol]
        while todo:
            for found in meaning[todo.pop()].free_symbols:
                if found == symbol:
                    return symbol
                if found in meaning and found not in seen:
                    seen.add(found)
                    todo.append(found)
    return None


def _attempt(compute: Callable[[], T], path: str, section: str, at: tuple[int, int],
             locate: Callable[[int, int], tuple[int, int]] | None = None) -> T | BlockError:
    """`compute()` within READ_SECONDS, or the error it ends in as a BlockError: never an exception.

    A ParseError is placed by `locate` (a position in a block to one in the file); anything else, at `at`.
    """
    try:
        return _bounded(compute)
    except ParseError as error:
        line, column = (locate or (lambda ln, col: (ln, col)))(error.line, error.column)
        return BlockError(path, line, column, error.message, section)
    except BudgetExceeded:
        message = (f"reading this took more than {READ_SECONDS:g} s and was stopped (nested sums written out "
                   "term by term, or a tower of powers, grow too large): split it into smaller steps")
    except RecursionError:
        message = "nested too deeply to read (RecursionError): split it into smaller steps"
    except Exception as error:  # a bug in the reader: reported where it happened, the rest is still read
        message = f"internal error while reading this ({type(error).__name__}: {str(error)[:200]})"
    return BlockError(path, at[0], at[1], message, section)


def _unlogged(expr: sp.Expr | None) -> sp.Expr | None:
    """The function under a log being defined (`\\log p(x) = ...`), else `expr` itself."""
    return expr.args[0] if isinstance(expr, sp.log) and isinstance(expr.args[0], AppliedUndef) else expr


def _bounded(compute: Callable[[], T]) -> T:
    """`compute()`, stopped after READ_SECONDS where a timer can interrupt it (the main thread)."""
    if not budgets_available():
        return compute()
    with time_limit(READ_SECONDS):
        return compute()


def _read_section(section: Section, header: Declarations, path: str,
                  ids: set[str]) -> tuple[list[TextDerivation], list[BlockError]]:
    at = (section.where[0][0], 1) if section.where else (section.line, 1)
    declared = _attempt(partial(declarations, section.where, header), path, section.title, at)
    if isinstance(declared, BlockError):
        return [], [declared]
    drafts = _Drafts(section, declared)
    errors = []
    for block in section.blocks:
        read = _attempt(partial(drafts.read, block), path, section.title, (block.line, block.column),
                        partial(_in_file, block))
        if isinstance(read, BlockError):
            errors.append(read)
    found = []
    for number, draft in enumerate(d for d in drafts.drafts if d.elements):
        first = draft.elements[0][2]
        finish = partial(draft.finish, drafts.declared, path, _unique_id(section, number, ids))
        done = _attempt(finish, path, section.title, (first.line, first.column))
        (errors if isinstance(done, BlockError) else found).append(done)  # type: ignore[arg-type]
    return found, errors


def _read_block(block: Block, declared: Declarations, variable: sp.Symbol | None) -> tuple[Chain, dict[int, str]]:
    """The block's chain (one column entry per assignment of free indices), and its `% comment`s by line."""
    lines = block.text.split("\n")
    notes: dict[int, str] = {}
    for number, line in enumerate(lines):
        if match := COMMENT.search(line):
            notes[number + 1] = match.group(1).strip()
            lines[number] = line[:match.start()] + " " * len(match.group(0))
    text = "\n".join(lines)
    if not declared.assignments:
        free = {r.index.name: r.index for r in declared.index_ranges}
        return read_chain(text, declared.names, variable, indices=free), notes
    chains = [read_chain(text, declared.names, variable, indices=dict(a)) for a in declared.assignments]
    return _column(chains), notes


def _column(chains: list[Chain]) -> Chain:
    """The chains read for each assignment of the free indices, as one chain of column matrices; a chain that reads
    the same for every assignment (`J = -\\sum_{k=1}^{K} ...`, its k summed) as itself."""
    first = chains[0]
    if all([(e.expr, e.label) for e in chain.elements] == [(e.expr, e.label) for e in first.elements]
           for chain in chains):
        return replace(first, undeclared=frozenset().union(*(chain.undeclared for chain in chains)))
    elements = []
    for index, element in enumerate(first.elements):
        entries = [chain.elements[index] for chain in chains]
        if element.label is None:  # each entry guarded by what its own reading lost (see `guarded`)
            column = sp.ImmutableMatrix([[guarded(e.expr, e.lost)] for e in entries])
            elements.append(replace(element, expr=column, lost=()))
            continue
        labels = [e.label for e in entries if e.label is not None]
        variables = sp.ImmutableMatrix([[label.variable] for label in labels])
        ofs = [label.of for label in labels]
        of = None if None in ofs else ofs[0] if len(set(ofs)) == 1 else sp.ImmutableMatrix([[o] for o in ofs])
        variable = variables[0] if len(set(variables)) == 1 else variables
        elements.append(replace(element, label=Label(variable, of, element.label.order)))
    undeclared = frozenset().union(*(chain.undeclared for chain in chains))
    return Chain(tuple(elements), first.continues, undeclared, first.dangling)


def _statements(chain: Chain) -> list[Chain]:
    """A chain cut where \\Rightarrow starts a new statement: each part is a chain of its own."""
    cuts = [i for i, e in enumerate(chain.elements) if e.restarts]
    bounds = list(zip([0, *cuts], [*cuts, len(chain.elements)], strict=True))
    return [Chain(chain.elements[start:end], chain.continues and start == 0, chain.undeclared,
                  chain.dangling and end == len(chain.elements)) for start, end in bounds]


class _Drafts:
    """The derivations of a section being read, and the one the next block goes on with."""

    def __init__(self, section: Section, declared: Declarations) -> None:
        self.section = section
        self.declared = declared  # with the names that display blocks define (`L = -y \log a`)
        self.drafts: list[_Draft] = []
        self.current: _Draft | None = None

    def read(self, block: Block) -> None:
        """Read `block` and add its elements to the derivation it continues or starts."""
        variable = self.current.variable if self.current is not None else None
        symbol = variable if isinstance(variable, sp.Symbol) else None
        chain, notes = _read_block(block, self.declared, symbol)
        statements = _statements(chain)
        for index, statement in enumerate(statements):
            functions = self.declared.names.functions
            statement = self.defined(statement)
            if self.declared.names.functions != functions and index + 1 < len(statements):
                chain, notes = _read_block(block, self.declared, symbol)  # what follows, with the function known
                statements[index + 1:] = _statements(chain)[index + 1:]
            if statement.elements:
                self.extend(statement, notes, block)

    def defined(self, chain: Chain) -> Chain:
        """`y = x^2` with y declared nowhere defines y (for `\\frac{dy}{dx}` later) and is not itself a step; so does
        `L(\\lambda) = ...` the function L."""
        first = chain.elements[0]
        names = self.declared.names
        if not chain.continues and len(chain.elements) > 1 and isinstance(_unlogged(first.expr), AppliedUndef):
            return self.defined_function(chain)
        if chain.continues or len(chain.elements) < 2 or not isinstance(first.expr, sp.Symbol):
            return chain
        if names.is_declared(first.expr.name) or first.expr.name in ("e", "pi"):
            return chain
        meaning = chain.elements[1].expr
        if meaning is None or first.expr in meaning.free_symbols:
            return chain
        said = tuple((first.expr.name, c) for c in chain.elements[1].conventions)  # \sum_j's range, said with L
        self.declared = self.declared.but(names=names.with_definition(first.expr, meaning),
                                          conventions=(*self.declared.conventions, *said))
        rest = chain.elements[1:] if len(chain.elements) > 2 else ()
        return Chain(rest, False, chain.undeclared - {first.expr.name}, chain.dangling)

    def defined_function(self, chain: Chain) -> Chain:
        """`L(\\lambda) = \\lambda e^{-\\lambda x}`: the function L of its variables, for the lines after it;
        `\\log p(x) = ...` defines p as the exponential of what its log equals."""
        opening, meaning = chain.elements[0].expr, chain.elements[1].expr
        call = _unlogged(opening)
        name = type(call).__name__
        if meaning is None or meaning.has(call.func) or name in {s.name for s in meaning.free_symbols}:
            raise ParseError(f"{name}(...) = ... defines {name}: write what it equals, without {name} itself",
                             chain.elements[0].line, chain.elements[0].column)
        value = sp.exp(meaning) if call is not opening else meaning
        names = self.declared.names.with_function(name, sp.Lambda(call.args, value))
        self.declared = self.declared.but(names=names)
        rest = chain.elements[1:] if len(chain.elements) > 2 else ()
        return Chain(rest, False, chain.undeclared - {name}, chain.dangling)

    def extend(self, chain: Chain, notes: dict[int, str], block: Block) -> None:
        """Add a block's chain: to the derivation it continues, or to the one its label names, or to a new one."""
        elements = list(chain.elements)
        label = elements[0].label
        if label is not None:
            elements = elements[1:]
            label = self.aliased(label)
        current = self.current
        if chain.continues and current is None:
            raise ParseError("the block starts with '=' but nothing comes before it", 1, 1)
        restated = label is None and current is not None and len(elements) > 1 and bool(current.elements) and \
            elements[0].expr is not None and self.names_something(elements[0].expr) and \
            elements[0].expr == current.elements[0][0].expr
        if restated:  # L(z, y) = A, then L(z, y) = B: the same left side again goes on with A = B
            elements = elements[1:]
        elif not chain.continues and not (current is not None and current.dangling):
            current = self.named(label)
        if current is None:
            if not elements and not chain.dangling:
                raise ParseError("a derivative's name with nothing after it", 1, 1)
            current = _Draft(self.section, label)
            self.drafts.append(current)
        for index, element in enumerate(elements):
            following = elements[index + 1].line if index + 1 < len(elements) else None
            comments = [element.note, *_comments_for(element.line, following, notes)]
            current.add(element, self.substituted(_mark(comments, element, notes), element), block)
        current.undeclared |= chain.undeclared
        current.dangling = chain.dangling
        self.current = current

    def substituted(self, mark: Mark, element: Element) -> Mark:
        """The mark with its `substitutes: A = B` read with the section's names."""
        if not mark.substitutes:
            return mark
        try:
            sides = read_chain(mark.substitutes, self.declared.names, labels=False).elements
        except ParseError as error:
            raise ParseError(f"substitutes: {error.message}", element.line, element.column) from None
        if len(sides) != 2 or sides[0].expr is None or sides[1].expr is None:
            raise ParseError("substitutes: write one equation, A = B", element.line, element.column)
        return replace(mark, substitution=((sides[0].expr, sides[1].expr),))

    def names_something(self, expr: sp.Expr) -> bool:
        """Not a bare variable: an expression, or a name the where block defines (`\\delta_o`)."""
        return not expr.is_Symbol or expr in dict(self.declared.names.definitions)

    def aliased(self, label: Label) -> Label:
        """A derivative in a name the where block makes another name of a variable (`o_1 = o`): one in that variable."""
        meaning = dict(self.declared.names.definitions).get(label.variable)
        return replace(label, variable=meaning) if isinstance(meaning, sp.Symbol) else label

    def named(self, label: Label | None) -> _Draft | None:
        """The derivation a block starting with `label` goes on with: the latest one of that derivative, if any.

        The same name (dL/dw again) goes on with the derivation it named, however many came since; another
        name (dy/dw after dL/dw) starts one; a name that says only the variable (d/dx =), or one after a
        derivation started from d/dx F, goes on with the latest derivation when it is in that variable.
        """
        if label is None:
            return None
        if label.of is not None:
            for draft in reversed(self.drafts):
                if draft.label is not None and (draft.label.variable, draft.label.of) == (label.variable, label.of):
                    return draft
            if self.current is not None and self.current.label is not None and self.current.label.of is not None:
                return None  # another derivative's name: a derivation of its own
        current = self.current
        return current if current is not None and current.variable == label.variable else None


def _comments_for(first: int, following: int | None, notes: dict[int, str]) -> list[str]:
    """The comments from an element's first line up to (not including) the line where the next one starts."""
    return [text for line, text in sorted(notes.items())
            if text and first <= line and (following is None or line < following)]


def _mark(comments: list[str], element: Element, notes: dict[int, str]) -> Mark:
    """The element's mark; the source line it copies is the block's first `line N` at or after its own line, else
    the last one before it (one source line written over several lines of the block)."""
    try:
        mark = read_mark(comments)
    except MarkError as error:
        raise ParseError(str(error), element.line, element.column) from None
    if mark.cites or mark.expected == "completion":  # a step backproof adds copies no line of the source
        return mark
    cited = [(line, cited_lines(text)) for line, text in sorted(notes.items())]
    later = [c for line, c in cited if c and line >= element.line]
    earlier = [c for line, c in cited if c and line < element.line]
    return replace(mark, cites=(later or earlier[-1:] or [()])[0])


@dataclass
class _Draft:
    """A derivation being read: its label, its elements and where they stand."""

    section: Section
    label: Label | None
    elements: list[tuple[Element, Mark, Located]] = field(default_factory=list)
    undeclared: frozenset[str] = frozenset()
    dangling: bool = False

    @property
    def variable(self) -> sp.Symbol | sp.ImmutableMatrix | None:
        if self.label is not None:
            return self.label.variable
        first = self.elements[0][0].expr if self.elements else None
        if isinstance(first, sp.Derivative) and len(first.variables) == 1:
            return first.variables[0]
        return None

    def add(self, element: Element, mark: Mark, block: Block) -> None:
        line, column = _in_file(block, element.line, element.column)
        self.elements.append((element, mark, Located(line, column, block.prose)))

    def finish(self, declared: Declarations, path: str, derivation_id: str) -> TextDerivation:
        self.elements = [(replace(e, expr=guarded(e.expr, e.lost)) if e.lost and e.expr is not None else e, mark, where)
                         for e, mark, where in self.elements]  # e^{\log x} is x where x > 0, undefined elsewhere
        function, variable, starts_only = self.function_and_variable()
        elements = self.elements
        if starts_only:  # a chain of plain expressions: the first is where it starts, not a step
            elements = elements[1:]
            if not elements:
                where = self.elements[0][2]
                raise ParseError("a single expression: nothing to check", where.line, where.column)
        function = _entries_expanded(function, declared.entries)
        elements = [(replace(e, expr=_entries_expanded(e.expr, declared.entries)), mark, where)
                    for e, mark, where in elements]
        start = self.elements[0][0] if starts_only else None
        defines = (not starts_only and self.label is None) or (self.label is not None and self.label.of is None)
        steps = _steps([(e, mark) for e, mark, _ in elements], start, own_first=not defines)
        said = _conventions_used(declared, function, steps)
        if said:  # the where block's conventions this derivation relies on, said once, with its first step
            steps = (replace(steps[0], conventions=(*said, *steps[0].conventions)), *steps[1:])
        definitions = declared.names.definitions
        families = _families(function, steps, definitions, declared.names)
        variables = _variables(declared.names, function, steps, definitions, variable, families)
        function = settled(function, variables)
        steps = tuple(replace(s, expr=settled(s.expr, variables)) for s in steps)
        located = tuple(where for _, _, where in elements)
        cited = [line for s in steps for line in s.cites]
        lines = lines_text(cited or [where.line for where in located])
        derivation = Derivation(
            id=derivation_id,
            title=self.section.title,
            note=Path(path).name,
            where=lines,
            variables=variables,
            function=function,
            steps=steps,
            variable=variable,
            definitions=definitions,
            constraints=declared.constraints,
            kink=declared.kink if declared.kink is not None and variable == declared.kink.symbol else None,
            families=families,
            index_ranges=declared.index_ranges if families else (),
            numeric_sizes=declared.numeric_sizes,
            remarks=self.elements[0][2].prose,
        )
        taken = {v.symbol.name for v in variables if isinstance(v.symbol, sp.Symbol)}  # a definition's names too
        undeclared = tuple(sorted(n for n in self.undeclared | taken if not declared.names.is_declared(n)))
        section = _section_id(self.section)
        return TextDerivation(derivation, path, self.section.line, located, undeclared, section)

    def function_and_variable(self) -> tuple[sp.Expr, sp.Symbol | sp.ImmutableMatrix | None, bool]:
        """What is differentiated and in what, and whether the first element is only the start.

        From the label when it names something; else from a first step d/dx F; else the first
        expression is where a chain of plain expressions starts.
        """
        label = self.label
        if label is not None and label.of is not None and label.order == 1:
            if isinstance(label.of, sp.MatrixBase):  # a different function in each entry: their derivatives
                pairs = zip(label.of, label.variable, strict=True)  # type: ignore[arg-type]
                return sp.ImmutableMatrix([[sp.Derivative(f, v)] for f, v in pairs]), None, False
            return label.of, label.variable, False
        first = self.elements[0][0].expr
        if isinstance(first, sp.Derivative) and len(first.variables) == 1:
            return first.expr, first.variables[0], False
        if isinstance(first, Gradient | VectorJacobian):  # \nabla_x f, d tanh(z)/dz: of a matrix of any size
            return first.function, first.variable, False
        if isinstance(first, sp.MatrixBase) and all(isinstance(e, sp.Derivative) for e in first):
            return first, None, False
        if label is not None:
            where = self.elements[0][2]
            raise ParseError(
                f"cannot tell what the derivative in {label.variable} is of: define the name in a where block, "
                "or start with \\frac{d}{dx} and the function", where.line, where.column)
        return first, None, True


def _conventions_used(declared: Declarations, function: sp.Expr, steps: tuple[Step, ...]) -> tuple[str, ...]:
    """The conventions of the definitions the function or a step reaches, through the other definitions."""
    meaning = {symbol.name: value for symbol, value in declared.names.definitions}
    seen = reached((function, *(s.expr for s in steps)), meaning, key=lambda symbol: symbol.name)
    return tuple(f"{name}: {text}" for name, text in declared.conventions if name in seen)


def _entries_expanded(expr: sp.Expr | None, entries: tuple[tuple[sp.Indexed, sp.Expr], ...]) -> sp.Expr | None:
    """Each entry y[k] of a family defined for every index (y_i = ... in a where block) replaced by its meaning."""
    if expr is None:
        return None
    for entry, meaning in entries:
        (index,) = entry.indices
        expr = expr.replace(lambda e, b=entry.base: isinstance(e, sp.Indexed) and e.base == b,
                            lambda e, m=meaning, i=index: m.xreplace({i: e.indices[0]}))
    return expr


def _families(function: sp.Expr, steps: tuple[Step, ...], definitions: tuple[tuple[sp.Symbol, sp.Expr], ...],
              names: Names) -> tuple[Family, ...]:
    """Every indexed name a sum to a symbolic size uses (x_i in \\sum_{i=1}^{n}), with its declared domain.

    `x_i in (0, 1)` or `y_i in {0, 1}` in the where block gives x's entries their domain; else the default.
    """
    expressions = (function, *(s.expr for s in steps), *(m for _, m in definitions))
    bases = sorted({i.base for e in expressions for i in e.atoms(sp.Indexed)}, key=lambda b: str(b.label))
    declared = {v.symbol.name: v.domain for v in names.variables}
    families = []
    for base in bases:
        domains = [d for name, d in declared.items() if name.startswith(f"{base.label}_") and len(name) ==
                   len(str(base.label)) + 2]
        families.append(Family(base, domains[0] if domains else DEFAULT_DOMAIN))
    return tuple(families)


def _variables(names: Names, function: sp.Expr, steps: tuple[Step, ...],
               definitions: tuple[tuple[sp.Symbol, sp.Expr], ...],
               variable: sp.Basic | None, families: tuple[Family, ...] = ()) -> tuple[Var, ...]:
    """The declared variables, and every other symbol used: real, in its natural domain within the default one.

    The natural domain comes from the function, the steps as read and the definitions (never from another
    reading of a line); declared symbols keep their domain.
    """
    used = set(function.free_symbols)
    for step in steps:
        used |= step.expr.free_symbols.union(*(r.free_symbols for r in step.alternatives))
    for _, meaning in definitions:
        used |= meaning.free_symbols
    if isinstance(variable, sp.MatrixBase):
        used |= set(variable)
    elif variable is not None:
        used.add(variable)
    used -= {s for e in (function, *(step.expr for step in steps)) for s in entry_indices(e)}  # i, j of W_ij
    defined = {s for s, _ in definitions} | {f.base.label for f in families}
    declared = tuple(replace(v, reason=v.reason or "declared") for v in names.variables)
    extra = sorted((s for s in used - {v.symbol for v in declared} - defined
                    if isinstance(s, sp.Symbol) and not isinstance(s, sp.Dummy)), key=lambda s: s.name)
    expressions = (function, *(step.expr for step in steps))
    natural = natural_domains(expressions, extra, definitions, DEFAULT_DOMAIN, declared)
    return (*declared, *(var if var.reason else replace(var, reason=UNDECLARED) for var in natural))


def _steps(elements: list[tuple[Element, Mark]], start: Element | None, own_first: bool) -> tuple[Step, ...]:
    """The steps as read; a line read another way is checked that way too, and so is the line after it.

    `start` is the expression a plain chain starts from (not a step); when the first step is the derivative
    the chain is of (`\\frac{d}{dx} F`), its other readings are other functions, not claims (`own_first`
    False): only the line after it is checked against them.
    """
    steps = []
    for index, (element, mark) in enumerate(elements):
        own = [Reading(expr, description) for expr, description in element.alternatives]
        if index == 0 and not own_first:
            own = []
        before = elements[index - 1][0] if index > 0 else start
        after = [Reading(element.expr, description, before=expr) for expr, description in
                 (before.alternatives if before is not None else ())]
        said = ((element.read_as if own or not element.alternatives else ""), *(before.read_as for _ in after[:1]))
        read_as = "; ".join(dict.fromkeys(r for r in said if r))
        steps.append(Step(element.expr, mark.justification, element.source.strip(), mark.expected, mark.explanation,
                          read_as=read_as, alternatives=(*own, *after), letter_products=element.letter_products,
                          reconstructed=mark.reconstructed, cites=mark.cites, adapted=mark.adapted,
                          conventions=(*(start.conventions if index == 0 and start is not None else ()),
                                       *element.conventions), substitutions=mark.substitution))
    return tuple(steps)


def _section_id(section: Section) -> str:
    return section.anchor or re.sub(r"[^a-z0-9]+", "-", section.title.lower()).strip("-") or "derivation"


def _unique_id(section: Section, number: int, ids: set[str]) -> str:
    base = _section_id(section)
    candidate = base if number == 0 else f"{base}-{number + 1}"
    suffix = 2
    while candidate in ids:
        candidate = f"{base}-{suffix}"
        suffix += 1
    ids.add(candidate)
    return candidate


def _in_file(block: Block, line: int, column: int) -> tuple[int, int]:
    """A position inside a block's text as a file line and column."""
    return block.line + line - 1, (block.column + column - 1 if line == 1 else column)
