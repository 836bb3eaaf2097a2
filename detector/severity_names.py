"""The severity names as plain strings, for the places that answer before pandas is imported
(the config schema, the command line's choices).

``detector.findings.Severity`` is the enum the findings carry; it has exactly these values, lowest
first (``tests/unit/test_kinds_and_severities.py`` keeps the two equal).
"""

from __future__ import annotations

from typing import Literal

SeverityName = Literal["info", "warning", "critical"]
SEVERITY_NAMES: tuple[SeverityName, ...] = ("info", "warning", "critical")
