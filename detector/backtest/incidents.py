"""Known incidents for `backtest`: a JSON or YAML list of {signal, labels, at}."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from detector.configuration.yaml_locations import load_yaml_file
from detector.errors import IncidentsError

if TYPE_CHECKING:  # pandas only once the file has been read: a missing or malformed file fails at once
    import pandas as pd

    from detector.core.series import SeriesKey


ROLES = ("cause", "symptom")


@dataclass(frozen=True)
class Incident:
    """A known incident on one series. ``role`` "cause": the series carried the risk ahead of the
    incident (scored on lead time); "symptom": it only showed the outage (e.g. an eviction loop):
    reported, but neither credited nor counted as a false alarm."""

    key: SeriesKey
    at: pd.Timestamp
    role: str = "cause"


def load_incidents(path: str | Path, signal_names: set[str]) -> list[Incident]:
    """Read and check the incidents file; every entry must name a configured signal."""
    path = Path(path)
    document, locate = load_yaml_file(path, IncidentsError)
    from detector.core.instants import parse_instant
    from detector.core.series import SeriesKey, labels_of

    if document is None:
        raise IncidentsError("empty file; expected a list of {signal, labels, at}", location=str(path))
    prefix: tuple[str, ...] = ()
    if isinstance(document, dict) and "incidents" in document:
        document, prefix = document["incidents"], ("incidents",)
    if not isinstance(document, list):
        raise IncidentsError("expected a list of {signal, labels, at}", location=str(path))
    incidents = []
    for index, entry in enumerate(document):
        where = locate((*prefix, index))
        if not isinstance(entry, dict):
            raise IncidentsError(f"[{index}]: expected a mapping with signal, labels, at", location=where)
        unknown = set(entry) - {"signal", "labels", "at", "note", "role"}
        if unknown:
            raise IncidentsError(f"[{index}]: unknown key(s) {sorted(unknown)}", location=where)
        signal = entry.get("signal")
        if not isinstance(signal, str) or signal not in signal_names:
            raise IncidentsError(f"[{index}].signal: expected one of the configured signals, got {signal!r}", location=where)
        labels = entry.get("labels") or {}
        if not isinstance(labels, dict):
            raise IncidentsError(f"[{index}].labels: expected a mapping of label names to values", location=where)
        for name, value in labels.items():
            if not isinstance(name, str) or isinstance(value, (bool, list, dict)) or not isinstance(value, (str, int, float)):
                shown = "null" if value is None else type(value).__name__
                raise IncidentsError(
                    f"[{index}].labels.{name}: expected a string label value, got {shown}",
                    location=locate((*prefix, index, "labels", name)),
                )
        if "at" not in entry:
            raise IncidentsError(f"[{index}].at: required key is missing", location=where)
        at = parse_instant(str(entry["at"]), what=f"{where}: [{index}].at", error_type=IncidentsError)
        role = entry.get("role", "cause")
        if role not in ROLES:
            raise IncidentsError(f"[{index}].role: expected one of {', '.join(ROLES)}, got {role!r}", location=where)
        key = SeriesKey(signal, labels_of({k: v for k, v in labels.items() if k != "__name__"}))
        incidents.append(Incident(key, at, role))
    return incidents


def incident_for(key: SeriesKey, incidents: list[Incident]) -> Incident | None:
    """The incident of a series: same signal, and the incident's labels all match the series'."""
    own = dict(key.labels)
    for incident in incidents:
        if incident.key.signal == key.signal and all(own.get(k) == v for k, v in incident.key.labels):
            return incident
    return None
