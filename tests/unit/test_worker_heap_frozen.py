"""Pool workers start from a frozen heap: the collector never walks (and copies) the libraries' objects."""

from __future__ import annotations

import gc

from detector.engine.child_processes import end_children, start_pool


def test_a_pool_worker_starts_with_the_forkservers_objects_frozen():
    pool = start_pool(1)
    try:
        frozen = pool.submit(gc.get_freeze_count).result(timeout=120)
    finally:
        pool.shutdown(wait=True)
        end_children(pool)
    assert frozen > 10_000  # numpy, pandas, scipy and the models: far more than a bare interpreter's
