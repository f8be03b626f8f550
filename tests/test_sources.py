"""Notes where people keep them: Jupyter notebooks (Markdown cells) and LaTeX handouts, read for `check`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from verifier.reader.document import read_file
from verifier.reader.sources import location
from verifier.reader.texmacros import MacroError, definitions

ROOT = Path(__file__).resolve().parent.parent

HANDOUT = r"""\documentclass{article}
\usepackage{amsmath}
\newcommand{\sig}{\sigma}
\newcommand{\dd}[2]{\frac{d}{d#2} #1}
\def\bad{x}
%! where
%! x real
\begin{document}
\section{The sigmoid}\label{sec:sigmoid}
% \section{commented out}
\begin{align}
\frac{d}{dx} \sig(x) &= \frac{e^{-x}}{(1 + e^{-x})^2} \label{eq:one} \\
  &= \sig(x)(1 - \sig(x)) % by algebra
\end{align}

\section{A square}
%! y in (0, 1)
\begin{equation}
  \frac{d}{dy} y^2 = 3y
\end{equation}
and \[ \dd{x^3}{x} = 3x^2 \]

\section{Rows}
\begin{gather}
\frac{d}{dx} x^4 = 4x^3 \\
\frac{d}{dx} 2x = 2
\end{gather}
\begin{equation}
\begin{split}
\frac{d}{dx} (x^2 + x) &= 2x + 1 \\
&= 1 + 2x
\end{split}
\end{equation}
$$\frac{d}{dx} \bad = 1$$
\end{document}
"""


def steps_by_line(path: Path) -> dict[str, list[tuple[int, int]]]:
    """Per derivation id, the (line, column) of each step read from the file."""
    document = read_file(path)
    return {d.derivation.id: [(s.line, s.column) for s in d.steps] for d in document.derivations}


@pytest.fixture
def handout(tmp_path: Path) -> Path:
    path = tmp_path / "handout.tex"
    path.write_text(HANDOUT)
    return path


def test_a_handout_is_read_section_by_section_with_tex_positions(handout: Path) -> None:
    steps = steps_by_line(handout)
    assert steps == {
        "sigmoid": [(12, 1), (12, 25), (13, 6)],
        "a-square": [(19, 3), (19, 22)],
        "a-square-2": [(21, 8), (21, 22)],
        "rows": [(25, 1), (25, 20)],
        "rows-2": [(26, 1), (26, 19)],
        "rows-3": [(30, 1), (30, 27), (31, 4)],
    }


def test_a_handouts_where_lines_and_macros_are_used(handout: Path) -> None:
    document = read_file(handout)
    by_id = {d.derivation.id: d.derivation for d in document.derivations}
    assert by_id["sigmoid"].steps[-1].latex == r"\sigma(x)(1 - \sigma(x))"
    assert by_id["sigmoid"].steps[-1].justification == "by algebra"
    assert "y in (0, 1)" in by_id["a-square"].symbols_described()
    [error] = document.errors
    assert (error.line, error.column) == (34, 3) and r"\bad is defined with \def" in error.message


@pytest.mark.parametrize(
    ("source", "formula", "expanded"),
    [(r"\newcommand{\R}{\mathbb{R}}", r"x \in \R", r"x \in \mathbb{R}"),
     (r"\newcommand\sq[1]{#1^2}", r"\sq{a+b} + \sq x", r"a+b^2 + x^2"),
     (r"\newcommand{\dd}[2]{\frac{d #1}{d #2}}", r"\dd{y}{x}", r"\frac{d y}{d x}"),
     (r"\newcommand{\a}{\b} \newcommand{\b}{c}", r"\a", "c"),
     (r"\DeclareMathOperator{\relu}{ReLU}", r"\relu(x)", r"\operatorname{ReLU}(x)"),
     (r"\renewcommand*{\s}{\sigma}", r"\s(x)", r"\sigma(x)"),
     (r"\newcommand{\e}{e}", r"\e x", "e x")],
)
def test_newcommand_macros_are_expanded(source: str, formula: str, expanded: str) -> None:
    assert definitions(source).expand(formula) == expanded


@pytest.mark.parametrize(
    ("source", "formula", "message"),
    [(r"\newcommand{\loop}{\loop x}", r"\loop", "still expand after"),
     (r"\newcommand{\big}{\big\big}", r"\big", "more than"),
     (r"\newcommand{\o}[1][x]{#1}", r"\o", "optional argument"),
     (r"\def\d{x}", r"\d", r"\def"),
     (r"\newcommand{\two}[2]{#1#2}", r"\two{a}", "needs 2 arguments")],
)
def test_macros_that_cannot_be_expanded_safely_are_errors(source: str, formula: str, message: str) -> None:
    with pytest.raises(MacroError, match=message.replace("\\", "\\\\")):
        definitions(source).expand(formula)


def test_an_unclosed_display_is_an_error_not_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "open.tex"
    path.write_text("\\section{A}\n\\begin{equation}\n\\frac{d}{dx} x = 1\n")
    document = read_file(path)
    assert [(e.line, e.column) for e in document.errors] == [(2, 1)]
    assert "never closed" in document.errors[0].message


def notebook(path: Path, *cells: tuple[str, str]) -> Path:
    """A notebook of (kind, source) cells, written with nbformat."""
    book = nbformat.v4.new_notebook()
    makers = {"markdown": nbformat.v4.new_markdown_cell, "code": nbformat.v4.new_code_cell}
    book.cells = [makers[kind](source) for kind, source in cells]
    nbformat.write(book, str(path))
    return path


def test_a_notebooks_markdown_cells_are_read_with_cell_and_line(tmp_path: Path) -> None:
    path = notebook(tmp_path / "notes.ipynb",
                    ("markdown", "# Square\n\nSome prose."),
                    ("code", "x = 1  # $$ not math $$"),
                    ("markdown", "```where\nx real\n```\n\n$$\\frac{d}{dx} x^2 = 3x$$"))
    document = read_file(path)
    [read] = document.derivations
    assert [location(str(path), s.line, s.column) for s in read.steps] == [
        f"{path}:cell_3:5:3", f"{path}:cell_3:5:22"]
    assert location(str(path), read.heading_line) == f"{path}:cell_1:1"


@pytest.mark.parametrize("text", [  # each raised (a traceback, exit 4) before: found by a hostile review
    "{not json", "42", '"hello"', "[1, 2, 3]", "[" * 100_000 + "]" * 100_000,
    '{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": null}',
    '{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": "abc"}',
    '{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [{"cell_type": "markdown", "metadata": {}, '
    '"source": 42}]}',
    '{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [{"cell_type": "markdown", "metadata": {}, '
    '"source": ["## A", 5]}]}',
    '{"nbformat": 3, "nbformat_minor": 0, "metadata": {}}',
])
def test_a_file_that_is_not_a_notebook_is_one_error(tmp_path: Path, text: str) -> None:
    path = tmp_path / "broken.ipynb"
    path.write_text(text)
    document = read_file(path)
    assert len(document.errors) == 1 and "not a notebook" in document.errors[0].message
    assert location(str(path), 1, 1) == f"{path}:1:1"  # placing the error reads the file again: no crash


def test_a_notebook_saved_with_a_byte_order_mark_reads(tmp_path: Path) -> None:
    path = tmp_path / "bom.ipynb"
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# A\n\n$$x + x = 2x$$")])
    path.write_text("\ufeff" + nbformat.writes(notebook), encoding="utf-8")
    assert read_file(path).errors == () and len(read_file(path).derivations) == 1


def test_a_pipe_or_a_device_is_an_error_not_a_read_forever(tmp_path: Path) -> None:
    import os

    fifo = tmp_path / "pipe.md"
    os.mkfifo(fifo)
    device = tmp_path / "zero.md"
    device.symlink_to("/dev/zero")
    for path in (fifo, device):
        (error,) = read_file(path).errors
        assert "not a regular file" in error.message


def test_a_notebook_path_that_is_a_pipe_is_reported_not_read_forever(tmp_path: Path) -> None:
    import os

    fifo = tmp_path / "pipe.ipynb"
    os.mkfifo(fifo)  # the cell of each error's line was looked up by opening the path again: it hung
    done = subprocess.run([sys.executable, str(ROOT / "cli.py"), "check", str(fifo)], capture_output=True, text=True,
                          timeout=60, cwd=ROOT)
    assert done.returncode == 2 and "not a regular file" in done.stdout


def test_a_notebook_with_a_large_image_output_is_read(tmp_path: Path) -> None:
    path = tmp_path / "plot.ipynb"
    image = nbformat.v4.new_output("display_data", data={"image/png": "A" * 3_000_000})
    cells = [nbformat.v4.new_code_cell("plot()", outputs=[image]),
             nbformat.v4.new_markdown_cell("# A\n\n$$x + x = 2x$$")]
    path.write_text(nbformat.writes(nbformat.v4.new_notebook(cells=cells)), encoding="utf-8")
    document = read_file(path)  # the 1 MB limit counted outputs: any notebook with a plot was refused
    assert document.errors == () and len(document.derivations) == 1


def test_control_characters_never_reach_the_output(tmp_path: Path) -> None:
    path = tmp_path / "esc.md"
    path.write_text("# A \x1b]0;title\x07\x1b[2J\n\n$$x + x = 2x \\text{\x1b[31mred}$$\n")
    done = run("check", str(path))
    assert "\x1b" not in done.stdout and "\x07" not in done.stdout and "proved" in done.stdout


def run(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "cli.py"), *args], capture_output=True, text=True,
                          timeout=300, cwd=cwd)


def test_check_reads_notebooks_and_handouts_in_a_folder(tmp_path: Path, handout: Path) -> None:
    notebook(tmp_path / "notes.ipynb", ("markdown", "# Cube\n\n$$\\frac{d}{dx} x^3 = 2x^2$$"))
    done = run("check", str(tmp_path), "--json")
    assert done.returncode == 2  # the handout's \def macro is unreadable
    document = json.loads(done.stdout)
    files = {Path(d["file"]).name for d in document["derivations"]}
    assert files == {"handout.tex", "notes.ipynb"}
    table = run("check", "notes.ipynb", cwd=tmp_path).stdout
    assert "notes.ipynb:cell_1:3:3" in table and "refuted" in table


def test_the_pytest_plugin_collects_notebooks_and_handouts(tmp_path: Path, handout: Path) -> None:
    notebook(tmp_path / "notes.ipynb", ("markdown", "# Cube\n\n$$\\frac{d}{dx} x^3 = 2x^2$$"))
    done = subprocess.run([sys.executable, "-m", "pytest", "--backproof", str(tmp_path), "-q", "-p",
                           "no:cacheprovider"], capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert "notes.ipynb:cell_1:3:" in done.stdout, done.stdout
    assert "handout.tex:19:22: step refuted" in done.stdout
    assert "5 passed" in done.stdout and "3 failed" in done.stdout


def test_check_json_gives_a_notebooks_cell_and_line(tmp_path: Path) -> None:
    notebook(tmp_path / "notes.ipynb", ("markdown", "Intro."), ("markdown", "# Cube\n\n$$\\frac{d}{dx} x^3 = 2x^2$$"))
    done = run("check", "notes.ipynb", "--json", cwd=tmp_path)
    [derivation] = json.loads(done.stdout)["derivations"]
    assert (derivation["cell"], derivation["line"]) == (2, 1)
    assert [(s["cell"], s["line"], s["column"]) for s in derivation["steps"]] == [(2, 3, 3), (2, 3, 22)]


def test_an_nbformat_3_notebook_is_read_too(tmp_path: Path) -> None:
    path = tmp_path / "old.ipynb"
    path.write_text(json.dumps({
        "metadata": {"name": "old"}, "nbformat": 3, "nbformat_minor": 0,
        "worksheets": [{"metadata": {}, "cells": [
            {"cell_type": "code", "input": "1", "language": "python", "metadata": {}, "outputs": []},
            {"cell_type": "markdown", "metadata": {}, "source": "# Square\n\n$$\\frac{d}{dx} x^2 = 2x$$"}]}]}))
    [read] = read_file(path).derivations
    assert location(str(path), read.steps[0].line, read.steps[0].column) == f"{path}:cell_2:3:3"


def test_old_mac_line_endings_and_a_lone_surrogate_in_a_notebook_read(tmp_path: Path) -> None:
    mac = tmp_path / "mac.md"
    mac.write_bytes(b"# A\r\r$$x + x = 2x$$\r")  # lone CRs: the file is read line by line, as text mode reads it
    assert len(read_file(mac).derivations) == 1
    notebook = tmp_path / "surrogate.ipynb"  # a JSON escape of half a surrogate pair: never printed as such
    notebook.write_text('{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [{"cell_type": "markdown", '
                        '"metadata": {}, "source": "## A\\\\ud800\\n$$x + x = 2x$$"}]}')
    done = run("check", str(notebook))
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
