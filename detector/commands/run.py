"""`slowburn run`: one evaluation, on exported data (--data) or live from Prometheus."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pandas as pd

from detector import cli_values
from detector.config import load_config
from detector.environment import Environment
from detector.errors import ConfigError, ExitStatus, SinkError, SlowburnError
from detector.evaluate import evaluate
from detector.render import evaluation_to_json, render_table
from detector.limits.ceilings import apply_limits
from detector.limits.load import load_limits, with_configuration_findings
from detector.sources.export import ExportSource
from detector.timeparse import parse_instant

HELP = "evaluate every signal once (exported data with --data, else live from Prometheus)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", required=True, help="YAML or JSON config file")
    parser.add_argument("--data", help="directory of exported metrics (NAME.json / NAME.csv); omit to query Prometheus")
    parser.add_argument("--at", type=cli_values.instant, help="evaluation time (RFC 3339 or unix seconds); default: end of the data, or now")
    parser.add_argument("--json", dest="json_out", help="also write the findings as JSON to this file ('-' for stdout)")
    parser.add_argument("--min-severity", default="info", choices=["info", "warning", "critical"], help="lowest severity shown in the table")
    parser.add_argument("--workers", type=cli_values.workers, default=None, help="processes for the models (default: config 'workers', 0 = all cores)")
    parser.add_argument("--dry-run", action="store_true", help="evaluate but send nothing to Alertmanager or the Pushgateway")
    parser.add_argument("--state", help="alert state file (live mode; default next to the history store)")
    parser.add_argument("--manifests", help="directory of Kubernetes manifests: limits as ceilings and configuration findings")


def execute(args: argparse.Namespace, env: Environment) -> ExitStatus:
    config = load_config(args.config)
    if args.data is None:
        from detector.live import run_live   # the live path pulls in HTTP clients only when used

        return run_live(config, args, env)
    known = load_limits(config, args.manifests)
    resolved, data = apply_limits(config, ExportSource(Path(args.data), now=env.now()).fetch(config.signals), known.ceilings)
    at = parse_instant(args.at, what="--at", error_type=ConfigError) if args.at else data.end
    if at is None:
        raise SlowburnError("no usable series in the data directory")
    if not args.at:
        at = at + pd.Timedelta(seconds=min(s.step for s in config.signals))
    evaluation = evaluate(resolved, data, at, workers=resolve_workers(args.workers, config.workers))
    evaluation = with_configuration_findings(evaluation, known, config)
    print(render_table(evaluation, min_severity=args.min_severity), file=env.stdout)
    if args.json_out:
        write_json(evaluation_to_json(evaluation), args.json_out, env)
    return exit_status_for(evaluation.errors, len(config.signals))


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


def exit_status_for(errors: dict, signal_count: int) -> ExitStatus:
    if not errors:
        return ExitStatus.OK
    if "kubernetes" in errors and len(errors) == 1:
        return ExitStatus.PARTIAL                      # the limits could not be read; every signal ran
    errors = {name: err for name, err in errors.items() if name != "kubernetes"}
    if len(errors) >= signal_count:
        first = next(iter(errors.values()))
        return first.exit_status if isinstance(first, SlowburnError) else ExitStatus.DATA
    return ExitStatus.PARTIAL
