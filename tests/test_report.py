"""The LaTeX report: generated for the whole corpus anywhere, compiled to a PDF where TeX is installed."""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest

from derivations import ALL, BY_ID
from verifier import DerivationResult, verify
from verifier.latex import document, escape, safe_math, title
from verifier.texbuild import compile_pdf, tex_engine, write_atomically

ROOT = Path(__file__).resolve().parent.parent
HOSTILE = r"50% of _x_ & #1 costs $5 {a} \b ~c ^d <e> |f|"
needs_tex = pytest.mark.skipif(tex_engine() is None or shutil.which("pdftotext") is None,
                               reason="no TeX engine or pdftotext on this machine")


def corpus_document(corpus_results: dict[str, DerivationResult]) -> str:
    return document([corpus_results[d.id] for d in ALL], {"backproof": "test"}, "today")


@pytest.mark.parametrize(
    ("text", "expected"),
    [("a_b", r"a\_b"), ("100%", r"100\%"), ("R&D", r"R\&D"), ("#1", r"\#1"), ("$x$", r"\$x\$"),
     ("{x}", r"\{x\}"), ("\\", r"\textbackslash{}"), ("~", r"\textasciitilde{}"), ("^", r"\textasciicircum{}"),
     ("x<y", r"x\textless{}y"), ("σ(z)", r"$\sigma$(z)"), ("\u2603", "?")],
)
def test_text_is_escaped(text: str, expected: str) -> None:
    assert escape(text) == expected


@pytest.mark.parametrize(
    ("latex", "safe"),
    [(r"\frac{d}{dx} \left(\frac{1}{1+e^{-x}} \right)", True), (r"= \sigma(x) \cdot \left(\frac{a}{b}", True),
     (r"\input{/etc/passwd}", False), (r"\def\x{1}", False), (r"}{", False), (r"50% off", False),
     (r"\begin{verbatim}x\end{verbatim}", False), ("a" * 3000, False)],
)
def test_only_known_safe_math_is_typeset_as_math(latex: str, safe: bool) -> None:
    math = safe_math(latex)
    assert (math is not None) == safe
    if math is not None:
        assert len(re.findall(r"\\left\b", math)) == len(re.findall(r"\\right\b", math))


def test_the_tex_of_the_whole_corpus_leads_with_the_errors(corpus_results: dict[str, DerivationResult]) -> None:
    tex = corpus_document(corpus_results)
    assert tex.index("Errors found in the notes") < tex.index(r"\section{Note ")
    for derivation in ALL:
        assert title(derivation.title) in tex
    for note in {d.note for d in ALL if any(s.expected in ("error", "slip") for s in d.steps)}:
        assert escape(note) in tex


def test_writing_is_atomic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "report.tex"
    write_atomically(target, "good")

    def interrupted(source: str, destination: str) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_atomically(target, "half a report")
    assert target.read_text() == "good"
    assert [p.name for p in tmp_path.iterdir()] == ["report.tex"]


def hostile_result() -> DerivationResult:
    derivation = BY_ID["002-sigmoid-inner"]
    steps = tuple(
        dataclasses.replace(s, justification=HOSTILE, latex=r"\input{/etc/passwd} }{" if i == 0 else s.latex)
        for i, s in enumerate(derivation.steps)
    )
    return verify(dataclasses.replace(derivation, title=HOSTILE, where=HOSTILE, remarks=HOSTILE, steps=steps))


def pdf_text(pdf: Path) -> str:
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    return squash(text)


GREEK_NAMES = {"ω": "omega", "δ": "delta", "η": "eta", "θ": "theta", "σ": "sigma", "ŷ": "yhat"}


def squash(text: str) -> str:
    """Letters and digits only; a title's Greek and hats as it spells them (omega_1, yhat_i)."""
    text = "".join(GREEK_NAMES.get(c, c) for c in unicodedata.normalize("NFC", text))
    return re.sub(r"[^0-9a-z]", "", unicodedata.normalize("NFKC", text).lower())


@needs_tex
def test_the_corpus_pdf_compiles_and_holds_every_title_and_faulty_note(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, str(ROOT / "cli.py"), "report", "--pdf", "-o", str(tmp_path)],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    text = pdf_text(tmp_path / "report.pdf")
    for derivation in ALL:
        assert squash(derivation.title) in text, derivation.title
    for derivation in ALL:
        if any(s.expected in ("error", "slip") for s in derivation.steps):
            assert squash(derivation.note) in text
    log = (tmp_path / "report.log").read_text()
    overfull = [float(x) for x in re.findall(r"Overfull \\hbox \(([\d.]+)pt", log)]
    assert max(overfull, default=0.0) <= 5.0
    shrunk = [float(room) / float(width) for width, room in re.findall(r"fitmath: ([\d.]+)pt into ([\d.]+)pt", log)]
    assert min(shrunk, default=1.0) >= 0.6  # long expressions are broken across lines, not scaled to a hairline


@needs_tex
def test_hostile_text_compiles(tmp_path: Path) -> None:
    tex = tmp_path / "report.tex"
    write_atomically(tex, document([hostile_result()], {"backproof": HOSTILE}, HOSTILE))
    built = compile_pdf(tex, tex_engine())
    assert built.pdf is not None, built.error
    assert squash("costs 5") in pdf_text(built.pdf)


@needs_tex
def test_a_failed_latex_run_names_the_first_error_and_keeps_the_log(tmp_path: Path) -> None:
    tex = tmp_path / "report.tex"
    write_atomically(tmp_path / "report.pdf", b"the previous good PDF")
    write_atomically(tex, "\\documentclass{article}\n\\begin{document}\n\\undefinedthing\n\\end{document}\n")
    built = compile_pdf(tex, tex_engine())
    assert built.pdf is None
    assert "Undefined control sequence" in built.error and "line 3" in built.error
    assert built.log is not None and built.log.exists()
    assert (tmp_path / "report.pdf").read_bytes() == b"the previous good PDF"


def run_without_tex(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PATH": str(tmp_path / "empty-path")}
    return subprocess.run([sys.executable, str(ROOT / "cli.py"), "report", "004-tanh", "-o", str(tmp_path), *args],
                          capture_output=True, text=True, timeout=300, env=env)


def test_without_tex_the_tex_is_still_written_and_the_way_to_tex_is_said(tmp_path: Path) -> None:
    done = run_without_tex(tmp_path)
    assert done.returncode == 0, done.stderr
    assert "apt-get install latexmk" in done.stderr
    assert (tmp_path / "report.tex").read_text().rstrip().endswith(r"\end{document}")
    assert run_without_tex(tmp_path, "--pdf").returncode == 1
