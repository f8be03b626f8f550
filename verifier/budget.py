"""A wall-clock budget that interrupts a long SymPy computation."""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

T = TypeVar("T")


class BudgetExceeded(Exception):
    """Raised inside a computation whose time budget ran out."""


def budgets_available() -> bool:
    """True where an interrupting timer can be armed (the main thread of a POSIX process)."""
    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise BudgetExceeded in the block once `seconds` of wall time have passed.

    Nested limits keep the outer one: the inner timer is never set past the outer's, and the outer
    timer is re-armed, less the time spent, when the inner block ends.
    """
    if seconds <= 0:
        raise BudgetExceeded
    if not budgets_available():
        raise BudgetExceeded  # no way to interrupt: refuse to start an unbounded computation

    def on_alarm(signum: int, frame: object) -> None:
        raise BudgetExceeded

    started = time.perf_counter()
    outer_left, _ = signal.getitimer(signal.ITIMER_REAL)
    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, min(seconds, outer_left) if outer_left > 0 else seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if outer_left > 0:  # the outer limit goes on; if it has passed, it fires at once
            signal.setitimer(signal.ITIMER_REAL, max(outer_left - (time.perf_counter() - started), 1e-6))


class Deadline:
    """The time left of a budget shared by several computations."""

    def __init__(self, seconds: float) -> None:
        self.ends_at = time.perf_counter() + seconds

    def remaining(self) -> float:
        """Seconds left, never negative."""
        return max(0.0, self.ends_at - time.perf_counter())

    def run(self, compute: Callable[[], T]) -> T:
        """Run `compute` within what is left; raise BudgetExceeded when it runs out."""
        with time_limit(self.remaining()):
            return compute()
