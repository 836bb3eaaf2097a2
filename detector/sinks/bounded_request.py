"""One HTTP request to a sink (Alertmanager, Pushgateway) bounded in all, not only between bytes.

``requests``' ``timeout`` bounds each wait for bytes: an endpoint (or a proxy) that trickles its
answer one byte at a time never trips it and holds the run. ``send_within`` arms a ``Watchdog``
(``detector.sources.query_deadline``) that shuts the request's socket down when ``deadline``
seconds have passed, so a sink gives up and keeps what it could not deliver for the next run.
"""

from __future__ import annotations

from typing import Any

import requests

from detector.sources.query_deadline import Watchdog, track_connections


class DeadlinePassed(requests.RequestException):
    """No complete answer within the deadline; ``str`` is the sentence for the user."""


def send_within(
    session: requests.Session, method: str, url: str, *, timeout: float, deadline: float, setting: str, **kwargs: Any
) -> requests.Response:
    """``session.request(method, url, ...)`` with its body read, all within ``deadline`` seconds.

    Raises ``DeadlinePassed`` (naming ``setting``) when the deadline cut the request, else whatever
    ``requests`` raises.
    """
    if isinstance(session, requests.Session):
        track_connections(session)  # lets the watchdog find a socket still waiting for headers
    watchdog = Watchdog(deadline)
    try:
        response = getattr(session, method.lower())(url, timeout=timeout, stream=True, **kwargs)
        watchdog.attach(response)
        try:
            _ = response.content  # read in full: the connection goes back to the pool
        except BaseException:
            response.close()
            raise
    except requests.RequestException:
        if watchdog.fired:
            raise DeadlinePassed(_message(deadline, setting)) from None
        raise
    finally:
        watchdog.cancel()
    if watchdog.fired:  # the shut socket may have looked like a short body
        raise DeadlinePassed(_message(deadline, setting))
    return response


def _message(deadline: float, setting: str) -> str:
    return f"no complete answer within the deadline of {deadline:g} s ({setting})"
