"""Writing the report safely and compiling it with whichever TeX engine is installed."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

TEX_HINT = "apt-get install latexmk texlive-latex-recommended texlive-fonts-recommended"
LATEX_TIMEOUT_SECONDS = 300


@dataclass(frozen=True)
class BuildResult:
    """What a LaTeX run produced: the PDF, or the first error and where the log was kept."""

    pdf: Path | None
    log: Path | None
    error: str | None = None
    timed_out: bool = False


def tex_engine() -> str | None:
    """`latexmk` if installed, else `pdflatex`, else None."""
    for name in ("latexmk", "pdflatex"):
        if shutil.which(name):
            return name
    return None


def write_atomically(path: Path, content: str | bytes) -> None:
    """Replace `path` in one step, so an interrupted write never leaves a truncated file behind."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = content.encode() if isinstance(content, str) else content
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, 0o666 & ~current_umask())  # mkstemp makes it 0600; a report is for sharing
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def current_umask() -> int:
    """The process's umask (read by setting it and putting it back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def compile_pdf(tex: Path, engine: str) -> BuildResult:
    """Compile `tex` in a scratch folder; move the PDF and log beside it only when LaTeX is done."""
    with tempfile.TemporaryDirectory(prefix="backproof-tex-") as scratch:
        shutil.copy(tex, Path(scratch) / "report.tex")
        timeout = None
        for command in _commands(engine):
            try:
                run_tex(command, scratch)
            except subprocess.TimeoutExpired:
                timeout = f"{command[0]} did not finish within {LATEX_TIMEOUT_SECONDS} s"
                break
        built_log, built_pdf = Path(scratch) / "report.log", Path(scratch) / "report.pdf"
        log = tex.with_suffix(".log")
        if built_log.exists():
            write_atomically(log, built_log.read_bytes())
        error = timeout or first_error(built_log)
        if error is None and built_pdf.exists():
            pdf = tex.with_suffix(".pdf")
            write_atomically(pdf, built_pdf.read_bytes())
            return BuildResult(pdf, log)
        return BuildResult(None, log if log.exists() else None, error or "LaTeX produced no PDF", timeout is not None)


# No shell escape, and TeX may read and write only files in its scratch folder (kpathsea's "paranoid").
TEX_FLAGS = ("-no-shell-escape", "-interaction=nonstopmode", "-halt-on-error", "-file-line-error")
TEX_ENVIRONMENT = {"openin_any": "p", "openout_any": "p", "shell_escape": "f"}


def run_tex(command: list[str], folder: str) -> None:
    """Run one TeX command in `folder`; on a timeout or Ctrl-C, kill it and every process it started."""
    with subprocess.Popen(command, cwd=folder, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL, env=tex_environment(), start_new_session=True) as process:
        try:
            process.wait(timeout=LATEX_TIMEOUT_SECONDS)
        except BaseException:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            raise


def _commands(engine: str) -> list[list[str]]:
    if engine == "latexmk":
        return [["latexmk", "-pdf", f"-pdflatex=pdflatex {' '.join(TEX_FLAGS)} %O %S", "report.tex"]]
    return [["pdflatex", *TEX_FLAGS, "report.tex"]] * 2  # twice, for the long tables' column widths


def tex_environment() -> dict[str, str]:
    """The environment TeX runs in: ours, with file access and shell escape locked down."""
    return {**os.environ, **TEX_ENVIRONMENT}


def first_error(log: Path) -> str | None:
    """The first LaTeX error in a log, with the line of the .tex it points at; None if there is none."""
    if not log.exists():
        return None
    text = log.read_text(errors="replace")
    match = re.search(r"^(?:\S+:(\d+): |! )(.*)$", text, flags=re.MULTILINE)
    if match is None:
        return None
    line = match.group(1) or _line_hint(text[match.end():])
    return f"{match.group(2).strip()}" + (f" (report.tex line {line})" if line else "")


def _line_hint(after: str) -> str | None:
    found = re.search(r"^l\.(\d+)", after, flags=re.MULTILINE)
    return found.group(1) if found else None
