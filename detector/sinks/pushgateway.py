"""Push slowburn's own metrics to a Pushgateway at the end of a one-shot run.

A run that evaluated something replaces the whole group (PUT), so series that disappeared
disappear there too. A run that evaluated nothing adds only its run-level families (POST), so the
last known risk and ``slowburn_last_success_timestamp_seconds`` stay as they were and a staleness
alert (``time() - slowburn_last_success_timestamp_seconds > 3h``) can fire.

Not a ``Sink`` (``send(evaluation)``), on purpose: what it delivers is the own-metrics registry,
not the evaluation, and that registry records every other sink's delivery report, so the push
must come after them and after ``SelfMetrics.record``; whether to replace the group depends on the
run (anything evaluated?), which an evaluation alone does not say. ``live.run_once`` calls
``push`` last and counts a failed push as ``SINK`` like any sink.
"""

from __future__ import annotations

from collections.abc import Callable

import requests
from prometheus_client import CollectorRegistry, push_to_gateway, pushadd_to_gateway

from detector.configuration.live_settings import PushgatewaySettings
from detector.sinks.base import DeliveryReport
from detector.sinks.bounded_request import DeadlinePassed, send_within
from detector.transport.http_client import redacted


class _Refused(Exception):
    def __init__(self, status: int, body: str) -> None:
        super().__init__(f"HTTP {status}: {body.strip()[:300]}")


def session_handler(session: requests.Session, deadline: float = 60.0) -> Callable[..., Callable[[], None]]:
    """A prometheus_client push handler that sends through ``session`` (its auth, headers, TLS),
    each request bounded in all by ``deadline`` seconds."""

    def handler(url: str, method: str, timeout: float | None, headers: list[tuple[str, str]], data: bytes) -> Callable[[], None]:
        def send() -> None:
            response = send_within(
                session,
                method,
                url,
                data=data,
                headers=dict(headers),
                timeout=timeout or deadline,
                deadline=deadline,
                setting="pushgateway.deadline",
            )
            if response.status_code >= 400:
                raise _Refused(response.status_code, response.text)

        return send

    return handler


class PushgatewaySink:
    """Push ``registry`` under ``job`` and ``grouping_key`` from the settings."""

    name = "pushgateway"

    def __init__(self, settings: PushgatewaySettings, registry: CollectorRegistry, session: requests.Session) -> None:
        self.settings = settings
        self.registry = registry
        self.session = session

    def push(self, *, replace_group: bool) -> DeliveryReport:
        push = push_to_gateway if replace_group else pushadd_to_gateway
        try:
            push(
                self.settings.url,
                job=self.settings.job,
                registry=self.registry,
                grouping_key=dict(self.settings.grouping_key),
                timeout=self.settings.timeout,
                handler=session_handler(self.session, self.settings.deadline),
            )
        except (requests.RequestException, _Refused) as exc:
            where = redacted(self.settings, self.settings.url)
            reason = str(exc) if isinstance(exc, (_Refused, DeadlinePassed)) else f"unreachable ({type(exc).__name__})"
            return DeliveryReport(self.name, ok=False, problems=(f"{where}: {reason}",))
        families = sum(1 for _ in self.registry.collect())
        return DeliveryReport(self.name, ok=True, delivered=families)
