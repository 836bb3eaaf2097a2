"""The sink contract: an evaluation goes in, a delivery report comes out.

A sink never raises for a delivery failure it can describe (an unreachable Alertmanager, a
refused push): it returns a ``DeliveryReport`` with ``ok=False`` and keeps what it could not
deliver for the next run when that makes sense. Configuration problems still raise.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from detector.core.evaluation import Evaluation


@dataclass(frozen=True)
class DeliveryReport:
    """What one sink did with one evaluation.

    ``delivered``: items accepted (alerts, metric families, lines); ``pending``: items kept for
    the next run; ``problems``: one line each, safe to print (no secrets).
    """

    sink: str
    ok: bool
    delivered: int = 0
    pending: int = 0
    problems: tuple[str, ...] = ()
    done: str = ""  # what it did, in words, for the confirming line ("wrote out.json")

    def __str__(self) -> str:
        head = f"{self.sink}: {'delivered' if self.ok else 'NOT delivered'} {self.delivered}"
        if self.pending:
            head += f", {self.pending} pending for the next run"
        return "; ".join((head, *self.problems))


class Sink(Protocol):
    """Anything that takes an evaluation somewhere."""

    name: str

    def send(self, evaluation: Evaluation) -> DeliveryReport: ...
