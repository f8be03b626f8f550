"""Matrix calculus for every size: what a proof for all sizes costs, against entry by entry at each width.

Measures, in one process, with the caches emptied before each item:
- note 004's backward pass in matrix notation (every `004-net-*` derivation of the Markdown corpus:
  shapes, screen at small sizes, canonical forms, numeric check at the note's sizes), and x^T A x's
  gradient for a symbolic n, each verified cold;
- one layer's dL/dW = A^T G and dL/dA = G W^T for a symbolic width, against the same two steps
  written entry by entry at widths 2, 4, 8, 16 (the concrete-size path, `bench/scale.py`).

    python bench/matrix.py [--out bench] [--widths 2,4,8,16]

writes MATRIX.md (and matrix.png with matplotlib) to --out.
"""

from __future__ import annotations

import argparse
import datetime
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import plots, scale  # noqa: E402
from derivations import MARKDOWN, from_markdown  # noqa: E402
from verifier import DerivationResult, verify  # noqa: E402
from verifier.caches import clear_all  # noqa: E402
from verifier.reader.document import read_text  # noqa: E402

LAYER = r"""# One layer {#bench-layer}

```where
A \in \mathbb{R}^{n \times h}
W \in \mathbb{R}^{h \times k}
b \in \mathbb{R}^{1 \times k}
Z = A W + b
\ell: \mathbb{R}^{n \times k} \to \mathbb{R}
L = \ell(Z)
```

$$\frac{\partial L}{\partial W} = A^T \frac{\partial L}{\partial Z}$$

$$\frac{\partial L}{\partial A} = \frac{\partial L}{\partial Z} W^T$$
"""


def timed(derivations: list) -> tuple[float, list[DerivationResult]]:
    """Wall seconds to verify the derivations one after the other, cold, and the results."""
    clear_all()
    started = time.perf_counter()
    results = [verify(d) for d in derivations]
    return time.perf_counter() - started, results


def backward_pass() -> list:
    """Note 004's network in matrix notation, as the corpus reads it."""
    return [d for path in MARKDOWN for d in from_markdown(path) if d.id.startswith("004-net-")]


def quadratic_form() -> list:
    """The gradient of x^T A x for a symbolic n."""
    return [d for path in MARKDOWN for d in from_markdown(path) if d.id == "004-xtax-gradient"]


def symbolic_layer() -> list:
    """dL/dW and dL/dA of one layer, widths symbolic."""
    return [d.derivation for d in read_text(LAYER, "layer.md").derivations]


def verdicts(results: list[DerivationResult]) -> str:
    """`all as expected`, or the steps that are not."""
    wrong = [f"{r.derivation.id} step {s.index}: {s.verdict.verdict}" for r in results for s in r.steps
             if not s.as_expected]
    return "all as expected" if not wrong else "; ".join(wrong)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "bench"), help="folder for MATRIX.md and matrix.png")
    parser.add_argument("--widths", default="2,4,8,16", help="widths of the entry-by-entry layer")
    args = parser.parse_args()
    widths = [int(w) for w in args.widths.split(",")]
    rows = []
    for name, make, target in (("note 004's backward pass (13 derivations)", backward_pass, 5.0),
                               ("x^T A x gradient, symbolic n", quadratic_form, 1.0),
                               ("one layer, dL/dW and dL/dA, symbolic widths", symbolic_layer, None)):
        seconds, results = timed(make())
        steps = sum(len(r.steps) for r in results)
        checked = sum(s.verdict.seconds for r in results for s in r.steps)
        rows.append((name, steps, seconds, checked, target, verdicts(results)))
    concrete = scale.measure(widths, scale.network_layer)
    symbolic = rows[-1][2]
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    lines = [
        "# Matrix calculus for every size\n",
        f"Produced by `python bench/matrix.py --widths {args.widths}` on {datetime.date.today()}; "
        f"{platform.machine()}, Python {platform.python_version()}.\n",
        "The targets are on the steps' proofs (the checker's time); the wall time adds the numeric check of each "
        "gradient, at the note's sizes for the backward pass.\n",
        "| what | steps | verify s (wall, with the numeric check) | steps s (checker only) | target | verdicts |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for name, steps, seconds, checked, target, said in rows:
        goal = "" if target is None else f"proved in < {target:g} s: {'met' if checked < target else 'NOT met'}"
        lines.append(f"| {name} | {steps} | {seconds:.2f} | {checked:.2f} | {goal} | {said} |")
    lines += ["", "One layer's two gradients, entry by entry at each width (batch 2, 3 outputs) against the "
              "symbolic proof, which does not depend on the width:\n", "| width | entry by entry s | symbolic s |",
              "| --- | --- | --- |"]
    lines += [f"| {p.size} | {p.verify:.2f} | {symbolic:.2f} |" for p in concrete]
    if plots.available():
        plots.width_plot(concrete, symbolic, out / "matrix.png")
        lines.append("\n![width](matrix.png)")
    (out / "MATRIX.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
