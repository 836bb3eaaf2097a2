"""Walk-forward replay: the same ``evaluate`` at many times T, each seeing only data before T.

Evaluation times are split into steps handed to a ``StepRunner`` (this process, or a forkserver
pool whose workers are deaf to Ctrl-C; the data is sent to each worker once). A step the runner
could not replay stops the replay with ``WorkLost`` naming its times: a score is never computed
over a replay with holes. For every series the replay keeps the severity at each time and the analysis behind its
first flag, which is what the scoring and the report need.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar, cast

import pandas as pd

from detector.backtest.step_runners import StepRunner, local_steps
from detector.configuration.schema import Config
from detector.core.findings import Finding, Severity
from detector.core.instants import iso_utc
from detector.core.series import SeriesKey, SeriesSet
from detector.engine.evaluate import evaluate
from detector.engine.executor import LostChunk
from detector.errors import WorkLost
from detector.policy.thresholds import DEFAULT_POLICY, DetectionPolicy
from models.analysis import SeriesAnalysis

R = TypeVar("R")
SHOWN_SPANS = 3
"""Lost steps named in the one-line error; the others are counted."""

MAX_EVALUATIONS = 10_000
"""The most evaluation times one replay may have (10,000: a daily replay of 27 years, an hourly
one of 13 months); more is almost surely a mistaken ``--every``, and would run for days."""


@dataclass
class SeriesTimeline:
    """What the detector said about one series over the replay."""

    key: SeriesKey
    ranks: dict[pd.Timestamp, int] = field(default_factory=dict)  # evaluation time -> max severity rank
    first_flag: Finding | None = None  # first finding of warning or worse
    first_flag_analysis: SeriesAnalysis | None = None
    first_critical: Finding | None = None
    last_findings: tuple[Finding, ...] = ()
    last_analysis: SeriesAnalysis | None = None


def evaluation_times(
    data: SeriesSet, config: Config, every: float, start: pd.Timestamp | None = None, end: pd.Timestamp | None = None
) -> list[pd.Timestamp]:
    """Times from the first sample + the shortest min_history to the end of the data, every ``every`` s."""
    span = _span(data, config, start, end)
    if span is None:
        return []
    return list(pd.date_range(span[0], span[1], freq=pd.Timedelta(seconds=every), tz="UTC"))


def evaluation_count(
    data: SeriesSet, config: Config, every: float, start: pd.Timestamp | None = None, end: pd.Timestamp | None = None
) -> int:
    """How many times ``evaluation_times`` would return, without building them."""
    span = _span(data, config, start, end)
    return 0 if span is None else int((span[1] - span[0]).total_seconds() // every) + 1


def _span(
    data: SeriesSet, config: Config, start: pd.Timestamp | None, end: pd.Timestamp | None
) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    firsts = [
        cast(pd.Timestamp, s.first_valid_index())  # a label of a series' DatetimeIndex
        for by in data.series.values()
        for s in by.values()
        if s.first_valid_index() is not None
    ]
    if not firsts or data.end is None:
        return None
    first = min(firsts) + pd.Timedelta(seconds=min(s.model.min_history for s in config.signals))
    last = data.end + pd.Timedelta(seconds=min(s.step for s in config.signals))
    first = (max(first, start) if start is not None else first).ceil("D")
    last = min(last, end) if end is not None else last
    return (first, last) if first <= last else None


STEP = 8
"""Evaluation times per step handed to a worker."""


@dataclass(frozen=True)
class ReplayInputs:
    """What every step reads: sent to each worker once, not with every step."""

    config: Config
    data: SeriesSet
    policy: DetectionPolicy


def replay(
    config: Config,
    data: SeriesSet,
    times: list[pd.Timestamp],
    *,
    workers: int = 1,
    progress: Callable[[int, int], None] | None = None,
    policy: DetectionPolicy = DEFAULT_POLICY,
    runner: StepRunner | None = None,
) -> dict[SeriesKey, SeriesTimeline]:
    """Evaluate at every time in ``times`` (judged by ``policy``); merge the per-step timelines.
    Steps run on ``runner`` (default: ``workers`` local processes); ``WorkLost`` when some could not."""
    merged: dict[SeriesKey, SeriesTimeline] = {}
    for result in _run(config, data, times, workers, runner, policy, _replay_chunk, progress):
        _merge(merged, result)
    return merged


def replay_findings(
    config: Config,
    data: SeriesSet,
    times: list[pd.Timestamp],
    *,
    workers: int = 1,
    policy: DetectionPolicy = DEFAULT_POLICY,
    runner: StepRunner | None = None,
) -> dict[SeriesKey, dict[pd.Timestamp, tuple[Finding, ...]]]:
    """Every finding of every evaluation, per series and time (for snapshots and calibration)."""
    merged: dict[SeriesKey, dict[pd.Timestamp, tuple[Finding, ...]]] = {}
    for part in _run(config, data, times, workers, runner, policy, _findings_chunk, None):
        _merge_findings(merged, part)
    return merged


def _run(
    config: Config,
    data: SeriesSet,
    times: list[pd.Timestamp],
    workers: int,
    runner: StepRunner | None,
    policy: DetectionPolicy,
    fn: Callable[[ReplayInputs, list[pd.Timestamp]], R],
    progress: Callable[[int, int], None] | None,
) -> list[R]:
    """``fn`` over the steps of ``times``, results in time order; ``WorkLost`` naming the times of any step lost."""
    steps = [times[i : i + STEP] for i in range(0, len(times), STEP)]
    if runner is None or len(steps) < 2:  # one step: this process (no pool to start)
        runner = local_steps(workers if len(steps) >= 2 else 1)
    replayed = [0]

    def done(index: int) -> None:
        replayed[0] += len(steps[index])
        if progress:
            progress(replayed[0], len(times))

    results = runner.run_steps(fn, ReplayInputs(config, data, policy), steps, done)
    lost = [(step, result) for step, result in zip(steps, results, strict=True) if isinstance(result, LostChunk)]
    if lost:
        raise WorkLost(not_replayed(lost, len(times)))
    return [result for result in results if not isinstance(result, LostChunk)]


def not_replayed(lost: list[tuple[list[pd.Timestamp], LostChunk]], total: int) -> str:
    """One line: how many evaluation times were not replayed, which (as ranges), and why."""
    count = sum(len(step) for step, _ in lost)
    spans = [f"{iso_utc(step[0])}..{iso_utc(step[-1])}" if len(step) > 1 else str(iso_utc(step[0])) for step, _ in lost]
    shown = ", ".join(spans[:SHOWN_SPANS]) + (f" and {len(spans) - SHOWN_SPANS} more" if len(spans) > SHOWN_SPANS else "")
    return f"{count} of {total} evaluation times not replayed ({shown}): {lost[0][1].reason}; no scores: the replay is incomplete"


def _findings_chunk(inputs: ReplayInputs, chunk: list[pd.Timestamp]) -> dict[SeriesKey, dict[pd.Timestamp, tuple[Finding, ...]]]:
    config, data, policy = inputs.config, inputs.data, inputs.policy
    out: dict[SeriesKey, dict[pd.Timestamp, tuple[Finding, ...]]] = {}
    for at in chunk:
        evaluation = evaluate(config, data, at, policy=policy)
        by_key: dict[SeriesKey, list[Finding]] = {key: [] for key in evaluation.analyses}
        for finding in evaluation.findings:
            by_key.setdefault(finding.key, []).append(finding)
        for key, found in by_key.items():
            out.setdefault(key, {})[at] = tuple(found)
    return out


def _merge_findings(
    merged: dict[SeriesKey, dict[pd.Timestamp, tuple[Finding, ...]]], part: dict[SeriesKey, dict[pd.Timestamp, tuple[Finding, ...]]]
) -> None:
    for key, by_time in part.items():
        merged.setdefault(key, {}).update(by_time)


def _replay_chunk(inputs: ReplayInputs, chunk: list[pd.Timestamp]) -> dict[SeriesKey, SeriesTimeline]:
    config, data, policy = inputs.config, inputs.data, inputs.policy
    timelines: dict[SeriesKey, SeriesTimeline] = {}
    for at in chunk:
        evaluation = evaluate(config, data, at, policy=policy)
        by_key: dict[SeriesKey, list[Finding]] = {}
        for finding in evaluation.findings:
            by_key.setdefault(finding.key, []).append(finding)
        for key, analysis in evaluation.analyses.items():
            line = timelines.setdefault(key, SeriesTimeline(key))
            found = by_key.get(key, [])
            line.ranks[at] = max((f.rank for f in found), default=-1)
            flagged = [f for f in found if f.rank >= Severity.WARNING.rank]
            if flagged and line.first_flag is None:
                line.first_flag = max(flagged, key=lambda f: f.rank)
                line.first_flag_analysis = analysis
            critical = [f for f in found if f.rank >= Severity.CRITICAL.rank]
            if critical and line.first_critical is None:
                line.first_critical = critical[0]
            line.last_findings = tuple(found)
            line.last_analysis = analysis
    return timelines


def _merge(merged: dict[SeriesKey, SeriesTimeline], result: dict[SeriesKey, SeriesTimeline]) -> None:
    """Chunks arrive in time order, so 'first' comes from the earliest chunk that has one."""
    for key, line in result.items():
        target = merged.setdefault(key, SeriesTimeline(key))
        target.ranks.update(line.ranks)
        if target.first_flag is None and line.first_flag is not None:
            target.first_flag, target.first_flag_analysis = line.first_flag, line.first_flag_analysis
        if target.first_critical is None and line.first_critical is not None:
            target.first_critical = line.first_critical
        if line.ranks:
            target.last_findings, target.last_analysis = line.last_findings, line.last_analysis
