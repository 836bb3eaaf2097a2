"""`slowburn backtest`: walk-forward replay over exported data, scored against known incidents and
side by side with the predict_linear rule."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from detector.commands import cli_values
from detector.commands.run import resolve_workers, write_json
from detector.configuration import preflight
from detector.configuration.durations import format_duration, parse_duration
from detector.configuration.schema import Config, load_config
from detector.core.environment import Environment
from detector.errors import ConfigError, DataError, ExitStatus, UsageError, status_for_failures

HELP = "replay exported metrics walk-forward (no look-ahead) and score lead time and false alarms"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", required=True, help="YAML or JSON config file")
    parser.add_argument("--data", required=True, help="directory of exported metrics (NAME.json / NAME.csv)")
    parser.add_argument("--incidents", help="JSON or YAML list of {signal, labels, at}")
    parser.add_argument("--every", type=cli_values.duration, default="1d", help="time between evaluations (default 1d)")
    parser.add_argument("--start", type=cli_values.instant, help="first evaluation time (default: first sample + min_history)")
    parser.add_argument("--end", type=cli_values.instant, help="last evaluation time (default: end of the data)")
    parser.add_argument("--json", dest="json_out", help="write the scored replay as JSON ('-' for stdout)")
    parser.add_argument("--report", help="write a self-contained HTML report")
    cli_values.add_model_placement(parser)
    parser.add_argument("--manifests", help="directory of Kubernetes manifests: limits as ceilings and configuration findings")


def check_every(every: float, config: Config, text: str) -> None:
    """Refuse evaluations more often than the finest signal step: they would see no new data."""
    finest = min(s.step for s in config.signals)
    if every < finest:
        raise UsageError(
            f"expected at least the data's step ({format_duration(finest)}, the smallest signal step), got {text!r}", location="--every"
        )


def check_replay_size(count: int, every_text: str) -> None:
    """Refuse replays of more than ``MAX_EVALUATIONS`` evaluations, saying how many were asked."""
    from detector.backtest.replay import MAX_EVALUATIONS

    if count > MAX_EVALUATIONS:
        raise UsageError(
            f"{every_text} gives {count} evaluations, more than the {MAX_EVALUATIONS} a replay may have; "
            "choose a longer --every or a shorter --start/--end",
            location="--every",
        )


def execute(args: argparse.Namespace, env: Environment) -> ExitStatus:
    original = load_config(args.config)
    every = parse_duration(args.every)  # well-formed: checked by argparse
    check_every(every, original, args.every)
    preflight.require_data_directory(args.data)
    preflight.require_manifests(original, args.manifests)
    from detector.backtest.incidents import load_incidents

    incidents = load_incidents(args.incidents, {s.name for s in original.signals}) if args.incidents else []
    # pandas, numpy and scipy are imported here, after the inputs are checked, so --help and input errors are instant
    import pandas as pd

    from detector.backtest.dask_steps import open_steps
    from detector.backtest.replay import evaluation_count, evaluation_times, replay
    from detector.backtest.rule_replay import baseline_scores
    from detector.backtest.scoring import summarize
    from detector.backtest.step_runners import local_steps
    from detector.backtest.summary import detector_scores, render_summary
    from detector.commands.limits import limits_document
    from detector.commands.limits import render as render_limits
    from detector.commands.progress import ProgressBar
    from detector.core.instants import iso_utc, parse_instant
    from detector.engine.evaluate import evaluate
    from detector.engine.executor_choice import choose_executor, note_unused_workers
    from detector.limits.ceilings import apply_limits
    from detector.limits.load import load_limits
    from detector.sources.export import ExportSource

    known = load_limits(original, args.manifests)
    config, data = apply_limits(original, ExportSource(Path(args.data), now=env.now()).fetch(original.signals), known.ceilings)
    start = parse_instant(args.start, what="--start", error_type=ConfigError) if args.start else None
    end = parse_instant(args.end, what="--end", error_type=ConfigError) if args.end else None
    check_replay_size(evaluation_count(data, config, every, start, end), args.every)
    times = evaluation_times(data, config, every, start, end)
    if not times:
        raise DataError("no evaluation time: the data is shorter than min_history or empty", location=args.data)
    progress = ProgressBar(env.stderr, "backtest", env.is_tty)
    local = local_steps(resolve_workers(args.workers, config.workers), notice=lambda line: print(f"slowburn: {line}", file=env.stderr))
    choice = choose_executor(args.executor, config, args.config)
    note_unused_workers(args.workers, choice, env.stderr)
    with open_steps(choice, local) as runner:
        timelines = replay(config, data, times, progress=progress, runner=runner)  # WorkLost (exit 10) when a step could not be replayed
    ours = detector_scores(timelines, times, incidents)
    theirs = baseline_scores(config, data, times, incidents)
    document: dict[str, Any] = {
        "evaluations": len(times),
        "first_evaluation": iso_utc(times[0]),
        "last_evaluation": iso_utc(times[-1]),
        "every_seconds": every,
        "series": [s.to_dict() for s in ours],
        "baseline": [s.to_dict() for s in theirs],
        "summary": {"slowburn": summarize(ours), "predict_linear": summarize(theirs)},
        "errors": {name: str(err) for name, err in sorted(data.errors.items())},
        "notes": [str(n) for n in data.notes]
        + (
            [
                "limit ceilings: the Kubernetes objects as they are now apply to the whole replay (a past resize is not "
                "replayed; use a ceiling signal, e.g. kubelet_volume_stats_capacity_bytes, for limits that change)"
            ]
            if known.ceilings is not None
            else []
        ),
        "limits": limits_document(known, times[-1], original, evaluate(config, data, times[-1])) if known.ceilings is not None else None,
    }
    table_stream = env.stderr if args.json_out == "-" else env.stdout  # '--json -': stdout is JSON only
    print(render_summary(document), file=table_stream)
    if document["limits"] is not None:
        print("\n" + render_limits(document["limits"]), file=table_stream)
    if args.json_out:
        write_json(document, args.json_out, env)
    if args.report:
        from detector.report import write_report  # matplotlib only when a report is asked for

        write_report(
            Path(args.report), document, timelines, data, config, incidents, pd.Timestamp(times[-1]), config_path=args.config, now=env.now
        )
    return status_for_failures(data.errors, len(config.signals))
