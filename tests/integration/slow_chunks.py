"""Chunk functions for the Dask tests, importable by the worker processes: ``slowly`` marks that a
worker started a chunk (a file named after its PID) and holds the chunk long enough for the test
to kill that worker while it runs."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


def slowly(fn: Callable[[T], R], marker_dir: str, hold_seconds: float, chunk: T) -> R:
    Path(marker_dir, f"{os.getpid()}-started").touch()
    time.sleep(hold_seconds)
    return fn(chunk)


def fails(chunk: object) -> object:
    raise ZeroDivisionError("a bug in the chunk's code")


def crashes_worker_on(poison: str, chunk: str) -> str:
    """Ends the worker process (as a segfault in native code would) on the chunk ``poison``."""
    if chunk == poison:
        os._exit(1)
    time.sleep(0.2)
    return chunk.upper()


def finishes(marker_dir: str, chunk: int) -> int:
    """Takes a moment, then marks the chunk done (a file named after it) and returns it squared."""
    time.sleep(0.2)
    Path(marker_dir, f"{chunk}-done").touch()
    return chunk * chunk
