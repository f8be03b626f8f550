"""A line with two readings: checked both ways, ambiguous when one reading is refuted and another is not, shown."""

from __future__ import annotations

import dataclasses
import io
import json
import re

import pytest
import sympy as sp
from rich.console import Console

from verifier import Derivation, DerivationResult, Interval, Step, StepVerdict, Var, verify
from verifier.cli import check_summary_line, check_table, show
from verifier.latex import document
from verifier.model import Reading
from verifier.reader.check import CheckedFile, check_report, exit_code
from verifier.reader.document import Document, Located, TextDerivation
from verifier.serialize import derivation_dict, summary, summary_line
from verifier.verdicts import READINGS_FIX, with_readings

x = sp.Symbol("x", real=True)
t, a, n, h = sp.symbols("t a n h", real=True)
PRODUCT = x**2 * sp.exp(x)
WHOLE = "d/dx applies to the whole product x^2 \\cdot e^x"
FIRST = "d/dx applies to x^2 only"
RIGHT = 2 * x * sp.exp(x) + x**2 * sp.exp(x)  # d/dx (x^2 e^x)
HALF = 2 * x * sp.exp(x)  # d/dx (x^2) e^x: the derivative stops at \cdot
WRONG = x * sp.exp(x)  # neither reading
BUDGET = 2.0


def derivation(*steps: Step, letters: bool = False) -> Derivation:
    """The derivative of x^2 e^x in x, with these steps (and t, a, n, h declared for a letter reading)."""
    spelled = tuple(Var(s, Interval(-2, 2)) for s in (t, a, n, h)) if letters else ()
    return Derivation("two-readings", "Two readings", "notes.md", "line 1", (Var(x, Interval(-3, 3)), *spelled),
                      PRODUCT, steps, variable=x)


def two_way(chosen: sp.Expr, other: sp.Expr, expected: str = "valid", explanation: str = "") -> Step:
    """A step read as `chosen` (the derivative stops at \\cdot), with the whole-product reading `other`."""
    return Step(chosen, "product rule", r"2x \cdot e^x", expected, explanation, read_as=FIRST,
                alternatives=(Reading(other, WHOLE),))


# (chosen reading, its alternative, the step's verdict, each reading's verdict)
TABLE = [
    (HALF, RIGHT, "ambiguous", ["refuted", "proved"]),  # refuted only because of how it was read
    (RIGHT, HALF, "ambiguous", ["proved", "refuted"]),  # the readings disagree, whichever is chosen
    (WRONG, HALF, "refuted", ["refuted", "refuted"]),  # wrong either way: a refutation
]


@pytest.mark.parametrize(("chosen", "other", "verdict", "readings"), TABLE)
def test_each_reading_is_checked_and_the_step_is_ambiguous_when_the_readings_disagree(
    chosen: sp.Expr, other: sp.Expr, verdict: str, readings: list[str]
) -> None:
    result = verify(derivation(two_way(chosen, other)), BUDGET)
    step = result.steps[0].verdict
    assert step.verdict == verdict
    assert [r.verdict for r in step.readings] == readings
    assert [r.description for r in step.readings] == [FIRST, WHOLE]
    assert [r.chosen for r in step.readings] == [True, False]
    assert (step.readings[0].counterexample is None) == (readings[0] != "refuted")
    assert not result.ok


@pytest.mark.parametrize(("chosen", "others", "verdict"), [
    ("refuted", ["unproved"], "ambiguous"),
    ("refuted", ["refuted", "proved"], "ambiguous"),
    ("refuted", ["refuted", "refuted"], "refuted"),
    ("unproved", ["refuted"], "ambiguous"),
    ("proved", ["refuted"], "ambiguous"),
    ("proved", ["unproved"], "proved"),
    ("unproved", ["proved"], "unproved"),
])
def test_the_rule_on_every_combination(chosen: str, others: list[str], verdict: str) -> None:
    combined = with_readings(StepVerdict(chosen, "m", 1.0), "as read",  # type: ignore[arg-type]
                             [(f"other {i}", StepVerdict(v, "m", 1.0)) for i, v in enumerate(others)])  # type: ignore[arg-type]
    assert combined.verdict == verdict
    assert [r.verdict for r in combined.readings] == [chosen, *others]
    assert combined.seconds == 1.0 + len(others)


def test_a_step_with_one_reading_runs_no_alternative() -> None:
    step = verify(derivation(Step(RIGHT, "product rule", None)), BUDGET).steps[0].verdict
    assert step.verdict == "proved" and step.readings == ()


def test_an_error_step_that_is_ambiguous_is_not_an_error_found() -> None:
    result = verify(derivation(two_way(HALF, RIGHT, "error", "drops a term"), Step(RIGHT, "", None)), BUDGET)
    assert result.steps[0].verdict.verdict == "ambiguous" and not result.steps[0].as_expected
    assert result.errors_found == 0 and result.unexpected == 1 and not result.ok


def test_after_an_ambiguous_step_the_chain_goes_on_from_the_reading_that_holds() -> None:
    # the chain's derivative read the other way: d/dx applies to x^2 only, so its first line is 2x e^x
    start_reading = Reading(HALF, FIRST, before=sp.Derivative(x**2, x) * sp.exp(x))
    first = Step(HALF, "", r"2x e^x", read_as=WHOLE, alternatives=(start_reading,))
    then = Step(2 * sp.exp(x) * x, "commute", r"2 e^x x")
    result = verify(derivation(first, then), BUDGET)
    assert [s.verdict.verdict for s in result.steps] == ["ambiguous", "proved"]
    # the numeric cross-check is of the chosen readings: d/dx of the whole product, which 2 e^x x is not
    assert result.numeric is not None and not result.numeric.passed and not result.ok


def test_alternatives_must_use_declared_symbols_and_name_the_chosen_reading() -> None:
    letters = Reading(t * a * n * h * x, "t·a·n·h·x, a product of letters")
    with pytest.raises(ValueError, match="undeclared symbols a, h, n, t"):
        derivation(Step(RIGHT, "", None, read_as="tanh(x)", alternatives=(letters,)))
    with pytest.raises(ValueError, match="read_as"):
        Step(RIGHT, "", None, alternatives=(letters,))
    assert derivation(Step(RIGHT, "", None, read_as="tanh(x)", alternatives=(letters,)), letters=True)


@pytest.fixture(scope="module")
def ambiguous() -> DerivationResult:
    """An ambiguous step, then a step with two readings that both hold, and a name read as letters."""
    steps = (two_way(HALF, RIGHT), Step(RIGHT, "", r"2x e^x + x^2 e^x", read_as=WHOLE,
                                        alternatives=(Reading(x * sp.exp(x) * (x + 2), FIRST),),
                                        letter_products=("tanh",)))
    return verify(derivation(*steps), BUDGET)


def test_the_json_has_each_reading_and_its_verdict(ambiguous: DerivationResult) -> None:
    entry = json.loads(json.dumps(derivation_dict(ambiguous)))
    first, second = entry["steps"]
    assert first["verdict"] == "ambiguous" and first["read_as"] == FIRST and first["counterexample"] is None
    assert [(r["description"], r["verdict"], r["chosen"]) for r in first["readings"]] == [
        (FIRST, "refuted", True), (WHOLE, "proved", False)]
    assert {"point", "lhs", "rhs"} <= set(first["readings"][0]["counterexample"])
    assert second["verdict"] == "proved" and [r["verdict"] for r in second["readings"]] == ["proved", "proved"]
    assert entry["letter_products"] == ["tanh"]
    plain = derivation_dict(verify(derivation(Step(RIGHT, "", None)), BUDGET))["steps"][0]
    assert plain["read_as"] is None and plain["readings"] == []


def test_the_summary_counts_ambiguous_steps_apart(ambiguous: DerivationResult) -> None:
    counts = summary([ambiguous])
    assert (counts["ambiguous"], counts["refuted"], counts["proved"], counts["unexpected"]) == (1, 0, 1, 1)
    assert "0 unproved, 1 ambiguous, 1 unexpected" in summary_line(counts)
    assert "ambiguous" not in summary_line(counts | {"ambiguous": 0})


def checked_file(result: DerivationResult, undeclared: tuple[str, ...] = ()) -> CheckedFile:
    """The result as `check` would hold it for a file notes.md."""
    located = tuple(Located(3 + i, 1) for i in range(len(result.steps)))
    read = TextDerivation(result.derivation, "notes.md", 1, located, undeclared)
    return CheckedFile(Document("notes.md", (read,), ()), ((read, result),))


def printed(render: object) -> str:
    out = io.StringIO()
    console = Console(file=out, width=200, markup=False, emoji=False, highlight=False)
    console.print(render) if not callable(render) else render(console)
    return out.getvalue()


def test_check_shows_both_readings_the_fix_and_the_letters_and_exits_1(ambiguous: DerivationResult) -> None:
    file = checked_file(ambiguous)
    table = printed(check_table(file))
    assert f"read as: {FIRST}" in table and f"read as: {WHOLE}" in table
    assert f"as read: {FIRST}: refuted" in table and f"read otherwise: {WHOLE}: proved" in table
    assert READINGS_FIX in table and table.count(READINGS_FIX) == 1  # only under the ambiguous step
    assert "read as products of letters: tanh -> t·a·n·h" in table
    report = check_report([file])
    assert report["summary"]["ambiguous"] == 1 and report["derivations"][0]["steps"][0]["readings"]
    assert "1 ambiguous;" in check_summary_line(report["summary"])
    assert exit_code([file]) == 1


def test_show_lists_every_reading(ambiguous: DerivationResult) -> None:
    shown = printed(lambda console: show(ambiguous, console))
    assert "ambiguous by readings disagree" in shown and "UNEXPECTED" in shown
    assert f"  read as:        {FIRST}" in shown and "counterexample:" in shown
    assert f"read otherwise: {FIRST}: proved" in shown  # the second step's other reading, recorded
    assert "read as products of letters: tanh -> t·a·n·h" in shown


def test_the_report_words_and_colours_ambiguous_and_escapes_the_readings(ambiguous: DerivationResult) -> None:
    tex = document([ambiguous], {"backproof": "test"}, "today")
    assert r"\newcommand{\ambiguous}{\textcolor{twoway}" in tex
    assert r"\ambiguous\newline" in tex  # the step's verdict
    whole = r"d/dx applies to the whole product x\textasciicircum{}2 \textbackslash{}cdot e\textasciicircum{}x"
    assert f"read otherwise: {whole}" in tex
    assert r"\textbf{Fix:} " + READINGS_FIX in tex
    assert "1 ambiguous" in tex and "ambiguous & numeric check" in tex
    assert r"tanh as t$\cdot$a$\cdot$n$\cdot$h" in tex


# The domain chosen for a symbol and the numeric check's hint (fields the natural-domain inference fills).
NATURAL = "natural domain: log(x) needs x > 0"


@pytest.fixture(scope="module")
def natural() -> DerivationResult:
    """d/dx log x = 1/x on a natural domain, its numeric check failed only where a side is undefined."""
    y, q = sp.symbols("y q", real=True)
    variables = (Var(x, Interval(0, 6), NATURAL), Var(y, Interval(-1, 1), "declared"),
                 Var(q, Interval(-6, 6, (True, True)), "not declared: the default domain"))
    d = Derivation("log", "Log", "notes.md", "line 1", variables, sp.log(x) + y + q, (Step(1 / x, "", None),),
                   variable=x)
    result = verify(d, BUDGET)
    assert result.numeric is not None
    failed = dataclasses.replace(result.numeric, max_rel_error=1e21, undefined_points=12,
                                 hint="declare the domain, e.g. `x in (0, 6)`")
    return dataclasses.replace(result, numeric=failed)


def test_a_chosen_domain_and_the_hint_are_shown_everywhere(natural: DerivationResult) -> None:
    hint = "fails only where a side is undefined at 12 points: declare the domain, e.g. `x in (0, 6)`"
    table = printed(check_table(checked_file(natural, ("q", "x"))))
    assert f"domain: x in (0, 6) ({NATURAL})" in table and "domain: y" not in table and "domain: q" not in table
    assert re.search(r"undeclared, taken as real \(sampled in \(-6, 6\)\): q\s", table)  # not x: its own line
    assert f"numeric check {hint}" in table
    shown = printed(lambda console: show(natural, console))
    assert f"domain: x in (0, 6) ({NATURAL})" in shown and f"numeric check {hint}" in shown
    entry = derivation_dict(natural)
    assert entry["domains"][0] == {"symbol": "x", "domain": "(0, 6)", "reason": NATURAL}
    assert entry["numeric"]["hint"].startswith("declare") and entry["numeric"]["undefined_points"] == 12
    tex = document([natural], {"backproof": "test"}, "today")
    assert "in (0, 6) (natural domain: log(x) needs x \\textgreater{} 0)" in tex
    assert "The check fails only where a side is undefined at 12 points" in tex
