"""PNG plots of the realops replay: each series, its labeled windows, and the evaluations that flagged it.

Shading: the labeled window (orange) and its extension by its own length (light orange, still
"inside" for the false-alarm count). Markers on a strip above the series: a red triangle for a
flagged evaluation whose episode is a false alarm, a green one for a flag inside a window; the
grey ticks below are the evaluation times (light grey: the series was not analysed then, e.g. too
few samples per day). Uses matplotlib's Agg backend (no display needed).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (the backend is chosen first)
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from benchmarks.realops_data import RealSeries  # noqa: E402
from benchmarks.realops_scoring import extended  # noqa: E402


def plot_series(
    series: RealSeries,
    times: Sequence[pd.Timestamp],
    analysed: Sequence[pd.Timestamp],
    flags: Sequence[tuple[pd.Timestamp, bool, str]],
    path: Path,
) -> Path:
    """Write one PNG. ``times``: every evaluation of the series; ``analysed``: those at which the models ran;
    ``flags``: (time, false_alarm, "kind severity") of every flagged evaluation."""
    values = series.values
    fig, ax = plt.subplots(figsize=(13, 4.2), dpi=100)
    try:
        sparse = float(values.notna().mean()) < 0.5  # NaN breaks a line: show sparse series as dots too
        ax.plot(
            values.index,
            values.to_numpy(),
            lw=0.5,
            color="#1f4e79",
            marker="." if sparse else None,
            ms=2,
            label=f"value ({series.family.step / 60:g} min bins)",
        )
        for number, window in enumerate(series.windows):
            lo, hi = extended(window)
            ax.axvspan(window[0], window[1], color="orange", alpha=0.35, lw=0, label="labeled window" if number == 0 else None)  # type: ignore[arg-type]  # matplotlib's stub says float; its date converter takes a Timestamp
            ax.axvspan(window[1], hi, color="orange", alpha=0.12, lw=0, label="window + its length" if number == 0 else None)  # type: ignore[arg-type]  # matplotlib's stub says float; its date converter takes a Timestamp
        finite = values.to_numpy()[np.isfinite(values.to_numpy())]
        top = float(np.nanmax(finite)) if finite.size else 1.0
        bottom = float(np.nanmin(finite)) if finite.size else 0.0
        pad = (top - bottom) or 1.0
        done = set(analysed)
        for subset, colour, text in (
            ([t for t in times if t in done], "dimgrey", "evaluation"),
            ([t for t in times if t not in done], "#cccccc", "evaluation, not analysed"),
        ):
            if subset:
                ax.plot(subset, [bottom - 0.04 * pad] * len(subset), "|", color=colour, ms=4, label=text)  # type: ignore[arg-type]  # date converter, as above
        for false_alarm, colour, text in ((True, "red", "flag: false alarm"), (False, "green", "flag: inside window")):
            at = [t for t, f, _ in flags if f == false_alarm]
            if at:
                ax.plot(at, [top + 0.05 * pad] * len(at), "v", color=colour, ms=7, label=text)  # type: ignore[arg-type]  # date converter, as above
        kinds = sorted({k for _, _, k in flags})
        title = f"{series.family.folder}/{series.name}: {len(flags)} flagged evaluations"
        ax.set_title(title + (f" ({', '.join(kinds)})" if kinds else ""), fontsize=10)
        ax.set_ylim(bottom - 0.1 * pad, top + 0.12 * pad)
        ax.legend(loc="upper left", fontsize=7, ncol=3, framealpha=0.8)
        ax.grid(alpha=0.3)
        fig.autofmt_xdate()
        fig.tight_layout()
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path)
    finally:
        plt.close(fig)
    return path
