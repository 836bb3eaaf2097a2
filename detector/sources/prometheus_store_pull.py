"""``PrometheusSource.pull_into_store``: the store brought up to date, nothing read back.

Each answered chunk is written to the store and dropped before the next is taken (``_run`` with
``prometheus_intake``). What ``fetch`` would say about each signal is kept for the caller that reads
the store in pages afterwards (``live_batches``): its error, its own notes (server warnings, holes)
apart from the configuration notes made before any pull, and, for a signal whose window holds no
stored sample, ``NoSeries`` (absent) or a young-signal note when the query has series now. The
prune keeps what this run's windows hold: they are read after it (``fetch`` reads before it).
"""

from __future__ import annotations

from collections.abc import Sequence
from types import MappingProxyType
from typing import TYPE_CHECKING

import pandas as pd

from detector.configuration.schema import Signal
from detector.core.instants import to_utc, unix_ms
from detector.core.series import DataNote
from detector.errors import NoSeries
from detector.sources.base import _nothing_left
from detector.sources.prometheus_intake import Intake, StorePull
from detector.sources.prometheus_plan import SignalPlan
from detector.sources.promql_client import Deadline, safe_url
from detector.store import holes as store_holes
from detector.store.presence import series_with_samples
from detector.store.session import StoreSession

if TYPE_CHECKING:
    from detector.sources.prometheus import PrometheusSource


def pull_into_store(source: PrometheusSource, signals: Sequence[Signal], end: pd.Timestamp | None = None) -> StorePull:
    """See ``PrometheusSource.pull_into_store``."""
    if source.store is None:
        raise ValueError("pull_into_store needs a store")
    end = to_utc(end if end is not None else source.clock())
    errors: dict[str, Exception] = {}
    planned: list[DataNote] = []
    by_signal: dict[str, list[DataNote]] = {}
    pulled: list[tuple[SignalPlan, Deadline | None]] = []
    totals = [0, 0]

    def count(plan: SignalPlan, intake: Intake, session: StoreSession | None, deadline: Deadline | None) -> None:
        if intake.error is not None:
            errors[plan.signal.name] = intake.error
            return
        notes = by_signal.setdefault(plan.signal.name, list(intake.notes))
        totals[0] += intake.samples
        totals[1] += intake.series
        if session is not None:
            holes = store_holes.describe(session.holes(plan.key), plan.window, plan.step_ms)
            notes.extend([DataNote(plan.signal.name, holes, "store")] if holes is not None else [])
        pulled.append((plan, deadline))

    source._run(signals, end, errors, planned, count, keep_windows=True)
    for plan, deadline in pulled:  # as ``fetch``: nothing stored in the window is absent, or too young
        _absent_or_young(source, plan, end, deadline, errors, by_signal[plan.signal.name])
    own = {name: tuple(notes) for name, notes in by_signal.items()}
    everything = (*planned, *(note for notes in own.values() for note in notes))
    return StorePull(MappingProxyType(errors), everything, totals[0], totals[1], tuple(planned), MappingProxyType(own))


def _absent_or_young(
    source: PrometheusSource,
    plan: SignalPlan,
    end: pd.Timestamp,
    deadline: Deadline | None,
    errors: dict[str, Exception],
    notes: list[DataNote],
) -> None:
    """A pulled signal with no stored sample in its window: ``NoSeries`` in ``errors`` (the message
    ``fetch`` gives), or, when the query has series now, a young-signal note instead."""
    assert source.store is not None
    path = source.store.path
    if series_with_samples(path, plan.signal, plan.window.start_ms, min(plan.window.end_ms, unix_ms(end) - 1), enough=1):
        return
    origin = f"{safe_url(source.settings.url)} signal {plan.signal.name}"
    total = series_with_samples(path, plan.signal, plan.window.start_ms, plan.window.end_ms)
    young = source._young(plan, end, origin, deadline)
    if young is None:
        errors[plan.signal.name] = NoSeries(_nothing_left(total, [], end), location=origin)
    else:
        notes.append(young)
