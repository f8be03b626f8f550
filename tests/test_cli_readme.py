"""The README's terminal excerpts agree with what the commands print today (timings aside)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def excerpt(after: str) -> list[str]:
    """The lines of the first fenced block after the text `after` in the README."""
    rest = README[README.index(after):]
    block = rest[rest.index("```\n") + 4:]
    return block[:block.index("```")].rstrip("\n").split("\n")


def run(*args: str) -> str:
    env = {**os.environ, "BACKPROOF_WIDTH": "200"}
    done = subprocess.run([sys.executable, str(ROOT / "cli.py"), *args], capture_output=True, text=True,
                          timeout=300, cwd=ROOT, env=env)
    assert done.returncode in (0, 1), done.stderr
    return done.stdout


def without_timing(line: str) -> str:
    return re.sub(r"in \d+ ms", "in N ms", line)


def test_the_show_excerpt_is_what_show_prints() -> None:
    shown = excerpt("One refuted step, from `backproof show 002-sigmoid-inner`")
    printed = run("show", "002-sigmoid-inner").split("\n")
    start = printed.index(next(line for line in printed if line.startswith(shown[0].split(" refuted")[0])))
    for expected, actual in zip(shown[:-1], printed[start:start + len(shown) - 1], strict=True):
        assert without_timing(actual) == without_timing(expected)
    point = shown[-1].split(": previous")[0].split("at z = ")[0]
    assert printed[start + len(shown) - 1].startswith(point)


def test_the_verify_excerpt_has_the_columns_and_ids_verify_prints() -> None:
    shown = excerpt("A real run on note 000")
    printed = run("verify", "--note", "000").rstrip("\n").split("\n")
    assert cells(printed, "┃") == cells(shown, "┃")
    assert cells(printed, "│")[::10] == cells(shown, "│")[::10]  # the ids, in order
    assert shown[-1] == printed[-1]


def cells(lines: list[str], bar: str) -> list[str]:
    """The cells of the table's lines drawn with `bar` (the header's, or the rows')."""
    return [cell.strip() for line in lines if line.startswith(bar) for cell in line.strip(bar).split(bar)]


def test_the_readme_usage_names_every_subcommand() -> None:
    usage = "\n".join(excerpt("## Using it"))
    for command in ("verify", "report", "show", "list", "check", "--version"):
        assert f"backproof {command}" in usage


def test_the_check_excerpt_has_the_locations_and_verdicts_check_prints() -> None:
    shown = excerpt("A real run on [`examples/own.md`]")
    printed = run("check", "examples/own.md").rstrip("\n").split("\n")

    def where_and_verdict(lines: list[str]) -> list[tuple[str, str]]:
        rows = [[c.strip() for c in line.strip("│").split("│")] for line in lines if line.startswith("│")]
        return [(row[0], row[2]) for row in rows if row[0]]

    expected = [(w, v[:10]) for w, v in where_and_verdict(shown)]  # numeric errors vary in the last digit
    assert [(w, v[:10]) for w, v in where_and_verdict(printed)] == expected
    assert printed[-1] == shown[-1]
