"""`slowburn run`: one evaluation, on exported data (--data) or live from Prometheus."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING

from detector.commands import cli_values
from detector.configuration import preflight
from detector.configuration.schema import load_config
from detector.core.environment import Environment
from detector.core.instants import HOUR
from detector.core.severity_names import SEVERITY_NAMES
from detector.errors import DataError, ExitStatus, SinkError, UsageError, status_for_failures

if TYPE_CHECKING:  # pandas and the engine are imported in execute, so --help and config errors are instant
    import pandas as pd

    from detector.configuration.schema import Config
    from detector.core.evaluation import Evaluation

HELP = "evaluate every signal once (exported data with --data, else live from Prometheus)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", required=True, help="YAML or JSON config file")
    parser.add_argument("--data", help="directory of exported metrics (NAME.json / NAME.csv); omit to query Prometheus")
    parser.add_argument(
        "--at", type=cli_values.instant, help="evaluation time (RFC 3339 or unix seconds); default: end of the data, or now"
    )
    parser.add_argument("--json", dest="json_out", help="also write the findings as JSON to this file ('-' for stdout)")
    parser.add_argument("--min-severity", default="info", choices=SEVERITY_NAMES, help="lowest severity shown in the table")
    cli_values.add_model_placement(parser)
    parser.add_argument("--dry-run", action="store_true", help="evaluate but send nothing to Alertmanager or the Pushgateway")
    parser.add_argument("--state", help="alert state file (live mode; default next to the history store)")
    parser.add_argument("--manifests", help="directory of Kubernetes manifests: limits as ceilings and configuration findings")
    parser.add_argument("--report", help="also write a self-contained HTML risk report (series at risk ranked by urgency) to this file")
    parser.add_argument(
        "--prometheus",
        metavar="URL",
        help="Prometheus API root, overriding prometheus.url (default: $SLOWBURN_PROMETHEUS_URL, else the config)",
    )


def execute(args: argparse.Namespace, env: Environment) -> ExitStatus:
    config = load_config(args.config)
    if args.data is None:
        from detector.configuration.schema import with_prometheus_override
        from detector.service.schedule import check_live_config

        config = with_prometheus_override(config, args.prometheus, env.environ)
        check_live_config(config, args.config)  # prometheus:, the cron line and deadline, before the heavy imports
    else:
        preflight.require_data_directory(args.data)
    preflight.require_manifests(config, args.manifests)
    # numpy, pandas and scipy are imported here (with the engine), after the inputs are checked, so --help and input errors are instant
    from detector.engine.evaluate import evaluate
    from detector.engine.executor import local_executor
    from detector.engine.executor_choice import choose_executor, note_unused_workers
    from detector.limits.load import load_limits, with_configuration_findings
    from detector.sinks.render import evaluation_to_json, render_table
    from detector.sources.export_batches import directory_batches

    if args.data is None:
        return execute_live(config, args, env)
    known = load_limits(config, args.manifests)
    files = directory_batches(Path(args.data), config.signals, env.now())  # one file at a time, series in bounded batches
    at = _evaluation_time(args, config, None, None) if args.at else _evaluation_time(args, config, *files.extent())
    local = local_executor(resolve_workers(args.workers, config.workers))
    choice = choose_executor(args.executor, config, args.config)
    note_unused_workers(args.workers, choice, env.stderr)
    with choice.open(local) as executor:
        evaluation = evaluate(config, files, at, executor=executor, limits=known.ceilings)
    if args.at:
        check_within_data(evaluation.at, *files.extent(), config)  # the extent is known once every file was read
    evaluation = with_configuration_findings(evaluation, known, config)
    table_stream = env.stderr if args.json_out == "-" else env.stdout  # '--json -': stdout is JSON only
    print(render_table(evaluation, min_severity=args.min_severity), file=table_stream)
    if args.json_out:
        write_json(evaluation_to_json(evaluation), args.json_out, env)
        if args.json_out != "-":
            print(f"slowburn: wrote {args.json_out}", file=env.stderr)
    if args.report:
        write_report(args.report, evaluation, config, args.config, env)
    return status_for_failures(evaluation.errors, len(config.signals))


def execute_live(config: Config, args: argparse.Namespace, env: Environment) -> ExitStatus:
    """The live run: typed options for ``live.run_live``; its outcome printed here, on stderr."""
    from detector.core.instants import parse_instant
    from detector.engine.executor_choice import choose_executor, note_unused_workers
    from detector.service.live import LiveOptions, dry_run_note, outcome_lines, run_live  # HTTP clients only when used

    executor = choose_executor(args.executor, config, args.config)
    options = LiveOptions(
        config_path=args.config,
        at=parse_instant(args.at, what="--at", error_type=UsageError) if args.at else None,
        json_out=args.json_out,
        min_severity=args.min_severity,
        report=args.report,
        dry_run=args.dry_run,
        state=args.state,
        workers=resolve_workers(args.workers, config.workers),
        manifests=args.manifests,
        executor=executor,
    )
    note = dry_run_note(config) if options.dry_run else None
    if note:
        print(note, file=env.stderr)
    note_unused_workers(args.workers, executor, env.stderr)
    outcome = run_live(config, options, env)
    for line in outcome_lines(outcome):
        print(line, file=env.stderr)
    return outcome.status


def _evaluation_time(args: argparse.Namespace, config: Config, start: pd.Timestamp | None, end: pd.Timestamp | None) -> pd.Timestamp:
    """``--at`` (checked against the data when its extent is known), else one step after the data's last sample."""
    import pandas as pd

    from detector.core.instants import parse_instant

    if args.at:
        at = parse_instant(args.at, what="--at", error_type=UsageError)
        if start is not None:
            check_within_data(at, start, end, config)
        return at
    if end is None:
        raise DataError("no usable series in the data directory (every signal failed or is absent; see above)", location=args.data)
    return end + pd.Timedelta(seconds=min(s.step for s in config.signals))


def check_within_data(at: pd.Timestamp, start: pd.Timestamp | None, end: pd.Timestamp | None, config: Config) -> None:
    """``--at`` must fall where the data can be judged: after its first sample, and before every
    series would have stopped reporting (the staleness limit after its last sample)."""
    from detector.core.instants import iso_utc
    from detector.policy.thresholds import DEFAULT_POLICY

    if start is None or end is None:
        return
    span = f"the data spans {iso_utc(start)} to {iso_utc(end)}"
    if at <= start:
        raise UsageError(f"--at {iso_utc(at)} is before the data: {span}")
    policy = DEFAULT_POLICY.staleness
    limit = max(policy.min_steps * max(s.step for s in config.signals), policy.stale_after)
    if (at - end).total_seconds() > limit:
        raise UsageError(
            f"--at {iso_utc(at)} is after the data: {span}, and every series stops being judged {limit / HOUR:g} h after its last sample"
        )


def resolve_workers(cli_value: int | None, config_value: int) -> int:
    import os

    value = config_value if cli_value is None else cli_value
    return value if value > 0 else (os.cpu_count() or 1)


def write_json(document: dict, target: str, env: Environment) -> None:
    text = json.dumps(document, indent=2)
    if target == "-":
        print(text, file=env.stdout)
        return
    try:
        Path(target).write_text(text + "\n", encoding="utf-8")
    except OSError as exc:
        raise SinkError(f"cannot write JSON output: {exc.strerror}", location=target) from None


def write_report(target: str, evaluation: Evaluation, config: Config, config_path: str, env: Environment) -> None:
    from detector.report.risk_file import write_and_confirm  # matplotlib only when a report is asked for

    try:
        write_and_confirm(target, evaluation, config, config_path, env.now, env.stderr)
    except OSError as exc:
        raise SinkError(f"cannot write the report: {exc.strerror or exc}", location=target) from None
