"""``RawSeries``: the samples of one series as read, before any cleaning.

Sources produce them (files, Prometheus) and the history store keeps and returns them, so the type
lives outside both: the store does not depend on the sources that use it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class RawSeries:
    """Samples of one series as read, before any cleaning.

    ``timestamps`` are unix seconds (float, any order), ``values`` floats (NaN/±Inf allowed);
    ``where`` says where in the input the series was found (e.g. ``data.result[3]``).
    """

    labels: Mapping[str, str]
    timestamps: np.ndarray
    values: np.ndarray
    where: str = ""
