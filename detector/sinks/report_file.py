"""The risk report as a sink (``slowburn run --report OUT.html`` live): one HTML file per evaluation,
replaced atomically, so a web server or a CronJob's volume always serves a whole page."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TextIO

import pandas as pd

from detector.evaluation import Evaluation
from detector.sinks.base import DeliveryReport


class ReportFileSink:
    """Write the risk report of each evaluation to ``target``; a write failure is a report, not a raise."""

    name = "report"

    def __init__(self, target: str, config: Any, config_path: str, now: Callable[[], pd.Timestamp], stderr: TextIO) -> None:
        self.target = target
        self.config = config
        self.config_path = config_path
        self.now = now
        self.stderr = stderr

    def send(self, evaluation: Evaluation) -> DeliveryReport:
        from detector.report.risk_file import write_and_confirm  # matplotlib only when a report is asked for

        try:
            count = write_and_confirm(self.target, evaluation, self.config, self.config_path, self.now, self.stderr)
        except OSError as exc:
            return DeliveryReport(self.name, ok=False, problems=(f"cannot write {self.target}: {exc.strerror or exc}",))
        return DeliveryReport(self.name, ok=True, delivered=count)
