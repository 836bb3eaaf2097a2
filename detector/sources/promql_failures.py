"""How one PromQL call can fail, as ``promql_client`` tells its retry loop, and the deadline it gives up at."""

from __future__ import annotations

from dataclasses import dataclass


class Transient(Exception):
    """A failed attempt that may succeed when retried; ``retry_after`` in seconds if the server said."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after


class Permanent(Exception):
    """A failure that retrying cannot fix (bad query, wrong URL, refused credentials)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Unreachable(Transient):
    """Could not connect at all (refused, no route, DNS): the verdict is shared by the fetch's queries."""


@dataclass(frozen=True)
class Deadline:
    """A monotonic instant (seconds) after which a query gives up, and the sentence it gives up with."""

    at: float
    message: str
