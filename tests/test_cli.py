"""The command line end to end, in a subprocess, as a user runs it."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "cli.py"), *args], capture_output=True, text=True,
                          timeout=300, cwd=ROOT)


def test_verify_prints_a_table_and_a_summary_and_exits_0() -> None:
    done = run("verify", "000-sigmoid", "000-softmax")
    assert done.returncode == 0, done.stderr
    assert "000-softmax" in done.stdout and "errors found" in done.stdout
    last = done.stdout.strip().splitlines()[-1]
    assert last == ("2 derivations, 23 steps: 17 proved, 6 errors in the notes found, 0 unproved, 0 unexpected; "
                    "besides the authors' lines, 4 added steps")


def test_verify_by_note() -> None:
    done = run("verify", "--note", "004")
    assert done.returncode == 0, done.stderr
    assert "004-tanh" in done.stdout and "000-" not in done.stdout


def test_verify_exits_1_when_a_verdict_is_not_the_expected_one() -> None:
    done = run("verify", "004-tanh", "--budget", "0")  # no time for any prover: steps end unproved
    assert done.returncode == 1
    assert "unexpected" in done.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [(("verify", "no-such-id"), "known ids: 000-sigmoid"), (("verify", "--note", "999"), "known notes"),
     (("show", "nope"), "unknown derivation id"), (("verify", "--budget", "-1"), "budget"), (("frobnicate",), ""),
     (("verify", "--budget", "nan"), "budget"), (("verify", "--budget", "inf"), "budget"),  # inf overflowed a timer
     (("check", ""), "an empty path")],
)
def test_usage_errors_exit_2_and_say_what_exists(args: tuple[str, ...], message: str) -> None:
    done = run(*args)
    assert done.returncode == 2
    assert message in done.stderr


def test_json_follows_the_documented_schema() -> None:
    done = run("verify", "001-bce", "001-relu", "--json")
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    assert set(document) == {"derivations", "summary"}
    bce = document["derivations"][0]
    assert {"id", "title", "note", "steps", "numeric"} <= set(bce)
    step_keys = {"index", "latex_as_written", "expr", "justification", "expected", "verdict", "method",
                 "seconds", "counterexample"}
    assert all(step_keys <= set(s) for s in bce["steps"])
    refuted = [s for s in bce["steps"] if s["verdict"] == "refuted"]
    assert refuted and all({"point", "lhs", "rhs"} <= set(s["counterexample"]) for s in refuted)
    assert {"method", "points", "max_rel_error"} <= set(bce["numeric"])
    assert document["summary"]["derivations"] == 2
    assert document["derivations"][1]["numeric"]["kink"]["convention"].startswith("1")


def test_show_prints_each_step_with_its_evidence() -> None:
    done = run("show", "002-sigmoid-inner")
    assert done.returncode == 0, done.stderr
    assert "0 + (-e^{-z}) \\cdot (-1)" in done.stdout
    assert "counterexample" in done.stdout and "refuted" in done.stdout
    assert "the sign is applied twice" in done.stdout


def test_list_names_every_derivation() -> None:
    done = run("list")
    assert done.returncode == 0
    assert "003-delta2" in done.stdout and "004_92ccb6d64e70ff8c.txt" in done.stdout
