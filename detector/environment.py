"""The injected outside world of a command: streams, clock, process environment."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    import pandas as pd


def _utc_now() -> pd.Timestamp:
    import pandas as pd  # imported when a command first asks the time, not at startup (fast --help)

    return pd.Timestamp.now(tz="UTC")


@dataclass
class Environment:
    stdout: TextIO = field(default_factory=lambda: sys.stdout)
    stderr: TextIO = field(default_factory=lambda: sys.stderr)
    now: Callable[[], pd.Timestamp] = _utc_now
    environ: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))

    @property
    def is_tty(self) -> bool:
        return bool(getattr(self.stderr, "isatty", lambda: False)())
