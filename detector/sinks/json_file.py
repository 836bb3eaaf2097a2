"""The evaluation as JSON (``--json OUT``): a file written atomically, or stdout for '-'."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TextIO

from detector.atomic_file import write_atomic
from detector.evaluation import Evaluation
from detector.render import evaluation_to_json
from detector.sinks.base import DeliveryReport


class JsonFileSink:
    """Write ``evaluation_to_json`` to ``target`` ('-' means ``stdout``)."""

    name = "json"

    def __init__(self, target: str, stdout: TextIO) -> None:
        self.target = target
        self.stdout = stdout

    def send(self, evaluation: Evaluation) -> DeliveryReport:
        text = json.dumps(evaluation_to_json(evaluation), indent=2)
        count = len(evaluation.findings)
        if self.target == "-":
            print(text, file=self.stdout, flush=True)
            return DeliveryReport(self.name, ok=True, delivered=count)
        try:
            write_atomic(Path(self.target), text + "\n")
        except OSError as exc:
            return DeliveryReport(self.name, ok=False, problems=(f"cannot write {self.target}: {exc.strerror or exc}",))
        return DeliveryReport(self.name, ok=True, delivered=count, done=f"wrote {self.target} ({count} finding(s))")
