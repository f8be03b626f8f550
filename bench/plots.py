"""PNG plots of the results, when matplotlib is installed (`pip install '.[bench]'`)."""

from __future__ import annotations

from pathlib import Path

from bench.accuracy import METHODS, Accuracy
from bench.scale import Point


def available() -> bool:
    """Whether matplotlib can be imported."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def _ticks(sizes: list[int]) -> list[int]:
    """Sizes at least 30% apart (the last always shown), so that a log axis stays readable."""
    kept = [sizes[0]]
    for size in sizes[1:]:
        if size >= kept[-1] * 1.3:
            kept.append(size)
    if kept[-1] != sizes[-1]:
        kept[-1] = sizes[-1]
    return kept


def scale_plot(series: dict[str, tuple[str, list[Point]]], path: Path) -> None:
    """Verify time against size, log-log, one panel per family."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, len(series), figsize=(5 * len(series), 4))
    for axis, (title, (label, points)) in zip(axes, series.items(), strict=True):
        sizes = [p.size for p in points]
        axis.loglog(sizes, [p.verify for p in points], "o-", label="backproof verify")
        naive = [(p.size, p.naive) for p in points if p.naive is not None]
        if naive:
            axis.loglog(*zip(*naive, strict=True), "s--", label="naive simplify(a - b)")
        ticks = _ticks(sizes)
        axis.set_xticks(ticks, [str(s) for s in ticks], fontsize=8)
        axis.minorticks_off()
        axis.set_title(title, fontsize=10)
        axis.set_xlabel(label)
        axis.set_ylabel("seconds")
        axis.grid(True, which="both", alpha=0.3)
        axis.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def accuracy_plot(results: list[Accuracy], path: Path) -> None:
    """Per method: the max relative error on each derivation, and the smallest planted error caught."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    for index, method in enumerate(METHODS):
        errors = [max(r.errors[method], 1e-17) for r in results]
        left.scatter([index] * len(errors), errors, alpha=0.5)
        caught = [r.detected[method] for r in results if r.detected[method] is not None]
        right.bar(index, max(caught) if caught else 1.0)
    for axis in (left, right):
        axis.set_yscale("log")
        axis.set_xticks(range(len(METHODS)), [m.replace(" (", "\n(") for m in METHODS], fontsize=8)
        axis.grid(True, axis="y", alpha=0.3)
    left.set_title("max relative error against the closed form")
    right.set_title("smallest planted relative error caught\n(worst derivation)")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def width_plot(concrete: list[Point], symbolic: float, path: Path) -> None:
    """One layer's gradients: entry by entry at each width, and the symbolic proof's constant time."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(5, 4))
    widths = [p.size for p in concrete]
    axis.loglog(widths, [p.verify for p in concrete], "o-", label="entry by entry at the width")
    axis.loglog(widths, [symbolic] * len(widths), "s--", label="every width at once (index notation)")
    axis.set_xticks(widths, [str(w) for w in widths], fontsize=8)
    axis.minorticks_off()
    axis.set_xlabel("width")
    axis.set_ylabel("seconds")
    axis.set_title("dL/dW and dL/dA of one layer", fontsize=10)
    axis.grid(True, which="both", alpha=0.3)
    axis.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
