"""When to retry an HTTP request and how long to wait: exponential backoff with jitter, Retry-After.

Pure policy: no clock and no sleeping here; the caller injects both, so tests never sleep.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

RETRIED_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
"""Transient HTTP statuses: request timeout, rate limited, server errors and overloaded proxies."""


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with "equal jitter".

    Parameters
    ----------
    retries : int
        Attempts after the first one (0: never retry).
    base_delay : float
        Seconds before the first retry, before jitter; doubles with every attempt.
    max_delay : float
        Ceiling of the backoff in seconds, before jitter.
    max_retry_after : float
        Longest ``Retry-After`` (seconds) that is honoured; a server asking for more is not retried.
    """

    retries: int = 3
    base_delay: float = 0.5
    max_delay: float = 10.0
    max_retry_after: float = 120.0

    def backoff(self, attempt: int, rng: random.Random) -> float:
        """Seconds to wait before retry number ``attempt`` (0-based): uniform in [d/2, d]."""
        ceiling = min(self.max_delay, self.base_delay * (2.0**attempt))
        return ceiling / 2.0 + rng.random() * ceiling / 2.0

    def delay(self, attempt: int, rng: random.Random, retry_after: float | None) -> float | None:
        """Seconds to wait before retry ``attempt``, or None when the request must not be retried.

        ``retry_after`` (seconds, from the response header) is a floor on the wait; beyond
        ``max_retry_after`` the caller gives up instead of blocking the run.
        """
        if attempt >= self.retries:
            return None
        wait = self.backoff(attempt, rng)
        if retry_after is not None:
            if retry_after > self.max_retry_after:
                return None
            wait = max(wait, retry_after)
        return wait


def parse_retry_after(header: str | None, now_seconds: float) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or an HTTP date), or None.

    ``now_seconds`` is the current unix time, used for the HTTP-date form. Unparseable values are
    ignored (the normal backoff applies).
    """
    if header is None:
        return None
    text = header.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when is None or when.tzinfo is None:
        return None
    return max(0.0, when.timestamp() - now_seconds)
