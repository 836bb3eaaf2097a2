"""Write the bundled replicas for a local Prometheus: OpenMetrics text ending now, and a live config.

    python3 -m tests.integration.replica_openmetrics DIR [--prometheus URL]

writes ``DIR/replicas.om`` (every replica series shifted so that its newest sample is the current
hour; metric = signal name) and ``DIR/replicas-live.yaml`` (``config/replicas.yaml`` with each
query replaced by that metric, a ``prometheus:`` block and a history store in DIR). The README's
"Try it live" section backfills the first with ``promtool`` and runs ``slowburn run`` on the second.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd
import yaml

from tests.integration.openmetrics_text import openmetrics_text
from tests.integration.replica_backfill import REPLICA_CONFIG, load_shifted_replicas


def live_config(prometheus_url: str, store_path: Path, source: Path = REPLICA_CONFIG) -> dict:
    """The replica config as a live one: each signal's query is its own name (the backfilled metric)."""
    document = yaml.safe_load(source.read_text(encoding="utf-8"))
    for signal in document["signals"]:
        signal["query"] = signal["name"]
    document["prometheus"] = {"url": prometheus_url}
    document["store"] = {"path": str(store_path)}
    return document


def write(directory: Path, prometheus_url: str, now: pd.Timestamp) -> tuple[Path, Path, pd.Timestamp]:
    """Write both files into ``directory``; returns their paths and the newest sample's time."""
    directory.mkdir(parents=True, exist_ok=True)
    history = load_shifted_replicas(now)
    om, config = directory / "replicas.om", directory / "replicas-live.yaml"
    om.write_text(openmetrics_text(history.series), encoding="utf-8")
    config.write_text(yaml.safe_dump(live_config(prometheus_url, directory / "history.db"), sort_keys=False), encoding="utf-8")
    return om, config, history.last


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python3 -m tests.integration.replica_openmetrics", description=__doc__.splitlines()[0])
    parser.add_argument("directory", type=Path)
    parser.add_argument("--prometheus", default="http://127.0.0.1:19090", help="URL written into the live config")
    args = parser.parse_args(argv)
    om, config, last = write(args.directory, args.prometheus, pd.Timestamp.now(tz="UTC"))
    print(f"wrote {om} ({om.stat().st_size / 1e6:.0f} MB, newest sample {last.isoformat()}) and {config}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
