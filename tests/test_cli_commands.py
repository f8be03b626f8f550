"""The command line's edges: version, usage, --jobs, folders, nothing found, internal errors, the exit codes."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bench.run import default_out
from verifier import __version__, cli

ROOT = Path(__file__).resolve().parent.parent
SQUARE = "# Square\n\n$$\\frac{d}{dx} x^2 = 2x$$\n"


def run(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "cli.py"), *args], capture_output=True, text=True,
                          timeout=300, cwd=cwd)


@pytest.mark.parametrize("command", [["cli.py", "--version"], ["cli.py", "-V"], ["-m", "verifier", "--version"]])
def test_the_version_is_printed(command: list[str]) -> None:
    program = [str(ROOT / command[0]), *command[1:]] if command[0] == "cli.py" else command
    done = subprocess.run([sys.executable, *program], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert done.returncode == 0
    assert done.stdout.strip() == f"backproof {__version__}"


def test_python_m_verifier_runs_the_command_line() -> None:
    done = subprocess.run([sys.executable, "-m", "verifier", "list"], capture_output=True, text=True, timeout=120,
                          cwd=ROOT)
    assert done.returncode == 0 and "000-relu" in done.stdout


def test_no_top_level_cli_module_is_installed() -> None:
    text = (ROOT / "pyproject.toml").read_text()
    assert 'backproof = "verifier.launch:run"' in text and "py-modules" not in text


@pytest.mark.parametrize(
    ("args", "usage"),
    [(["verify", "--jsn"], "usage: backproof verify"), (["check", "x.md", "--jsn"], "usage: backproof check"),
     (["report", "--pfd"], "usage: backproof report")],
)
def test_a_bad_flag_shows_its_subcommands_usage(args: list[str], usage: str) -> None:
    done = run(*args)
    assert done.returncode == 2
    assert usage in done.stderr and "unrecognized arguments" in done.stderr


@pytest.mark.parametrize(("jobs", "expected"), [(None, None), (0, os.cpu_count() or 1), (3, 3)])
def test_jobs_zero_means_one_per_core(jobs: int | None, expected: int | None) -> None:
    assert cli.jobs_wanted(jobs) == expected


def test_negative_jobs_are_a_usage_error() -> None:
    done = run("verify", "000-relu", "--jobs", "-1")
    assert done.returncode == 2 and "--jobs must be 0" in done.stderr


def test_check_on_a_folder_checks_every_note_under_it(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text(SQUARE)
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.markdown").write_text(SQUARE.replace("Square", "Again"))
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden" / "c.md").write_text("# Broken\n\n$$x +* 1$$\n")
    (tmp_path / "notes.txt").write_text("# Not a note\n\n$$x +* 1$$\n")
    done = run("check", str(tmp_path))
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip().splitlines()[-1].startswith("2 derivations, 4 steps: 4 proved")
    assert "no such file" not in done.stderr


@pytest.mark.parametrize("content", ["# Just prose\n\nNo math at all.\n", ""])
def test_a_file_without_derivations_exits_3_and_says_so(tmp_path: Path, content: str) -> None:
    (tmp_path / "empty.md").write_text(content)
    done = run("check", str(tmp_path / "empty.md"))
    assert done.returncode == 3
    assert "no derivations found" in done.stderr


def test_an_empty_folder_exits_3(tmp_path: Path) -> None:
    done = run("check", str(tmp_path))
    assert done.returncode == 3 and "no derivations found" in done.stderr


def test_an_internal_error_is_never_the_refuted_exit_code(monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    def broken(*args: object) -> int:
        raise RuntimeError("boom")

    monkeypatch.setattr(cli, "dispatch", broken)
    code = cli.main(["list"])
    assert code == cli.EXIT_INTERNAL and code not in (cli.EXIT_FAILED, cli.EXIT_USAGE)
    err = capsys.readouterr().err
    assert "internal error (RuntimeError: boom)" in err and "bug in backproof" in err


def test_undeclared_symbols_show_in_the_table(tmp_path: Path) -> None:
    (tmp_path / "u.md").write_text("# Product\n\n$$\\frac{d}{dx} (q x) = q$$\n")
    done = run("check", str(tmp_path / "u.md"))
    assert done.returncode == 0, done.stdout
    assert re.search(r"undeclared, taken as real \(sampled in \(-6, 6\)\): q", done.stdout)


def test_a_shape_error_is_said_under_its_step(tmp_path: Path) -> None:
    (tmp_path / "s.md").write_text("# Linear form\n\n```where\na \\in \\mathbb{R}^{m}\nx \\in \\mathbb{R}^{m}\n```\n\n"
                                   "$$\\nabla_x (a^T x) = a^T$$\n")
    done = subprocess.run([sys.executable, str(ROOT / "cli.py"), "check", "s.md"], capture_output=True, text=True,
                          timeout=300, cwd=tmp_path, env={**os.environ, "BACKPROOF_WIDTH": "200"})
    assert done.returncode == 1, done.stdout
    assert "shape error: this step is 1 x m, the expression before it m x 1" in done.stdout


def test_the_exit_code_table_in_the_readme_is_the_programs() -> None:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("### Exit codes")[1].split("\n#")[0]
    table = dict(re.findall(r"^\| (\d+) \| (.+?) \|$", section, re.MULTILINE))
    constants = {str(v): k for k, v in vars(cli).items() if k.startswith("EXIT_")}
    assert set(table) == set(constants)


def test_a_quick_benchmark_never_writes_over_the_committed_results() -> None:
    quick = default_out(quick=True)
    assert ROOT / "bench" not in (quick, *quick.parents) and not any(quick.iterdir())
    quick.rmdir()
    assert default_out(quick=False) == ROOT / "bench"


def test_consoles_never_read_markup_or_emoji(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdout", io.TextIOWrapper(io.BytesIO(), encoding="utf-8"))
    console, _ = cli.consoles()
    with console.capture() as captured:
        console.print("file.md:100:28 [bold]x[/bold]")
    assert captured.get().strip() == "file.md:100:28 [bold]x[/bold]"


def test_ctrl_c_while_the_package_imports_is_one_line() -> None:
    # the interrupt arrives inside the first heavy import (the SIGINT is raised by the import itself)
    code = ("import signal, builtins, os\n"
            "real = builtins.__import__\n"
            "def interrupted(name, *args, **kwargs):\n"
            "    if name == 'sympy':\n"
            "        os.kill(os.getpid(), signal.SIGINT)\n"
            "    return real(name, *args, **kwargs)\n"
            "builtins.__import__ = interrupted\n"
            "from verifier.launch import run\n"
            "run()\n")
    done = subprocess.run([sys.executable, "-c", code, "list"], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert done.returncode == 130, done.stderr
    assert done.stderr.strip() == "backproof: interrupted"


def test_a_reader_that_closes_the_output_early_gets_no_traceback() -> None:
    process = subprocess.Popen([sys.executable, str(ROOT / "cli.py"), "verify", "--json", "--note", "004"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT)
    assert process.stdout is not None and process.stderr is not None
    process.stdout.read(10)
    process.stdout.close()  # as `| head -c 10` does
    error = process.stderr.read().decode()
    assert process.wait(timeout=120) in (0, cli.EXIT_PIPE) and "Traceback" not in error


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full on this machine")
@pytest.mark.parametrize(("redirect", "code", "said"), [
    ("> /dev/full", 2, "cannot write the output (No space left on device)"),  # a traceback and exit 4 before
    (">&-", 0, ""),  # stdout closed: an AttributeError traceback and exit 1 before
])
def test_an_output_that_cannot_be_written_is_one_line_not_a_traceback(tmp_path: Path, redirect: str, code: int,
                                                                       said: str) -> None:
    notes = tmp_path / "ok.md"
    notes.write_text("# A\n\n$$x + x = 2x$$\n")
    command = f"'{sys.executable}' '{ROOT / 'cli.py'}' check '{notes}' {redirect}"
    done = subprocess.run(["sh", "-c", command], capture_output=False, stderr=subprocess.PIPE, text=True, timeout=300)
    assert done.returncode == code and "Traceback" not in done.stderr and said in done.stderr


SLOW_RUN = "".join(f"# s{i}\n\n```where\nx in (0.1, 3)\n```\n\n$$\\sin(x)^{{\\cos(x)^{{\\sin(x)}}}} = "
                   f"e^{{\\cos(x)^{{\\sin(x)}} \\log \\sin x}} + \\tanh(x)^{{{i + 3}}} - \\tanh(x)^{{{i + 3}}}$$\n\n"
                   for i in range(12))


@pytest.mark.skipif(shutil.which("pgrep") is None, reason="no pgrep on this machine")
@pytest.mark.parametrize(("stop", "code"), [
    (signal.SIGTERM, 143),  # one line, workers stopped (they ran on for a minute after a SIGTERM)
    (signal.SIGKILL, -9),  # nothing to say, and no worker left behind (a pool worker and its step worker waited)
])
def test_a_stopped_run_leaves_no_worker_behind(tmp_path: Path, stop: signal.Signals, code: int) -> None:
    notes = tmp_path / f"stopped_run_{stop.name}.md"
    notes.write_text(SLOW_RUN)
    started = subprocess.Popen([sys.executable, str(ROOT / "cli.py"), "check", str(notes), "--budget", "30"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while _running(notes.name) < 3 and time.monotonic() < deadline:  # the pool and a step worker run
        time.sleep(0.2)
    started.send_signal(stop)
    _, said = started.communicate(timeout=60)
    time.sleep(2)
    assert started.returncode == code and "Traceback" not in said
    assert stop != signal.SIGTERM or "interrupted" in said
    assert _running(notes.name) == 0


def _running(name: str) -> int:
    found = subprocess.run(["pgrep", "-f", name], capture_output=True, text=True)
    return len(found.stdout.split())


def test_json_names_a_file_whose_name_is_not_utf8_with_a_replacement_character(tmp_path: Path) -> None:
    folder = os.fsencode(tmp_path)
    with open(os.path.join(folder, b"a\xff.md"), "w") as stream:
        stream.write("# A\n\n$$x + x = 2x$$\n")
    done = subprocess.run([sys.executable, str(ROOT / "cli.py"), "check", "--json", str(tmp_path)],
                          capture_output=True, timeout=300, cwd=ROOT)
    text = done.stdout.decode("utf-8")  # strict: a lone surrogate (\udcff) made it invalid for strict parsers
    assert "\\udcff" not in text and json.loads(text)["derivations"][0]["file"].endswith("a\ufffd.md")
