"""Bounded computations: each runs in a forked worker process that is killed when its deadline passes.

A signal can interrupt Python code only on the main thread, and nothing in-process stops C-level
work (a huge integer power, a long GMP multiplication). A separate process can always be stopped,
and in it the step runs on its main thread, so the verdict is the same whichever thread asked.
The worker is forked once and reused; after a kill the next call forks a fresh one.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import pickle
import signal
import threading
import time
from collections.abc import Callable
from multiprocessing.connection import Connection, Pipe
from typing import Any, TypeVar

T = TypeVar("T")
GRACE_SECONDS = 0.25  # past the budget before the worker is killed (it normally stops itself at the budget)
_IN_WORKER = False  # set in the worker itself: nested bounded calls run inline there


class _Worker:
    """One forked process that runs the calls sent to it, one at a time."""

    def __init__(self) -> None:
        parent_end, child_end = Pipe()
        self.owner = os.getpid()
        self.pid = os.fork()
        if self.pid == 0:  # the child never returns from here
            parent_end.close()
            _serve(child_end)
        child_end.close()
        self.connection = parent_end

    def call(self, function: Callable[..., T], args: tuple, seconds: float) -> tuple[bool, Any]:
        """(True, what `function` returned or raised) within `seconds`, sending included; (False, None) after a kill.

        Raises pickle's error, having sent nothing, when the arguments cannot be sent (a class made in a function).
        """
        started = time.perf_counter()
        message = _pickled((function, args))
        try:
            self.connection.send_bytes(message)
            if self.connection.poll(max(0.0, seconds - (time.perf_counter() - started))):
                return True, self.connection.recv()
        except (EOFError, OSError):  # the worker died: killed from outside, out of memory, a C library's abort
            self.stop()
            return False, ("died", time.perf_counter() - started)
        self.stop()
        return False, None

    def stop(self) -> None:
        """Kill the process; it is reaped in the background (freeing a large process's memory takes time)."""
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)
        self.connection.close()
        threading.Thread(target=_reap, args=(self.pid,), daemon=True).start()


def _reap(pid: int) -> None:
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, 0)


def _pickled(message: object) -> bytes:
    from multiprocessing.reduction import ForkingPickler

    return bytes(ForkingPickler.dumps(message))


def _serve(connection: Connection) -> None:
    """The worker's loop: run each call and send back ("ok", value) or ("raise", exception)."""
    global _IN_WORKER
    _IN_WORKER = True
    die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle; it kills us
    with contextlib.suppress(OSError):  # what C code prints (GMP's "overflow in mpz type") never reaches stdout,
        os.dup2(2, 1)                   # where the parent's JSON goes
    code = 0
    try:
        while True:
            function, args = connection.recv()
            try:
                reply: tuple[str, Any] = ("ok", function(*args))
            except Exception as error:  # handed to the caller, as if raised there
                reply = ("raise", error)
            try:
                connection.send(reply)
            except Exception as error:  # an unpicklable result or exception
                connection.send(("raise", RuntimeError(f"the worker could not send its result: {error!r}")))
    except (EOFError, OSError, KeyboardInterrupt):
        pass  # the parent closed the pipe or went away
    except BaseException:
        code = 1
    finally:
        os._exit(code)


def die_with_parent() -> None:
    """Ask Linux to kill this process when its parent dies (prctl PR_SET_PDEATHSIG); elsewhere nothing."""
    with contextlib.suppress(Exception):
        ctypes.CDLL(None).prctl(1, signal.SIGKILL)


_lock = threading.Lock()
_workers: dict[int, _Worker] = {}


def stop_workers() -> None:
    """Stop this process's worker (the next bounded call forks a fresh one, with this process's caches)."""
    with _lock:
        worker = _workers.pop(os.getpid(), None)
        if worker is not None:
            worker.stop()


def available() -> bool:
    """Whether computations can be isolated here (fork exists, and this is not the worker itself)."""
    return hasattr(os, "fork") and not _IN_WORKER


def bounded(
    function: Callable[..., T], args: tuple, budget_seconds: float, out_of_time: Callable[[float], T],
    died: Callable[[float], T] | None = None,
) -> T:
    """`function(*args)` in the worker, or `out_of_time(seconds)` once budget + grace has passed, or `died(seconds)`
    (by default `out_of_time`) when the worker process ended before that (a C library aborted)."""
    if not available():
        return function(*args)
    started = time.perf_counter()
    with _lock:
        worker = _workers.get(os.getpid())
        if worker is None:
            worker = _workers[os.getpid()] = _Worker()
        left = budget_seconds + GRACE_SECONDS - (time.perf_counter() - started)
        try:
            finished, reply = worker.call(function, args, left)
        except (pickle.PicklingError, AttributeError, TypeError):  # cannot be sent: checked here, bounded as here
            return function(*args)
        if not finished:
            del _workers[os.getpid()]
    if not finished:
        ended = died if died is not None and reply is not None else out_of_time
        return ended(time.perf_counter() - started)
    kind, value = reply
    if kind == "raise":
        raise value
    return value
