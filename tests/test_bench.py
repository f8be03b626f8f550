"""The benchmark runs end to end in its quick mode (no timing is asserted: results are measured by it)."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_benchmark_runs_in_quick_mode_and_writes_its_results(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "run.py"), "--quick", "--out", str(tmp_path)],
                          capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    results = (tmp_path / "RESULTS.md").read_text()
    for heading in ("## 1. The whole corpus, cold", "## 2. Against the naive checker", "## 3. Scale",
                    "## 4. Numeric accuracy"):
        assert heading in results
    assert "Produced by `python bench/run.py --quick`" in results
    assert "| wrong steps naive confirms | 0 |" in results
