"""Findings for people (a terminal table) and for programs (JSON)."""

from __future__ import annotations

from typing import Any

from detector.evaluation import Evaluation
from detector.findings import iso_utc

_SEVERITY_MARK = {"critical": "CRIT", "warning": "WARN", "info": "info"}


def render_table(evaluation: Evaluation, *, min_severity: str = "info") -> str:
    """One line per finding, most severe first, then errors and notes."""
    lines = [f"slowburn evaluation at {iso_utc(evaluation.at)}: {evaluation.series_evaluated} series, "
             f"{len(evaluation.at_least('warning'))} warning or worse, {len(evaluation.errors)} failed signal(s)"]
    shown = evaluation.at_least(min_severity)
    if shown:
        width = max(len(str(f.key)) for f in shown)        # never cut: three PVCs must not read the same
        lines.append(f"{'SEV':4}  {'KIND':16}  {'SERIES':{width}}  SUMMARY")
        for f in shown:
            lines.append(f"{_SEVERITY_MARK[f.severity]:4}  {f.kind:16}  {str(f.key):{width}}  {f.summary}")
    else:
        lines.append("no findings")
    for name, error in sorted(evaluation.errors.items()):
        lines.append(f"ERROR {name}: {error}")
    for note in evaluation.notes:
        lines.append(f"note  {note}")
    return "\n".join(lines)


def evaluation_to_json(evaluation: Evaluation) -> dict[str, Any]:
    return {
        "evaluated_at": iso_utc(evaluation.at),
        "series_evaluated": evaluation.series_evaluated,
        "findings": [f.to_dict() for f in evaluation.findings],
        "errors": {name: str(error) for name, error in sorted(evaluation.errors.items())},
        "notes": [str(note) for note in evaluation.notes],
    }
