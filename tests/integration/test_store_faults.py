"""The history store against a real Prometheus when the store itself or an answer is damaged.

- a store whose SQLite file is damaged stops the run with exit 8 and the advice of what to move
  away, instead of analysing what can still be read from it;
- a chunk answered empty (an HA replica with a gap, a partial Thanos/Mimir answer, faked by a
  loopback proxy in front of the real Prometheus) is a hole: noted, re-requested on later runs
  (a bounded number per run) until it is filled, never recorded as stored.
"""

from __future__ import annotations

import io
import sqlite3
from pathlib import Path

import pandas as pd
import yaml

from detector.cli import main
from detector.environment import Environment
from tests.integration.promstack import Server

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
    assert plain.execute("SELECT count(*) FROM blocks").fetchone()[0] > 0           # still readable: the trap
    plain.close()
    code, out, err = run_cli("run", "--config", str(config), "--at", at, "--state", str(tmp_path / "state.json"))
    assert code == 8, err
    (line,) = [line for line in err.splitlines() if "damaged" in line]
    assert str(store) in line and "quick_check" in line and "move history.db and any history.db-wal" in line
    assert "Traceback" not in err and ": 0 series," in out                                   # nothing analysed
    for name in ("history.db", "history.db-wal", "history.db-shm"):                           # the advice works
        if (tmp_path / name).exists():
            (tmp_path / name).rename(tmp_path / f"{name}.bad")
    code, out, err = run_cli("run", "--config", str(config), "--at", at, "--state", str(tmp_path / "state.json"))
    assert code == 0, err
