"""What the Alertmanager sink has sent: active alerts and an outbox of undelivered ones.

The lifecycle is a pure function (``reconcile``) from the previous state and this run's alert
drafts to the next state and the alerts to post:

- a new identity becomes active with ``startsAt`` = now; it keeps that ``startsAt`` for as long
  as it stays active, so re-sending it every run never looks like a new alert;
- an active identity that is gone (risk cleared, severity below the floor, signal removed from
  the config) is resolved at once: the last payload is re-posted with ``endsAt`` = now;
- an active identity whose signal *depends on an input that failed* this run (its own query, its
  ceiling signal, the Kubernetes limits of its ceiling, its drivers: ``alert_hold``) is held:
  neither resolved nor re-created. A Prometheus hiccup then neither clears nor flaps it (the next
  good run re-sends it with the same ``startsAt``), while an input that keeps failing lets it
  expire at its ``endsAt``, as Prometheus does with the alerts of a rule it cannot evaluate; an
  expired alert is forgotten;
- when an identity's label set changes (its severity moved, a configured label changed), the old
  label set is resolved and the new one sent with the same ``startsAt``.

The file is JSON, written atomically. A file that cannot be read raises ``StoreError``; a file that
is damaged or not ours is set aside by ``recover_state`` (renamed ``<name>.damaged-<UTC time>``) and
delivery starts from a fresh state, so one bad file never blocks every later run.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from detector.core.instants import rfc3339
from detector.errors import StoreError
from detector.sinks.alert_hold import Hold
from detector.sinks.alert_payload import AlertDraft
from detector.transport.atomic_file import write_atomic

VERSION = 1
SHOWN = 3
"""Held alerts named in a note (the rest are counted)."""
Alert = dict[str, Any]
"""One Alertmanager API v2 alert: labels, annotations, startsAt, endsAt, generatorURL."""


@dataclass(frozen=True)
class ActiveAlert:
    """An alert that is firing as far as slowburn knows. ``payload`` is the last one posted."""

    signal: str
    starts_at: str
    payload: Alert


@dataclass
class AlertState:
    """``active``: identity -> ActiveAlert; ``outbox``: Alertmanager URL -> alerts it has not accepted."""

    active: dict[str, ActiveAlert] = field(default_factory=dict)
    outbox: dict[str, list[Alert]] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "version": VERSION,
            "active": {k: {"signal": a.signal, "starts_at": a.starts_at, "payload": a.payload} for k, a in sorted(self.active.items())},
            "outbox": {url: alerts for url, alerts in sorted(self.outbox.items()) if alerts},
        }


class DamagedState(StoreError):
    """The state file was read but is not a slowburn alert state (garbage, truncated, another version)."""


def load_state(path: Path) -> AlertState:
    """Read the state file; a missing file is an empty state.

    Raises
    ------
    DamagedState
        The file is not a slowburn alert state (see ``recover_state``).
    StoreError
        The file cannot be read at all (permissions, I/O error).
    """
    try:
        text = path.read_text(encoding="utf-8", errors="strict")
    except FileNotFoundError:
        return AlertState()
    except UnicodeDecodeError as exc:
        raise DamagedState(f"the alert state is not a slowburn alert state file ({exc.reason})", location=str(path)) from None
    except OSError as exc:
        raise StoreError(f"cannot read the alert state: {exc.strerror or exc}", location=str(path)) from None
    try:
        document = json.loads(text)
        if document.get("version") != VERSION:
            raise ValueError(f"expected version {VERSION}, got {document.get('version')!r}")
        active = {
            key: ActiveAlert(signal=str(item["signal"]), starts_at=_stamp(item["starts_at"]), payload=_alert(item["payload"]))
            for key, item in document.get("active", {}).items()
        }
        outbox = {str(url): [_alert(a) for a in alerts] for url, alerts in document.get("outbox", {}).items()}
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError) as exc:
        raise DamagedState(f"the alert state is not a slowburn alert state file ({_first_line(exc)})", location=str(path)) from None
    return AlertState(active=active, outbox=outbox)


def _alert(item: object) -> Alert:
    """An alert as this module writes it: non-empty string labels, RFC 3339 times (else ``ValueError``)."""
    alert = dict(item)  # type: ignore[call-overload]
    labels = alert.get("labels")
    if not isinstance(labels, dict) or not labels or not all(isinstance(k, str) and isinstance(v, str) for k, v in labels.items()):
        raise ValueError(f"an alert without a set of string labels: {str(labels)[:80]}")
    for name in ("startsAt", "endsAt"):
        _stamp(alert.get(name))
    return alert


def _stamp(value: object) -> str:
    if not isinstance(value, str) or len(value) != 20 or not value.endswith("Z"):
        raise ValueError(f"expected a time like 2025-03-01T10:00:00Z, got {str(value)[:40]!r}")
    pd.Timestamp(value)
    return value


def recover_state(path: Path, now: pd.Timestamp) -> tuple[AlertState, str | None]:
    """``load_state``, except that a damaged file is renamed ``<name>.damaged-<YYYYmmddTHHMMSSZ>``
    beside itself and a fresh state is returned with a one-line warning saying so (else None).

    Raises ``StoreError`` when the file cannot be read, or is damaged and cannot be renamed.
    """
    try:
        return load_state(path), None
    except DamagedState as err:
        aside = _aside_name(path, now)
        try:
            os.replace(path, aside)
        except OSError as exc:
            raise StoreError(
                f"{err.message}; cannot set it aside ({exc.strerror or exc}): move it away to start afresh", location=str(path)
            ) from None
        return AlertState(), (
            f"{path}: {err.message}; kept it as {aside.name} and started a fresh alert state "
            "(firing alerts get a new startsAt; alerts that cleared meanwhile expire at their endsAt)"
        )


def _aside_name(path: Path, now: pd.Timestamp) -> Path:
    stamp = pd.Timestamp(now).tz_convert("UTC").strftime("%Y%m%dT%H%M%SZ")
    aside = path.with_name(f"{path.name}.damaged-{stamp}")
    suffix = 1
    while aside.exists():  # two damaged files within one second: never overwrite one
        aside = path.with_name(f"{path.name}.damaged-{stamp}-{suffix}")
        suffix += 1
    return aside


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__


def save_state(path: Path, state: AlertState) -> None:
    try:
        write_atomic(path, json.dumps(state.to_json(), indent=1, sort_keys=True) + "\n")
    except OSError as exc:
        raise StoreError(f"cannot write the alert state: {exc.strerror or exc}", location=str(path)) from None


@dataclass(frozen=True)
class Held:
    """What a hold did to one signal's alerts this run (for the run's notes)."""

    signal: str
    reason: str
    kept: tuple[str, ...] = ()  # alerts (alertname and series) kept as they were instead of resolved or replaced
    deferred: int = 0  # new alerts not created until the signal's inputs are complete

    def __str__(self) -> str:
        parts = []
        if self.kept:
            shown = ", ".join(self.kept[:SHOWN]) + (f" and {len(self.kept) - SHOWN} more" if len(self.kept) > SHOWN else "")
            parts.append(f"held {len(self.kept)} alert(s) (not resolved, same startsAt): {shown}")
        if self.deferred:
            parts.append(f"deferred {self.deferred} new alert(s) until its inputs are complete")
        return f"signal {self.signal}: {' and '.join(parts)}: {self.reason}"


def reconcile(
    state: AlertState, drafts: Iterable[AlertDraft], held: Mapping[str, Hold], now: pd.Timestamp, ttl_seconds: float
) -> tuple[dict[str, ActiveAlert], list[Alert], list[Held]]:
    """The next active set, the alerts to post this run (firing ones and resolutions) and what was held.

    ``held``: signals whose inputs failed this run (``alert_hold.holds``). ``ttl_seconds`` sets
    ``endsAt`` of firing alerts (now + ttl): long enough to outlive the gap between runs, short
    enough that alerts of a detector that stopped running (or of a signal that keeps failing) expire.
    """
    now_text = rfc3339(now)
    ends_text = rfc3339(now + pd.Timedelta(seconds=ttl_seconds))
    active: dict[str, ActiveAlert] = {}
    posts: list[Alert] = []
    kept: dict[str, list[str]] = {}
    deferred: dict[str, int] = {}
    current = {draft.identity: draft for draft in drafts}
    for identity, draft in current.items():
        previous = state.active.get(identity)
        hold = held.get(draft.signal)
        starts = previous.starts_at if previous is not None else now_text
        payload: Alert = {
            "labels": dict(draft.labels),
            "annotations": dict(draft.annotations),
            "startsAt": starts,
            "endsAt": ends_text,
            "generatorURL": draft.generator_url,
        }
        relabelled = previous is not None and previous.payload.get("labels") != payload["labels"]
        if hold is not None and hold.judged and (previous is None or relabelled):
            if previous is None:
                deferred[draft.signal] = deferred.get(draft.signal, 0) + 1
            continue  # judged on incomplete input: no new alert, no new label set
        if relabelled and previous is not None:  # relabelled implies a previous alert; said again for the type checker
            posts.append(_resolved(previous.payload, now_text))
        active[identity] = ActiveAlert(signal=draft.signal, starts_at=starts, payload=payload)
        posts.append(payload)
    for identity, previous in state.active.items():
        if identity in active:
            continue
        if previous.signal in held:
            if str(previous.payload.get("endsAt", "")) > now_text:  # same format: string order is time order
                active[identity] = previous
                kept.setdefault(previous.signal, []).append(_name(previous.payload))
        elif identity not in current:
            posts.append(_resolved(previous.payload, now_text))
    notes = [Held(name, held[name].reason, tuple(sorted(kept.get(name, []))), deferred.get(name, 0)) for name in sorted({*kept, *deferred})]
    return active, posts, notes


def fingerprint(alert: Alert) -> tuple[tuple[str, str], ...]:
    """Alertmanager's identity of an alert: its label set."""
    return tuple(sorted(alert.get("labels", {}).items()))


def merge_outbox(pending: list[Alert], posts: list[Alert]) -> list[Alert]:
    """Pending alerts followed by this run's, one per label set, the latest winning (it is the newest truth)."""
    merged: dict[tuple[tuple[str, str], ...], Alert] = {}
    for alert in [*pending, *posts]:
        key = fingerprint(alert)
        merged.pop(key, None)
        merged[key] = alert
    return list(merged.values())


def _name(payload: Alert) -> str:
    labels = payload.get("labels", {})
    return f"{labels.get('alertname', '?')} {payload.get('annotations', {}).get('series', '')}".strip()


def _resolved(payload: Alert, now_text: str) -> Alert:
    ends = max(now_text, str(payload.get("startsAt", now_text)))  # same format: string order is time order
    return {**payload, "endsAt": ends}
