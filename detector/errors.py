"""The one errors module: every user-facing failure is a SlowburnError with an exit status.

The CLI maps these to exit codes at a single boundary (``detector.cli.main``); nothing else
catches broad exceptions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import IntEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # a type only: detector.core imports this module
    from detector.core.series import DataNote


class ExitStatus(IntEnum):
    """Process exit codes. Stable: scripts and CronJobs depend on them."""

    OK = 0
    ERROR = 1  # unexpected internal error (a bug): traceback printed
    USAGE = 2  # bad command line (argparse's own code)
    CONFIG = 3  # the config file is missing, malformed or invalid
    DATA = 4  # an input data file is missing, malformed or unusable
    PARTIAL = 5  # some signals failed, the others ran (status_for_failures; no exception carries it)
    SOURCE = 6  # the metrics source (Prometheus) could not be used at all
    SINK = 7  # findings could not be delivered (Alertmanager, Pushgateway)
    STORE = 8  # the history store could not be read or written
    INCIDENTS = 9  # the incidents file is malformed
    EXECUTOR = 10  # the evaluation's workers (a Dask cluster) lost work or could not be reached
    INTERRUPTED = 130


class SlowburnError(Exception):
    """Base class. ``str(err)`` is the one-line message shown to the user."""

    exit_status: ExitStatus = ExitStatus.ERROR

    def __init__(self, message: str, *, location: str | None = None) -> None:
        self.message = message
        self.location = location
        super().__init__(f"{location}: {message}" if location else message)


class UsageError(SlowburnError):
    """A command-line value is malformed (beyond what argparse checks), e.g. a series selector."""

    exit_status = ExitStatus.USAGE


class ConfigError(SlowburnError):
    """The configuration is invalid. ``location`` is ``file`` or ``file: field.path``."""

    exit_status = ExitStatus.CONFIG


class DataError(SlowburnError):
    """An exported-metric file or a series cannot be used. ``location`` names file and position."""

    exit_status = ExitStatus.DATA


class SeriesSkipped(DataError):
    """Every series of a signal was found but none can be used. ``notes``: the notes of its read (a
    ``DataNote`` per skipped series, naming it and why): whoever reports the error reports them too."""

    def __init__(self, message: str, *, location: str | None = None, notes: Sequence[DataNote] = ()) -> None:
        super().__init__(message, location=location)
        self.notes: tuple[DataNote, ...] = tuple(notes)


class NoSeries(DataError):
    """A signal's query or export file matched no series at all: the metric is absent, which is
    not the same as broken. An ``optional`` signal that is absent is a note, not an error."""


class IncidentsError(SlowburnError):
    """The incidents file given to ``backtest`` is invalid."""

    exit_status = ExitStatus.INCIDENTS


class SourceError(SlowburnError):
    """A metrics source failed (connection, HTTP status, PromQL error, malformed response)."""

    exit_status = ExitStatus.SOURCE


class SinkError(SlowburnError):
    """A sink could not deliver (Alertmanager, Pushgateway, output file)."""

    exit_status = ExitStatus.SINK


class StoreError(SlowburnError):
    """The local history store is unreadable, unwritable, full or locked."""

    exit_status = ExitStatus.STORE


class WorkLost(SlowburnError):
    """Series that were handed to workers came back without a result (a worker lost, retries spent),
    or the executor (a Dask scheduler) could not be reached. Their signal's alerts are held."""

    exit_status = ExitStatus.EXECUTOR


LIMITS_KEY = "kubernetes"
"""The errors key under which a run records that the Kubernetes limits could not be read."""
_WHEN_ALL_FAIL = (ExitStatus.STORE, ExitStatus.SOURCE, ExitStatus.DATA, ExitStatus.CONFIG)


def status_for_failures(errors: Mapping[str, Exception], signal_count: int) -> ExitStatus:
    """The one rule from a run's per-signal errors to its exit status (every command uses it).

    OK with no error; PARTIAL when some signals (or only the Kubernetes limits) failed and the
    others ran; when every signal failed, their common status, else the first of STORE, SOURCE,
    DATA, CONFIG among them (the one the user should fix first).
    """
    failed = {name: err for name, err in errors.items() if name != LIMITS_KEY}
    if not failed:
        return ExitStatus.PARTIAL if errors else ExitStatus.OK
    if len(failed) < signal_count:
        return ExitStatus.PARTIAL
    codes = {err.exit_status if isinstance(err, SlowburnError) else ExitStatus.ERROR for err in failed.values()}
    if len(codes) == 1:
        return codes.pop()
    return next((code for code in _WHEN_ALL_FAIL if code in codes), ExitStatus.ERROR)
