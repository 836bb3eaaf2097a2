"""``ExportSource``: exported metrics in a directory, one file per signal (offline runs, backtests).

The directory holds ``NAME.json`` (a saved Prometheus ``query_range`` response) or ``NAME.csv``
for each configured signal ``NAME``. Each signal is read on its own: a missing or malformed file
becomes that signal's ``DataError`` in ``SeriesSet.errors`` and the other signals still load.
Files that match no configured signal are reported as notes, never read. Given the current
time, a series with samples later than it is skipped with a note (a future-stamped export, or a
clock that is wrong): it is never analysed, and it cannot move the evaluation time of the others.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from detector.configuration.schema import Signal
from detector.core.instants import rfc3339_unix
from detector.core.series import DataNote, Labels, SeriesSet, SeriesSetDraft
from detector.errors import DataError, NoSeries, SeriesSkipped
from detector.sources.base import RawSeries, assemble_signal
from detector.sources.export_csv import parse_csv_export
from detector.sources.export_json import parse_json_export

Parser = Callable[[str, str, str], tuple[list[RawSeries], list[DataNote]]]
PARSERS: dict[str, Parser] = {".json": parse_json_export, ".csv": parse_csv_export}
"""File suffix -> parser of its text; ``parser(text, location, signal)``."""


class ExportSource:
    """A ``Source`` over a directory of exported metrics.

    Parameters
    ----------
    directory : Path
        The data directory. Read on every ``fetch``; nothing is cached.
    now : pandas.Timestamp, optional
        The wall clock (from ``Environment.now``). Samples later than it are a data error of their
        series (skipped with a note) or, when every series has them, of their signal.
    """

    def __init__(self, directory: Path, now: pd.Timestamp | None = None) -> None:
        self.directory = Path(directory)
        self.now = now

    def fetch(self, signals: Sequence[Signal], end: pd.Timestamp | None = None) -> SeriesSet:
        """Load every signal's file onto its ``step`` grid, keeping only samples before ``end``.

        Raises
        ------
        DataError
            Only when the directory itself cannot be listed (missing, not a directory, unreadable).
        """
        files, notes = self._scan({signal.name for signal in signals})
        result = SeriesSetDraft(notes=notes)
        for signal in signals:
            series, error, read_notes = self.read_signal(signal, files, end)
            result.notes.extend(read_notes)
            if error is not None:
                result.errors[signal.name] = error
            else:
                result.series[signal.name] = series
        return result.frozen()

    def scan(self, signals: Sequence[Signal]) -> tuple[dict[str, list[Path]], list[DataNote]]:
        """The export files of ``signals`` by name, and notes on every other visible file (``DataError``
        when the directory cannot be listed)."""
        return self._scan({signal.name for signal in signals})

    def read_signal(
        self, signal: Signal, files: dict[str, list[Path]], end: pd.Timestamp | None = None
    ) -> tuple[dict[Labels, pd.Series], DataError | None, list[DataNote]]:
        """One signal's file (from ``scan``) on its ``step`` grid: its series, or its error, and its notes."""
        notes: list[DataNote] = []
        try:
            path = self._file_of(signal.name, files.get(signal.name, []))
            raw, read_notes = PARSERS[path.suffix](_read_text(path), str(path), signal.name)
            notes.extend(read_notes)
            if self.now is not None:
                raw, future_notes = without_future(signal.name, raw, self.now, str(path))
                notes.extend(future_notes)
            series, series_notes = assemble_signal(signal.name, raw, signal.step, origin=str(path), end=end)
            notes.extend(series_notes)
            return series, None, notes
        except SeriesSkipped as err:  # the error names the first cause; the notes name every skipped series
            return {}, err, [*notes, *err.notes]
        except DataError as err:
            return {}, err, notes

    def _scan(self, wanted: set[str]) -> tuple[dict[str, list[Path]], list[DataNote]]:
        """Export files by signal name, and notes on every other visible file."""
        try:
            entries = sorted(self.directory.iterdir())
        except FileNotFoundError:
            raise DataError("data directory not found", location=str(self.directory)) from None
        except NotADirectoryError:
            raise DataError("expected a directory of NAME.json / NAME.csv files, got a file", location=str(self.directory)) from None
        except OSError as exc:
            raise DataError(f"cannot list the data directory: {exc.strerror}", location=str(self.directory)) from None
        files: dict[str, list[Path]] = {}
        notes: list[DataNote] = []
        for entry in entries:
            if entry.name.startswith("."):
                continue  # .gitkeep, editor swap files and the like
            if entry.suffix not in PARSERS or not entry.is_file():
                notes.append(DataNote("", "ignored: not a .json or .csv file", str(entry)))
            elif entry.stem not in wanted:
                notes.append(DataNote("", f"ignored: no signal named {entry.stem!r} in the config", str(entry)))
            else:
                files.setdefault(entry.stem, []).append(entry)
        return files, notes

    def _file_of(self, name: str, candidates: list[Path]) -> Path:
        if not candidates:
            raise NoSeries(f"no {name}.json or {name}.csv in {self.directory}", location=str(self.directory))
        if len(candidates) > 1:
            both = " and ".join(path.name for path in candidates)
            raise DataError(f"both {both} exist; keep only one", location=str(self.directory))
        return candidates[0]


def without_future(signal: str, raw: list[RawSeries], now: pd.Timestamp, where: str) -> tuple[list[RawSeries], list[DataNote]]:
    """The series with no sample later than ``now``, and a note for each one skipped.

    Raises ``DataError`` (located at ``where``) when every series has samples in the future.
    """
    limit = pd.Timestamp(now).timestamp()
    clock = rfc3339_unix(limit)
    kept: list[RawSeries] = []
    notes: list[DataNote] = []
    earliest = np.inf
    for entry in raw:
        ts = np.asarray(entry.timestamps, dtype=np.float64)
        future = ts > limit
        if not future.any():
            kept.append(entry)
            continue
        first = float(ts[future].min())
        earliest = min(earliest, first)
        labels = ",".join(f'{k}="{v}"' for k, v in sorted(entry.labels.items()))
        notes.append(
            DataNote(
                signal,
                f"series {{{labels}}} ({entry.where}) skipped: {int(future.sum())} of {ts.size} sample(s) are after "
                f"the current time {clock} (first at {rfc3339_unix(first)}); check the export's timestamps or the clock",
                where,
            )
        )
    if raw and not kept:
        raise DataError(
            f"every series has samples after the current time {clock} (first at {rfc3339_unix(earliest)}); "
            "check the export's timestamps or the clock",
            location=where,
        )
    return kept, notes


def _read_text(path: Path) -> str:
    """The file as UTF-8 text (a leading byte-order mark is ignored)."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DataError(f"cannot read: {exc.strerror}", location=str(path)) from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise DataError(
            f"not UTF-8: byte 0x{raw[exc.start]:02x} at byte offset {exc.start}",
            location=f"{path}:{line}:{column}",
        ) from None
