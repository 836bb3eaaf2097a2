"""An exclusive, crash-safe lock on the history store: one run at a time.

``flock`` on a ``<store>.lock`` file beside the store. The kernel releases it when the holder's
file descriptor closes, including when the process is killed, so a crashed run never leaves a
stale lock behind. (POSIX only; slowburn runs on Linux.)
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from detector.errors import StoreError

POLL_SECONDS = 0.05


@contextmanager
def run_lock(
    lock_path: Path,
    timeout: float,
    *,
    sleep: Callable[[float], None] = time.sleep,
    monotonic: Callable[[], float] = time.monotonic,
) -> Iterator[None]:
    """Hold an exclusive lock on ``lock_path`` for the ``with`` block.

    Parameters
    ----------
    lock_path : Path
        The lock file (created if missing; its content is the holder's PID, for people).
    timeout : float
        Seconds to wait for another holder before giving up.

    Raises
    ------
    StoreError
        The lock file cannot be created, or another run holds the lock beyond ``timeout``.
    """
    try:
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise StoreError(f"cannot create the lock file: {exc.strerror}", location=str(lock_path)) from None
    try:
        deadline = monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if monotonic() >= deadline:
                    holder = _holder(fd)
                    raise StoreError(
                        f"store is locked by another run{holder}; gave up after {timeout:g} s",
                        location=str(lock_path),
                    ) from None
                sleep(POLL_SECONDS)
        _write_pid(fd)
        yield
    finally:
        os.close(fd)  # also releases the lock


def _write_pid(fd: int) -> None:
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
    except OSError:
        pass  # the PID is informational only; the lock itself is held


def _holder(fd: int) -> str:
    try:
        text = os.pread(fd, 32, 0).decode("ascii", errors="replace").strip()
    except OSError:
        return ""
    return f" (PID {text})" if text.isdigit() else ""
