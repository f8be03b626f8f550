"""The matrix benchmark runs end to end at toy widths (no timing is asserted: results are measured by it)."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_matrix_benchmark_runs_and_writes_its_results(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "matrix.py"), "--widths", "2,3", "--out",
                           str(tmp_path)], capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    results = (tmp_path / "MATRIX.md").read_text()
    assert "note 004's backward pass" in results and "all as expected" in results
    assert "| 3 |" in results  # a row per width
