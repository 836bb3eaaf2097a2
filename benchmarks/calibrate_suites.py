"""The three benchmarks a calibration sweep measures each policy on, prepared once, measured per policy.

A suite is a function ``prepare(settings) -> measure`` (the data is generated or read once) where
``measure(policy) -> dict`` replays with that policy and returns its numbers; :data:`SUITES` is
the registry the CLI dispatches from. Every suite reuses the benchmark's own scoring:

- ``scenarios``: the seeded scenario suite (``benchmarks.scenarios`` / ``scenario_scoring``):
  false alarms per 100 quiet series-years, share of incident series flagged at or before the
  incident, median first-flag lead (days);
- ``replicas``: data/replicas replayed daily and scored like ``slowburn backtest`` and
  ``benchmarks.replica_targets`` (``detector.backtest.summary.detector_scores``,
  ``detector.backtest.scoring.summarize``, the targets of ``replica_targets.targets``);
- ``realops``: the NAB real series (``benchmarks.realops``): false alarms, their rate per 100
  series-years, labeled windows flagged.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from benchmarks import realops
from benchmarks.realops_data import DEFAULT_DIR, load_nab
from benchmarks.replica_targets import REPLICAS, ROOT, targets
from benchmarks.scenario_scoring import score, summarize
from benchmarks.scenario_shapes import make_scenarios
from benchmarks.scenarios import SEED, build, evaluation_grid, run_slowburn
from detector.backtest.incidents import load_incidents
from detector.backtest.replay import evaluation_times, replay
from detector.backtest.rule_replay import baseline_scores
from detector.backtest.scoring import summarize as summarize_replay
from detector.backtest.summary import detector_scores
from detector.configuration.schema import load_config
from detector.policy.thresholds import DetectionPolicy
from detector.sources.export import ExportSource

Measure = Callable[[DetectionPolicy], dict[str, Any]]


@dataclass(frozen=True)
class SweepSettings:
    """Sizes and places of the sweep. ``scenario_every`` and ``realops_every`` are seconds."""

    incidents: int = 40
    quiet: int = 40
    seed: int = SEED
    scenario_every: float = 2 * 86400.0
    workers: int = 2
    realops_dir: Path = DEFAULT_DIR
    realops_every: float = realops.EVERY
    log: TextIO = sys.stderr


def prepare_scenarios(settings: SweepSettings) -> Measure:
    scenarios = make_scenarios(settings.seed, settings.incidents, settings.quiet)
    config, data, keys = build(scenarios)
    times = evaluation_grid(scenarios, settings.scenario_every)

    def measure(policy: DetectionPolicy) -> dict[str, Any]:
        flags, seconds, _cpu, _first = run_slowburn(config, data, keys, times, settings.workers, policy=policy)
        s = summarize([score(sc, *flags[sc.name]) for sc in scenarios], seconds)
        rate = s["false_alarms_per_series_year"]
        return {
            "quiet_false_alarms": s["false_alarm_episodes"],
            "quiet_series_years": s["quiet_series_years"],
            "quiet_false_alarms_per_100_series_years": None if rate is None else 100 * rate,
            "incidents": s["incidents"],
            "flagged_at_or_before_incident": s["detected"],
            "share_flagged": s["detection_rate"],
            "median_first_flag_lead_days": s["median_lead_days"],
            "seconds": seconds,
        }

    return measure


def prepare_replicas(settings: SweepSettings) -> Measure:
    config = load_config(ROOT / "config" / "replicas.yaml")
    data = ExportSource(REPLICAS).fetch(config.signals)
    incidents = load_incidents(REPLICAS / "incidents.yaml", {s.name for s in config.signals})
    truth = json.loads((REPLICAS / "truth.json").read_text(encoding="utf-8"))
    times = evaluation_times(data, config, 86400.0)
    theirs = baseline_scores(config, data, times, incidents)

    def measure(policy: DetectionPolicy) -> dict[str, Any]:
        started = time.perf_counter()
        ours = detector_scores(replay(config, data, times, workers=settings.workers, policy=policy), times, incidents)
        seconds = time.perf_counter() - started
        document: dict[str, Any] = {
            "series": [s.to_dict() for s in ours],
            "baseline": [s.to_dict() for s in theirs],
            "summary": {"slowburn": summarize_replay(ours), "predict_linear": summarize_replay(theirs)},
        }
        s = document["summary"]["slowburn"]
        met = targets(document, truth, seconds)
        return {
            "causes": s["incident_series"],
            "causes_flagged": s["detected_before_incident"],
            "median_lead_days": s["median_lead_time_days"],
            "min_lead_days": s["min_lead_time_days"],
            "false_alarms": s["false_alarm_episodes"],
            "false_alarms_per_series_year": s["false_alarms_per_series_year"],
            "targets_met": sum(1 for _, _, ok in met if ok),
            "targets": len(met),
            "targets_not_met": [name for name, _, ok in met if not ok],
            "seconds": seconds,
        }

    return measure


def prepare_realops(settings: SweepSettings) -> Measure:
    series = load_nab(settings.realops_dir)

    def measure(policy: DetectionPolicy) -> dict[str, Any]:
        result = realops.run(
            policy=policy,
            workers=settings.workers,
            directory=settings.realops_dir,
            every=settings.realops_every,
            series=series,
            log=settings.log,
        )
        s = result["summary"]
        return {
            "false_alarms": s["false_alarms"],
            "false_alarms_per_100_series_years": s["false_alarms_per_100_series_years"],
            "windows_flagged": s["windows_flagged"],
            "windows": s["windows"],
            "flags": s["flags"],
            "false_alarm_episodes": _first_of_each_episode([f for f in result["findings"] if f["false_alarm"]]),
            "seconds": result["seconds"],
        }

    return measure


def _first_of_each_episode(findings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The first finding (in time order) of each (series, episode) among ``findings``."""
    firsts: dict[tuple[str, str, str], dict[str, Any]] = {}
    for f in sorted(findings, key=lambda f: f["time"]):
        firsts.setdefault((f["family"], f["series"], f["episode_start"]), f)
    return list(firsts.values())


SUITES: dict[str, Callable[[SweepSettings], Measure]] = {
    "scenarios": prepare_scenarios,
    "replicas": prepare_replicas,
    "realops": prepare_realops,
}
"""Suite name -> its preparation (in the order the table shows them)."""
