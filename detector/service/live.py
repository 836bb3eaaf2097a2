"""The live path: fetch from Prometheus, evaluate at now, deliver to the sinks.

``run_live`` is ``slowburn run`` without ``--data`` (its options come typed in ``LiveOptions``,
built by the command); ``run_once`` is one tick, shared with ``slowburn serve``. Neither prints:
the command prints ``outcome_lines`` of the ``RunOutcome`` they return. Exit status of a run, worst
first: STORE/SOURCE (nothing could be evaluated), SINK (findings could not be delivered;
undelivered alerts are kept for the next run), PARTIAL (some signals failed), OK.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from detector.configuration.schema import Config
from detector.core.coverage import SignalStatus
from detector.core.environment import Environment
from detector.core.evaluation import Evaluation
from detector.core.instants import HOUR, iso_utc
from detector.core.series import SeriesSet
from detector.core.series_batches import SeriesBatches
from detector.engine.evaluate import evaluate
from detector.engine.executor import local_executor
from detector.errors import (
    LIMITS_KEY,
    ConfigError,
    ExitStatus,
    SlowburnError,
    UsageError,
    WorkLost,
    status_for_failures,
)
from detector.service.schedule import check_live_config, resend_ttl, run_deadline
from detector.service.self_metrics import SelfMetrics
from detector.sinks.alertmanager import AlertmanagerSink
from detector.sinks.base import DeliveryReport, Sink
from detector.sinks.json_file import JsonFileSink
from detector.sinks.pushgateway import PushgatewaySink
from detector.sinks.stdout import StdoutSink
from detector.sources.base import Source
from detector.transport.http_client import build_session

if TYPE_CHECKING:
    from detector.core.severity_names import SeverityName
    from detector.engine.executor_choice import ExecutorChoice
    from detector.limits.load import KnownLimits
    from detector.limits.model import LimitSet

STATE_ENV = "SLOWBURN_STATE"
DEFAULT_STATE = "slowburn-alerts.json"
_RANK = {ExitStatus.OK: 0, ExitStatus.PARTIAL: 1, ExitStatus.SINK: 2, ExitStatus.SOURCE: 3, ExitStatus.STORE: 3}


@dataclass(frozen=True)
class RunOutcome:
    """One run: its exit status, the evaluation (empty, with errors, when fetching failed), what each sink did."""

    status: ExitStatus
    evaluation: Evaluation
    reports: tuple[DeliveryReport, ...]
    duration: float
    evaluated: bool  # at least one signal was evaluated
    run_error: SlowburnError | None = None  # what stopped the run before judging: the source or the executor failed as a whole


@dataclass(frozen=True)
class LiveOptions:
    """What ``slowburn run`` (live) was asked, checked and typed by the command."""

    config_path: str
    at: pd.Timestamp | None = None  # evaluation time; None: now
    json_out: str | None = None  # '-': stdout (the table goes to stderr)
    min_severity: SeverityName = "info"
    report: str | None = None
    dry_run: bool = False
    state: str | None = None  # alert state file; None: ``state_path_for``'s default
    workers: int = 1
    manifests: str | None = None
    executor: ExecutorChoice | None = None  # where the models run (``executor_choice.choose_executor``); None: locally


def run_live(config: Config, options: LiveOptions, env: Environment) -> RunOutcome:
    """``slowburn run`` against Prometheus: one evaluation at now (or ``options.at``), delivered once.
    ``config`` already carries any ``--prometheus`` override."""
    check_live_config(config, options.config_path)
    if options.at is not None:
        check_not_ahead(options.at, env.now(), config)
    sinks: list[Sink] = [StdoutSink(env.stderr if options.json_out == "-" else env.stdout, options.min_severity)]  # '--json -': JSON only
    if options.json_out:
        sinks.append(JsonFileSink(options.json_out, env.stdout))
    if options.report:
        from detector.sinks.report_file import ReportFileSink

        sinks.append(ReportFileSink(options.report, config, options.config_path, env.now, env.stderr))
    metrics = SelfMetrics()
    pusher = None
    if not options.dry_run:
        alertmanager = build_alertmanager(config, state_path_for(config, options.state, env.environ), env)
        if alertmanager is not None:
            sinks.append(alertmanager)
        pusher = build_pushgateway(config, metrics, env)
    return run_once(
        config,
        env,
        source=build_source(config, env),
        sinks=sinks,
        metrics=metrics,
        pusher=pusher,
        at=options.at,
        workers=options.workers,
        limits=live_limits(config, options.manifests),
        executor=options.executor,
    )


def dry_run_note(config: Config) -> str | None:
    """The line a dry run prints when the config names destinations it will not send to."""
    skipped = [name for name, on in (("Alertmanager", config.alertmanager), ("Pushgateway", config.pushgateway)) if on]
    return f"slowburn: dry run: nothing sent to {' or '.join(skipped)}" if skipped else None


def outcome_lines(outcome: RunOutcome) -> Iterator[str]:
    """What a run tells its operator on stderr: what stopped it, if anything, then one line per sink
    (its problem, or what it did: "sent 3 alert(s) to 2 of 2 Alertmanager(s)")."""
    if outcome.run_error is not None:
        yield f"slowburn: error: {outcome.run_error}"
    for report in outcome.reports:
        if report.problems or not report.ok:
            yield f"slowburn: {report}"
        elif report.done:
            yield f"slowburn: {report.done}"


def check_not_ahead(at: pd.Timestamp, now: pd.Timestamp, config: Config) -> None:
    """``--at`` past now by more than the staleness limit would judge every series stale (alerts resolve): refuse."""
    from detector.policy.thresholds import DEFAULT_POLICY

    limit = max(DEFAULT_POLICY.staleness.min_steps * max(s.step for s in config.signals), DEFAULT_POLICY.staleness.stale_after)
    if (at - now).total_seconds() > limit:
        raise UsageError(
            f"--at {iso_utc(at)} is more than {limit / HOUR:g} h after now ({iso_utc(now)}): Prometheus has no samples "
            "there yet and every series would look stopped"
        )


def live_limits(config: Config, manifests: str | None) -> KnownLimits | None:
    """The latent limits a live run reads (``--manifests`` and/or ``kubernetes:``), None when it asks for none."""
    if not manifests and config.kubernetes is None:
        return None
    from detector.limits.load import load_limits

    return load_limits(config, manifests)


def run_once(
    config: Config,
    env: Environment,
    *,
    source: Source,
    sinks: Sequence[Sink],
    metrics: SelfMetrics,
    pusher: PushgatewaySink | None = None,
    at: pd.Timestamp | None = None,
    workers: int = 1,
    pool: ProcessPoolExecutor | None = None,
    limits: KnownLimits | None = None,
    executor: ExecutorChoice | None = None,
    stream: bool = True,
) -> RunOutcome:
    """Fetch, evaluate, deliver, record own metrics (and push them). Never raises for a failed source
    or sink and never prints: what happened is in the ``RunOutcome`` (``outcome_lines`` words it).

    With a store (and ``stream``) the store is brought up to date and evaluated page by page
    (``live_batches``); without one (or ``stream=False``) every series is fetched into memory.
    Both give the same evaluation."""
    started = time.monotonic()
    at = env.now() if at is None else at
    statuses: list[ExitStatus] = []
    run_error: SlowburnError | None = None
    try:
        evaluation = _fetch_and_evaluate(config, source, at, limits, workers, pool, executor, stream)
    except SlowburnError as exc:  # the source or store failed, or the Dask scheduler could not be reached (exit 10)
        run_error = exc
        held: dict[str, Exception] = {s.name: exc for s in config.signals}
        if limits is not None and not isinstance(exc, WorkLost):
            held[LIMITS_KEY] = exc  # configuration findings need the series too: hold them
        failed = tuple(SignalStatus(s.name, "failed", str(exc), s.optional) for s in config.signals)  # never silent
        evaluation = Evaluation(at=at, findings=(), errors=held, coverage=failed)
    statuses.append(status_for_failures(evaluation.errors, len(config.signals)))
    reports = []
    for sink in sinks:
        try:
            report = sink.send(evaluation)
        except SlowburnError as exc:
            report = DeliveryReport(sink.name, ok=False, problems=(str(exc),))
            statuses.append(exc.exit_status)
        else:
            statuses.append(ExitStatus.OK if report.ok else ExitStatus.SINK)
        reports.append(report)
    evaluated = len(evaluation.errors) < len(config.signals)
    metrics.record(
        evaluation,
        [s.name for s in config.signals],
        duration=time.monotonic() - started,
        finished_at=env.now(),
        evaluated=evaluated,
        reports=reports,
    )
    if pusher is not None:
        report = pusher.push(replace_group=evaluated)
        statuses.append(ExitStatus.OK if report.ok else ExitStatus.SINK)
        reports.append(report)
    status = max(statuses, key=lambda s: _RANK.get(s, 4))
    return RunOutcome(
        status=status,
        evaluation=evaluation,
        reports=tuple(reports),
        duration=time.monotonic() - started,
        evaluated=evaluated,
        run_error=run_error,
    )


def _fetch_and_evaluate(
    config: Config,
    source: Source,
    at: pd.Timestamp,
    limits: KnownLimits | None,
    workers: int,
    pool: ProcessPoolExecutor | None,
    executor: ExecutorChoice | None,
    stream: bool,
) -> Evaluation:
    """With a store (and ``stream``): pull into it, then evaluate its pages; else fetch every series, then evaluate."""
    from detector.limits.ceilings import apply_limits
    from detector.limits.load import KnownLimits, with_configuration_findings
    from detector.sources.live_batches import pulled_batches, streams

    known = limits or KnownLimits()
    if stream and streams(source):
        batches = pulled_batches(source, config.signals, at)  # type: ignore[arg-type]  # streams() checked it
        return with_configuration_findings(_evaluate(config, batches, at, workers, pool, executor, known.ceilings), known, config)
    resolved, data = apply_limits(config, source.fetch(config.signals, end=at), known.ceilings)
    return with_configuration_findings(_evaluate(resolved, data, at, workers, pool, executor), known, config)


def _evaluate(
    config: Config,
    data: SeriesSet | SeriesBatches,
    at: pd.Timestamp,
    workers: int,
    pool: ProcessPoolExecutor | None,
    executor: ExecutorChoice | None,
    limits: LimitSet | None = None,
) -> Evaluation:
    local = local_executor(workers, pool)
    if executor is None:
        return evaluate(config, data, at, executor=local, limits=limits)
    with executor.open(local) as chosen:
        return evaluate(config, data, at, executor=chosen, limits=limits)


def build_source(config: Config, env: Environment) -> Source:
    """The Prometheus source, with the history store when ``store`` is configured."""
    from detector.sources.prometheus import PrometheusSource
    from detector.store.history import HistoryStore

    if config.prometheus is None:
        raise ConfigError("a live run needs 'prometheus: {url: ...}' in the config (or pass --data DIR)", location="prometheus")
    store = HistoryStore(config.store.path, config.store.retention) if config.store is not None else None
    session = build_session(config.prometheus, section="prometheus", environ=env.environ)
    return PrometheusSource(config.prometheus, store=store, session=session, clock=env.now, run_deadline=run_deadline(config))


def build_alertmanager(config: Config, state_path: Path, env: Environment) -> AlertmanagerSink | None:
    if config.alertmanager is None:
        return None
    session = build_session(config.alertmanager, section="alertmanager", environ=env.environ)
    return AlertmanagerSink(config, config.alertmanager, state_path, session, env.now, resend_ttl(config.schedule.cron))


def build_pushgateway(config: Config, metrics: SelfMetrics, env: Environment) -> PushgatewaySink | None:
    if config.pushgateway is None:
        return None
    session = build_session(config.pushgateway, section="pushgateway", environ=env.environ)
    return PushgatewaySink(config.pushgateway, metrics.registry, session)


def state_path_for(config: Config, explicit: str | None, environ: Mapping[str, str]) -> Path:
    """``--state``, else ``$SLOWBURN_STATE``, else ``<store path>.alerts.json``, else ``./slowburn-alerts.json``."""
    if explicit:
        return Path(explicit)
    if environ.get(STATE_ENV):
        return Path(environ[STATE_ENV])
    if config.store is not None:
        store = Path(config.store.path)
        return store.with_name(store.name + ".alerts.json")
    return Path(DEFAULT_STATE)
