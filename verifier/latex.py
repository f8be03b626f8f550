"""The LaTeX report: verification results typeset as a document a teacher can hand out."""

from __future__ import annotations

import re
from collections.abc import Iterable

import sympy as sp

from verifier.matrix import is_matrix, shape_text
from verifier.model import Derivation, Var
from verifier.reader.texmacros import closing_brace
from verifier.serialize import (
    ambiguous_part,
    besides_part,
    conventions,
    counted,
    letter_products,
    numeric_hint,
    provenance,
    spelled,
    summary,
)
from verifier.verdicts import READINGS_FIX, Counterexample, DerivationResult, StepResult

TEXT_ESCAPES = {
    "\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "$": r"\$", "&": r"\&", "#": r"\#",
    "%": r"\%", "_": r"\_", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
    "<": r"\textless{}", ">": r"\textgreater{}", "|": r"\textbar{}",
}
GREEK = {
    "α": r"$\alpha$", "β": r"$\beta$", "γ": r"$\gamma$", "δ": r"$\delta$", "ε": r"$\epsilon$",
    "η": r"$\eta$", "θ": r"$\theta$", "λ": r"$\lambda$", "μ": r"$\mu$", "σ": r"$\sigma$",
    "ω": r"$\omega$", "Σ": r"$\Sigma$", "∂": r"$\partial$", "≥": r"$\geq$", "≤": r"$\leq$",
    "→": r"$\to$", "×": r"$\times$", "·": r"$\cdot$", "−": "-", "’": "'", "“": "``", "”": "''", "–": "--",
}
# Control words a note's own line may use; any other makes the line print as text, never as code.
MATH_MACROS = frozenset(
    (
        "Rightarrow Leftarrow Leftrightarrow begin end cdot cdots ldots dots delta Delta eta epsilon frac "
        "dfrac tfrac geq leq neq ne ge le approx left right log ln exp max min sum prod partial nabla pm mp "
        "qquad quad text mathrm mathbf mathbb operatorname therefore because theta omega sigma tanh sinh cosh "
        "times hat bar tilde alpha beta gamma lambda mu pi rho tau phi psi chi xi zeta kappa Sigma Omega "
        "Theta Lambda Phi Pi in notin to mapsto rightarrow leftarrow downarrow uparrow parallel mid substack "
        "top prime infty cdotp circ odot otimes sqrt limits displaystyle "
    ).split()
)
MATH_ENVIRONMENTS = frozenset({"cases"})
MATH_SYMBOLS = frozenset(",;:! {}|\\_")  # \\, \\{ \\| \\\\ ...: never \\( \\) \\[ \\] (they leave math mode)
MAX_MATH_LENGTH = 2000
VERDICT_MACROS = {"proved": r"\proved", "refuted": r"\refuted", "unproved": r"\unproved", "ambiguous": r"\ambiguous"}


def escape(text: str) -> str:
    """Plain text made safe for LaTeX: specials escaped, non-ASCII mapped or replaced by '?'."""
    out = []
    for char in text:
        if char in TEXT_ESCAPES:
            out.append(TEXT_ESCAPES[char])
        elif char in GREEK:
            out.append(GREEK[char])
        elif ord(char) < 32 or ord(char) > 126:
            out.append(" " if char in "\t\n\r" else "?")
        else:
            out.append(char)
    return "".join(out)


TEXT_ARGUMENT = re.compile(r"\\text\s*\{")  # \text{...}: its argument is shown as escaped text
TEXT_SPACING = re.compile(r"\\(?:[,;:! ]|q?quad\b)")
UNSAFE_OUTSIDE_TEXT = re.compile(r"[$%#~]|[^\x20-\x7e]")
SLOT = "\x00"  # stands for a \text{...} while the rest of the line is checked


def safe_math(latex: str) -> str | None:
    """A note's line as math mode content, or None when it cannot be typeset safely.

    TeX's `^^` notation is refused anywhere (it spells any character, a backslash too, past every
    other check); the argument of `\\text{...}` is escaped as text; outside it only the macros
    and environments listed above are allowed.
    """
    if len(latex) > MAX_MATH_LENGTH or "^^" in latex or SLOT in latex:
        return None
    split = _split_text_arguments(latex)
    if split is None:
        return None
    outside, texts = split
    checked = outside.replace(SLOT, r"\text{}")
    if UNSAFE_OUTSIDE_TEXT.search(checked) or not _known_macros_only(checked) or not _braces_balance(checked):
        return None
    if r"\begin{cases}" not in checked:
        outside = outside.replace("&", " ")  # alignment marks of the note's aligned blocks
    elif not _alignment_at_top(checked):
        return None
    opened, closed = len(re.findall(r"\\left\b", checked)), len(re.findall(r"\\right\b", checked))
    pieces = outside.split(SLOT)
    math = pieces[0] + "".join(r"\text{" + text + "}" + piece for text, piece in zip(texts, pieces[1:], strict=True))
    return r"\left." * max(0, closed - opened) + math + r"\right." * max(0, opened - closed)


def _split_text_arguments(latex: str) -> tuple[str, list[str]] | None:
    """The line with each `\\text{...}` replaced by SLOT, and their arguments escaped as text."""
    outside: list[str] = []
    texts: list[str] = []
    position = 0
    for match in TEXT_ARGUMENT.finditer(latex):
        if match.start() < position:
            continue  # a \text inside an earlier \text's argument: part of that text
        end = closing_brace(latex, match.end())
        if end is None:
            return None
        outside.append(latex[position:match.start()] + SLOT)
        texts.append(escape(TEXT_SPACING.sub(" ", latex[match.end():end])))
        position = end + 1
    outside.append(latex[position:])
    return "".join(outside), texts


def _known_macros_only(latex: str) -> bool:
    """Every control word, control symbol and environment is on the allowed lists; an environment is named right
    after \\begin or \\end (TeX skips the space in `\\begin {input}` and runs \\input)."""
    controls = re.findall(r"\\([A-Za-z]+|.)", latex, flags=re.DOTALL)
    if any(c not in MATH_MACROS for c in controls if c.isalpha()) or \
            any(c not in MATH_SYMBOLS for c in controls if not c.isalpha()):
        return False
    named = re.findall(r"\\(?:begin|end)(?![A-Za-z])(\{[^{}]*\})?", latex)
    return all(e[1:-1] in MATH_ENVIRONMENTS for e in named)


def _alignment_at_top(latex: str) -> bool:
    """In a cases block, every `&` stands outside all braces (inside one it would end a cell early)."""
    depth = 0
    for match in re.finditer(r"\\.|[{}&]", latex):
        token = match.group()
        depth += {"{": 1, "}": -1}.get(token, 0)
        if token == "&" and depth > 0:
            return False
    return True


def _braces_balance(latex: str) -> bool:
    depth = 0
    for match in re.finditer(r"\\.|[{}]", latex):
        token = match.group()
        depth += {"{": 1, "}": -1}.get(token, 0)
        if depth < 0:
            return False
    return depth == 0


GREEK_WORDS = frozenset("alpha beta gamma delta epsilon eta theta lambda mu pi rho sigma tau phi psi omega".split())
TITLE_WORDS = frozenset("an as at by eq in is it of on or to up and are for its the not off out per via".split())
SCRIPT = r"(?:[_^](?:[A-Za-z0-9]+|\{[^{}]*\}|\([0-9]+\)))"
STRONG_WORD = re.compile(rf"^[(]*[A-Za-z][A-Za-z0-9()]*{SCRIPT}{{1,2}}[)]*$|^d[A-Za-z]\w*/d\w*$|^d/d\w+$")
WEAK_WORD = re.compile(r"^(?:[-+]?[()\[\]A-Za-z0-9.]{1,6}|=|-|\+|/|<-|->|\*|<|>)$")
INLINE_MATH = re.compile(r"\$([^$]+)\$")


def title(text: str, note_math: bool = True) -> str:
    """A title as LaTeX: `$...$` spans, and runs of words that read as math (x^T A x, Z_2, dz/d omega_1), as math."""
    if not note_math:
        return escape(text)
    if INLINE_MATH.search(text):
        parts = INLINE_MATH.split(text)
        return "".join(_math_or_text(part, part) if odd else escape(part) for odd, part in
                       ((i % 2 == 1, p) for i, p in enumerate(parts)))
    words = text.split(" ")
    kinds = [_word_kind(word) for word in words]
    out: list[str] = []
    start = 0
    while start < len(words):
        end = start
        while end < len(words) and kinds[end] != "text":
            end += 1
        span = _balanced(words[start:end], kinds[start:end])
        end = start + len(span)
        if span and "strong" in kinds[start:end]:
            latex = " ".join(_title_math(w) for w in span).replace(" (", r"\ (")  # keep the space math drops
            out.append(_math_or_text(latex, " ".join(span)))
        elif span:
            out.append(escape(" ".join(span)))
        if end < len(words):
            out.append(escape(words[end]))
        start = end + 1
    return " ".join(out)


def _balanced(span: list[str], kinds: list[str]) -> list[str]:
    """The span without its trailing weak words while its parentheses do not pair up."""
    while span and kinds[len(span) - 1] == "weak" and "".join(span).count("(") != "".join(span).count(")"):
        span = span[:-1]
    return span


def _word_kind(word: str) -> str:
    """`strong` (reads as math on its own), `weak` (math next to a strong word) or `text`."""
    bare = word.rstrip(",;:")
    if bare != word or not bare:
        return "strong" if _strong(bare) else "text"  # `tanh,` ends a run of math; `x_1,` is math, comma and all
    if _strong(bare):
        return "strong"
    letters = sum(c.isalpha() for c in bare)
    plain = bare.strip("().").lower()
    return "weak" if WEAK_WORD.match(bare) and letters <= 2 and plain not in TITLE_WORDS else "text"


def _strong(word: str) -> bool:
    """A word that is math by itself: x^T, Z_2, e^{-z}, dL/dW_3, a Greek letter's name (one sub- and superscript)."""
    if word.count("_") > 1 or word.count("^") > 1:
        return False
    return bool(STRONG_WORD.search(word)) or word.split("(")[0] in GREEK_WORDS


def _title_math(word: str) -> str:
    """One word of a title in LaTeX math: Greek names as letters, `yhat` as a hat, subscripts braced."""
    word = {"<-": r"\leftarrow", "->": r"\to"}.get(word, word)
    word = re.sub(r"(?<![A-Za-z])([A-Za-z])hat(?![A-Za-z])", r"\\hat{\1}", word)
    word = re.sub(r"(?<![A-Za-z\\])(" + "|".join(sorted(GREEK_WORDS)) + r")(?![A-Za-z])", r"\\\1", word)
    return re.sub(r"_([A-Za-z0-9]+)", r"_{\1}", word)


def _math_or_text(latex: str, text: str) -> str:
    """Inline math when it is safe, else the text escaped."""
    math = safe_math(latex)
    return escape(text) if math is None else f"${math}$"


def fitted(math: str) -> str:
    """Display math scaled down to the line width when it is wider, never up."""
    return r"\fitmath{" + math + "}"


def as_written(latex: str | None, note_math: bool = True) -> str:
    """The note's line: typeset as math when safe (and `note_math`), else shown as escaped text."""
    if latex is None:
        return r"\textit{(added by backproof)}"
    math = safe_math(latex) if note_math else None
    if math is None:
        return r"{\ttfamily\small " + escape(latex) + "}"
    return fitted(math)


MAX_ENCODED_LENGTH = 1500  # longer than this, scaled to the page it would be too small to read


LAYER_ENTRY = re.compile(r"^([A-Za-z]+)(\d)_(\d+)$")  # w1_21: entry (2, 1) of layer 1's w


def math(expr: sp.Basic) -> str:
    """SymPy's LaTeX, with layer entries such as w1_21 written w^{(1)}_{21}, and odd names as text."""
    names = {}
    for symbol in expr.free_symbols:
        match = LAYER_ENTRY.match(str(symbol))
        if match:
            names[symbol] = f"{match.group(1)}^{{({match.group(2)})}}_{{{match.group(3)}}}"
        elif isinstance(symbol, sp.Symbol) and not _plain_name(symbol):
            names[symbol] = r"\text{" + escape(symbol.name) + "}"
    return sp.latex(expr, symbol_names=names)


def _plain_name(symbol: sp.Symbol) -> bool:
    """Whether SymPy's LaTeX for the symbol's name is safe math (a name may hold any text)."""
    latex = sp.latex(symbol)
    return "&" not in latex and r"\\" not in latex and safe_math(latex) is not None


def encoded(expr: sp.Expr) -> str:
    """The SymPy expression a step is encoded as: a long matrix entry by entry, long sums broken across lines."""
    if is_matrix(expr) and all(sp.sympify(s).is_Integer for s in expr.shape) and len(math(expr)) > LINE_LENGTH:
        rows, columns = expr.shape
        entries = [(f"[{i + 1}, {j + 1}]" if columns > 1 else f"[{i + 1}]", expr[i, j])
                   for i in range(rows) for j in range(columns)]
        if sum(len(math(entry)) for _, entry in entries) > MAX_ENCODED_LENGTH * 4:
            return _too_long(sum(len(math(entry)) for _, entry in entries))
        return r"\newline ".join(r"{\scriptsize " + label + r":}\newline " + readable(math(entry))
                                 for label, entry in entries)
    return readable(math(expr))


LINE_LENGTH = 140  # characters of LaTeX source on one line of a broken expression (about the cell's width)


def readable(latex: str) -> str:
    """Math broken at its top-level + and - into lines that fit, or a pointer to `backproof show` when too long."""
    if len(latex) > MAX_ENCODED_LENGTH:
        return _too_long(len(latex))
    lines = broken(_unwrapped(latex))
    if len(lines) == 1:
        return fitted(latex)
    return fitted(r"\begin{aligned}[t] & " + r" \\ & \quad ".join(lines) + r"\end{aligned}")


def _unwrapped(latex: str) -> str:
    """SymPy's `f{\\left(x\\right)}` without the braces (they only group), so the brackets can be cut across lines."""
    out, position = [], 0
    for match in re.finditer(r"\{(?=\\left\b)", latex):
        if match.start() < position:
            continue
        end = closing_brace(latex, match.end())
        if end is None or not re.search(r"\\right\S$", latex[match.end():end].rstrip()):
            continue
        inside = latex[match.end():end]
        pair = _outer_pair(inside)
        if pair is None or inside[pair[1]:].count(r"\right") != 1 or pair[0] > len(r"\left") + 2:
            continue
        out += [latex[position:match.start()], _unwrapped(inside)]
        position = end + 1
    out.append(latex[position:])
    return "".join(out)


def _too_long(length: int) -> str:
    return r"\textit{" + escape(f"too long to typeset ({length} characters of LaTeX): see backproof show") + "}"


def broken(latex: str, width: int = LINE_LENGTH) -> list[str]:
    """`latex` cut at top-level ` + ` and ` - ` (outside braces and \\left...\\right) into lines of about `width`."""
    terms = [piece for term in _top_level_terms(latex) for piece in _split_inside(term, width)]
    lines: list[str] = []
    for term in terms:
        if lines and len(lines[-1]) + len(term) <= width:
            lines[-1] += term
        else:
            lines.append(term)
    return [line.strip() for line in lines]


def _split_inside(term: str, width: int) -> list[str]:
    """A term too long for a line, as `f \\left( a + b + c \\right)`, cut inside its first top-level bracket pair."""
    pair = _outer_pair(term) if len(term) > width else None
    if pair is None:
        return [term]
    start, end = pair  # the inner text is term[start:end]
    inner = term[start:end]
    if re.search(r"\\begin|&|\\\\", inner):  # a matrix or cases: its rows cannot be cut across lines
        return [term]
    lines = broken(inner, width)
    if len(lines) == 1:
        return [term]
    first = term[:start] + lines[0] + r" \right."
    last = r"\left. " + lines[-1] + term[end:]
    return [first, *(r"\left. " + line + r" \right." for line in lines[1:-1]), last]


def _outer_pair(term: str) -> tuple[int, int] | None:
    """Where the inside of the first `\\left( ... \\right)` (or [ ], \\{ \\}) outside all braces starts and ends."""
    braces = pairs = 0
    start = None
    for match in re.finditer(r"\\left(\\\{|\(|\[|\.|\\?[^\s\\])?|\\right\b|\\\\|\\[{}]|[{}]", term):
        token = match.group()
        if token in ("{", "}"):
            braces += 1 if token == "{" else -1
        elif token.startswith(r"\left"):
            if pairs == 0 and braces == 0:
                start = match.end() if match.group(1) in ("(", "[", r"\{", ".") else None
            pairs += 1
        elif token == r"\right":
            pairs -= 1
            if pairs == 0 and braces == 0 and start is not None:
                return start, match.start()
            if pairs == 0 and braces == 0:
                return None
    return None


def _top_level_terms(latex: str) -> list[str]:
    """The pieces of `latex` that start at each top-level ` + ` or ` - `."""
    terms, start, depth = [], 0, 0
    for match in re.finditer(r"\\left\b|\\right\b|\\\\|\\[{}]|[{}]| [+-] ", latex):
        token = match.group()
        if token in ("{", r"\left"):
            depth += 1
        elif token in ("}", r"\right"):
            depth -= 1
        elif token.strip() in "+-" and depth == 0 and match.start() > start:
            terms.append(latex[start:match.start()])
            start = match.start()
    terms.append(latex[start:])
    return terms


def verdict_mark(result: StepResult) -> str:
    """Coloured, shaped and worded, so it reads in black and white too."""
    name = VERDICT_MACROS[result.verdict.verdict]
    method = escape(result.verdict.method)
    flag = "" if result.as_expected else r"\newline \textbf{UNEXPECTED}"
    return rf"{name}\newline{{\scriptsize {method}}}{flag}"


def counterexample_text(result: StepResult) -> str:
    """Where the step fails and both sides' values there."""
    return evidence_text(result.verdict.counterexample, result.verdict.shape_error)


def evidence_text(example: Counterexample | None, shape_error: str | None) -> str:
    """A shape error, or where the two sides differ and their values there; empty when there is neither."""
    if shape_error is not None:
        return escape(shape_error[0].upper() + shape_error[1:]) + "."
    if example is None:
        return ""
    point = ", ".join(f"${math(sp.Symbol(k))} = {escape(v)}$" for k, v in example.point.items()) or "every point"
    stand_ins = "; ".join(f"{escape(k)}: {escape(v)}" for k, v in example.witnesses.items())
    stand_ins = f" (with {stand_ins})" if stand_ins else ""
    region = "" if example.region == "everywhere" else f" (where {escape(example.region)})"
    if example.entry:
        region += f", entry {escape(example.entry)}"
    bound = escape(f" (certified: |difference| >= {example.bound})") if example.bound else " (certified)"
    return (
        rf"Counterexample{region}: at {point}{stand_ins}\newline "
        rf"expression before: {escape(example.lhs)}\newline this step: {escape(example.rhs)}{bound}"
    )


def readings_text(result: StepResult) -> list[str]:
    """A line read several ways: the reading chosen, each reading's verdict, and the fix when they disagree."""
    verdict = result.verdict
    if not verdict.readings:
        return []
    lines = [r"\textbf{Read as:} " + escape(result.step.read_as)]
    for reading in verdict.readings:
        which = "as read" if reading.chosen else "read otherwise"
        line = rf"{VERDICT_MACROS[reading.verdict]}{{}} {escape(f'{which}: {reading.description} ({reading.method})')}"
        evidence = evidence_text(reading.counterexample, reading.shape_error)
        lines.append(line + (rf"\newline {evidence}" if evidence else ""))
    if verdict.verdict == "ambiguous":
        lines.append(r"\textbf{Fix:} " + escape(READINGS_FIX) + ".")
    return lines


PREAMBLE = r"""\documentclass[10pt]{article}
\usepackage[a4paper,margin=2cm]{geometry}
\usepackage{amsmath,amssymb}
\usepackage{graphicx}
\usepackage{longtable,booktabs,array}
\usepackage[table]{xcolor}
\definecolor{ok}{rgb}{0.0,0.45,0.15}
\definecolor{bad}{rgb}{0.75,0.0,0.0}
\definecolor{open}{rgb}{0.75,0.45,0.0}
\definecolor{twoway}{rgb}{0.45,0.1,0.6}
\newcommand{\proved}{\textcolor{ok}{$\checkmark$\,\textbf{proved}}}
\newcommand{\refuted}{\textcolor{bad}{$\boldsymbol{\times}$\,\textbf{REFUTED}}}
\newcommand{\unproved}{\textcolor{open}{\textbf{?\,unproved}}}
\newcommand{\ambiguous}{\textcolor{twoway}{$\boldsymbol{\leftrightarrow}$\,\textbf{AMBIGUOUS}}}
\newsavebox{\fitbox}
\newcommand{\fitmath}[1]{\sbox{\fitbox}{$\displaystyle #1$}\ifdim\wd\fitbox>\linewidth
  \typeout{backproof fitmath: \the\wd\fitbox\space into \the\linewidth}\resizebox{\linewidth}{!}{\usebox{\fitbox}}
  \else\usebox{\fitbox}\fi}
\setlength{\parindent}{0pt}
\setlength{\parskip}{4pt}
\setlength{\LTpre}{2pt}
\setlength{\LTpost}{2pt}
\emergencystretch=3em
"""


def document(results: list[DerivationResult], versions: dict[str, str], date: str, note_math: bool = True) -> str:
    """The whole .tex source for `results`; with `note_math` False, no line of a note is typeset as math."""
    parts = [
        PREAMBLE,
        r"\title{backproof: verification report}",
        r"\author{" + escape(", ".join(f"{k} {v}" for k, v in versions.items())) + "}",
        r"\date{" + escape(date) + "}",
        r"\begin{document}",
        r"\maketitle",
        _summary_table(results),
        _errors_section(results, note_math),
        *_note_sections(results, note_math),
        r"\end{document}",
        "",
    ]
    return "\n".join(parts)


def _summary_table(results: list[DerivationResult]) -> str:
    two_way = any(r.count("ambiguous") for r in results)  # the ambiguous column only when some step is
    rows = []
    for r in results:
        numeric = r.numeric
        method = "--" if numeric is None else escape(numeric.method.split(" (")[0])
        error = "--" if numeric is None else f"{numeric.max_rel_error:.1e}"
        refuted = r.count("refuted")
        shown = rf"\textcolor{{bad}}{{\textbf{{{refuted}}}}}" if refuted else "0"
        ambiguous = rf" & {_ambiguous_cell(r.count('ambiguous'))}" if two_way else ""
        rows.append(
            rf"{escape(r.derivation.id)} & {escape(note_name(r.derivation.note))} & {len(r.authored)} & "
            rf"{r.count('proved')} & {shown} & {r.count('unproved')}{ambiguous} & {method} & {error} \\"
        )
    return "\n".join([
        r"\section*{Summary}",
        escape(summary_sentence(results)),
        r"{\footnotesize\begin{longtable}{@{}l l r r r r " + ("r " if two_way else "") + "l r@{}}",
        r"\toprule derivation & note & steps & proved & refuted & unproved & " + ("ambiguous & " if two_way else "")
        + r"numeric check & max error \\",
        r"\midrule\endhead",
        *rows,
        r"\bottomrule\end{longtable}}",
    ])


def _ambiguous_cell(count: int) -> str:
    return rf"\textcolor{{twoway}}{{\textbf{{{count}}}}}" if count else "0"


def note_name(note: str) -> str:
    """A corpus note by its number (`002`), any other file by its name."""
    return note[:3] if re.match(r"\d{3}_", note) else note


def summary_sentence(results: list[DerivationResult]) -> str:
    """`N derivations, S steps: P proved, R refuted (E of them errors the notes are known to make, on L lines),
    U unproved[, A ambiguous], X unexpected[; besides the authors' lines, ...].`"""
    counts = summary(results)
    found, lines = counts["errors_found"], counts["error_lines"]
    distinct = f", on {counted(lines, 'distinct line')}" if lines < found else ""
    known = f" ({found} of them errors the notes are known to make{distinct})" if found else ""
    return (
        f"{counted(counts['derivations'], 'derivation')}, {counted(counts['steps'], 'step')}: "
        f"{counts['proved']} proved, {counts['refuted']} refuted{known}, "
        f"{counts['unproved']} unproved{ambiguous_part(counts)}, {counts['unexpected']} unexpected"
        f"{besides_part(counts)}."
    )


def _refuted(results: Iterable[DerivationResult]) -> list[tuple[DerivationResult, StepResult]]:
    return [(r, s) for r in results for s in r.steps if s.verdict.verdict == "refuted"]


def _correction(result: DerivationResult, refuted: StepResult) -> StepResult | None:
    later = [s for s in result.steps[refuted.index + 1:] if s.verdict.verdict not in ("refuted", "ambiguous")]
    return later[0] if later else None


def _errors_section(results: list[DerivationResult], note_math: bool) -> str:
    found = _refuted(results)
    parts = [r"\section{Errors found in the notes}", r"{\raggedright"]
    if not found:
        return "\n".join([*parts, r"No step was refuted.\par}"])
    parts.append(escape(f"{len(found)} steps were refuted, each with a counterexample certified by ball arithmetic."))
    for result, step in found:
        d = result.derivation
        place = escape(f"{d.note}, {_place(d, step)}")
        parts += [
            rf"\subsection*{{{place}: {title(d.title, note_math)}, step {step.index}}}",
            r"\textbf{As written:}\par\smallskip " + as_written(step.step.latex, note_math),
            what_is_wrong(step),
            counterexample_text(step),
        ]
        correction = _correction(result, step)
        if correction is not None:
            parts.append(r"\textbf{Corrected step:}\par\smallskip " + encoded(correction.step.expr))
    return "\n\n".join([*parts, r"\par}"])


def _place(derivation: Derivation, step: StepResult) -> str:
    """Where a step stands in its note: the lines it cites, else the derivation's lines."""
    cites = step.step.cites
    if not cites:
        return derivation.where
    return f"line {cites[0]}" if len(cites) == 1 else "lines " + ", ".join(str(n) for n in cites)


def what_is_wrong(step: StepResult) -> str:
    """Why a refuted step is wrong: the note's known error or slip, or, for a step presented as true, that it fails."""
    if step.step.expected in ("error", "slip") and step.step.explanation:
        return rf"\textbf{{What is wrong}} ({step.step.expected}): {escape(step.step.explanation)}"
    return (r"\textbf{What is wrong:} the step is presented as true, but it does not follow from the one before "
            r"(\emph{unexpected}): the two sides differ at the point below.")


def _note_sections(results: list[DerivationResult], note_math: bool) -> list[str]:
    notes: dict[str, list[DerivationResult]] = {}
    for r in results:
        notes.setdefault(r.derivation.note, []).append(r)
    parts = []
    for note, members in notes.items():
        parts.append(rf"\section{{Note {escape(note)}}}")
        parts += [_derivation(r, note_math) for r in members]
    return parts


def _derivation(result: DerivationResult, note_math: bool) -> str:
    d = result.derivation
    lines = [
        rf"\subsection{{{title(d.title, note_math)}}}",
        rf"\textbf{{{escape(d.id)}}}, {escape(d.where)}. Symbols: "
        + "; ".join(
            [rf"${math(v.symbol)}$ in {escape(v.domain.describe())}{_reason(v)}" for v in d.variables]
            + [escape(text) for text in d.symbols_described()[len(d.variables):]]
        ) + ".",
    ]
    lines.append(r"Starts from:\par " + readable(_start(d)))
    lines += [r"Where:\par " + readable(f"{math(s)} = {math(m)}") for s, m in d.definitions]
    lines += [rf"Constraint: {escape(c.statement)}." for c in d.constraints]
    if d.kink is not None:
        lines.append(rf"Kink convention: {escape(d.kink.describe())}.")
    if d.remarks:
        lines.append(r"\textit{" + escape(d.remarks) + "}")
    if letter_products(d):
        spellings = ", ".join(f"{name} as {spelled(name)}" for name in letter_products(d))
        lines.append(escape(f"Read as products of single letters: {spellings}."))
    lines += [escape(f"Read with {said}.") for said in conventions(d)]
    lines.append(_steps_table(result, note_math))
    lines.append(_numeric_line(result))
    return "\n\n".join(lines)


def _reason(var: Var) -> str:
    """` (natural domain: log(x) needs x > 0)` for a domain chosen for a reason, nothing for a declared one."""
    return f" ({escape(var.reason)})" if var.reason and var.reason != "declared" else ""


def _shape(expr: sp.Basic) -> str:
    return f" ({escape(shape_text(expr))})" if is_matrix(expr) else ""  # symbolic sizes: h_2 is text here


def _start(d: Derivation) -> str:
    if d.variable is None:
        return math(d.function)
    if isinstance(d.variable, sp.MatrixBase):
        return rf"\frac{{\partial}}{{\partial {math(d.variable)}}} \left( {math(d.function)} \right)"
    return rf"\frac{{\partial}}{{\partial {math(d.variable)}}} {math(d.function)}"


def _steps_table(result: DerivationResult, note_math: bool) -> str:
    rows = []
    for s in result.steps:
        source = rf"{{\scriptsize\color{{gray}} {escape(provenance(s.step))}:}}\newline "
        encoding = rf"{{\scriptsize\color{{gray}} encoded as{_shape(s.step.expr)}:}}\newline " + encoded(s.step.expr)
        written = [] if s.step.latex is None else [as_written(s.step.latex, note_math)]
        content = [source + r"\newline ".join([*written, encoding])]
        content.append(r"{\small\textit{" + escape(s.step.justification) + "}}")
        if s.step.explanation:
            content.append(r"{\small " + escape(f"{s.step.expected}: {s.step.explanation}") + "}")
        content += [r"{\small " + line + "}" for line in readings_text(s)]
        if s.verdict.counterexample is not None or s.verdict.shape_error is not None:
            content.append(r"{\small " + counterexample_text(s) + "}")
        rows.append(rf"{s.index} & " + r"\newline ".join(content) + rf" & {verdict_mark(s)} \\ \midrule")
    return "\n".join([
        r"\begin{longtable}{@{}>{\raggedleft}p{0.5cm} p{0.68\linewidth} >{\raggedright\arraybackslash}p{3.2cm}@{}}",
        r"\toprule \# & step & verdict \\ \midrule\endhead",
        *rows,
        r"\end{longtable}",
    ])


def _numeric_line(result: DerivationResult) -> str:
    numeric = result.numeric
    if numeric is None:
        return "Numeric check: not a derivative, none."
    status = r"\proved" if numeric.passed else r"\refuted"
    text = (
        f"{numeric.method}, {numeric.points} points, max relative error {numeric.max_rel_error:.2e} "
        f"(tolerance {numeric.tolerance:.0e})"
    )
    line = rf"Numeric check: {status}{{}} {escape(text)}."
    if numeric_hint(numeric):
        line += " " + escape(f"The check {numeric_hint(numeric)}.")
    if numeric.kink is not None:
        k = numeric.kink
        jump = ", the function jumps there" if k.jump else ""
        line += " " + escape(
            f"At the kink {k.at}: left derivative {k.left:.6g}, right {k.right:.6g}{jump}; convention {k.convention}."
        )
    return line
