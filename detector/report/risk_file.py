"""Write the risk report of one evaluation to a file and say so in one line (shared by the offline
``run --data`` path and the live ``ReportFileSink``)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

import pandas as pd

from detector import __version__
from detector.core.evaluation import Evaluation
from detector.report.page import SignalFacts, write_risk_report
from detector.report.shell import PageFacts

TITLE = "slowburn risk report"


def write_and_confirm(
    target: str,
    evaluation: Evaluation,
    config: Any,
    config_path: str,
    now: Callable[[], pd.Timestamp],
    stderr: TextIO,
) -> int:
    """Write ``target``; print 'slowburn: wrote TARGET (N series at risk)' on ``stderr``; return N.

    Raises ``OSError`` as is (each caller maps it to its own error)."""
    facts = PageFacts(TITLE, now(), evaluation.at, __version__, config_path)
    count = write_risk_report(Path(target), evaluation, facts, SignalFacts.of(config))
    print(f"slowburn: wrote {target} ({count} series at risk)", file=stderr, flush=True)
    return count
