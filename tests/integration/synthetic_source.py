"""The signals that read conftest's synthetic history, and a PrometheusSource for them."""

from __future__ import annotations

import random

from detector.configuration.live_settings import PrometheusSettings
from detector.configuration.schema import Signal
from detector.sources.prometheus import PrometheusSource
from detector.store.history import HistoryStore
from detector.transport.http_client import build_session
from tests.integration.promstack import Traffic

SIGNALS = (
    Signal(name="disk", query="sb_disk_used_bytes", lookback="180d"),
    Signal(name="queues", query="sb_queue_depth", lookback="180d"),
    Signal(name="ratio", query="sb_ratio", lookback="180d"),
)


def prometheus_source(
    url: str,
    *,
    seed: int,
    sleeps: list[float] | None = None,
    store: HistoryStore | None = None,
    traffic: Traffic | None = None,
    **settings,
) -> PrometheusSource:
    """A source for ``url`` with ``settings``; backoff sleeps are recorded in ``sleeps`` (not slept)."""
    config = PrometheusSettings(url=url, **settings)
    session = build_session(config, section="prometheus")
    if traffic is not None:
        session.hooks["response"].append(traffic.hook)
    sleeper = sleeps.append if sleeps is not None else (lambda seconds: None)
    return PrometheusSource(config, store=store, session=session, sleep=sleeper, rng=random.Random(seed))
