"""The command line in a real pseudo-terminal: ids whole at any width, Ctrl-C, an ASCII locale, no markup."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from derivations import ALL
from verifier.texbuild import tex_engine

ROOT = Path(__file__).resolve().parent.parent
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07")
NOTE_000 = [d.id for d in ALL if d.note.startswith("000")]


@dataclass(frozen=True)
class Terminal:
    """What a command printed in a pseudo-terminal, and how it ended."""

    output: str
    returncode: int


def in_terminal(args: list[str], columns: int, interrupt_when: str | None = None, timeout: float = 300) -> Terminal:
    """Run `cli.py ARGS` in a pseudo-terminal `columns` wide; press Ctrl-C once `interrupt_when` is printed."""
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 50, columns, 0, 0))
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES", "BACKPROOF_WIDTH")}
    process = subprocess.Popen([sys.executable, str(ROOT / "cli.py"), *args], stdin=follower, stdout=follower,
                               stderr=follower, cwd=ROOT, env=env | {"TERM": "xterm"}, start_new_session=True,
                               preexec_fn=lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0))
    os.close(follower)
    chunks: list[bytes] = []
    deadline = time.monotonic() + timeout
    pressed = False
    while time.monotonic() < deadline:
        ready, _, _ = select.select([leader], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the terminal closed: the command is done
                break
            if not chunk:
                break
            chunks.append(chunk)
        if interrupt_when and not pressed and interrupt_when.encode() in b"".join(chunks):
            os.write(leader, b"\x03")  # Ctrl-C, as typed: the terminal signals the foreground process group
            pressed = True
    os.close(leader)
    returncode = process.wait(timeout=60)
    text = ANSI.sub("", b"".join(chunks).decode("utf-8", errors="replace")).replace("\r\n", "\n")
    return Terminal("\n".join(line.split("\r")[-1] for line in text.split("\n")), returncode)  # as shown at the end


@pytest.mark.parametrize("columns", [40, 80, 120])
def test_verify_shows_every_id_whole_at_any_width(columns: int) -> None:
    done = in_terminal(["verify", "--note", "000"], columns)
    assert done.returncode in (0, 1), done.output  # 1: a verdict not as expected, still a table
    words = set(re.findall(r"[\w-]+", done.output))
    assert set(NOTE_000) <= words, done.output
    assert "…" not in done.output
    assert max(len(line) for line in done.output.splitlines()) <= columns


@pytest.mark.parametrize("columns", [40, 80, 120])
def test_list_shows_every_id_whole_at_any_width(columns: int) -> None:
    done = in_terminal(["list"], columns)
    assert done.returncode == 0, done.output
    words = set(re.findall(r"[\w-]+", done.output))
    assert {d.id for d in ALL} <= words
    assert "…" not in done.output


def test_ctrl_c_exits_130_with_one_line_and_no_traceback() -> None:
    done = in_terminal(["verify", "--jobs", "2"], 100, interrupt_when="verif")
    assert done.returncode == 130, done.output
    assert "Traceback" not in done.output and "KeyboardInterrupt" not in done.output
    assert done.output.strip().splitlines()[-1].endswith("backproof: interrupted")


def tex_processes(scratch_prefix: str = "backproof-tex-") -> list[int]:
    """Processes whose working folder is a report's TeX scratch folder."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and scratch_prefix in os.readlink(entry / "cwd"):
                found.append(int(entry.name))
        except OSError:
            continue
    return found


@pytest.mark.skipif(tex_engine() is None, reason="no TeX engine on this machine")
def test_ctrl_c_during_latex_leaves_no_tex_running(tmp_path: Path) -> None:
    before = set(tex_processes())
    done = in_terminal(["report", "000-relu", "-o", str(tmp_path)], 100, interrupt_when="report.tex")
    assert done.returncode == 130, done.output
    assert "Traceback" not in done.output
    time.sleep(0.5)
    assert set(tex_processes()) - before == set()


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "cli.py"), *args], capture_output=True, text=True,
                          timeout=300, cwd=ROOT, env={**os.environ, **(env or {})})


def test_an_ascii_locale_prints_ascii_instead_of_crashing() -> None:
    done = run("verify", "--note", "000", env={"PYTHONIOENCODING": "ascii", "LC_ALL": "C"})
    assert done.returncode in (0, 1), done.stderr
    assert done.stdout.isascii()
    assert "000-softmax" in done.stdout


def test_user_text_is_never_read_as_markup_or_emoji(tmp_path: Path) -> None:
    notes = tmp_path / "notes.md"
    lines = ["# [bold]Title[/bold] :100: {#t}", *([""] * 98),
             "$$\\frac{d}{dx} x^2 = 2x \\text{[red]not red[/red] :100:}$$"]
    notes.write_text("\n".join(lines) + "\n")
    done = run("check", str(notes))
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"{notes}:100:" in done.stdout
    assert "💯" not in done.stdout
    assert "[bold]Title[/bold]" in done.stdout and "[red]not red[/red]" in done.stdout


def test_sigint_without_a_terminal_also_exits_130(tmp_path: Path) -> None:
    process = subprocess.Popen([sys.executable, str(ROOT / "cli.py"), "verify", "--jobs", "1"], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, cwd=ROOT, start_new_session=True)
    # past the imports (about 1 s; Ctrl-C is handled from the start anyway) and well before the corpus ends (about
    # 8 s in one process on a fast machine): a fixed 6 s wait outlived the whole run once the corpus got faster
    time.sleep(3)
    os.killpg(process.pid, signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert err.strip() == "backproof: interrupted"
