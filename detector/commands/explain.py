"""`slowburn explain`: every gate one series passed or failed at one time, and the verdict, in words.

The same evaluation as ``run`` (the same policy, the same ceiling and driver series), restricted
to the series' signal, its ceiling signal and its drivers, so the answer is what ``run`` decides.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from detector.commands import cli_values
from detector.commands.run import write_json
from detector.configuration import preflight
from detector.configuration.schema import Config, load_config
from detector.core.environment import Environment
from detector.errors import ConfigError, DataError, ExitStatus, UsageError

if TYPE_CHECKING:  # pandas and the models are imported where used, so --help and config errors are instant
    from detector.core.evaluation import Evaluation
    from detector.core.series import SeriesKey

HELP = "explain the decision on one series: every gate with its evidence and threshold, and the verdict"
_SELECTOR = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:\{(.*)\})?\s*$")
_UNESCAPE = {"n": "\n", "r": "\r", "t": "\t"}
_MATCHER = re.compile(r'\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*(?:,|$)')


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", required=True, help="YAML or JSON config file")
    parser.add_argument("--data", help="directory of exported metrics; omit to query Prometheus (live)")
    parser.add_argument("--series", required=True, help="the series, as in the findings: 'signal{label=\"value\",...}'")
    parser.add_argument(
        "--at", type=cli_values.instant, help="evaluation time (RFC 3339 or unix seconds); default: end of the data, or now"
    )
    parser.add_argument("--json", dest="json_out", help="also write the explanation as JSON to this file ('-' for stdout only)")
    parser.add_argument("--manifests", help="directory of Kubernetes manifests (limits as ceilings, as in run)")
    parser.add_argument(
        "--prometheus",
        metavar="URL",
        help="Prometheus API root, overriding prometheus.url (default: $SLOWBURN_PROMETHEUS_URL, else the config)",
    )


def parse_selector(text: str) -> SeriesKey:
    """``name{a="x",b="y"}`` (exact label values, PromQL string escapes) -> SeriesKey."""
    from detector.core.series import SeriesKey, labels_of  # pandas: only once the selector is known to be good

    name, labels = selector_parts(text)
    return SeriesKey(name, labels_of(labels))


def selector_parts(text: str) -> tuple[str, dict[str, str]]:
    """The signal name and the labels of a selector, with the standard library only."""
    match = _SELECTOR.match(text)
    if not match:
        raise UsageError(f"--series: expected 'signal{{label=\"value\",...}}', got {text!r}")
    name, inner = match.group(1), (match.group(2) or "").strip()
    labels: dict[str, str] = {}
    position = 0
    while position < len(inner):
        pair = _MATCHER.match(inner, position)
        if not pair:
            raise UsageError(f'--series: cannot read the labels at {inner[position:]!r}; expected label="value"')
        labels[pair.group(1)] = re.sub(r"\\(.)", lambda m: _UNESCAPE.get(m.group(1), m.group(1)), pair.group(2))
        position = pair.end()
    return name, labels


def execute(args: argparse.Namespace, env: Environment) -> ExitStatus:
    config = load_config(args.config)
    name, _ = selector_parts(args.series)
    try:
        signal = config.signal(name)
    except KeyError:
        raise UsageError(
            f"--series: no signal named {name!r} in {args.config}; expected one of {', '.join(s.name for s in config.signals)}"
        ) from None
    if args.data is None:
        from detector.configuration.schema import with_prometheus_override

        preflight.require_prometheus(with_prometheus_override(config, args.prometheus, env.environ), args.config)
    else:
        preflight.require_data_directory(args.data)
    preflight.require_manifests(config, args.manifests)
    key = parse_selector(args.series)  # pandas from here on
    related = {key.signal, *signal.drivers} | ({signal.ceiling_signal} if signal.ceiling_signal else set())
    subset = config.model_copy(update={"signals": tuple(s for s in config.signals if s.name in related)})
    evaluation = _evaluate(subset, args, env)
    document = explanation(evaluation, key)
    if args.json_out != "-":
        print(render(document), file=env.stdout)
    if args.json_out:
        write_json(document, args.json_out, env)
    return ExitStatus.OK if document["judged"] else ExitStatus.DATA


def _evaluate(config: Config, args: argparse.Namespace, env: Environment) -> Evaluation:
    import pandas as pd

    from detector.core.instants import parse_instant
    from detector.engine.evaluate import evaluate

    at = parse_instant(args.at, what="--at", error_type=ConfigError) if args.at else None
    if args.data is None:
        from detector.configuration.schema import with_prometheus_override
        from detector.service.live import build_source
        from detector.service.schedule import check_live_config

        config = with_prometheus_override(config, args.prometheus, env.environ)
        check_live_config(config, args.config)
        at = env.now() if at is None else at
        data = build_source(config, env).fetch(config.signals, end=at)
    else:
        from detector.sources.export import ExportSource

        data = ExportSource(Path(args.data), now=env.now()).fetch(config.signals)
        if at is None:
            if data.end is None:
                raise DataError(
                    f"no usable series for {', '.join(s.name for s in config.signals)} in the data directory", location=args.data
                )
            at = data.end + pd.Timedelta(seconds=min(s.step for s in config.signals))
    from detector.limits.ceilings import apply_limits
    from detector.limits.load import load_limits

    resolved, data = apply_limits(config, data, load_limits(config, args.manifests).ceilings)
    return evaluate(resolved, data, at)


def explanation(evaluation: Evaluation, key: SeriesKey) -> dict[str, Any]:
    """What was decided on ``key`` and why, as a JSON-ready document."""
    from detector.core.instants import iso_utc

    verdict = evaluation.verdicts.get(key)
    text = str(key)
    notes = [n.message for n in evaluation.notes if n.message.startswith(text)]
    error = evaluation.errors.get(key.signal)
    findings = [f.to_dict() for f in evaluation.findings if f.key == key]
    if verdict is None:
        if error is not None:
            reason = f"not judged: the signal failed: {error}"
        elif notes:
            reason = f"not judged: {notes[0].removeprefix(text + ': ')}"
        else:
            known = sorted(str(k) for k in evaluation.verdicts if k.signal == key.signal)[:5]
            reason = "not judged: no such series at this time, or younger than min_history" + (
                f"; series of {key.signal}: {', '.join(known)}" if known else ""
            )
    else:
        reason = verdict.reason
    return {
        "series": text,
        "evaluated_at": iso_utc(evaluation.at),
        "judged": verdict is not None and not verdict.reason.startswith("not judged"),
        "verdict": reason,
        "gates": [g.to_dict() | {"words": g.words()} for g in verdict.gates] if verdict else [],
        "eta_days": verdict.eta_days if verdict else None,
        "findings": findings,
        "notes": notes,
    }


def render(document: dict[str, Any]) -> str:
    lines = [f"{document['series']} at {document['evaluated_at']}"]
    for g in document["gates"]:
        lines.append(f"  {'pass' if g['passed'] else 'FAIL'}  {g['words']}")
    lines.append(f"verdict: {document['verdict']}")
    for f in document["findings"]:
        lines.append(f"finding: {f['severity']} {f['kind']}: {f['summary']}")
    for note in document["notes"]:
        lines.append(f"note: {note}")
    return "\n".join(lines)
