"""The bundled incident replicas (``data/replicas``), shifted in time so that they end now.

The replicas span 2025-06-01 .. 2026-02-28 hourly. A Prometheus only answers queries about the
past relative to its own clock, and a live run asks for ``[now - lookback, now)``, so the samples are
moved forward by a whole number of hours until the last one lands on the current hour.

Each signal ``NAME`` is backfilled as the metric ``NAME`` with the series' labels, so the live query
of a replica signal is simply its name (``backfilled_signals``). Samples sharing a timestamp keep the
last value, as the export reader does, so a live pull equals the shifted export exactly.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from detector.config import Config, Signal, load_config
from detector.sources.export import PARSERS
from tests.integration.promstack import BackfillSeries

REPO = Path(__file__).resolve().parents[2]
REPLICA_DIR = REPO / "data" / "replicas"
REPLICA_CONFIG = REPO / "config" / "replicas.yaml"


@dataclass(frozen=True)
class ReplicaHistory:
    """Shifted replica series, ready for ``promstack.backfill``.

    ``shift_seconds`` was added to every original timestamp; ``last`` is the newest shifted sample
    (on the hour); ``config`` is ``config/replicas.yaml`` as loaded.
    """

    config: Config
    series: list[BackfillSeries]
    shift_seconds: float
    last: pd.Timestamp


def replicas_available(config_path: Path = REPLICA_CONFIG, data_dir: Path = REPLICA_DIR) -> bool:
    return config_path.is_file() and data_dir.is_dir()


def load_shifted_replicas(now: pd.Timestamp, config_path: Path = REPLICA_CONFIG, data_dir: Path = REPLICA_DIR) -> ReplicaHistory:
    """Every replica signal's series, moved forward so that the newest sample is ``now`` floored to the hour."""
    config = load_config(config_path)
    originals: list[tuple[str, dict[str, str], np.ndarray, np.ndarray]] = []
    for signal in config.signals:
        path = _file_of(data_dir, signal.name)
        raws, _ = PARSERS[path.suffix](path.read_text(encoding="utf-8-sig"), str(path), signal.name)
        for raw in raws:
            labels = {k: v for k, v in raw.labels.items() if k != "__name__"}
            ts, vs = _last_of_each_timestamp(np.asarray(raw.timestamps, float), np.asarray(raw.values, float))
            originals.append((signal.name, labels, ts, vs))
    newest = max(float(ts.max()) for _, _, ts, _ in originals if ts.size)
    target = pd.Timestamp(now).tz_convert("UTC").floor("h").timestamp()
    shift = float(np.floor((target - newest) / 3600.0) * 3600.0)
    series = [BackfillSeries(name, labels, ts + shift, vs) for name, labels, ts, vs in originals]
    return ReplicaHistory(config, series, shift, pd.Timestamp(newest + shift, unit="s", tz="UTC"))


def backfilled_signals(signals: Sequence[Signal]) -> tuple[Signal, ...]:
    """The signals with each query replaced by the metric the replica was backfilled as (its name)."""
    return tuple(signal.model_copy(update={"query": signal.name}) for signal in signals)


def _file_of(data_dir: Path, name: str) -> Path:
    for suffix in PARSERS:
        path = data_dir / f"{name}{suffix}"
        if path.is_file():
            return path
    raise FileNotFoundError(f"no replica file for signal {name!r} in {data_dir}")


def _last_of_each_timestamp(ts: np.ndarray, vs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    order = np.argsort(ts, kind="stable")
    ts, vs = ts[order], vs[order]
    keep = np.append(ts[1:] != ts[:-1], True)
    return ts[keep], vs[keep]
