"""Alertmanager sink (API v2): post every active finding each run, resolve what is gone, and keep
what could not be delivered in an outbox that the next run sends first.

With several URLs (an HA pair) every URL gets every alert and its own outbox; the delivery counts
as done when at least one URL accepted it. An unreachable or failing URL (connection error,
timeout, no complete answer within ``deadline``, 5xx, 401/403/404, 429) keeps its batch; a batch Alertmanager rejects as invalid (400,
422) is not retried, since it would be rejected again, and is reported.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import requests

from detector.configuration.live_settings import AlertmanagerSettings
from detector.configuration.schema import Config
from detector.core.evaluation import Evaluation
from detector.core.redact import strip_userinfo
from detector.sinks.alert_hold import holds
from detector.sinks.alert_payload import build_alert
from detector.sinks.alert_state import Alert, AlertState, merge_outbox, reconcile, recover_state, save_state
from detector.sinks.base import DeliveryReport
from detector.sinks.bounded_request import DeadlinePassed, send_within
from detector.transport.http_client import redacted

BATCH = 500
"""Alerts per POST; Alertmanager has no hard limit, this keeps one request body small."""
_REJECTED = {400, 422}


class AlertmanagerSink:
    """Deliver findings of ``settings.min_severity`` or worse to every configured Alertmanager.

    Parameters
    ----------
    config : the whole config (labels, annotations, the signals' queries for generatorURL).
    state_path : the alert state file (read and rewritten on every ``send``).
    session : a ``requests.Session`` with auth and TLS applied (``detector.transport.http_client.build_session``).
    clock : returns "now" (UTC); used for startsAt/endsAt, never the evaluation time.
    ttl_seconds : endsAt of a firing alert is now + this (3 schedule intervals, at least 1 h).
    """

    name = "alertmanager"

    def __init__(
        self,
        config: Config,
        settings: AlertmanagerSettings,
        state_path: Path,
        session: requests.Session,
        clock: Callable[[], pd.Timestamp],
        ttl_seconds: float,
    ) -> None:
        self.config = config
        self.settings = settings
        self.state_path = state_path
        self.session = session
        self.clock = clock
        self.ttl_seconds = ttl_seconds

    def send(self, evaluation: Evaluation) -> DeliveryReport:
        now = self.clock()
        state, recovered = recover_state(self.state_path, now)
        base = self.settings.generator_url or (self.config.prometheus.url if self.config.prometheus else None)
        base = strip_userinfo(base) if base else base  # a password in prometheus.url must not reach receivers
        saved = {strip_userinfo(url): alerts for url, alerts in state.outbox.items()}  # the state file keys URLs without userinfo
        drafts = [build_alert(f, self.config, base) for f in evaluation.at_least(self.settings.min_severity)]
        problems = [note for draft in drafts for note in draft.notes]
        if recovered is not None:
            problems.insert(0, recovered)
        active, posts, held = reconcile(state, drafts, holds(self.config, evaluation.errors), now, self.ttl_seconds)
        problems.extend(str(note) for note in held)
        outbox: dict[str, list[Alert]] = {}
        accepted = 0
        configured = {strip_userinfo(url) for url in self.settings.url}
        for url, alerts in saved.items():
            if url not in configured and alerts:
                problems.append(f"dropped {len(alerts)} undelivered alert(s) for {url}: no longer configured")
        for url in self.settings.url:
            batch = merge_outbox(saved.get(strip_userinfo(url), []), posts)
            failure, keep = self._post(url, batch)
            if failure is None:
                accepted += 1
            else:
                problems.append(failure)
            if keep:
                outbox[strip_userinfo(url)] = batch
        save_state(self.state_path, AlertState(active=active, outbox=outbox))
        pending = max((len(alerts) for alerts in outbox.values()), default=0)
        delivered = len(posts) if accepted else 0
        done = f"sent {delivered} alert(s) to {accepted} of {len(self.settings.url)} Alertmanager(s)"
        return DeliveryReport(self.name, ok=accepted > 0, delivered=delivered, pending=pending, problems=tuple(problems), done=done)

    def _post(self, url: str, batch: list[Alert]) -> tuple[str | None, bool]:
        """(problem or None, keep the batch for the next run)."""
        where = redacted(self.settings, url)
        for start in range(0, len(batch), BATCH):  # nothing to send: nothing to fail
            chunk = batch[start : start + BATCH]
            try:
                response = send_within(
                    self.session,
                    "POST",
                    f"{url}/api/v2/alerts",
                    json=chunk,
                    timeout=self.settings.timeout,
                    deadline=self.settings.deadline,
                    setting="alertmanager.deadline",
                )
            except DeadlinePassed as exc:
                return f"{where}: {exc}; kept {len(batch)} alert(s) for the next run", True
            except requests.RequestException as exc:
                return f"{where}: unreachable ({type(exc).__name__}); kept {len(batch)} alert(s) for the next run", True
            if response.status_code in _REJECTED:
                return f"{where}: rejected the alerts (HTTP {response.status_code}: {response.text.strip()[:300]})", False
            if not response.ok:
                return f"{where}: HTTP {response.status_code}; kept {len(batch)} alert(s) for the next run", True
        return None, False
