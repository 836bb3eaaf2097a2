"""Which alerts to hold this run: those of signals whose inputs failed.

An alert depends on its own signal, on the signal that gives its ceiling (``ceiling: {signal: X}``),
on the Kubernetes limits when its ceiling is a limit (``ceiling: {limit: ...}``, failure recorded
under ``"kubernetes"``), and on its ``drivers``. When any of them failed, what this run found about
the signal is incomplete, so its alerts must not move because of it: an active alert is *held*
(kept with its ``startsAt``, neither resolved nor re-created), as Prometheus keeps the alerts of a
rule whose query fails.

- ``judged`` holds (its own signal, its ceiling): the series were judged on incomplete input, so
  its new alerts and severity changes wait for a complete run; an alert the run still confirms with
  the same labels is re-sent as usual.
- driver-only holds: drivers only name a cause in the text; alerts are sent as usual, and an alert
  the run no longer finds is held instead of resolved (a missing driver never clears anything).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from detector.config import Config

KUBERNETES = "kubernetes"
"""The errors key of the Kubernetes limits (``detector.limits``); also the signal of configuration findings."""


@dataclass(frozen=True)
class Hold:
    """Why a signal's alerts are held this run; ``judged``: its series were judged on incomplete input."""

    reason: str
    judged: bool


def holds(config: Config, errors: Mapping[str, object]) -> dict[str, Hold]:
    """Signal name -> ``Hold`` for every signal (and ``kubernetes``) that depends on a failed input."""
    failed = set(errors)
    out = {name: Hold("it failed this run", judged=True) for name in failed}
    for signal in config.signals:
        if signal.name in failed:
            continue
        judged = []
        if signal.ceiling_signal is not None and signal.ceiling_signal in failed:
            judged.append(f"its ceiling signal {signal.ceiling_signal} failed")
        if signal.ceiling_limit is not None and KUBERNETES in failed:
            judged.append("its ceiling, a Kubernetes limit, was not read")
        drivers = [name for name in signal.drivers if name in failed]
        reasons = judged + ([f"its driver{'s' if len(drivers) > 1 else ''} {', '.join(drivers)} failed"] if drivers else [])
        if reasons:
            out[signal.name] = Hold("; ".join(reasons), judged=bool(judged))
    return out
