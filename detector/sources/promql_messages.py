"""What a failed ``query_range`` answer says, in one human line: server message, hint, cause."""

from __future__ import annotations

import json
import re

import requests

from detector.core.redact import redact_text


def incomplete(body: bytes) -> str | None:
    """What is wrong with a 200 body that is not JSON at all (worth retrying), else None."""
    stripped = body.strip()
    if not stripped:
        return "empty body"
    try:
        json.loads(body)
    except RecursionError:
        return None
    except ValueError:
        if stripped[:1] == b"<":
            return f"an HTML page instead of JSON: {server_message(body)}"
        return "incomplete JSON (the answer was cut off)"
    return None


def never_connected(exc: requests.exceptions.ConnectionError) -> bool:
    """True when no connection was made at all (refused, unresolvable, unroutable)."""
    text = str(exc)
    return any(marker in text for marker in ("NewConnectionError", "NameResolutionError", "Failed to establish", "Connection refused"))


def server_message(body: bytes) -> str:
    """``errorType: error`` from a Prometheus error body, else the start of the body."""
    try:
        document = json.loads(body)
    except ValueError:
        document = None
    if isinstance(document, dict) and "error" in document:
        kind = document.get("errorType")
        return f"{kind}: {document['error']}" if kind else str(document["error"])
    text = body.decode("utf-8", errors="replace").strip()
    text = re.sub(r"\s+", " ", text)
    return (text[:200] + "...") if len(text) > 200 else (text or "(empty body)")


def hint(status: int, body: bytes) -> str:
    if b"exceeded maximum resolution" in body:
        return " (lower prometheus.max_points_per_query)"
    if b"query time range exceeds" in body or b"the query time range" in body:
        return " (set prometheus.max_range_per_query below the server's limit)"
    if status == 404:
        return " (check prometheus.url: does the API live under a path prefix?)"
    if status in (401, 403):
        return " (check the credentials configured for prometheus)"
    return ""


def reason(exc: requests.exceptions.RequestException) -> str:
    """The innermost, human part of a requests/urllib3 exception (no object reprs, no query)."""
    inner: object = exc.args[0] if exc.args else exc
    inner = getattr(inner, "reason", inner)
    text = str(inner)
    text = re.sub(r"<[^>]*object at 0x[0-9a-f]+>:?\s*", "", text)
    errno = re.search(r"\[Errno -?\d+\]\s*([^'\")]+)", text)
    if errno:
        return errno.group(1).strip()
    return redact_text(text)[:200]


def warnings_of(text: str) -> list[str]:
    try:
        document = json.loads(text)
    except ValueError:
        return []
    warnings = document.get("warnings") if isinstance(document, dict) else None
    return [str(w) for w in warnings] if isinstance(warnings, list) else []
