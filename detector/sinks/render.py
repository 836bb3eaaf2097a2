"""Findings for people (a terminal table) and for programs (JSON).

Both say what the run could not judge: every configured signal has a state (evaluated, skipped,
absent, failed); the JSON lists the state of every series.
"""

from __future__ import annotations

from typing import Any

from detector.core.coverage import summary_counts
from detector.core.evaluation import Evaluation
from detector.core.findings import Severity
from detector.core.instants import iso_utc

_SEVERITY_MARK = {Severity.CRITICAL: "CRIT", Severity.WARNING: "WARN", Severity.INFO: "info"}


def summary_line(evaluation: Evaluation) -> str:
    """``slowburn evaluation at T: signals 3 evaluated, 1 skipped, ...; series ...; N warning or worse``."""
    warnings = len(evaluation.at_least(Severity.WARNING))
    head = f"slowburn evaluation at {iso_utc(evaluation.at)}"
    if not evaluation.coverage:  # nothing was fetched (the source failed before any signal)
        return f"{head}: {evaluation.series_evaluated} series, {warnings} warning or worse, {len(evaluation.errors)} failed signal(s)"
    signals, series = summary_counts(evaluation.coverage)
    signal_part = ", ".join(f"{n} {state}" for state, n in signals.items() if n or state == "evaluated")
    series_part = ", ".join(f"{n} {state.replace('_', ' ')}" for state, n in series.items()) or "none"
    return f"{head}: signals {signal_part}; series {series_part}; {warnings} warning or worse"


def render_table(evaluation: Evaluation, *, min_severity: Severity | str = Severity.INFO) -> str:
    """The summary line, one line per finding (most severe first), the signals not evaluated, errors, notes."""
    lines = [summary_line(evaluation)]
    shown = evaluation.at_least(min_severity)
    if shown:
        width = max(len(str(f.key)) for f in shown)  # never cut: three PVCs must not read the same
        lines.append(f"{'SEV':4}  {'KIND':16}  {'SERIES':{width}}  SUMMARY")
        for f in shown:
            lines.append(f"{_SEVERITY_MARK[f.severity]:4}  {f.kind:16}  {str(f.key):{width}}  {_one_line(f.summary)}")
    elif evaluation.series_evaluated:
        lines.append("no findings")
    else:
        lines.append("nothing judged: no series could be evaluated at this time (see below)")
    idle = [s for s in evaluation.coverage if s.state != "evaluated"]
    if idle:
        width = max(len(s.signal) for s in idle)
        for status in idle:
            optional = " (optional)" if status.optional and status.state == "absent" else ""
            lines.append(f"{status.state.upper():8}  {status.signal:{width}}  {_one_line(status.reason)}{optional}")
    for name, error in sorted(evaluation.errors.items()):
        if not any(s.signal == name and s.state in ("failed", "absent") for s in evaluation.coverage):
            lines.append(f"ERROR {name}: {_one_line(str(error))}")
    lines.extend(_note_lines(evaluation))
    return "\n".join(lines)


NOTES_PER_SIGNAL = 5
"""The table shows this many notes per signal, then how many more there are (JSON has them all)."""


def _note_lines(evaluation: Evaluation) -> list[str]:
    shown: dict[str, int] = {}
    hidden: dict[str, int] = {}
    lines = []
    for note in evaluation.notes:
        count = shown.get(note.signal, 0)
        if note.signal and count >= NOTES_PER_SIGNAL:
            hidden[note.signal] = hidden.get(note.signal, 0) + 1
            continue
        shown[note.signal] = count + 1
        lines.append(f"note  {_one_line(str(note))}")
    for signal, more in hidden.items():
        lines.append(f"note  {signal}: {more} more note(s) not shown here (--json lists every note)")
    return lines


def _one_line(text: str) -> str:
    return text.replace("\r", "\\r").replace("\n", "\\n")


def evaluation_to_json(evaluation: Evaluation) -> dict[str, Any]:
    signals, series = summary_counts(evaluation.coverage)
    return {
        "evaluated_at": iso_utc(evaluation.at),
        "series_evaluated": evaluation.series_evaluated,
        "summary": {"signals": signals, "series": series, "warning_or_worse": len(evaluation.at_least(Severity.WARNING))},
        "findings": [f.to_dict() for f in evaluation.findings],
        "signals": [s.to_dict() for s in evaluation.coverage],
        "series": [x.to_dict() for s in evaluation.coverage for x in s.series],
        "errors": {name: str(error) for name, error in sorted(evaluation.errors.items())},
        "notes": [str(note) for note in evaluation.notes],
    }
