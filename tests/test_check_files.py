"""`backproof check` on Markdown files: the CLI, its exit codes, its JSON and the pytest plugin."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


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


def test_the_marked_example_passes_because_its_error_is_found() -> None:
    done = run("check", "examples/marked.md")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "refuted, as marked" in done.stdout and "added by backproof" in done.stdout
