"""The pre-commit hook: its command, run as pre-commit runs it, on the staged files of a tiny repository."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
GOOD = "# Square\n\n$$\\frac{d}{dx} x^2 = 2x$$\n"
BAD = "# Cube\n\n$$\\frac{d}{dx} x^3 = 2x^2$$\n"


def hook() -> dict[str, str]:
    """The one hook .pre-commit-hooks.yaml declares, as key -> value (the file is a flat list of one mapping)."""
    text = (ROOT / ".pre-commit-hooks.yaml").read_text()
    return dict(re.findall(r"^\s*-?\s*([a-z_]+): (.+)$", text, flags=re.MULTILINE))


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True,
                          env={"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org", "GIT_COMMITTER_NAME": "t",
                               "GIT_COMMITTER_EMAIL": "t@example.org", "HOME": str(repo), "PATH": "/usr/bin:/bin"})
    return done.stdout


def run_hook(repo: Path) -> subprocess.CompletedProcess:
    """The hook's entry on the staged files its `files` pattern matches, as pre-commit passes them."""
    declared = hook()
    pattern = re.compile(declared["files"])
    staged = [name for name in git(repo, "diff", "--cached", "--name-only").split() if pattern.search(name)]
    command = shlex.split(declared["entry"])
    assert command[0] == "backproof"  # the installed command; here the checkout's, by `python -m verifier`
    return subprocess.run([sys.executable, "-m", "verifier", *command[1:], *staged], cwd=repo,
                          capture_output=True, text=True, timeout=300)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    git(tmp_path, "init", "-q")
    (tmp_path / "README.md").write_text("# Notes\n\nNo formulas here.\n")
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "square.md").write_text(GOOD)
    (tmp_path / "setup.py").write_text("# not a note\n")
    return tmp_path


def test_the_hook_declares_its_command_and_the_note_files() -> None:
    declared = hook()
    assert declared["id"] == "backproof-check" and declared["language"] == "python"
    pattern = re.compile(declared["files"])
    assert all(pattern.search(name) for name in ("a.md", "b/c.ipynb", "d.tex", "e.markdown"))
    assert not any(pattern.search(name) for name in ("a.py", "b.txt", "md"))


def test_the_hook_passes_good_notes_and_files_without_derivations(repo: Path) -> None:
    git(repo, "add", ".")
    done = run_hook(repo)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "notes/square.md" in done.stdout


def test_the_hook_fails_a_commit_with_a_refuted_step_in_a_notebook(repo: Path) -> None:
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "good notes")
    book = nbformat.v4.new_notebook()
    book.cells = [nbformat.v4.new_markdown_cell(BAD)]
    nbformat.write(book, str(repo / "notes" / "cube.ipynb"))
    git(repo, "add", "notes/cube.ipynb")
    done = run_hook(repo)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "notes/cube.ipynb:cell_1:3:" in done.stdout and "refuted" in done.stdout
    assert "square.md" not in done.stdout  # only the changed files are checked
