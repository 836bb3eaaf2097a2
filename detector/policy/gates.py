"""The decision trace: gates (evidence compared with a threshold) and the verdict on one series."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

FLAG = "yes=1"
OPS = {">": lambda v, t: v > t, ">=": lambda v, t: v >= t, "<": lambda v, t: v < t, "<=": lambda v, t: v <= t}


@dataclass(frozen=True)
class Gate:
    """One comparison of evidence with a policy threshold. ``value``/``threshold`` are numbers in
    ``unit``; ``passed`` means the comparison ``value op threshold`` holds; ``context`` says why this
    threshold applies ("the regime is 9 days old")."""

    name: str
    value: float
    op: str
    threshold: float
    unit: str = ""
    context: str = ""

    @property
    def passed(self) -> bool:
        if isinstance(self.value, float) and math.isnan(self.value):
            return False
        return bool(OPS[self.op](self.value, self.threshold))

    def words(self) -> str:
        verdict = "passed" if self.passed else "failed"
        context = f" ({self.context})" if self.context else ""
        if self.unit == FLAG:
            return f"{self.name}: {'yes' if self.passed else 'no'}{context}: {verdict}"
        unit = f" {self.unit}" if self.unit else ""
        return f"{self.name}: {_num(self.value)}{unit}, needs {self.op} {_num(self.threshold)}{unit}{context}: {verdict}"

    def short(self) -> str:
        """'name 3.1 sigma, needs > 5.7' (no context)."""
        if self.unit == FLAG:
            return f"{self.name}: {'yes' if self.passed else 'no'}"
        unit = f" {self.unit}" if self.unit else ""
        return f"{self.name} {_num(self.value)}{unit}, needs {self.op} {_num(self.threshold)}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "value": _json(self.value),
            "op": self.op,
            "threshold": _json(self.threshold),
            "unit": self.unit,
            "passed": self.passed,
            "context": self.context,
        }


def gate(name: str, value: float | None, op: str, threshold: float, unit: str = "", context: str = "") -> Gate:
    return Gate(name, float("nan") if value is None else float(value), op, float(threshold), unit, context)


def flag(name: str, holds: bool, context: str = "") -> Gate:
    """A yes/no condition as a gate (value 1 for yes, needs >= 1)."""
    return Gate(name, 1.0 if holds else 0.0, ">=", 1.0, FLAG, context)


def all_passed(gates: tuple[Gate, ...] | list[Gate]) -> bool:
    return all(g.passed for g in gates)


def _num(value: float) -> str:
    if math.isnan(value):
        return "n/a"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return f"{value:.3g}"


def _json(value: float) -> float | str | None:
    if math.isnan(value):
        return None
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return float(f"{value:.6g}")


@dataclass(frozen=True)
class Verdict:
    """Every gate evaluated on one series and the decisions they led to, in words."""

    gates: tuple[Gate, ...]
    flagged: tuple[str, ...]  # kinds of the findings made
    reason: str  # one line: "not flagged: ..." or "breach_forecast: ..."
    eta_days: float | None = None  # median days to the ceiling when judged worsening (0 at it), else None

    def to_dict(self) -> dict[str, Any]:
        return {"flagged": list(self.flagged), "reason": self.reason, "eta_days": self.eta_days, "gates": [g.to_dict() for g in self.gates]}
