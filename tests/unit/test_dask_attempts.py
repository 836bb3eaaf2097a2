"""A chunk the Dask scheduler gave up is lost only when workers died while running it more often than
``allowed-failures``; deaths while it was only queued on a worker send it again, a bounded number of
times."""

from __future__ import annotations

from detector.engine.dask_attempts import Attempts, StartedAttempts, given_up

SCHEDULER = "tcp://127.0.0.1:8786"


def _chunk(attempts: int, starts: list[int]) -> tuple[Attempts[str], StartedAttempts]:
    """A chunk submitted ``attempts`` times whose i-th attempt was started ``starts[i]`` times."""
    chunk: Attempts[str] = Attempts("chunk")
    started = StartedAttempts("topic")
    for count in starts[:attempts] + [0] * (attempts - len(starts)):
        attempt = chunk.next_id()
        for _ in range(count):
            started.handle((0.0, attempt))
    return chunk, started


def test_a_chunk_started_on_as_many_dying_workers_as_allowed_is_submitted_again():
    assert given_up(*_chunk(1, [3]), 3, SCHEDULER) is None


def test_a_chunk_started_on_one_dying_worker_more_than_allowed_is_lost_saying_so():
    reason = given_up(*_chunk(2, [3, 1]), 3, SCHEDULER)
    assert reason == f"4 Dask worker(s) died while running it, more than {SCHEDULER} allows (distributed.scheduler.allowed-failures: 3)"


def test_with_no_failure_allowed_one_death_while_running_is_lost_and_one_while_queued_is_not():
    assert given_up(*_chunk(1, [1]), 0, SCHEDULER) is not None
    assert given_up(*_chunk(1, [0]), 0, SCHEDULER) is None


def test_the_starts_of_other_chunks_do_not_count_against_a_chunk():
    chunk, started = _chunk(1, [0])
    started.handle((0.0, "another chunk's attempt"))
    assert given_up(chunk, started, 0, SCHEDULER) is None


def test_a_chunk_never_seen_to_start_is_sent_again_until_allowed_plus_two_attempts_then_lost():
    assert given_up(*_chunk(2, []), 0, SCHEDULER) == (
        f"the Dask workers it was queued on kept dying before it started (2 attempts given up by {SCHEDULER}, "
        "distributed.scheduler.allowed-failures: 0)"
    )
    assert given_up(*_chunk(1, []), 0, SCHEDULER) is None
    assert given_up(*_chunk(4, []), 3, SCHEDULER) is None
    assert given_up(*_chunk(5, []), 3, SCHEDULER) is not None
