"""The engine's memoised functions, registered so that a run can start with all of them cold."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any, TypeVar

from sympy.core.cache import clear_cache

Function = TypeVar("Function", bound=Callable[..., Any])
_MEMOISED: list[Any] = []


def memoised(maxsize: int) -> Callable[[Function], Function]:
    """`functools.lru_cache(maxsize)`, registered for `clear_all`."""

    def register(function: Function) -> Function:
        cached = lru_cache(maxsize=maxsize)(function)
        _MEMOISED.append(cached)
        return cached  # type: ignore[return-value]

    return register


def clear_all() -> None:
    """Forget everything the engine and SymPy have memoised (a benchmark's cold start), in the steps' worker too."""
    from verifier import isolation  # the worker holds its own caches: it is stopped, and forked anew when needed

    isolation.stop_workers()
    for cached in _MEMOISED:
        cached.cache_clear()
    clear_cache()
