"""Samples of one series in fixed blocks of grid steps, stored as compact little-endian blobs.

Pure numpy helpers of the history store (``detector.store``): no I/O here.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

BLOCK_STEPS = 256
"""Grid steps per block row: about 10.7 days at 1 h, so an hourly run rewrites ~4 KB per series."""


def split_into_blocks(ts_ms: np.ndarray, values: np.ndarray, block_ms: int) -> Iterator[tuple[int, tuple[np.ndarray, np.ndarray]]]:
    """``(block number, (timestamps, values))`` of the samples in each block, sorted by time."""
    order = np.argsort(ts_ms, kind="stable")
    ts_ms, values = ts_ms[order], values[order]
    blocks = ts_ms // block_ms
    cuts = np.flatnonzero(np.diff(blocks)) + 1
    for part_ts, part_vs in zip(np.split(ts_ms, cuts), np.split(values, cuts), strict=True):
        if part_ts.size:
            yield int(part_ts[0] // block_ms), (part_ts, part_vs)


def merge_block(old: tuple[np.ndarray, np.ndarray], new: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Union of two sample sets sorted by time; at equal timestamps the value from ``new`` wins."""
    ts = np.concatenate([old[0], new[0]])
    vs = np.concatenate([old[1], new[1]])
    order = np.argsort(ts, kind="stable")  # stable: `new` stays after `old` at equal timestamps
    ts, vs = ts[order], vs[order]
    last_of_run = np.append(ts[1:] != ts[:-1], True)
    return ts[last_of_run], vs[last_of_run]


def trim(ts: np.ndarray, vs: np.ndarray, cutoff_ms: int) -> tuple[np.ndarray, np.ndarray]:
    """The samples at or after ``cutoff_ms``."""
    keep = ts >= cutoff_ms
    return ts[keep], vs[keep]


def encode(ts: np.ndarray, vs: np.ndarray) -> tuple[bytes, bytes]:
    return np.ascontiguousarray(ts, dtype="<i8").tobytes(), np.ascontiguousarray(vs, dtype="<f8").tobytes()


def block_problem(ts_blob: object, vals_blob: object, first_ms: object = None, last_ms: object = None) -> str | None:
    """Why two stored blobs cannot be a block written by ``encode`` (None when they can): both bytes,
    the same whole number of 8-byte items, at least one, timestamps strictly increasing, and the first
    and last equal to the row's ``first_ms``/``last_ms`` when given."""
    if not isinstance(ts_blob, bytes) or not isinstance(vals_blob, bytes):
        return f"expected bytes, found {type(ts_blob).__name__} and {type(vals_blob).__name__}"
    if not ts_blob or len(ts_blob) % 8 or len(ts_blob) != len(vals_blob):
        return f"{len(ts_blob)} bytes of timestamps and {len(vals_blob)} bytes of values"
    ts = np.frombuffer(ts_blob, dtype="<i8")
    if ts.size > 1 and not bool(np.all(np.diff(ts) > 0)):
        return "timestamps out of order"
    if first_ms is not None and (int(ts[0]) != first_ms or int(ts[-1]) != last_ms):
        return f"timestamps {int(ts[0])}..{int(ts[-1])} where the row says {first_ms}..{last_ms}"
    return None


def decode(ts_blob: bytes, vals_blob: bytes) -> tuple[np.ndarray, np.ndarray]:
    return np.frombuffer(ts_blob, dtype="<i8").astype(np.int64), np.frombuffer(vals_blob, dtype="<f8").astype(np.float64)
