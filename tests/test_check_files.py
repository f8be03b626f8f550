"""`backproof check` on Markdown files: the examples agree with the corpus, the CLI and the pytest plugin."""

import json
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest

from derivations import BY_ID
from verifier import DerivationResult
from verifier.reader.check import check_files

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("0*.md"))


@pytest.fixture(scope="module")
def example_verdicts() -> dict[str, list[str]]:
    """Per section id of the transcribed notes, the verdict of each step in file order."""
    verdicts: dict[str, list[str]] = defaultdict(list)
    for checked in check_files(EXAMPLES, jobs=1):
        assert checked.document.errors == (), checked.document.errors
        for read, result in checked.results:
            verdicts[read.section] += [s.verdict.verdict for s in result.steps]
    return dict(verdicts)


READ_OTHERWISE = {"004-cce-dL-dy-as-written", "004-xtax-gradient-entries-n3"}  # explained in the example


def test_every_transcribed_section_is_a_corpus_derivation(example_verdicts: dict[str, list[str]]) -> None:
    assert set(example_verdicts) - set(BY_ID) == READ_OTHERWISE
    assert len(set(example_verdicts) & set(BY_ID)) == 47


def test_examples_give_the_corpus_verdicts_step_for_step(
    example_verdicts: dict[str, list[str]], corpus_results: dict[str, DerivationResult]
) -> None:
    for section, verdicts in example_verdicts.items():
        if section in READ_OTHERWISE:
            continue
        authored = [s.verdict.verdict for s in corpus_results[section].steps if s.step.expected != "completion"]
        assert verdicts == authored, section


def run(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "cli.py"), *args], capture_output=True, text=True,
                          timeout=300, cwd=cwd)


def test_check_shows_the_refuted_step_with_its_line_and_exits_1() -> None:
    done = run("check", "examples/own.md")
    assert done.returncode == 1, done.stderr
    assert "examples/own.md:29:61" in done.stdout and "2 \\sigma(x) - 1" in done.stdout
    assert "counterexample" in done.stdout
    assert done.stdout.strip().splitlines()[-1] == (
        "3 derivations, 8 steps: 7 proved, 1 refuted, 0 unproved; 0 blocks could not be read")


def test_check_exits_0_when_every_step_is_proved(tmp_path: Path) -> None:
    (tmp_path / "ok.md").write_text("# Square\n\n$$\\frac{d}{dx} x^2 = 2x$$\n")
    done = run("check", str(tmp_path / "ok.md"))
    assert done.returncode == 0, done.stdout + done.stderr


def test_check_exits_2_on_an_unreadable_block_and_still_checks_the_rest(tmp_path: Path) -> None:
    (tmp_path / "bad.md").write_text("# A\n\n$$x +* 2$$\n\n# B\n\n$$\\frac{d}{dx} x^2 = 3x$$\n")
    done = run("check", str(tmp_path / "bad.md"), "--json")
    assert done.returncode == 2
    document = json.loads(done.stdout)
    assert document["errors"][0] | {"file": None} == {
        "file": None, "line": 3, "column": 6,
        "message": "found '*', expected a Greek letter, a function such as \\log, a letter, a number, (, +, -, [, ...",
    }
    steps = document["derivations"][0]["steps"]
    assert [(s["line"], s["verdict"]) for s in steps] == [(7, "proved"), (7, "refuted")]
    assert document["summary"]["unreadable"] == 1 and document["summary"]["refuted"] == 1


def test_check_refuses_a_missing_file() -> None:
    done = run("check", "no/such/file.md")
    assert done.returncode == 2 and "no such file or folder: no/such/file.md" in done.stderr


def test_the_pytest_plugin_collects_each_derivation(tmp_path: Path) -> None:
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "calc.md").write_text(
        "# Good\n\n$$\\frac{d}{dx} x^2 = 2x$$\n\n# Bad\n\n$$\\frac{d}{dx} x^3 = 2x^2$$\n\n# Broken\n\n$$x +* 1$$\n"
    )
    done = subprocess.run([sys.executable, "-m", "pytest", "--backproof", "notes", "-q", "-p", "no:cacheprovider"],
                          capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert "1 passed" in done.stdout and "2 failed" in done.stdout, done.stdout + done.stderr
    assert "calc.md:7:22: step refuted" in done.stdout
    assert "calc.md:11:6: found '*'" in done.stdout


def test_check_writes_the_report_for_its_files(tmp_path: Path) -> None:
    done = run("check", "examples/own.md", "--report", str(tmp_path / "out"))
    assert done.returncode == 1, done.stderr
    tex = (tmp_path / "out" / "report.tex").read_text()
    assert "Tanh through the sigmoid" in tex and "own.md" in tex
