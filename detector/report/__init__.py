"""HTML reports: the risk report of one evaluation (``run --report``) and the backtest report.

Modules: ``ranking`` (what is at risk, in which order), ``axis_units`` and ``plot`` (one figure per
series), ``cells`` and ``shell`` (HTML pieces), ``page`` (the risk page), ``backtest_page``.
Importing this package does not import matplotlib; ``write_report`` (the backtest report) does.
"""

from __future__ import annotations

from typing import Any


def __getattr__(name: str) -> Any:
    if name == "write_report":
        from detector.report.backtest_page import write_report

        return write_report
    raise AttributeError(name)
