"""The report never runs a note's TeX: `^^` spellings, file reads and writes are text, and every input builds."""

from __future__ import annotations

import argparse
import dataclasses
import io
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rich.console import Console

from derivations import BY_ID
from verifier import DerivationResult, verify
from verifier.cli import write_report
from verifier.latex import as_written, document, safe_math, title
from verifier.texbuild import TEX_ENVIRONMENT, TEX_FLAGS, compile_pdf, tex_engine, write_atomically

needs_tex = pytest.mark.skipif(tex_engine() is None or shutil.which("pdftotext") is None,
                               reason="no TeX engine or pdftotext on this machine")
SECRET = "canarysecret4711"
TRICKS = (  # each would read the canary, run a command or redefine a macro if it reached TeX as code
    r"x \text{^^5cinput^^7bCANARY^^7d}",
    r"^^5cinput^^7bCANARY^^7d",
    r"\text{^^5cgdef^^5cproved^^7bHACKED^^7d}",
    r"x^^5cinput{CANARY}",
    r"\input{CANARY}",
    r"\text{\input{CANARY}}",
    r"\csname input\endcsname{CANARY}",
    r"\catcode`\^^M=13 x",
    r"\def\proved{HACKED} x",
    r"\immediate\write18{touch TOUCHED}",
    r"\openout1=TOUCHED \write1{x} \closeout1",
    r"\read16 to \x",
    r"\include{CANARY}",
    # an environment named after a space runs the command of its name (\begin {input} is \input); \) leaves math
    r"x \begin {input}{CANARY}",
    r"x \) \begin {openout}1=TOUCHED \( y",
    r"x \) \begin {def}\frac{\frac}\frac \end {def} \( y",  # an endless loop in TeX
    r"x \) \end {document} \( y",  # the rest of the report cut off
)


def spelled(template: str, canary: Path | str = "/tmp/canary", touched: Path | str = "/tmp/touched") -> str:
    """A trick or TeX body with the canary's and the would-be output file's paths filled in."""
    return template.replace("CANARY", str(canary)).replace("TOUCHED", str(touched))


@pytest.mark.parametrize("trick", TRICKS)
def test_no_trick_is_typeset_as_code(trick: str) -> None:
    latex = spelled(trick)
    for typeset in (as_written(latex), title(latex), title(f"${latex}$"), title(f"see x_1 {latex}")):
        for word in ("input", "gdef", "csname", "catcode", "def", "write", "openout", "read", "include"):
            assert not re.search(rf"\\{word}\b", typeset), typeset
        assert not re.search(r"\\(begin|end)\s+\{|\\[()]", typeset), typeset
        assert "^^" not in typeset


@pytest.mark.parametrize(
    ("latex", "typeset"),
    [(r"2x \text{by x_1}", r"2x \text{by x\_1}"),
     (r"\begin{cases} 1 & \text{if a & b} \\ 0 & \text{otherwise} \end{cases}",
      r"\begin{cases} 1 & \text{if a \& b} \\ 0 & \text{otherwise} \end{cases}"),
     (r"\text{#&$ 50%}", r"\text{\#\&\$ 50\%}"),
     (r"x \text{^^5c}", None),
     (r"\text{a", None)],
)
def test_text_arguments_are_escaped_as_text(latex: str, typeset: str | None) -> None:
    assert safe_math(latex) == typeset


@pytest.fixture(scope="module")
def plain_result() -> DerivationResult:
    return verify(BY_ID["002-sigmoid-inner"])


def with_text(result: DerivationResult, title: str, where: str, line: str, justification: str,
              explanation: str) -> DerivationResult:
    """`result` with every text slot of the derivation and its steps replaced."""
    derivation = dataclasses.replace(result.derivation, title=title, where=where, remarks=title, note=where,
                                     id=title[:40] or "x")
    steps = tuple(
        dataclasses.replace(s, step=dataclasses.replace(s.step, latex=line, justification=justification,
                                                        explanation=explanation or "?"))
        for s in result.steps
    )
    return dataclasses.replace(result, derivation=derivation, steps=steps)


def build(results: list[DerivationResult], folder: Path, versions: str = "test", date: str = "today") -> str:
    """Write and compile the report as `backproof report` does; what the CLI printed."""
    printed = io.StringIO()
    args = argparse.Namespace(output=folder, pdf=True)
    code = write_report(results, args, Console(file=printed, width=200), versions={"backproof": versions},
                        date=date)
    assert code == 0, printed.getvalue()
    return printed.getvalue()


def pdf_text(pdf: Path) -> str:
    return subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout


@needs_tex
def test_a_canary_file_never_reaches_the_pdf(tmp_path: Path, plain_result: DerivationResult) -> None:
    canary, touched = tmp_path / "canary.tex", tmp_path / "touched"
    canary.write_text(SECRET + "\n")
    results = []
    for trick in TRICKS:
        text = spelled(trick, canary, touched)
        results.append(with_text(plain_result, text, text, text, text, text))
    build(results, tmp_path / "out", versions=spelled(TRICKS[0], canary), date=spelled(TRICKS[1], canary))
    text = pdf_text(tmp_path / "out" / "report.pdf")
    assert SECRET not in text
    assert not re.search(r"(?<![b{])HACKED", text)  # shown only inside the tricks, as their text
    assert not touched.exists()
    assert text.count("proved") >= 2  # the verdict marks were not redefined


@needs_tex
@pytest.mark.parametrize(
    "body",
    [r"\input{CANARY}", r"\immediate\write18{touch TOUCHED}",
     r"\newwrite\f \immediate\openout\f=TOUCHED \immediate\write\f{x} \immediate\closeout\f"],
)
def test_tex_itself_is_locked_down(tmp_path: Path, body: str) -> None:
    canary, touched = tmp_path / "canary.tex", tmp_path / "touched.tex"
    canary.write_text(SECRET + "\n")
    tex = tmp_path / "out" / "report.tex"
    source = spelled(body, canary, touched)
    write_atomically(tex, "\\documentclass{article}\n\\begin{document}\nstart " + source + "\n\\end{document}\n")
    built = compile_pdf(tex, tex_engine())
    assert built.pdf is None or SECRET not in pdf_text(built.pdf)
    assert not touched.exists()


def test_latex_runs_without_shell_escape_and_paranoid() -> None:
    assert "-no-shell-escape" in TEX_FLAGS
    assert TEX_ENVIRONMENT["openin_any"] == "p" and TEX_ENVIRONMENT["openout_any"] == "p"


LATEX_TOKENS = ["\\text{", "}", "{", "^", "^^", "5c", "\\frac", "x", "_", "&", "\\\\", "\\left(", "\\right)",
                "\\begin{cases}", "\\end{cases}", "#", "$", "%", "~", " ", "\\input", "a", "1", "\\sigma", "\\,",
                "'", "(", ")", "=", "\\sum_{i=1}^{K}", "\\mathrm{", "\\operatorname{", "<", "|", "σ", "\n"]
printable = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=40)
latexish = st.lists(st.sampled_from(LATEX_TOKENS), max_size=20).map("".join)


@needs_tex
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(title=printable, where=printable, line=st.one_of(latexish, printable), justification=printable,
       explanation=latexish, version=printable)
def test_the_pdf_builds_for_any_text_in_any_slot(tmp_path_factory: pytest.TempPathFactory,
                                                 plain_result: DerivationResult, title: str, where: str, line: str,
                                                 justification: str, explanation: str, version: str) -> None:
    folder = tmp_path_factory.mktemp("report")
    result = with_text(plain_result, title, where, line, justification, explanation)
    build([result], folder, versions=version, date=title)
    assert (folder / "report.pdf").exists()


def test_without_note_math_no_line_is_typeset_as_math(plain_result: DerivationResult) -> None:
    line = r"\frac{d}{dz} e^{-z}"
    result = with_text(plain_result, "t", "w", line, "j", "e")
    assert r"\fitmath{\frac{d}{dz} e^{-z}}" in document([result], {}, "today")
    assert r"\fitmath{\frac{d}{dz} e^{-z}}" not in document([result], {}, "today", note_math=False)


@needs_tex
def test_a_note_line_that_stops_latex_is_shown_as_text_instead(tmp_path: Path,
                                                               plain_result: DerivationResult) -> None:
    result = with_text(plain_result, "t", "w", r"x^", "j", "e")  # passes the checks, but LaTeX refuses `$x^$`
    printed = build([result], tmp_path)
    assert "every note line is shown as text" in printed
    assert r"\fitmath{x^}" not in (tmp_path / "report.tex").read_text()
