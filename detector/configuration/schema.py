"""Signal configuration: YAML (or JSON) in, validated immutable settings out.

Every mistake becomes one ``ConfigError`` naming the file, the line when known, the field path
and what was expected. Loading never touches anything but the given file.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, field_validator, model_validator

from detector.configuration.durations import format_duration, parse_duration
from detector.configuration.error_locations import describe
from detector.configuration.executor_settings import ExecutorSettings
from detector.configuration.live_settings import (
    AlertmanagerSettings,
    PrometheusSettings,
    PushgatewaySettings,
    ReadOnlyStrMap,
    ScheduleSettings,
    StoreSettings,
)
from detector.configuration.yaml_locations import load_yaml_file
from detector.core.frozen import FrozenMap
from detector.core.instants import DAY, HOUR
from detector.core.severity_names import SeverityName
from detector.errors import ConfigError
from detector.policy.thresholds import DEFAULT_POLICY


def _duration(value: Any) -> float:
    return parse_duration(value)


Duration = Annotated[float, BeforeValidator(_duration)]
"""Seconds; accepts '1h', '90d', '2w' or a positive number of seconds, at most 10y (``MAX_DURATION``)."""


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)  # NaN/Inf: an error, never a limit


class SignalCeiling(_Frozen):
    """A ceiling given by another signal: its series with identical labels (e.g. PVC capacity)."""

    signal: str


class LimitCeiling(_Frozen):
    """A ceiling read from Kubernetes objects (``--manifests`` or the cluster): for each series, the
    limit of kind ``limit`` whose target equals the series' ``match`` label; ``default`` (with a note)
    when none matches."""

    limit: Literal["webhook_timeout", "client_qps", "client_burst", "memory_limit", "pvc_request", "pvc_capacity", "volume_claim_template"]
    match: str | None = Field(default=None, description="series label compared with the limit's target (default by kind)")
    default: float | None = Field(default=None, description="ceiling when no limit matches")

    @property
    def match_label(self) -> str:
        if self.match:
            return self.match
        if self.limit.startswith("webhook"):
            return "name"
        if self.limit.startswith("pvc") or self.limit == "volume_claim_template":
            return "persistentvolumeclaim"
        return "container"


class KubernetesSettings(_Frozen):
    """Where the latent limits are read: a directory of manifests, and/or the cluster itself."""

    manifests: str | None = Field(default=None, description="directory of YAML/JSON manifests (a Git checkout, Helm output)")
    in_cluster: bool = Field(default=False, description="read the cluster with the pod's service account")
    kubeconfig: str | None = Field(default=None, description="read the cluster with this kubeconfig file")
    context: str | None = None
    namespaces: tuple[str, ...] = ()


class ModelSettings(_Frozen):
    """Per-signal model settings. Defaults are the ones every benchmark uses."""

    seasonality: Literal["auto", "none"] = "auto"
    min_regime: Duration = Field(default=14 * DAY, description="shortest regime a changepoint may create")
    penalty: float = Field(default=1.0, gt=0, description="multiplier on the changepoint penalty (higher: fewer)")
    confidence: float = Field(default=0.8, gt=0.5, lt=1.0, description="central mass of the ETA interval")
    drift_ratio: float = Field(
        default=DEFAULT_POLICY.drift.warning_ratio, gt=1.0, description="growth within drift_window that makes a drift a warning"
    )
    drift_window: Duration = Field(default=DEFAULT_POLICY.drift.window, description="window over which drift_ratio is measured")
    min_history: Duration = Field(default=21 * DAY, description="history needed before any finding")
    at_ceiling_hold: Duration = Field(
        default=DEFAULT_POLICY.saturation.hold, description="time within noise of the ceiling that makes at_ceiling"
    )
    stale_after: Duration = Field(
        default=DEFAULT_POLICY.staleness.stale_after, description="no sample for this long: stopped reporting, no risk finding"
    )
    shift_ratio: float = Field(
        default=DEFAULT_POLICY.shift.ratio, ge=2.0, description="held level over the highest held before that makes a regime_shift"
    )
    shift_hold: Duration = Field(default=DEFAULT_POLICY.shift.hold, description="how long the new level must be held for a regime_shift")


class SeverityPolicy(_Frozen):
    """When a forecast breach is critical or a warning."""

    critical_within: Duration = Field(default=14 * DAY, description="ETA closer than this is critical")
    max_severity: SeverityName = "critical"


class Signal(_Frozen):
    """One declared signal: a PromQL query (or an exported file of the same name) and its limit."""

    name: str
    query: str | None = None
    description: str = ""
    ceiling: float | SignalCeiling | LimitCeiling | None = None
    direction: Literal["up", "down"] = "up"
    horizon: Duration = 90 * DAY
    drivers: tuple[str, ...] = ()
    step: Duration = HOUR
    lookback: Duration = 180 * DAY
    censor_at: float | None = Field(default=None, description="top finite histogram bucket; values at or above it are lower bounds")
    severity: SeverityPolicy = SeverityPolicy()
    model: ModelSettings = ModelSettings()
    labels: ReadOnlyStrMap = Field(default_factory=FrozenMap, description="extra alert labels")
    annotations: ReadOnlyStrMap = Field(default_factory=FrozenMap, description="extra alert annotations, e.g. runbook_url")
    optional: bool = Field(default=False, description="no series is a note, not an error (a metric this cluster may not have)")

    @field_validator("name")
    @classmethod
    def _name_is_identifier(cls, value: str) -> str:
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", value):
            raise ValueError("expected a name of letters, digits and underscores, not starting with a digit")
        return value

    @model_validator(mode="after")
    def _windows_fit(self) -> Signal:
        """A step must fit in the lookback, and the lookback must hold ``model.min_history``."""
        if self.step > self.lookback:
            raise ValueError(f"lookback: expected at least one step ({format_duration(self.step)}), got {format_duration(self.lookback)}")
        if self.lookback < self.model.min_history:
            raise ValueError(
                f"lookback: expected at least model.min_history ({format_duration(self.model.min_history)}), "
                f"got {format_duration(self.lookback)}; no series could ever be judged"
            )
        return self

    @property
    def ceiling_signal(self) -> str | None:
        return self.ceiling.signal if isinstance(self.ceiling, SignalCeiling) else None

    @property
    def ceiling_limit(self) -> LimitCeiling | None:
        return self.ceiling if isinstance(self.ceiling, LimitCeiling) else None


class Config(_Frozen):
    """The whole configuration file."""

    signals: tuple[Signal, ...]
    labels: ReadOnlyStrMap = Field(default_factory=FrozenMap, description="alert labels added to every finding")
    annotations: ReadOnlyStrMap = Field(default_factory=FrozenMap)
    prometheus: PrometheusSettings | None = None
    alertmanager: AlertmanagerSettings | None = None
    pushgateway: PushgatewaySettings | None = None
    store: StoreSettings | None = None
    schedule: ScheduleSettings = ScheduleSettings()
    kubernetes: KubernetesSettings | None = None
    workers: int = Field(default=0, ge=0, description="processes for evaluation; 0 = one per core")
    executor: ExecutorSettings = ExecutorSettings()

    @model_validator(mode="after")
    def _references_resolve(self) -> Config:
        names = [s.name for s in self.signals]
        if not names:
            raise ValueError("expected at least one signal")
        seen: set[str] = set()
        for index, name in enumerate(names):
            if name in seen:
                raise ValueError(f"signals[{index}].name: duplicate signal name {name!r}")
            seen.add(name)
        for index, signal in enumerate(self.signals):
            ref = signal.ceiling_signal
            if ref is not None and ref not in seen:
                raise ValueError(f"signals[{index}].ceiling.signal: no signal named {ref!r}")
            if ref == signal.name:
                raise ValueError(f"signals[{index}].ceiling.signal: a signal cannot be its own ceiling")
            for pos, driver in enumerate(signal.drivers):
                if driver not in seen:
                    raise ValueError(f"signals[{index}].drivers[{pos}]: no signal named {driver!r}")
                if driver == signal.name:
                    raise ValueError(f"signals[{index}].drivers[{pos}]: a signal cannot drive itself")
        return self

    def signal(self, name: str) -> Signal:
        for signal in self.signals:
            if signal.name == name:
                return signal
        raise KeyError(name)


def load_config(path: str | Path) -> Config:
    """Read and validate a YAML or JSON config file; raise ``ConfigError`` on any problem."""
    path = Path(path)
    document, locate = load_yaml_file(path, ConfigError)
    if document is None:
        raise ConfigError("empty file; expected a mapping with a 'signals' list", location=str(path))
    if not isinstance(document, dict):
        raise ConfigError(f"expected a mapping at the top level, got {type(document).__name__}", location=str(path))
    try:
        return Config.model_validate(document)
    except ValidationError as exc:
        message, field_path = describe(exc)
        raise ConfigError(message, location=locate(field_path)) from None


PROMETHEUS_URL_ENV = "SLOWBURN_PROMETHEUS_URL"


def with_prometheus_url(config: Config, url: str, location: str = "prometheus.url") -> Config:
    """A copy of ``config`` whose ``prometheus.url`` is ``url`` (a ``prometheus`` block with the
    defaults when the config has none, every other setting kept); ``url`` is validated as in the
    file (``ConfigError`` at ``location``, the URL shown without its credentials)."""
    from detector.core.redact import strip_userinfo

    current = config.prometheus.model_dump(exclude={"url"}) if config.prometheus is not None else {}
    try:
        settings = PrometheusSettings.model_validate({**current, "url": url})
    except ValidationError as exc:
        reason = "; ".join(str(error["msg"]).removeprefix("Value error, ") for error in exc.errors())
        raise ConfigError(f"{reason}, got {strip_userinfo(url)!r}", location=location) from None
    return config.model_copy(update={"prometheus": settings})


def with_prometheus_override(config: Config, flag: str | None, environ: Mapping[str, str]) -> Config:
    """``config`` with ``prometheus.url`` from ``--prometheus``, else ``$SLOWBURN_PROMETHEUS_URL``,
    else unchanged, so the shipped catalog runs as is against any Prometheus."""
    url, where = (flag, "--prometheus") if flag else (environ.get(PROMETHEUS_URL_ENV), f"${PROMETHEUS_URL_ENV}")
    return with_prometheus_url(config, url, where) if url else config
