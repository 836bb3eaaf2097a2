"""Settings of the live path: Prometheus, Alertmanager, Pushgateway, history store, schedule.

Secrets come only from files or environment variables (``*_file``, ``*_env``); the values are
read when a client is built, never stored in these objects and never logged.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer, field_validator

from detector.configuration.durations import parse_duration
from detector.core.frozen import FrozenMap
from detector.core.instants import DAY
from detector.core.severity_names import SeverityName

Duration = Annotated[float, BeforeValidator(lambda value: parse_duration(value))]
ReadOnlyStrMap = Annotated[
    Mapping[str, str],
    AfterValidator(lambda value: FrozenMap(value)),
    PlainSerializer(lambda value: dict(value), return_type=dict[str, str]),
]
"""A str -> str map (labels, annotations, headers, a grouping key) that cannot be changed after validation."""


DEFAULT_MAX_SAMPLES_PER_QUERY = 1_000_000
"""Samples one answer of a long pull may hold unless ``prometheus.max_samples_per_query`` says otherwise.

Why a million: an answer is decoded at about 70 bytes a sample (body, text and numpy arrays), and
``concurrency`` (4) answers are in flight, so about 300 MB at most, whatever the fleet (measured: a
first pull of 10,000 series x 180 d peaked at 475 MiB with it, 1,287 MiB without). It is 50 times
under Prometheus' own ``--query.max-samples`` (50,000,000; an answer over it fails the query), so a
server with a lower limit still answers, and queries stay short (``query_deadline``). The cost is
requests: one per million samples (43 for 10,000 series x 180 d hourly, plus one ``count`` per signal);
a query of fewer than 231 series over 180 d hourly (4,320 points) is not split at all.
"""


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class BasicAuth(_Frozen):
    username: str
    password_file: str | None = None
    password_env: str | None = None


class HttpClientSettings(_Frozen):
    """Connection options shared by every HTTP endpoint."""

    headers: ReadOnlyStrMap = Field(default_factory=FrozenMap)
    bearer_token_file: str | None = None
    bearer_token_env: str | None = None
    basic_auth: BasicAuth | None = None
    ca_file: str | None = None
    insecure_skip_verify: bool = False
    timeout: Duration = 30.0


class PrometheusSettings(HttpClientSettings):
    url: str
    max_points_per_query: int = Field(default=11000, ge=2)
    max_range_per_query: Duration | None = Field(default=None, description="e.g. Mimir's 32-day cap")
    max_samples_per_query: int | None = Field(
        default=DEFAULT_MAX_SAMPLES_PER_QUERY,
        ge=1,
        description="samples one answer may hold: long pulls count the series first and cut chunks to fit (bounds memory); "
        "null: no cap (one answer per chunk of max_points_per_query points, however many series)",
    )
    concurrency: int = Field(default=4, ge=1, le=64)
    retries: int = Field(default=3, ge=0, le=10)
    query_deadline: Duration = Field(
        default=120.0, gt=0, description="seconds one query may take in all (retries included); 'timeout' is between bytes only"
    )

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("expected an http:// or https:// URL")
        return value.rstrip("/")


class AlertmanagerSettings(HttpClientSettings):
    url: tuple[str, ...]
    min_severity: SeverityName = "warning"
    generator_url: str | None = Field(default=None, description="Prometheus UI base for generatorURL; default: prometheus.url")
    deadline: Duration = Field(default=60.0, gt=0, description="seconds one request may take in all; 'timeout' is between bytes only")

    @field_validator("url", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        values = [value] if isinstance(value, str) else value
        if isinstance(values, (list, tuple)):
            for item in values:
                if not isinstance(item, str) or not item.startswith(("http://", "https://")):
                    raise ValueError("expected an http:// or https:// URL or a list of them")
            if not values:
                raise ValueError("expected at least one URL")
            return tuple(v.rstrip("/") for v in values)
        return value


class PushgatewaySettings(HttpClientSettings):
    url: str
    job: str = "slowburn"
    grouping_key: ReadOnlyStrMap = Field(default_factory=FrozenMap)
    deadline: Duration = Field(default=60.0, gt=0, description="seconds one request may take in all; 'timeout' is between bytes only")


class StoreSettings(_Frozen):
    path: str
    retention: Duration = 400 * DAY


class ScheduleSettings(_Frozen):
    cron: str = "0 * * * *"
    misfire_grace_time: Duration = 600.0
    listen: str = "0.0.0.0:9464"
    run_deadline: Duration | None = Field(
        default=None,
        gt=0,
        description="seconds a run may wait for Prometheus; the signals not in by then fail and the run goes on with the rest "
        "(default: 15 min, at most half the schedule interval; must be shorter than the interval)",
    )
    unhealthy_after: float = Field(
        default=3.0,
        ge=1.0,
        le=1000.0,
        description="serve's /healthz and /livez answer 503 when no run succeeded for this many schedule intervals",
    )
