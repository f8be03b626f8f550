"""Marks on a line (`% line N`, `% error: ...`, `% completion: ...`): read, honoured by check and the pytest plugin."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from verifier import verify
from verifier.reader.check import check_files, exit_code
from verifier.reader.document import read_text
from verifier.reader.marks import Mark, MarkError, read_mark
from verifier.serialize import provenance, summary, summary_line

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(("comments", "mark"), [
    ([], Mark()),
    (["power rule"], Mark("power rule")),
    (["line 19"], Mark(cites=(19,))),
    (["lines 41, 43; two cases"], Mark("two cases", cites=(41, 43))),
    (["line 5; product rule", "error: a term is missing"],
     Mark("product rule", "error", "a term is missing", cites=(5,))),
    (["slip: z for x"], Mark("", "slip", "z for x")),
    (["completion: factor out x"], Mark("factor out x", "completion")),
    (["line 7; reconstruction: eq. (2) from the prose"],
     Mark("eq. (2) from the prose", reconstructed=True, cites=(7,))),
    (["adapted: two lines as one cases block"], Mark(adapted="two lines as one cases block")),
    (["a line about errors: not a mark"], Mark("a line about errors: not a mark")),
    (["line 121; substitute back", "substitutes: u' = 2x"],
     Mark("substitute back", cites=(121,), substitutes="u' = 2x")),
])
def test_comments_read_as_marks(comments: list[str], mark: Mark) -> None:
    assert read_mark(comments) == mark


@pytest.mark.parametrize(("comments", "message"), [
    (["error: one", "slip: two"], "two marks (error and slip)"),
    (["error:"], "'error:' needs its reason"),
    (["completion: added", "adapted: why"], "'adapted:' is for the author's own lines"),
    (["substitutes:"], "'substitutes:' needs its reason"),
])
def test_contradicting_marks_are_refused(comments: list[str], message: str) -> None:
    with pytest.raises(MarkError, match=message.replace("(", r"\(").replace(")", r"\)")):
        read_mark(comments)


def test_a_mark_error_is_a_located_read_error() -> None:
    document = read_text("# A\n\n$$\\frac{d}{dx} x^2 = 3x % error:\n$$\n")
    assert [(e.line, e.message) for e in document.errors] == [(3, "'error:' needs its reason after the colon")]


SHEET = """# Sheet

```where
x real
```

$$\\frac{d}{dx} x^3 = 3x^2 % line 10; power rule
= 6x % line 11
% error: differentiated twice
$$

$$= 3x^2 % completion: the right value
= x^2 + 2x^2 % line 12; split
$$
"""


def test_marks_give_each_step_its_kind_source_and_line() -> None:
    (read,) = read_text(SHEET).derivations
    steps = read.derivation.steps
    assert [(s.expected, s.source, s.cites) for s in steps] == [
        ("valid", "author", (10,)), ("valid", "author", (10,)), ("error", "author", (11,)),
        ("completion", "added", ()), ("valid", "author", (12,)),
    ]
    assert steps[2].explanation == "differentiated twice"
    assert read.derivation.where == "lines 10-12"  # the lines of the source the steps cite, not of this file


def test_one_source_line_over_several_block_lines_cites_it_for_each_element() -> None:
    (read,) = read_text("# A\n\n$$\\frac{d}{dx} x^2 % line 4\n= 2x\n= x + x\n$$\n").derivations
    assert [s.cites for s in read.derivation.steps] == [(4,), (4,), (4,)]


def _check(tmp_path: Path, text: str) -> tuple[int, dict]:
    path = tmp_path / "sheet.md"
    path.write_text(text)
    checked = check_files([path], jobs=1)
    results = [result for f in checked for _, result in f.results]
    return exit_code(checked), summary(results)


def test_an_expected_refutation_is_not_a_failure_and_the_authors_lines_are_counted(tmp_path: Path) -> None:
    code, counts = _check(tmp_path, SHEET)
    assert code == 0
    assert (counts["steps"], counts["proved"], counts["errors_found"], counts["added"]) == (4, 3, 1, 1)
    assert summary_line(counts) == ("1 derivation, 4 steps: 3 proved, 1 error in the notes found, 0 unproved, "
                                    "0 unexpected; besides the authors' lines, 1 added step")


def test_a_line_marked_as_an_error_that_holds_is_a_failure(tmp_path: Path) -> None:
    code, counts = _check(tmp_path, SHEET.replace("= 6x % line 11", "= 3x^2 % line 11"))
    assert code == 1 and counts["unexpected"] == 1


def test_an_error_repeated_on_several_derivations_counts_once_per_source_line(tmp_path: Path) -> None:
    twice = SHEET + SHEET.replace("# Sheet", "# Sheet again")
    _, counts = _check(tmp_path, twice)
    assert counts["errors_found"] == 2 and counts["error_lines"] == 1
    assert "2 errors in the notes found (on 1 distinct line)" in summary_line(counts)


def test_check_json_gives_each_steps_source_and_cited_lines(tmp_path: Path) -> None:
    (tmp_path / "sheet.md").write_text(SHEET)
    done = subprocess.run([sys.executable, str(ROOT / "cli.py"), "check", "sheet.md", "--json"],
                          capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    steps = json.loads(done.stdout)["derivations"][0]["steps"]
    assert [(s["source"], s["cites_lines"], s["expected"]) for s in steps] == [
        ("author", [10], "valid"), ("author", [10], "valid"), ("author", [11], "error"), ("added", [], "completion"),
        ("author", [12], "valid"),
    ]


def test_the_pytest_plugin_honours_the_marks(tmp_path: Path) -> None:
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "sheet.md").write_text(SHEET)
    (notes / "wrong_mark.md").write_text(SHEET.replace("= 6x % line 11", "= 3x^2 % line 11"))
    done = subprocess.run([sys.executable, "-m", "pytest", "--backproof", "notes", "-q", "-p", "no:cacheprovider"],
                          capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert "1 passed" in done.stdout and "1 failed" in done.stdout, done.stdout + done.stderr
    assert "wrong_mark.md:8:3: step proved, though marked error" in done.stdout


SUBSTITUTED = """# S
```where
x real
```
$$\\frac{d}{dx} x^2 e^x = (\\frac{d}{dx} x^2) e^x + x^2 e^x = % product rule
2x e^x + x^2 e^x % substitutes: \\frac{d}{dx} x^2 = {sub}
$$
"""


@pytest.mark.parametrize(("value", "verdict"), [("2x", "proved"), ("x", "refuted")])
def test_a_step_that_substitutes_the_authors_value_is_checked_with_it(value: str, verdict: str) -> None:
    (read,) = read_text(SUBSTITUTED.replace("{sub}", value), "s.md").derivations
    result = verify(read.derivation)
    assert result.steps[-1].verdict.verdict == verdict
    assert f"x**2, x) = {value.replace('2x', '2*x')}" in provenance(result.steps[-1].step)


def test_a_substitution_of_what_the_line_before_does_not_hold_is_not_checked() -> None:
    (read,) = read_text(SUBSTITUTED.replace("substitutes: \\frac{d}{dx} x^2 = {sub}", "substitutes: e^{2x} = 2x"),
                        "s.md").derivations
    last = verify(read.derivation).steps[-1].verdict
    assert last.verdict == "unproved" and "is not in the expression before this step" in last.method
