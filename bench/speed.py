"""Cold wall time of `backproof verify` on the whole corpus: the median of several fresh runs.

Usage: python bench/speed.py [--runs 5] [-- extra verify arguments]
"""

from __future__ import annotations

import argparse
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def cold_run(extra: list[str]) -> float:
    """Seconds for one fresh process, imports included."""
    started = time.perf_counter()
    done = subprocess.run([sys.executable, str(ROOT / "cli.py"), "verify", *extra], capture_output=True, cwd=ROOT)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"verify failed (exit {done.returncode}):\n{done.stdout.decode()}{done.stderr.decode()}")
    return seconds


def main() -> None:
    """Time the runs and print the median with the machine it ran on."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("extra", nargs="*")
    args = parser.parse_args()
    times = [cold_run(args.extra) for _ in range(args.runs)]
    print(f"command: {sys.executable} cli.py verify {' '.join(args.extra)}".rstrip())
    print(f"machine: {platform.machine()}, {platform.python_implementation()} {platform.python_version()}")
    print("runs:   " + ", ".join(f"{t:.2f}" for t in times))
    print(f"median: {statistics.median(times):.2f} s over {len(times)} cold runs")


if __name__ == "__main__":
    main()
