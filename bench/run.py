"""Every benchmark in one command: writes bench/RESULTS.md and PNG plots (with matplotlib).

Usage: python bench/run.py [--quick] [--out DIR] [--parts corpus,naive,scale,accuracy,soundness]

--quick runs each part at toy sizes (the test suite uses it to check that the benchmark runs) and
writes to a new temporary folder unless --out names one: never over the committed results, which
come from a full run.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy  # noqa: E402
import sympy  # noqa: E402

from bench import accuracy, naive, plots, scale, soundness  # noqa: E402
from bench.corpus_timing import cold_runs  # noqa: E402
from derivations import ALL, BY_ID  # noqa: E402
from verifier import __version__  # noqa: E402
from verifier.serialize import counted  # noqa: E402

FULL = {
    "runs": 5, "ids": [], "naive": [d.id for d in ALL], "naive_runs": 3, "cap": 10.0,
    "softmax": [2, 5, 10, 20, 50], "naive_k": 10, "xtax": list(range(2, 21)), "widths": [2, 4, 8, 16, 32],
    "accuracy": None, "adversarial": None,
}
QUICK = {
    "runs": 1, "ids": ["000-sigmoid", "001-relu"], "naive": ["000-sigmoid", "001-bce", "002-mse"], "naive_runs": 1,
    "cap": 2.0,
    "softmax": [2, 3], "naive_k": 2, "xtax": [2, 3], "widths": [2, 3], "accuracy": ["000-sigmoid", "001-relu"],
    "adversarial": 12,
}


def main() -> None:
    """Run everything and write the results file and plots."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="toy sizes, to check that everything runs")
    parser.add_argument("--out", type=Path, default=None,
                        help="where RESULTS.md and the plots go (default: bench/; with --quick a temporary folder)")
    parser.add_argument("--parts", default=",".join(PARTS), help="the sections to run (default: all)")
    args = parser.parse_args()
    plan = QUICK if args.quick else FULL
    args.out = args.out or default_out(args.quick)
    args.out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    chosen = args.parts.split(",")
    unknown = set(chosen) - set(PARTS)
    if unknown:
        parser.error(f"unknown parts: {', '.join(sorted(unknown))} (known: {', '.join(PARTS)})")
    runners = {"corpus": lambda: _corpus(plan), "naive": lambda: _naive(plan), "scale": lambda: _scale(plan, args.out),
               "accuracy": lambda: _accuracy(plan, args.out), "soundness": lambda: _soundness(plan)}
    sections = [_header(args)] + [runners[part]() for part in PARTS if part in chosen]
    sections.append(f"Total time of this benchmark run: {time.perf_counter() - started:.0f} s.\n")
    (args.out / "RESULTS.md").write_text("\n".join(sections), encoding="utf-8")
    print(f"wrote {args.out / 'RESULTS.md'}")


PARTS = ("corpus", "naive", "scale", "accuracy", "soundness")


def default_out(quick: bool) -> Path:
    """bench/ for a full run; a new temporary folder for a quick one, so toy numbers never replace real ones."""
    return Path(tempfile.mkdtemp(prefix="backproof-bench-quick-")) if quick else ROOT / "bench"


def _header(args: argparse.Namespace) -> str:
    command = "python bench/run.py" + (" --quick" if args.quick else "")
    if args.parts != ",".join(PARTS):
        command += f" --parts {args.parts}"
    return (
        "# backproof benchmarks\n\n"
        f"Produced by `{command}` on {datetime.date.today().isoformat()}.\n\n"
        f"- machine: {platform.machine()}, {os.cpu_count()} cores, {platform.system()} {platform.release()}\n"
        f"- Python {platform.python_version()}, backproof {__version__}, SymPy {sympy.__version__}, "
        f"NumPy {numpy.__version__}\n"
    )


def _corpus(plan: dict) -> str:
    timing = cold_runs(plan["runs"], plan["ids"])
    lines = [
        "## 1. The whole corpus, cold\n",
        f"`{timing.command}` in a fresh process each time (imports included), {counted(len(timing.walls), 'run')}: "
        + ", ".join(f"{w:.2f}" for w in timing.walls)
        + f" s; **median {statistics.median(timing.walls):.2f} s**.\n",
        "The ten slowest steps (median over the runs) and the method that decided each:\n",
        "| derivation | step | seconds | verdict | method |", "| --- | --- | --- | --- | --- |",
    ]
    for step in timing.steps:
        lines.append(f"| {step['id']} | {step['index']} | {step['seconds']:.3f} | {step['verdict']} | "
                     f"{_cell(step['method'])} |")
    lines += ["", "Every derivation, median seconds (inside the worker, so imports excluded):\n",
              "| derivation | seconds |", "| --- | --- |"]
    for name, seconds in sorted(timing.derivations.items(), key=lambda kv: -kv[1]):
        lines.append(f"| {name} | {seconds:.3f} |")
    return "\n".join(lines) + "\n"


def _naive(plan: dict) -> str:
    rows = naive.compare([BY_ID[name] for name in plan["naive"]], plan["cap"], plan["naive_runs"])
    totals = naive.summary(rows)
    lines = [
        "## 2. Against the naive checker\n",
        "Each step decided by `simplify(a - b) == 0` alone (entry by entry for matrices), after the same "
        f"preparation backproof does (definitions and derivatives expanded), with {plan['cap']:.0f} s per step at "
        f"most. One process, {counted(plan['naive_runs'], 'run')}: in each, backproof verifies every derivation, "
        "then every cache (backproof's and SymPy's) is emptied and the naive checker decides the same steps; each side "
        "starts cold and its seconds include its own preparation. Seconds are each step's median over the runs, "
        "summed; backproof's are its step verdicts (its numeric cross-check, which the naive checker has no "
        "counterpart of, is left out).\n",
        "| measure | value |", "| --- | --- |",
    ]
    for name, value in totals.items():
        lines.append(f"| {name} | {value:.2f} |" if isinstance(value, float) else f"| {name} | {value} |")
    missed = [r for r in rows if r.backproof == "proved" and r.naive not in ("confirmed", "not applicable")]
    if missed:
        lines += ["", "True steps the naive checker does not confirm:\n", "| derivation | step | naive |",
                  "| --- | --- | --- |"]
        lines += [f"| {r.derivation} | {r.index} | {r.naive} |" for r in missed]
    return "\n".join(lines) + "\n"


def _scale(plan: dict, out: Path) -> str:
    series = {
        "softmax Jacobian (both cases) + cross-entropy gradient": (
            "K", scale.measure(plan["softmax"], scale.softmax_jacobian_and_gradient, plan["naive_k"])),
        "x^T A x: index sum and gradient": ("n", scale.measure(plan["xtax"], scale.xtax)),
        "network layer: dL/dW and dL/dA (batch 2, 3 outputs)": ("width", scale.measure(plan["widths"],
                                                                                        scale.network_layer)),
    }
    lines = ["## 3. Scale\n"]
    for title, (label, points) in series.items():
        law = scale.growth(points)
        lines += [f"### {title}\n", f"| {label} | build s | verify s | naive s | every verdict as expected |",
                  "| --- | --- | --- | --- | --- |"]
        for p in points:
            naive_time = "" if p.naive is None else f"{p.naive:.2f}"
            expected = "yes" if not p.unexpected else "no: " + "; ".join(p.unexpected)
            lines.append(f"| {p.size} | {p.build:.2f} | {p.verify:.2f} | {naive_time} | {expected} |")
        if law is not None:
            lines.append(f"\nGrowth: verify time ~ {label}^{law:.1f} (least squares on log-log, larger sizes).\n")
    if plots.available():
        plots.scale_plot(series, out / "scale.png")
        lines.append("![scale](scale.png)\n")
    return "\n".join(lines) + "\n"


def _accuracy(plan: dict, out: Path) -> str:
    chosen = [BY_ID[i] for i in plan["accuracy"]] if plan["accuracy"] else list(ALL)
    results = [accuracy.measure(d) for d in accuracy.derivative_derivations(chosen)]
    lines = [
        "## 4. Numeric accuracy\n",
        f"{len(results)} derivative derivations (one scalar variable), at the cross-check's 256 points. "
        "Max relative error against the final closed form, and the smallest planted relative error "
        "(10^-1 ... 10^-12) each method's pass rule rejects: backproof at its tolerance 1e-10 (complex step, "
        "or Richardson where complex step does not apply), torch.autograd.gradcheck's defaults (central "
        "differences, h = 1e-6, atol 1e-5, rtol 1e-3), jax check_grads' (h = 1e-4, atol = rtol = 1e-5 in "
        "float64), and Richardson extrapolation held to backproof's tolerance.\n",
        "| method | max rel. error (median) | max rel. error (worst) | smallest caught (median) | "
        "smallest caught (worst) | false alarms |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    plantable = [r for r in results if not r.zero]
    for method in accuracy.METHODS:
        errors = [r.errors[method] for r in results]
        caught = [r.detected[method] or 1.0 for r in plantable]
        alarms = sum(r.false_alarm[method] for r in results)
        lines.append(f"| {method} | {statistics.median(errors):.1e} | {max(errors):.1e} | "
                     f"{statistics.median(caught):.0e} | {max(caught):.0e} | {alarms} |")
    lines += ["", f"The smallest-caught columns leave out the {len(results) - len(plantable)} derivations whose "
              "derivative is 0 at every point (a relative error cannot be planted in 0); 1e+00 means "
              "not caught even at 10^-1.", "", "Per derivation (max relative error; smallest planted error caught):\n",
              "| derivation | " + " | ".join(accuracy.METHODS) + " |", "| --- |" + " --- |" * len(accuracy.METHODS)]
    for r in results:
        cells = [f"{r.errors[m]:.1e}; " + (f"{r.detected[m]:.0e}" if r.detected[m] else "none")
                 for m in accuracy.METHODS]
        lines.append(f"| {r.derivation} | " + " | ".join(cells) + " |")
    if plots.available():
        plots.accuracy_plot(results, out / "accuracy.png")
        lines.append("\n![accuracy](accuracy.png)\n")
    return "\n".join(lines) + "\n"


def _soundness(plan: dict) -> str:
    cases = soundness.CASES[: plan["adversarial"]] if plan["adversarial"] else soundness.CASES
    tally = soundness.adversarial(cases)
    costs = soundness.certification_seconds(cases)
    lines = [
        "## 5. Soundness\n",
        f"The adversarial table (`tests/adversarial_cases.py`, {len(cases)} steps written independently of the "
        "engine, each with its truth established by 60-digit evaluation and a reason): verdicts at the default "
        "budget, by truth.\n",
        "| truth | proved | refuted | unproved |", "| --- | --- | --- | --- |",
        "| true | " + " | ".join(map(str, tally.row(True))) + " |",
        "| false | " + " | ".join(map(str, tally.row(False))) + " |",
        "",
        f"A wrong verdict is a false step proved or a true one refuted. Slowest case: {max(tally.seconds):.2f} s.\n",
    ]
    if costs:
        lines.append(f"Certifying one counterexample with ball arithmetic (both sides at the exact point, precision "
                     f"raised until the enclosure of the difference excludes 0), over the {len(costs)} refuted cases "
                     f"with rational points: **median {statistics.median(costs) * 1000:.2f} ms**, worst "
                     f"{max(costs) * 1000:.1f} ms.\n")
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "/")


if __name__ == "__main__":
    main()
