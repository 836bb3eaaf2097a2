"""The terminal table: always on, one line per finding."""

from __future__ import annotations

from typing import TextIO

from detector.evaluation import Evaluation
from detector.findings import Severity
from detector.render import render_table
from detector.sinks.base import DeliveryReport


class StdoutSink:
    """Print ``render_table`` to ``stream``; ``min_severity`` filters the table, not the summary line."""

    name = "stdout"

    def __init__(self, stream: TextIO, min_severity: Severity | str = Severity.INFO) -> None:
        self.stream = stream
        self.min_severity = min_severity

    def send(self, evaluation: Evaluation) -> DeliveryReport:
        print(render_table(evaluation, min_severity=self.min_severity), file=self.stream, flush=True)
        return DeliveryReport(self.name, ok=True, delivered=len(evaluation.at_least(self.min_severity)))
