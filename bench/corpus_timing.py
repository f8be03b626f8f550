"""Whole-corpus timing: cold `backproof verify --json` runs, per derivation and per step."""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class CorpusTiming:
    """Wall times of the runs, the median seconds of each derivation and of each step."""

    command: str
    walls: list[float]
    derivations: dict[str, float]  # id -> median seconds
    steps: list[dict]  # the slowest steps: id, index, line, method, median seconds


def cold_runs(runs: int, ids: list[str]) -> CorpusTiming:
    """`runs` fresh processes of `backproof verify --json` (imports included)."""
    command = [sys.executable, str(ROOT / "cli.py"), "verify", "--json", *ids]
    walls, documents = [], []
    for _ in range(runs):
        started = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
        walls.append(time.perf_counter() - started)
        if done.returncode != 0:
            raise SystemExit(f"verify failed (exit {done.returncode}): {done.stderr}")
        documents.append(json.loads(done.stdout))
    per_derivation: dict[str, list[float]] = {}
    per_step: dict[tuple[str, int], list[float]] = {}
    about: dict[tuple[str, int], dict] = {}
    for document in documents:
        for derivation in document["derivations"]:
            per_derivation.setdefault(derivation["id"], []).append(derivation["seconds"])
            for step in derivation["steps"]:
                key = (derivation["id"], step["index"])
                per_step.setdefault(key, []).append(step["seconds"])
                about[key] = {"id": derivation["id"], "index": step["index"], "method": step["method"],
                              "line": step["latex_as_written"] or "(completion)", "verdict": step["verdict"]}
    medians = {key: statistics.median(times) for key, times in per_step.items()}
    slowest = sorted(medians, key=medians.get, reverse=True)[:10]
    return CorpusTiming(
        command="python cli.py verify" + "".join(f" {i}" for i in ids),
        walls=walls,
        derivations={i: statistics.median(t) for i, t in per_derivation.items()},
        steps=[about[key] | {"seconds": medians[key]} for key in slowest],
    )
