"""A local pool whose worker process dies (here: it kills itself, as the kernel's OOM killer would)
loses nothing: the chunks that were in the broken pool run again on a fresh one, in order; a chunk
that kills its worker twice is the only one named lost; serve's standing pool is started again."""

from __future__ import annotations

import io
import os
import signal
from pathlib import Path

import pytest

from detector.engine.child_processes import start_pool
from detector.engine.executor import LostChunk
from detector.engine.pool_recovery import LOST_TWICE, PoolBox, is_broken, map_once, map_recovering, renewed_if_broken


def square_unless_marked(item: tuple[int, str]) -> int:
    """``n * n``; the worker dies on an item whose marker file exists (and the marker goes: once only),
    or on every try when the marker is the word ``always``."""
    n, marker = item
    if marker == "always" or (marker and Path(marker).exists()):
        if marker != "always":
            Path(marker).unlink()
        os.kill(os.getpid(), signal.SIGKILL)
    return n * n


@pytest.fixture(scope="module")
def spare_pool():
    pool = start_pool(2)
    yield pool
    pool.shutdown(wait=True)


def test_a_worker_that_dies_once_costs_a_fresh_pool_and_every_result_comes_back_in_order(tmp_path):
    marker = tmp_path / "die-once"
    marker.touch()
    heard: list[list] = []
    items = [(n, str(marker) if n == 5 else "") for n in range(12)]
    results = map_once(square_unless_marked, items, 2, heard.append)
    assert results == [n * n for n in range(12)]
    assert not marker.exists()  # the chunk did kill its worker once
    assert len(heard) == 1 and (5, str(marker)) in heard[0]  # told which chunks were in the broken pool


def test_only_a_chunk_that_kills_its_worker_twice_is_lost_and_the_others_are_computed():
    items = [(n, "always" if n == 3 else "") for n in range(8)]
    results = map_once(square_unless_marked, items, 2)
    assert results[3] == LostChunk(LOST_TWICE)
    assert [r for i, r in enumerate(results) if i != 3] == [n * n for n in range(8) if n != 3]


def test_a_healthy_pool_is_kept_and_a_broken_one_is_started_again_with_a_line(spare_pool):
    err = io.StringIO()
    assert renewed_if_broken(spare_pool, 2, err) is spare_pool and err.getvalue() == ""
    broken = start_pool(1)
    box = PoolBox(broken, 1)
    assert map_recovering(box, square_unless_marked, [(2, "always")], 1) == [LostChunk(LOST_TWICE)]
    assert is_broken(broken) and box.pool is not broken  # the map went on with a fresh pool
    box.pool.shutdown(wait=True)
    fresh = renewed_if_broken(broken, 1, err)
    assert fresh is not None and fresh is not broken and "started again" in err.getvalue()
    assert list(fresh.map(square_unless_marked, [(4, "")])) == [16]
    fresh.shutdown(wait=True)
