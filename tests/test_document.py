"""Reading files as people write them: layout, which derivation a block belongs to, and input that must not crash."""

import time

import pytest

from verifier.model import Derivation
from verifier.reader.check import check_files, verify_guarded
from verifier.reader.document import READ_SECONDS, read_text
from verifier.verdicts import DerivationResult

SUM_1000 = "$$\\frac{d}{dx} (" + " + ".join(["x"] * 1000) + ") = 1000$$"
NESTED_20 = "$$\\frac{d}{dx} " + "".join(f"\\sum_{{{i}=1}}^{{2}} " for i in "ijklmnopqrstuvabcdeg") + "x = 1048576$$"
TOWER_15 = "$$\\frac{d}{dx} " + "x^{" * 15 + "x" + "}" * 15 + " = 0$$"

# (file text, expected derivations as (id, steps), expected errors as (line, column, part of the message))
LAYOUTS = [
    ("# A\n$$x + x = 2x$$ and $$y + y = 2y$$\n", [("a", 1), ("a-2", 1)], []),
    ("# A\n$$x + x$$ then $$= 2x$$\n", [("a", 1)], []),
    ("# A\n$$x + x\n= 2x$$ and $$y + y = 2y$$\n", [("a", 1), ("a-2", 1)], []),
    ("\ufeff# A\n$$x + x = 2x$$\n", [("a", 1)], []),
    ("\ufeff```where\nx in (0, 1)\n```\n# A\n$$x + x = 2x$$\n", [("a", 1)], []),
    ("# A\n\ufeff```where\nx in (0, 1)\n```\n$$x + x = 2x$$\n", [("a", 1)], []),
    ("# A\n```python\nprint(1)\n$$x + x = 2x$$\n", [("a", 1)], [(2, 1, "'```' opens a fence that is never closed")]),
    ("# A\n$$x + x = 2x$$\n# B\ntext $$ y + y\n", [("a", 1)], [(4, 6, "'$$' opens a block that is never closed")]),
    ("# A\nWrite `$$` to open a block, or ``a $$ b``.\n$$x + x = 2x$$\n", [("a", 1)], []),
    ("# A\n$$x + x = 2x$$\n\n```where\nx in {-}\n```\n# B\n$$y + y = 2y$$\n", [("b", 1)],
     [(5, 7, "found '-', expected a number")]),
    ("```where\nx in (1.2.3, 4)\n```\n# A\n$$x + x = 2x$$\n", [("a", 1)], [(2, 7, "'1.2.3' is not a number")]),
    ("```where\na = (a+1)(a+2)\n```\n# A\n$$x + x = 2x$$\n", [("a", 1)], [(2, 1, "a is defined in terms of itself")]),
    ("# A\n```where\na = b + 1\nb = 2a\n```\n$$x + x = 2x$$\n# B\n$$y + y = 2y$$\n", [("b", 1)],
     [(4, 1, "a is defined in terms of itself")]),
    (f"# A\n{SUM_1000}\n# B\n$$y + y = 2y$$\n", None, []),
    (f"# A\n{NESTED_20}\n# B\n$$y + y = 2y$$\n", None, []),
    (f"# A\n{TOWER_15}\n# B\n$$y + y = 2y$$\n", None, []),
    # an unclosed $$ ends at the next heading: the sections after it are read (B was lost)
    ("# A\n$$x = x\n\nprose\n\n# B\n$$y + y = 2y$$\n", [("b", 1)], [(2, 1, "'$$' opens a block that is never closed")]),
    ("# A\n<!-- $$x = 5$$ -->\n$$x + x = 2x$$\n", [("a", 1)], []),  # a comment is never read
    # numbers too large to compute are refused (30000! was a traceback; Gamma(10^30) ran past the reading limit)
    ("# A\n$$30000! = x$$\n# B\n$$y + y = 2y$$\n", [("b", 1)], [(2, 8, "30000! is too large to compute")]),
    ("# A\n$$\\Gamma(10^{30}) = x$$\n# B\n$$y + y = 2y$$\n", [("b", 1)], [(2, 3, "is too large to compute")]),
    ("# A\n$$(20!)! = x$$\n# B\n$$y + y = 2y$$\n", [("b", 1)], [(2, 8, "is too large to compute")]),
    # a 1 x 1 product a where line defines stays unwritten: its entry, a sum of 64^4 terms, stopped the reading
    ("```where\nX \\in \\mathbb{R}^{64 \\times 64}\nW \\in \\mathbb{R}^{64 \\times 64}\n"
     "L = \\mathbf{1}^T (X W X W X W X W) \\mathbf{1}\n```\n# D\n$$\\frac{\\partial L}{\\partial W} = X^T X$$\n"
     "# B\n$$y + y = 2y$$\n", [("d", 1), ("b", 1)], []),
    # displays as other Markdown writes them (each was skipped, its section lost, with exit 0)
    ("# A\n\\[x + x = 2x\\]\n# B\n\\[\ny + y\n= 2y\n\\]\n", [("a", 1), ("b", 1)], []),
    ("# A\n\\begin{equation}\nx + x = 2x\n\\end{equation}\n", [("a", 1)], []),
    ("# A\n\\begin{align*}\nx + x &= 2x \\\\\n&= x + x\n\\end{align*}\n", [("a", 2)], []),
    ("# A\n```math\nx + x = 2x\n```\n", [("a", 1)], []),
    ("# A\n\\[x + x = 2x\n\n# B\n$$y + y = 2y$$\n", [("b", 1)], [(2, 1, "'\\[' opens a block that is never closed")]),
]


@pytest.mark.parametrize(("text", "derivations", "errors"), LAYOUTS)
def test_a_file_reads_into_these_derivations_and_errors(text: str, derivations: list[tuple[str, int]] | None,
                                                        errors: list[tuple[int, int, str]]) -> None:
    started = time.perf_counter()
    document = read_text(text, "notes.md")
    assert time.perf_counter() - started < READ_SECONDS * 2 + 5
    if derivations is None:  # hostile input: an error or a derivation, never an exception; the rest is read
        assert document.derivations and document.derivations[-1].derivation.id == "b"
        return
    assert [(d.derivation.id, len(d.steps)) for d in document.derivations] == derivations
    found = [(e.line, e.column, e.message) for e in document.errors]
    assert [(line, column) for line, column, _ in found] == [(line, column) for line, column, _ in errors]
    for (_, _, message), (_, _, part) in zip(found, errors, strict=True):
        assert part in message


ANY_REAL = "(-inf, inf), sampled in (-6, 6)"  # a symbol declared nowhere


def domains(text: str) -> dict[str, list[str]]:
    return {d.derivation.id: [v.describe() for v in d.derivation.variables] for d in read_text(text).derivations}


def test_a_where_block_under_a_heading_is_that_sections_only() -> None:
    text = "# A\n```where\nx in (0, 1)\n```\n$$x + x = 2x$$\n# B\n$$x + x = 2x$$\n"
    assert domains(text) == {"a": ["x in (0, 1)"], "b": [f"x in {ANY_REAL}"]}
    assert domains("```where\nx in (0, 1)\n```\n" + text.replace("x in (0, 1)", "x in (0, 2)")) == {
        "a": ["x in (0, 2)"], "b": ["x in (0, 1)"]}


def test_a_where_block_holds_for_the_headings_nested_under_its_own() -> None:
    text = "# A\n```where\nx in (0, 1)\n```\n## A1\n$$x + x = 2x$$\n## A2\n```where\ny in (0, 2)\n```\n" \
           "$$x + y = y + x$$\n# B\n$$x + x = 2x$$\n"
    assert domains(text) == {"a1": ["x in (0, 1)"], "a2": ["x in (0, 1)", "y in (0, 2)"],
                             "b": [f"x in {ANY_REAL}"]}


CONTINUES = """# Two derivatives
```where
w real
L = w^2
y = w^3
```
$$\\frac{dL}{dw} = 2w$$
$$\\frac{dy}{dw} = 3w^2$$
$$\\frac{dL}{dw} = w + w$$
$$= 2w$$
"""


def test_a_block_starting_with_an_earlier_derivatives_name_continues_that_derivation() -> None:
    document = read_text(CONTINUES, "notes.md")
    assert document.errors == ()
    lines = {d.derivation.id: [where.line for where in d.steps] for d in document.derivations}
    assert lines == {"two-derivatives": [7, 9, 10], "two-derivatives-2": [8]}


def test_undeclared_symbols_get_their_natural_domain_and_declared_ones_keep_theirs() -> None:
    text = "# A\n```where\ny in (-1, 1)\n```\n$$\\frac{d}{dx} \\log x + \\log y = \\frac{1}{x}$$\n"
    (read,) = read_text(text).derivations
    reasons = {str(v.symbol): (v.domain.describe(), v.reason) for v in read.derivation.variables}
    assert reasons == {"y": ("(-1, 1)", "declared"),
                       "x": ("(0, inf), sampled in (0, 6)", "natural domain: log(x) needs x > 0")}


@pytest.mark.parametrize(("final", "verdict"), [("\\frac{1}{x}", "proved"), ("\\frac{2}{x}", "refuted")])
def test_the_derivative_of_log_x_is_checked_on_its_natural_domain(final: str, verdict: str) -> None:
    (checked,) = check_files_text(f"# Log\n$$\\frac{{d}}{{dx}} \\log x = {final}$$\n")
    ((_, result),) = checked.results
    assert [s.verdict.verdict for s in result.steps] == ["proved", verdict]
    assert result.numeric is not None and result.numeric.passed  # on the last step that held
    assert result.numeric.max_rel_error < 1e-12


def check_files_text(text: str) -> list:
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "notes.md"
        path.write_text(text, encoding="utf-8")
        return check_files([path], jobs=1)


def test_a_derivation_whose_check_raises_is_an_error_and_the_others_are_checked(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import verifier.reader.check as check

    real = check.verify

    def verify(derivation: Derivation, budget_seconds: float) -> DerivationResult:
        if derivation.id == "a":
            raise RecursionError("maximum recursion depth exceeded")
        return real(derivation, budget_seconds)

    monkeypatch.setattr(check, "verify", verify)
    (checked,) = check_files_text("# A\n$$x + x = 2x$$\n# B\n$$y + y = 2y$$\n")
    assert [read.derivation.id for read, _ in checked.results] == ["b"]
    ((error),) = checked.document.errors
    assert (error.line, error.column) == (2, 11)  # its first step
    assert "internal error while checking this derivation (RecursionError" in error.message
    assert isinstance(verify_guarded(checked.results[0][0].derivation), DerivationResult)


CHAINS_OF_BLOCKS = [  # (file, the number of steps of each derivation read, the names defined by a display)
    # a display naming an undeclared symbol defines it for later blocks, and is not a step
    ("# D\n\n$$L = -y \\log a - (1 - y) \\log(1 - a)$$\n\n"
     "$$\\frac{\\partial L}{\\partial a} = -\\frac{y}{a} + \\frac{1-y}{1-a}$$\n", [1], ["L"]),
    # a statement after \implies is not claimed equal to the one before
    ("# D\n\n$$x^2 = x \\cdot x \\implies \\frac{d}{dx} x^2 = 2x$$\n", [1, 2], []),
    # the same left side restated goes on with the same derivation
    ("```where\n\\mathcal{L}(z, y) = (z - y)^2\n```\n\n# D\n\n$$\\mathcal{L}(z, y) = z^2 - 2zy + y^2$$\n\n"
     "$$\\mathcal{L}(z, y) = (y - z)^2$$\n", [2], []),
]


@pytest.mark.parametrize(("text", "steps", "defined"), CHAINS_OF_BLOCKS)
def test_blocks_make_derivations_as_a_reader_would(text: str, steps: list[int], defined: list[str]) -> None:
    from verifier.reader.document import read_text

    document = read_text(text, "d.md")
    assert document.errors == ()
    assert [len(d.derivation.steps) for d in document.derivations] == steps
    assert [s.name for d in document.derivations for s, _ in d.derivation.definitions][:len(defined)] == defined


def test_a_derivative_in_another_name_of_a_variable_is_one_in_that_variable() -> None:
    text = ("# E\n\n```where\no, y in (-3, 3)\nE = \\frac{1}{2}(o - y)^2\no_1 = o\n```\n\n"
            "$$\\frac{\\partial E}{\\partial o} = (o - y)$$\n\n$$\\frac{\\partial E}{\\partial o_1} = o_1 - y$$\n")
    (read,) = read_text(text).derivations
    assert [str(s.expr) for s in read.derivation.steps] == ["o - y", "o_1 - y"]
    assert str(read.derivation.variable) == "o"


def test_a_block_restating_a_defined_name_goes_on_with_its_derivation() -> None:
    text = ("# d\n\n```where\nz real\n\\delta = \\frac{d}{dz} z^2\n```\n\n"
            "$$\\delta = \\frac{d}{dz} z^2$$\n\n$$\\delta = 2z$$\n")
    (read,) = read_text(text).derivations
    assert len(read.derivation.steps) == 2


def test_a_steps_text_keeps_the_left_that_sizes_its_bracket() -> None:
    (read,) = read_text("# A\n\n$$\\frac{d}{dx} x^2 = \\left(2x\\right)$$\n").derivations
    assert read.derivation.steps[-1].latex == "\\left(2x\\right)"


ROWS_AND_MACROS = [  # (a derivation as sources write it, the verdict of each derivation's steps in turn)
    # each row of an aligned block with its own left side is an equation of its own
    ("\\begin{aligned}\\frac{d}{dx} x^2 &= 2x \\\\ \\frac{d}{dx} x^3 &= 3x^2\\end{aligned}",
     [["proved", "proved"], ["proved", "proved"]]),
    ("\\begin{aligned}\\frac{d}{dx} x^2 &= 2x \\\\ \\frac{d}{dx} x^3 &= 3x\\end{aligned}",
     [["proved", "proved"], ["proved", "refuted"]]),
    # a row that starts with & and a sign goes on with the expression above (after a refuted step, the next
    # is compared with the step before it)
    ("\\frac{d}{dx}(x^3 + x^2) &= 3x^2 \\\\ &\\quad + 2x \\\\ &= x(3x + 2)", [["proved", "proved", "proved"]]),
    ("\\frac{d}{dx}(x^3 + x^2) &= 3x^2 \\\\ &\\quad - 2x \\\\ &= x(3x + 2)", [["proved", "refuted", "proved"]]),
    # a boxed equation; d\sigma/dz names the derivative of \sigma(z)
    ("\\boxed{\\frac{d\\sigma}{dz} = \\sigma(z)(1 - \\sigma(z))}", [["proved"]]),
    ("\\boxed{\\frac{d\\sigma}{dz} = \\sigma(z)(1 + \\sigma(z))}", [["refuted"]]),
    # ProofWiki's \map and \d
    ("\\map {\\dfrac \\d {\\d x} } {\\tanh x} = 1 - \\tanh^2 x", [["proved", "proved"]]),
    ("\\map {\\dfrac \\d {\\d x} } {\\tanh x} = 1 + \\tanh^2 x", [["proved", "refuted"]]),
    # plain text: d/dx, a power in brackets
    ("d/dx(x^3 + 1)^(1/2) = (3/2) x^2 (x^3 + 1)^(-1/2)", [["proved", "proved"]]),
    ("d/dx(x^3 + 1)^(1/2) = (3/2) x^2 (x^3 + 1)^(1/2)", [["proved", "refuted"]]),
    # the incomplete gamma functions, by their number of arguments
    ("\\frac{\\partial}{\\partial x} \\Gamma(2, x) = -x e^{-x}", [["proved", "proved"]]),
    ("\\frac{\\partial}{\\partial x} \\gamma(2, x) = -x e^{-x}", [["proved", "refuted"]]),
    # two equations on one line, apart by \\qquad (the second was multiplied into the first: false refutations)
    ("\\frac{d}{dx}\\sin x = \\cos x \\qquad \\frac{d}{dx}\\cos x = -\\sin x",
     [["proved", "proved"], ["proved", "proved"]]),
    ("\\frac{d}{dx}\\sin x = \\cos x, \\quad \\frac{d}{dx}\\cos x = \\sin x",
     [["proved", "proved"], ["proved", "refuted"]]),
    # implications carried over blank rows
    ("e^{x} e^{x} = e^{2x} \\Rightarrow \\\\ \\\\ \\Rightarrow \\frac{d}{dx} e^{2x} = 2e^{2x}",
     [["proved"], ["proved", "proved"]]),
    ("e^{x} e^{x} = e^{2x} \\Rightarrow \\\\ \\\\ \\Rightarrow \\frac{d}{dx} e^{2x} = 2e^{x}",
     [["proved"], ["proved", "refuted"]]),
]


@pytest.mark.parametrize(("formula", "verdicts"), ROWS_AND_MACROS)
def test_rows_boxes_and_macros_are_judged_row_by_row(formula: str, verdicts: list[list[str]]) -> None:
    (checked,) = check_files_text(f"# D\n\n$${formula}$$\n")
    assert checked.document.errors == ()
    assert [[s.verdict.verdict for s in result.steps] for _, result in checked.results] == verdicts


UNBOUNDED_SUMS = [  # (where block, formula, verdicts): \sum_i runs over the one range the where block declares
    ("x_1, x_2, x_3 real\nindices k from 1 to 3", "\\frac{\\partial}{\\partial x_k} \\sum_i x_i^2 = 2 x_k",
     ["proved", "proved"]),
    ("x_1, x_2, x_3 real\nindices k from 1 to 3", "\\frac{\\partial}{\\partial x_k} \\sum_i x_i^2 = 2 x_1",
     ["proved", "refuted"]),
    ("s_i = i x for i from 1 to 3\nx real", "\\frac{d}{dx} \\sum_j s_j = 6", ["proved", "proved"]),
]


@pytest.mark.parametrize(("where", "formula", "verdicts"), UNBOUNDED_SUMS)
def test_an_unbounded_sum_runs_over_the_declared_range(where: str, formula: str, verdicts: list[str]) -> None:
    (checked,) = check_files_text(f"# D\n\n```where\n{where}\n```\n\n$${formula}$$\n")
    assert checked.document.errors == ()
    ((_, result),) = checked.results
    assert [s.verdict.verdict for s in result.steps] == verdicts


def test_an_unbounded_sum_runs_over_the_family_it_adds_up_and_says_so() -> None:
    (checked,) = check_files_text("# D\n\n```where\nw_1, w_2, w_3, w_4 real\nc = 2\nindices r from 1 to 2\n```\n\n"
                                  "$$\\frac{\\partial}{\\partial w_r} \\left(\\sum_j c w_j\\right)^2 = "
                                  "8(w_1 + w_2 + w_3 + w_4)$$\n")
    ((read, result),) = checked.results
    assert [s.verdict.verdict for s in result.steps] == ["proved", "proved"]
    said = [c for step in read.derivation.steps for c in step.conventions]
    assert "\\sum_j runs from 1 to 4: w_1 ... w_4 are declared" in said


def test_an_unbounded_sum_with_two_declared_ranges_asks_where_it_runs() -> None:
    (checked,) = check_files_text("# D\n\n```where\nindices k from 1 to 3\ns_i = i for i from 1 to 4\n```\n\n"
                                  "$$\\sum_i i^2 = 14$$\n")  # no family under the sum to say which range
    (error,) = checked.document.errors
    assert "say where the sum runs" in error.message


KNOWN_FUNCTION_LABELS = [  # (where block, formula, the error, or None when it reads): d\sigma/dz is \sigma(z) only
    # where the chain applies \sigma to z and z is a variable, not a defined name
    ("", "\\frac{d\\sigma}{dz} = \\sigma(z)(1 - \\sigma(z))", None),
    ("z = w x + b", "\\frac{d\\sigma}{dz} = \\sigma(z)(1 - \\sigma(z))", "cannot tell what the derivative"),
    ("z = w x + b", "\\frac{\\partial \\sigma}{\\partial w} = \\sigma(z)(1 - \\sigma(z)) x",
     "cannot tell what the derivative"),
    ("w, x real", "\\frac{\\partial \\sigma}{\\partial w} = \\sigma(w x)(1 - \\sigma(w x)) x",
     "cannot tell what the derivative"),
    ("a = \\sigma(z)", "\\frac{d\\sigma}{da} = 1", "cannot tell what the derivative"),
]


@pytest.mark.parametrize(("where", "formula", "error"), KNOWN_FUNCTION_LABELS)
def test_a_known_functions_name_as_a_derivatives_name(where: str, formula: str, error: str | None) -> None:
    from verifier.reader.document import read_text

    block = f"```where\n{where}\n```\n\n" if where else ""
    document = read_text(f"# D\n\n{block}$${formula}$$\n")
    assert [e.message for e in document.errors if error is None or error not in e.message] == []
    assert len(document.errors) == (0 if error is None else 1)


UNICODE_VARIANTS = [  # (where block, formula, verdicts): a Unicode phi or epsilon is the variant declared
    ("\\varepsilon in (0.1, 1)", "\\frac{d}{d\u03b5} \\log \u03b5 = \\frac{1}{\\varepsilon}", ["proved", "proved"]),
    ("\\varphi(x) = x^2", "\\frac{d}{dx} \u03c6(x) = 2x", ["proved", "proved"]),
    ("x real", "\\frac{d}{dx} x \\Phi(x) = \\Phi(x) + x \u03c6(x)", ["proved", "proved"]),  # \\phi: the density
]


@pytest.mark.parametrize(("where", "formula", "verdicts"), UNICODE_VARIANTS)
def test_a_unicode_phi_or_epsilon_is_the_variant_declared(where: str, formula: str, verdicts: list[str]) -> None:
    (checked,) = check_files_text(f"# D\n\n```where\n{where}\n```\n\n$${formula}$$\n")
    ((_, result),) = checked.results
    assert [s.verdict.verdict for s in result.steps] == verdicts


def test_both_variants_declared_make_a_unicode_phi_an_error() -> None:
    (checked,) = check_files_text("# D\n\n```where\n\\phi, \\varphi real\n```\n\n$$\u03c6 + 1 = 1 + \u03c6$$\n")
    (error,) = checked.document.errors
    assert "are both declared" in error.message


def test_a_family_with_a_gap_says_where_the_sum_cannot_run() -> None:
    (checked,) = check_files_text("# D\n\n```where\nw_1, w_2, w_4 real\n```\n\n$$\\sum_j w_j = w_1 + w_2 + w_4$$\n")
    (error,) = checked.document.errors
    assert "the declared entries of w are w_1, w_2, w_4" in error.message


def test_a_single_reading_is_shown_when_the_other_cannot_be_read() -> None:
    (checked,) = check_files_text("# D\n\n$$\\frac{d}{dx} x^2 = 2 max(x, 0) + 2 min(x, 0)$$\n")
    ((read, _),) = checked.results
    assert "'max' read as the function max" in read.derivation.steps[-1].read_as


ENTRIES_OF_A_FAMILY = [  # (formula, verdicts): x_1 is the entry x[1] of the family a sum to a symbolic size adds up
    ("\\frac{d}{dx_1}\\sum_{j=1}^{n} x_j^2 = 2x_1", ["proved", "proved"]),  # it was refuted: x_1 apart from x[1]
    ("\\frac{d}{dx_1}\\sum_{j=1}^{n} x_j^2 = 3x_1", ["proved", "refuted"]),
    ("\\frac{d}{dx_2}\\sum_{j=1}^{n} x_j^3 = 3x_1^2", ["proved", "refuted"]),
]


@pytest.mark.parametrize(("formula", "verdicts"), ENTRIES_OF_A_FAMILY)
def test_an_entry_written_with_a_number_is_the_familys(formula: str, verdicts: list[str]) -> None:
    (checked,) = check_files_text(f"# D\n\n```where\nn positive integer\nx_i in (0, 1)\n```\n\n$${formula}$$\n")
    ((_, result),) = checked.results
    assert [s.verdict.verdict for s in result.steps] == verdicts


SOFTMAX_3 = "\\frac{e^{x_2}}{e^{x_1} + e^{x_2} + e^{x_3}}"
TRUE_CLASS_LOSS = "\\frac{\\partial}{\\partial x_2}\\left(-\\log\\frac{e^{x_y}}{e^{x_1} + e^{x_2} + e^{x_3}}\\right)"
NAMED_INDEX = [  # (where block, blocks, each derivation's verdicts): a subscript defined as a number is that index
    # x_y with y = 2: x_2, the true class's logit (x_y was a symbol apart: the gradient's -1 went missing, proved)
    ("x_1, x_2, x_3 real\ny = 2", [f"{TRUE_CLASS_LOSS} = {SOFTMAX_3} - 1"], [["proved", "proved"]]),
    ("x_1, x_2, x_3 real\ny = 2", [f"{TRUE_CLASS_LOSS} = {SOFTMAX_3}"], [["proved", "refuted"]]),
    ("x_1, x_2, x_3 real\ny = 2\nC = 3", ["\\ell = -\\log\\frac{\\exp(x_y)}{\\sum_{c=1}^{C}\\exp(x_c)}",
                                        "\\frac{\\partial \\ell}{\\partial x_2} = "
                                        "\\frac{\\exp(x_2)}{\\sum_{c=1}^{C}\\exp(x_c)}"], [["refuted"]]),
]


GAUSSIAN_LOG_DENSITY = "\\log p(x) = -\\frac{1}{2}\\log(2\\pi\\sigma^2) - \\frac{(x - \\mu)^2}{2\\sigma^2}"
HELD_BCE = "z real\ny in (0, 1)\na = \\sigma(z)\nL = -y\\log\\sigma(z) - (1 - y)\\log(1 - \\sigma(z))"
HELD_CHAIN = "\\frac{\\partial L}{\\partial a}\\frac{\\partial a}{\\partial z}"
DISPLAYED_DEFINITIONS = [  # (where block, blocks, each derivation's verdicts): what display blocks define
    # a function written with its variables in brackets (it was read as the product L lambda: a false refutation)
    ("\\lambda > 0\nx > 0", ["L(\\lambda) = \\lambda e^{-\\lambda x}", "\\frac{d}{d\\lambda}\\ln L(\\lambda) = "
                             "\\frac{1}{\\lambda} - x"], [["proved", "proved"]]),
    ("\\lambda > 0\nx > 0", ["L(\\lambda) = \\lambda e^{-\\lambda x}", "\\frac{d}{d\\lambda}\\ln L(\\lambda) = "
                             "\\frac{1}{\\lambda} + x"], [["proved", "refuted"]]),
    ("x real", ["f(x) = x^2", "f'(x) = 2x"], [["proved"]]),
    ("x real", ["f(x) = x^2", "f'(x) = 3x"], [["refuted"]]),
    ("x real", ["g(x) = x^3 \\Rightarrow g'(x) = 3x^2"], [["proved"]]),
    ("x real", ["g(x) = x^3 \\Rightarrow g'(x) = 3x"], [["refuted"]]),
    ("\\mu real\n\\sigma > 0\nx real", ["\\ell(\\mu, \\sigma) = -\\log \\sigma - \\frac{(x - \\mu)^2}{2\\sigma^2}",
                                        "\\frac{\\partial \\ell}{\\partial \\mu} = \\frac{x - \\mu}{\\sigma^2}"],
     [["proved"]]),
    ("\\mu real\n\\sigma > 0\nx real", ["\\ell(\\mu, \\sigma) = -\\log \\sigma - \\frac{(x - \\mu)^2}{2\\sigma^2}",
                                        "\\frac{\\partial \\ell}{\\partial \\mu} = \\frac{\\mu - x}{\\sigma^2}"],
     [["refuted"]]),
    # the log of a function being defined, a log-density (it was log(p x): two false refutations)
    ("x real\n\\mu real\n\\sigma > 0", [GAUSSIAN_LOG_DENSITY, "\\frac{\\partial}{\\partial \\mu} \\log p(x) = "
                                         "\\frac{x - \\mu}{\\sigma^2}"], [["proved", "proved"]]),
    ("x real\n\\mu real\n\\sigma > 0", [GAUSSIAN_LOG_DENSITY, "\\frac{\\partial}{\\partial \\mu} \\log p(x) = "
                                         "\\frac{\\mu - x}{\\sigma^2}"], [["proved", "refuted"]]),
    ("x real\n\\mu real\n\\sigma > 0", [GAUSSIAN_LOG_DENSITY, "\\frac{\\partial p(x)}{\\partial \\mu} = "
                                         "p(x) \\frac{x - \\mu}{\\sigma^2}"], [["proved", "proved"]]),
    ("x real\n\\mu real\n\\sigma > 0", [GAUSSIAN_LOG_DENSITY.replace("\\log", "\\ln"),
                                         "\\frac{\\partial}{\\partial \\sigma} \\ln p(x) = -\\frac{1}{\\sigma} + "
                                         "\\frac{(x - \\mu)^2}{\\sigma^2}"], [["proved", "refuted"]]),  # sigma^3
    ("x real", ["\\log p(x) + 1 = \\log p(x) + 1"], [["proved"]]),  # inside a longer expression: letters, as before
    # dL/da where L writes out what a stands for: that is a, as backprop reads it (dL/da was 0: a false refutation,
    # and a display differentiating in a defined name was an internal error)
    (HELD_BCE, ["\\frac{\\partial L}{\\partial a} = -\\frac{y}{a} + \\frac{1 - y}{1 - a}"], [["proved"]]),
    (HELD_BCE, ["\\frac{\\partial L}{\\partial a} = \\frac{y}{a} - \\frac{1 - y}{1 - a}"], [["refuted"]]),
    (HELD_BCE, ["\\frac{\\partial L}{\\partial a} = 0"], [["refuted"]]),
    (HELD_BCE, [f"\\frac{{\\partial L}}{{\\partial z}} = {HELD_CHAIN} = a - y"],
     [["proved", "proved"]]),
    (HELD_BCE, [f"\\frac{{\\partial L}}{{\\partial z}} = {HELD_CHAIN} = y - a"],
     [["proved", "refuted"]]),
    # a function with a word for a name, defined in a display (it was "'\\text{selu}' in the middle of a formula")
    ("x real", ["\\operatorname{selu}(x) = 2x + x^2", "\\frac{d}{dx}\\operatorname{selu}(x) = 2 + 2x"],
     [["proved", "proved"]]),
    ("x real", ["\\operatorname{selu}(x) = 2x + x^2", "\\frac{d}{dx}\\operatorname{selu}(x) = 2 + x"],
     [["proved", "refuted"]]),
    ("x real", ["\\mathrm{Mish}(x) = x \\tanh x", "\\mathrm{Mish}'(x) = \\tanh x + x (1 - \\tanh^2 x)"], [["proved"]]),
    ("x real", ["\\text{Hardtanh}(x) = \\tanh x", "\\mathrm{Hardtanh}'(x) = \\tanh^2 x"], [["refuted"]]),
    # a word alone before '=' names what the display defines (it was "'KL' in the middle of a formula")
    ("\\mu_1, \\mu_2 real\n\\sigma > 0", [r"\mathrm{KL} = \frac{(\mu_1 - \mu_2)^2}{2\sigma^2}",
                                          r"\frac{\partial \mathrm{KL}}{\partial \mu_1} = "
                                          r"\frac{\mu_1 - \mu_2}{\sigma^2}"],
     [["proved"]]),
    # a definition whose summed index is also a declared free index reads once, k summed
    ("K = 2\nindices k from 1 to K\ns_1, s_2 real", ["J = -\\sum_{k=1}^{K}\\log\\sigma(-s_k)",
                                                    "\\frac{\\partial J}{\\partial s_k} = \\sigma(s_k)"], [["proved"]]),
    ("K = 2\nindices k from 1 to K\ns_1, s_2 real", ["J = -\\sum_{k=1}^{K}\\log\\sigma(-s_k)",
                                                    "\\frac{\\partial J}{\\partial s_k} = \\sigma(-s_k)"],
     [["refuted"]]),
    # backprop's chain rule through defined names, three links (it raised inside SymPy: a derivative in tanh(z))
    ("b real\nz = 2b\na = \\tanh(z)\nL = a^2", ["\\frac{\\partial L}{\\partial b} = \\frac{\\partial L}{\\partial a}"
                                              "\\cdot\\frac{\\partial a}{\\partial z}\\cdot\\frac{\\partial z}"
                                              "{\\partial b} = 4 a (1 - a^2)"], [["proved", "proved"]]),
    ("b real\nz = 2b\na = \\sin(z)\nL = a^2 + z", ["\\frac{\\partial L}{\\partial b} = \\frac{\\partial L}{\\partial a}"
                                                 "\\cdot\\frac{\\partial a}{\\partial z}\\cdot\\frac{\\partial z}"
                                                 "{\\partial b}"], [["refuted"]]),  # L also holds z: the sum is missed
]


@pytest.mark.parametrize(("where", "blocks", "verdicts"), DISPLAYED_DEFINITIONS + NAMED_INDEX)
def test_what_a_display_defines_reads_in_the_blocks_after_it(where: str, blocks: list[str],
                                                              verdicts: list[list[str]]) -> None:
    text = f"# D\n\n```where\n{where}\n```\n\n" + "".join(f"$${b}$$\n\n" for b in blocks)
    (checked,) = check_files_text(text)
    assert checked.document.errors == ()
    assert [[s.verdict.verdict for s in result.steps] for _, result in checked.results] == verdicts


def test_a_display_defining_a_function_in_terms_of_itself_is_an_error() -> None:
    (checked,) = check_files_text("# D\n\n```where\nx real\n```\n\n$$x + x = 2x$$\n\n$$L(x) = 2 L(x)$$\n")
    (error,) = checked.document.errors
    assert "defines L" in error.message and error.line == 9


def test_a_function_written_inside_a_longer_first_expression_stays_letters_and_is_listed() -> None:
    (checked,) = check_files_text("# D\n\n```where\nx real\n```\n\n$$L(x) + 1 = x + 1$$\n")
    ((read, _),) = checked.results
    assert "L" in read.undeclared


def test_a_subscript_defined_as_a_number_is_said_with_the_derivation() -> None:
    (checked,) = check_files_text(f"# D\n\n```where\n{NAMED_INDEX[0][0]}\n```\n\n$${NAMED_INDEX[0][1][0]}$$\n")
    ((read, _),) = checked.results
    assert read.undeclared == ()
    assert any("the subscript y read as 2" in c for s in read.derivation.steps for c in s.conventions)


def test_a_name_a_definition_uses_and_no_where_block_declares_is_listed() -> None:
    text = "# D\n\n```where\nx real\n```\n\n$$f = x + q$$\n\n$$\\frac{df}{dx} = 1$$\n"
    (checked,) = check_files_text(text)
    ((read, _),) = checked.results
    assert read.undeclared == ("q",)


LOST_CONDITIONS = [  # (where block, formula, verdict): what a line needs as written, though SymPy's evaluation drops it
    ("x in (-2, 2)", "e^{\\log x} = x", "refuted"),  # proved before: SymPy reads e^{log x} as x
    ("x in (0, 2)", "e^{\\log x} = x", "proved"),
    ("x > 0", "e^{\\log x} = x", "proved"),
    ("x in (-2, 2)", "(\\sqrt{x})^2 = x", "refuted"),
    ("x in (-2, 2)", "\\sqrt{x}\\sqrt{x} = x", "refuted"),
    ("x in (-2, 2)", "\\frac{x}{x} = 1", "refuted"),  # 0/0 at 0
    ("x in (-2, 2)", "\\frac{1}{1/x} = x", "refuted"),
    ("x in (1, 2)", "\\frac{x}{x} = 1", "proved"),
    # factor, then cancel: both sides are 0/0 at x = 1 as written (it was refuted there, a false refutation)
    ("x in (0, 2)", "\\frac{x^2 - 1}{x - 1} = \\frac{(x+1)(x-1)}{x-1}", "proved"),
    ("x in (0, 2)", "\\frac{x^2 - 1}{x - 1} = \\frac{(x+2)(x-1)}{x-1}", "refuted"),
    ("\\Phi standard normal cdf\nx in (-6, 6)", "\\exp(-\\log\\Phi(x)) = \\frac{1}{\\Phi(x)}", "proved"),  # Arb
    # ... Arb encloses a bounded domain only (it was used on the sampling box); on every real, Phi > 0 since erf
    # never reaches -1; a linear function of tanh that reaches 0 at its range's end is positive inside too
    ("\\Phi standard normal cdf\nx real", "\\exp(-\\log\\Phi(x)) = \\frac{1}{\\Phi(x)}", "proved"),
    ("x real", "e^{\\log(1 + \\tanh x)} = 1 + \\tanh x", "proved"),
    ("x real", "e^{\\log(1 + 2\\tanh x)} = 1 + 2\\tanh x", "refuted"),
    # a guard settled on the sampling box of an unbounded domain proved this (false past x = 7): the screen now
    # tries powers of ten past the box, where the domain goes on
    ("x real", "e^{\\log(7 - x)} = 7 - x", "refuted"),
    ("x real", "\\max(x, 7) = 7", "refuted"),  # proved by the box's bounds before: false at x = 8
    ("x \\geq 0", "\\frac{x}{x} = 1", "refuted"),  # 0/0 at the held end (proved before: x was taken positive)
    ("x in [0, 1]", "\\log x - \\log x = 0", "refuted"),
    ("x > 0", "\\min(x, 10^6) = x", "refuted"),  # past the sampling box, at a power of ten the domain holds
    # a side with no real value is undefined, whatever complex number a formula for it gives: past 1 neither side of
    # these has one (they were refuted, -0.651i against undefined); a real side against a complex one still differs
    ("x in (-2, 2)", "\\frac{d}{dx}\\arcsin x = \\frac{1}{\\sqrt{1 - x^2}}", "unproved"),
    ("x in (-3, 3)", "\\frac{d}{dx}\\sqrt{x} = \\frac{1}{2\\sqrt{x}}", "proved"),  # both need x > 0
    # the derivative of a function needs what the function needs: log(x - 10) has no value on (-3, 3), nor its
    # derivative, though 1/(x - 10) has (proved before); log(cos x) has none past pi/2
    ("x in (-3, 3)", "\\frac{d}{dx}\\log(x - 10) = \\frac{1}{x - 10}", "refuted"),
    ("x in (0.1, 3)", "\\frac{d}{dx}\\log(\\cos x) = -\\tan x", "refuted"),
    ("x in (0.1, 1.5)", "\\frac{d}{dx}\\log(\\cos x) = -\\tan x", "proved"),
    ("x > 10", "\\frac{d}{dx}\\log(x - 10) = \\frac{1}{x - 10}", "proved"),
    # tan and sec need cos u != 0, cot and csc sin u != 0: arctan(tan x) has no derivative at pi/2 (it was proved
    # to be 1 across the pole); a rule whose other side has the same poles is still proved
    ("x in (-3, 3)", "\\frac{d}{dx}\\arctan(\\tan x) = 1", "unproved"),
    ("x in (-1, 1)", "\\frac{d}{dx}\\arctan(\\tan x) = 1", "proved"),
    ("x in (-3, 3)", "\\frac{d}{dx}\\tan x = \\sec^2 x", "proved"),
    ("x in (0, 3)", "\\frac{d}{dx}\\cot x = -\\csc^2 x", "proved"),
    # a need on a finite domain is settled value by value: log(y!) with y in {0, ..., 4} (the Poisson likelihood's
    # gradient was unproved since derivatives needed what their function needs)
    ("\\theta in (-2, 2)\nx in (-2, 2)\ny in {0, 1, 2, 3, 4}",
     "\\frac{d}{d\\theta}\\left(e^{\\theta x} - y \\theta x + \\log(y!)\\right) = x e^{\\theta x} - y x", "proved"),
    # a side undefined everywhere as written states nothing true, even against itself (it was proved)
    ("x real", "\\log(-\\cosh x) = \\log(-\\cosh x)", "refuted"),
    ("x real", "\\log(x^2) = 2\\log x", "refuted"),
    # a root of 0 is 0, an odd root needs nothing, a branch's needs are its own (each was refuted by a review)
    ("x real", "\\left(\\sqrt{x^2 - 2x + 1}\\right)^2 = x^2 - 2x + 1", "proved"),
    ("x real", "(\\sqrt[3]{x})^3 = x", "proved"),
    ("x real", "\\begin{cases} \\frac{x^2}{x} & x > 0 \\\\ 0 & x \\le 0 \\end{cases} = \\max(x, 0)", "proved"),
    ("x in (0, 6)", "\\sin(\\arcsin x) = x", "refuted"),  # arcsin needs x <= 1, and the counterexample is past 1
    ("x real", "\\frac{d}{dx}(\\sqrt{x^2+2x+1})^2 = 2(x+1)", "proved"),  # still a derivative, and checked
    ("x real", "\\sum_{i=1}^{3} x^i = x + x^2 + x^3", "proved"),  # x^i, i an index: no root (it was refuted at x < 0)
    # 0/0 at x = 1, a root of a log found exactly (an internal error before: a ball reached an exact sign test)
    ("x > 0", "\\log(e^x) \\cdot \\frac{\\log x}{\\log x} = x", "refuted"),
    ("x in (0, 2)", "\\frac{\\ln x}{\\ln x} = 1", "refuted"),
    ("x in (2, 5)", "\\frac{\\ln x}{\\ln x} = 1", "proved"),
]


@pytest.mark.parametrize(("where", "formula", "verdict"), LOST_CONDITIONS)
def test_a_line_needs_what_it_writes_even_where_sympy_drops_it(where: str, formula: str, verdict: str) -> None:
    (checked,) = check_files_text(f"# D\n\n```where\n{where}\n```\n\n$${formula}$$\n")
    assert checked.document.errors == ()
    ((_, result),) = checked.results
    step = result.steps[-1]
    assert step.verdict.verdict == verdict, step.verdict
    if formula.startswith("\\sin(\\arcsin"):
        assert "it needs x <= 1" in step.verdict.counterexample.lhs
    if "x^2+2x+1" in formula:
        assert result.numeric is not None and result.numeric.passed
    if verdict == "refuted" and "e^{\\log x}" in formula:
        assert "as written, it needs x > 0" in step.verdict.counterexample.lhs


@pytest.mark.parametrize(("claim", "verdict"), [
    ("\\begin{cases} 0 & y > 0 \\\\ y & y \\le 0 \\end{cases}", "proved"),
    ("\\begin{cases} 0 & y > 0 \\\\ 2y & y \\le 0 \\end{cases}", "refuted"),
])
def test_a_kink_in_another_variable_leaves_a_partial_derivative_alone(claim: str, verdict: str) -> None:
    prelu = "\\frac{\\partial}{\\partial a}\\begin{cases} y & y > 0 \\\\ a y & y \\le 0 \\end{cases}"
    (checked,) = check_files_text(f"# P\n\n```where\ny real\na in (0, 1)\n```\n\n$${prelu} = {claim}$$\n")
    ((_, result),) = checked.results  # PReLU's slope was unproved: 'a kink (y = 0)' in the wrong variable
    assert result.steps[-1].verdict.verdict == verdict


def test_a_counterexample_inside_the_sampling_box_is_shown_before_one_past_it() -> None:
    slip = "\\frac{d}{dx}\\sigma(x) = \\sigma(x)(1 + \\sigma(x))"
    (checked,) = check_files_text(f"# S\n\n```where\nx real\n```\n\n$${slip}$$\n")
    ((_, result),) = checked.results
    example = result.steps[-1].verdict.counterexample  # it was x = 100, where sigma' is 3.7e-44: true, but unreadable
    assert result.steps[-1].verdict.verdict == "refuted" and abs(float(example.point["x"])) < 6
