"""The history store against a real Prometheus when the store itself or an answer is damaged.

- a store whose SQLite file is damaged stops the run with exit 8 and the advice of what to move
  away, instead of analysing what can still be read from it;
- a chunk answered empty (an HA replica with a gap, a partial Thanos/Mimir answer, faked by a
  loopback proxy in front of the real Prometheus) is a hole: noted, re-requested on later runs
  (a bounded number per run) until it is filled, never recorded as stored.
"""

from __future__ import annotations

import io
import json
import sqlite3
from pathlib import Path

import pandas as pd
import yaml

from detector.cli import main
from detector.core.environment import Environment
from detector.sources.prometheus_chunks import step_ms_of
from detector.store.history import HistoryStore, StoreKey
from detector.store.holes import HOLE_CHUNKS_PER_RUN
from tests.integration.loopback_http import LoopbackHTTPServer, Recorded
from tests.integration.promstack import Server
from tests.integration.synthetic_source import SIGNALS, prometheus_source
from tests.integration.test_prometheus_faults import forward

DAY = 86400.0


def run_cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), Environment(stdout=out, stderr=err, environ={}))
    return code, out.getvalue(), err.getvalue()


def live_config(path: Path, prometheus_url: str, store: Path) -> Path:
    document = {
        "signals": [
            {"name": "disk", "query": "sb_disk_used_bytes", "lookback": "180d", "ceiling": 5.0e10},
            {"name": "queues", "query": "sb_queue_depth", "lookback": "180d", "ceiling": 1000},
        ],
        "prometheus": {"url": prometheus_url, "retries": 0},
        "store": {"path": str(store), "retention": "400d"},
    }
    path.write_text(yaml.safe_dump(document))
    return path


def damage_index(store: Path, index: str = "blocks_by_last") -> None:
    """Overwrite the cell pointers of one index page: SQLite's quick_check reports it, plain reads do not notice."""
    connection = sqlite3.connect(store)
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    root = connection.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (index,)).fetchone()[0]
    page = connection.execute("PRAGMA page_size").fetchone()[0]
    connection.close()
    with open(store, "r+b") as handle:
        handle.seek((root - 1) * page + 8)
        handle.write(b"\x07" * 64)


def test_a_damaged_store_stops_the_run_with_exit_8_and_says_what_to_move_away(prometheus: Server, synthetic_history, tmp_path):
    store = tmp_path / "history.db"
    config = live_config(tmp_path / "live.yaml", prometheus.url, store)
    at = (synthetic_history.last + pd.Timedelta(seconds=1)).isoformat()
    code, out, err = run_cli("run", "--config", str(config), "--at", at, "--state", str(tmp_path / "state.json"))
    assert code == 0, err
    damage_index(store)
    plain = sqlite3.connect(store)
    assert plain.execute("SELECT count(*) FROM blocks").fetchone()[0] > 0  # still readable: the trap
    plain.close()
    code, out, err = run_cli("run", "--config", str(config), "--at", at, "--state", str(tmp_path / "state.json"))
    assert code == 8, err
    (line,) = [line for line in err.splitlines() if "damaged" in line]
    assert str(store) in line and "quick_check" in line and "move history.db and any history.db-wal" in line
    assert "Traceback" not in err and "signals 0 evaluated, 2 failed" in out  # nothing analysed
    for name in ("history.db", "history.db-wal", "history.db-shm"):  # the advice works
        if (tmp_path / name).exists():
            (tmp_path / name).rename(tmp_path / f"{name}.bad")
    code, out, err = run_cli("run", "--config", str(config), "--at", at, "--state", str(tmp_path / "state.json"))
    assert code == 0, err


EMPTY = b'{"status":"success","data":{"resultType":"matrix","result":[]}}'


def gap_proxy(prometheus_url: str, empty_starts: set[str]):
    """Forwards to the real Prometheus, except that chunks starting at one of ``empty_starts`` come back empty."""

    def respond(request: Recorded) -> tuple[int, dict[str, str], bytes]:
        if request.params.get("start", [""])[0] in empty_starts:
            return 200, {"Content-Type": "application/json"}, EMPTY
        return forward(prometheus_url, request)

    return respond


def chunk_starts(server: LoopbackHTTPServer) -> list[str]:
    """The starts of the range queries (not the series count a first pull asks first)."""
    return [r.params["start"][0] for r in server.requests if "start" in r.params]


def test_an_empty_chunk_is_a_hole_that_is_noted_and_filled_by_the_next_run(prometheus: Server, synthetic_history, tmp_path):
    store = HistoryStore(tmp_path / "history.db", retention=400 * DAY)
    end = synthetic_history.last + pd.Timedelta(seconds=1)
    direct = prometheus_source(prometheus.url, seed=1).fetch(SIGNALS[:1], end=end)
    empty: set[str] = set()
    with LoopbackHTTPServer(gap_proxy(prometheus.url, empty)) as server:
        first_pull = prometheus_source(server.url, seed=1, store=store, concurrency=1, max_points_per_query=200)
        starts = sorted({s for s in _planned_starts(first_pull, end)})
        empty.update({starts[5], starts[12]})  # two chunks in the middle of the history
        gappy = first_pull.fetch(SIGNALS[:1], end=end)
        (note,) = [n for n in gappy.notes if n.location == "store"]
        assert "2 range(s) of the stored history (400 step(s)" in note.message and "for 4 series" in note.message
        for labels, series in direct.of("disk").items():  # the gap is there, and known
            assert gappy.of("disk")[labels].count() < series.count()
        empty.clear()
        server.requests.clear()
        healed = prometheus_source(server.url, seed=1, store=store, concurrency=1, max_points_per_query=200).fetch(SIGNALS[:1], end=end)
        asked = chunk_starts(server)
    assert {starts[5], starts[12]} <= set(asked) and len(asked) <= 2 + 2  # the holes and the newest steps only
    assert not [n for n in healed.notes if n.location == "store"]
    for labels, series in direct.of("disk").items():
        pd.testing.assert_series_equal(healed.of("disk")[labels], series, check_freq=False)
    with store.open() as session:
        assert session.holes(StoreKey("disk", "sb_disk_used_bytes", step_ms_of(3600))) == []


def test_holes_are_re_requested_a_bounded_number_per_run_and_noted_until_filled(prometheus: Server, synthetic_history, tmp_path):
    store = HistoryStore(tmp_path / "history.db", retention=400 * DAY)
    end = synthetic_history.last + pd.Timedelta(seconds=1)
    empty: set[str] = set()
    with LoopbackHTTPServer(gap_proxy(prometheus.url, empty)) as server:

        def pull():
            server.requests.clear()
            result = prometheus_source(server.url, seed=1, store=store, concurrency=1, max_points_per_query=200).fetch(SIGNALS[:1], end=end)
            return result, [n for n in result.notes if n.location == "store"], set(chunk_starts(server))

        starts = sorted(_planned_starts(prometheus_source(server.url, seed=1, max_points_per_query=200), end))
        holes = set(starts[2:8])  # six empty chunks
        empty.update(holes)
        _, notes, _ = pull()
        assert "6 range(s)" in notes[0].message
        _, notes, asked = pull()  # still empty: asked again, four of them
        assert len(asked & holes) == HOLE_CHUNKS_PER_RUN and "6 range(s)" in notes[0].message
        empty.clear()
        _, notes, asked = pull()  # the newest four are filled first
        assert asked & holes == set(starts[4:8]) and "2 range(s)" in notes[0].message
        result, notes, asked = pull()
        assert asked & holes == set(starts[2:4]) and notes == []
    direct = prometheus_source(prometheus.url, seed=1).fetch(SIGNALS[:1], end=end)
    for labels, series in direct.of("disk").items():
        pd.testing.assert_series_equal(result.of("disk")[labels], series, check_freq=False)


def test_a_series_missing_from_one_chunk_of_a_partial_answer_is_a_hole_of_that_series(prometheus: Server, synthetic_history, tmp_path):
    store = HistoryStore(tmp_path / "history.db", retention=400 * DAY)
    end = synthetic_history.last + pd.Timedelta(seconds=1)
    partial = {"start": None}

    def respond(request: Recorded) -> tuple[int, dict[str, str], bytes]:
        status, headers, body = forward(prometheus.url, request)
        if request.params.get("start", [""])[0] == partial["start"]:  # one store gateway did not answer: data-1 is missing
            document = json.loads(body)
            document["data"]["result"] = [r for r in document["data"]["result"] if r["metric"].get("pvc") != "data-1"]
            body = json.dumps(document).encode()
        return status, headers, body

    with LoopbackHTTPServer(respond) as server:
        partial["start"] = sorted(_planned_starts(prometheus_source(server.url, seed=1, max_points_per_query=200), end))[9]
        result = prometheus_source(server.url, seed=1, store=store, concurrency=1, max_points_per_query=200).fetch(SIGNALS[:1], end=end)
        (note,) = [n for n in result.notes if n.location == "store"]
        assert "1 range(s)" in note.message and "for 1 series" in note.message
        with store.open() as session:
            (hole,) = session.holes(StoreKey("disk", "sb_disk_used_bytes", step_ms_of(3600)))
        assert '"data-1"' in hole.labels
        partial["start"] = None
        healed = prometheus_source(server.url, seed=1, store=store, concurrency=1, max_points_per_query=200).fetch(SIGNALS[:1], end=end)
    assert not [n for n in healed.notes if n.location == "store"]


def test_newest_chunks_answered_empty_by_a_lagging_replica_are_pulled_again_by_the_next_run(
    prometheus: Server, synthetic_history, tmp_path
):
    store = HistoryStore(tmp_path / "history.db", retention=400 * DAY)
    end = synthetic_history.last + pd.Timedelta(seconds=1)
    empty: set[str] = set()
    with LoopbackHTTPServer(gap_proxy(prometheus.url, empty)) as server:
        starts = sorted(_planned_starts(prometheus_source(server.url, seed=1, max_points_per_query=200), end))
        empty.update(starts[-3:])  # the newest 3 chunks: about 17 days missing
        lagging = prometheus_source(server.url, seed=1, store=store, concurrency=1, max_points_per_query=200).fetch(SIGNALS[:1], end=end)
        empty.clear()
        caught_up = prometheus_source(server.url, seed=1, store=store, concurrency=1, max_points_per_query=200).fetch(SIGNALS[:1], end=end)
    direct = prometheus_source(prometheus.url, seed=1).fetch(SIGNALS[:1], end=end)
    for labels, series in direct.of("disk").items():
        assert lagging.of("disk")[labels].index[-1] < series.index[-1] - pd.Timedelta(days=15)
        pd.testing.assert_series_equal(caught_up.of("disk")[labels], series, check_freq=False)


def _planned_starts(source, end: pd.Timestamp) -> list[str]:
    """The ``start`` parameter of every chunk a fresh pull of the disk signal asks for."""
    from detector.sources.prometheus_chunks import format_seconds, plan_chunks, query_window

    signal = SIGNALS[0]
    window = query_window(end, signal.lookback, signal.step)
    return [format_seconds(c.start_ms) for c in plan_chunks(window, step_ms_of(signal.step), source.settings.max_points_per_query)]
