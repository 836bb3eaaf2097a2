"""argparse ``type=`` checks for command-line values: a malformed value is a usage error (exit 2,
one line naming the option) before any file is read. Each returns the text unchanged (or the int)
so the commands parse it as before."""

from __future__ import annotations

import argparse


def workers(text: str) -> int:
    """A number of processes: an integer >= 0 (0 = one per core)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number of processes >= 0 (0 = one per core), got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a whole number of processes >= 0 (0 = one per core), got {text!r}")
    return value


def instant(text: str) -> str:
    """An RFC 3339 time or unix seconds (not empty)."""
    from detector.core.instants import parse_datetime  # the standard library only: a bad value never waits for pandas
    from detector.errors import UsageError

    if not text.strip():
        raise argparse.ArgumentTypeError("expected an RFC 3339 time such as 2026-02-20T10:30:00Z or unix seconds, got an empty value")
    try:
        parse_datetime(text.strip(), what="", error_type=UsageError)
    except UsageError as exc:
        raise argparse.ArgumentTypeError(exc.message) from None
    return text.strip()


def duration(text: str) -> str:
    """A positive duration such as '1d' or '6h', at most 10 years."""
    from detector.configuration.durations import parse_duration

    try:
        parse_duration(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def executor(text: str) -> str:
    """``local`` or ``dask://HOST:PORT`` (a Dask scheduler)."""
    from detector.configuration.dask_address import LOCAL, parse_dask_address

    if text.strip() == LOCAL:
        return text
    try:
        parse_dask_address(text, "dask")
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{exc} (or 'local')") from None
    return text


def add_model_placement(parser: argparse.ArgumentParser, *, dask_note: str = "") -> None:
    """``--workers`` and ``--executor``: where the models run (``run`` and ``serve`` share them)."""
    parser.add_argument("--workers", type=workers, default=None, help="processes for the models (default: config 'workers', 0 = all cores)")
    parser.add_argument(
        "--executor",
        type=executor,
        default=None,
        metavar="local|dask://HOST:PORT",
        help=f"where the models run: the local process pool (default) or a Dask scheduler{dask_note} (default: config 'executor')",
    )
