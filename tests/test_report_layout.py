"""The report's layout: titles as math, long sums broken across lines, counts that agree, files as the umask says."""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from bench.workloads import quadratic_form
from verifier.latex import LINE_LENGTH, broken, document, encoded, math, note_name, summary_sentence, title
from verifier.reader.check import check_files
from verifier.texbuild import write_atomically

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    ("text", "latex"),
    [("Gradient of x^T A x (n = 2)", r"Gradient of $x^T A x\ (n = 2)$"),
     ("dz/d omega_1 for z = omega_1 x_1 + b", r"$dz/d \omega_{1}$ for $z = \omega_{1} x_{1} + b$"),
     ("The second layer's pre-activation Z_2", r"The second layer's pre-activation $Z_{2}$"),
     ("Softmax: dL/dz_r = yhat_r - y_r", r"Softmax: $dL/dz_{r} = \hat{y}_{r} - y_{r}$"),
     ("Derivative of the sigmoid", "Derivative of the sigmoid"),
     ("Inputs x_1, x_2 of tanh, then", r"Inputs $x_{1}, x_{2}$ of tanh, then"),
     ("The $\\sigma$ function", r"The $\sigma$ function"),
     ("50% of _x_ & a_b_c", r"50\% of \_x\_ \& a\_b\_c"),
     ("The weight update w_oi <- w_oi - eta h_i", r"The weight update $w_{oi} \leftarrow w_{oi} - \eta h_{i}$")],
)
def test_titles_are_math_where_they_are_math(text: str, latex: str) -> None:
    assert title(text) == latex


def test_long_sums_are_broken_across_lines_not_shrunk() -> None:
    gradient = quadratic_form(6)[1].steps[-2].expr  # the n = 6 gradient of x^T A x written out, entry by entry
    tex = encoded(gradient)
    assert tex.count(r"\begin{aligned}") >= 6 and r"\\ & \quad" in tex
    for entry in gradient:
        lines = broken(math(entry))
        assert all(len(line) <= LINE_LENGTH for line in lines)
        assert "".join(lines).replace(" ", "") == math(entry).replace(" ", "")


@pytest.mark.parametrize(
    ("latex", "lines"),
    [("a + b", ["a + b"]),
     (" + ".join(f"x_{{{i}}}" for i in range(60)), None),
     (r"\frac{\partial}{\partial x} \left(" + " + ".join(f"a_{{{i}}} x" for i in range(40)) + r"\right)", None),
     (r"\left[\begin{matrix}" + " + ".join(f"a_{{{i}}}" for i in range(40)) + r"\end{matrix}\right]", 1)],
)
def test_a_broken_line_keeps_its_brackets_paired(latex: str, lines: list[str] | int | None) -> None:
    result = broken(latex, 80)
    if isinstance(lines, list):
        assert result == lines
    elif lines == 1:
        assert len(result) == 1
    else:
        assert len(result) > 1
        for line in result:
            assert line.count(r"\left") == line.count(r"\right")


@pytest.fixture(scope="module")
def own_results() -> list:
    return [result for checked in check_files([ROOT / "examples" / "own.md"], jobs=1) for _, result in checked.results]


def test_a_user_files_summary_counts_agree_with_its_errors_section(own_results: list) -> None:
    tex = document(own_results, {"backproof": "test"}, "today")
    refuted = sum(r.count("refuted") for r in own_results)
    assert refuted >= 1
    sentence = summary_sentence(own_results)
    assert f"{refuted} refuted" in sentence
    listed = len(re.findall(r"\\subsection\*\{", tex))
    assert listed == refuted
    rows = re.findall(r"^(\S+) & own\.md & (\d+) & (\d+) & (?:\\textcolor\{bad\}\{\\textbf\{)?(\d+)", tex, re.MULTILINE)
    assert sum(int(row[3]) for row in rows) == refuted and len(rows) == len(own_results)
    assert "not stated" not in tex and "presented as true" in tex


@pytest.mark.parametrize(("note", "shown"), [("000_d4b6f96e31f6b881.txt", "000"), ("own.md", "own.md")])
def test_the_note_column_shows_a_files_name(note: str, shown: str) -> None:
    assert note_name(note) == shown


@pytest.mark.parametrize("mask", [0o022, 0o077, 0o002])
def test_output_files_follow_the_umask(tmp_path: Path, mask: int) -> None:
    previous = os.umask(mask)
    try:
        write_atomically(tmp_path / "report.tex", "x")
    finally:
        os.umask(previous)
    assert stat.S_IMODE((tmp_path / "report.tex").stat().st_mode) == 0o666 & ~mask


def test_an_output_path_that_is_a_file_is_one_line(tmp_path: Path) -> None:
    blocker = tmp_path / "report"
    blocker.write_text("a file where the folder should go")
    done = subprocess.run([sys.executable, str(ROOT / "cli.py"), "report", "000-relu", "-o", str(blocker / "sub")],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip().count("\n") == 0 and "cannot write" in done.stderr
    assert "Traceback" not in done.stderr
