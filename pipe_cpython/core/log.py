"""Progress reporting: what the harness is doing and how long it took."""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Iterator

QUIET, NORMAL, VERBOSE = 0, 1, 2
_level = NORMAL


def set_verbosity(level: int) -> None:
    global _level
    _level = level


def verbose() -> bool:
    return _level >= VERBOSE


def info(message: str) -> None:
    if _level >= NORMAL:
        print(f"pipe-cpython: {message}", file=sys.stderr, flush=True)


def detail(message: str) -> None:
    if _level >= VERBOSE:
        print(f"pipe-cpython:   {message}", file=sys.stderr, flush=True)


def warn(message: str) -> None:
    print(f"pipe-cpython: warning: {message}", file=sys.stderr, flush=True)


def format_seconds(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, seconds = divmod(round(seconds), 60)
    return f"{minutes} min {seconds:02d} s"


@contextlib.contextmanager
def step(description: str) -> Iterator[None]:
    """Announce a step, then report its duration or that it failed."""
    info(f"{description} ...")
    start = time.monotonic()
    try:
        yield
    except BaseException:
        info(f"{description}: failed after {format_seconds(time.monotonic() - start)}")
        raise
    info(f"{description}: done in {format_seconds(time.monotonic() - start)}")
