"""Credentials never leave in a URL: ``user:password@`` is cut from every URL shown, stored or sent on.

A URL may carry its own credentials (``https://user:pass@prometheus``; requests turns them into
basic auth). They are fine for the request itself, but the same URL also ends up in alert links
(``generatorURL``), error messages, logs and the alert state file, where a password must not.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

_USERINFO = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)[^/?#@\s'\"]*@")


def strip_userinfo(url: str) -> str:
    """``url`` without any ``user:password@`` part; other URLs unchanged.

    >>> strip_userinfo("https://ops:s3cret@prometheus:9090/api")
    'https://prometheus:9090/api'
    """
    try:
        parts = urlsplit(url)
    except ValueError:  # e.g. an invalid IPv6 literal: fall back to the text form
        return redact_text(url)
    if "@" not in parts.netloc:
        return url
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))


def redact_text(text: str) -> str:
    """``text`` (an error message, a log line) with the userinfo of every URL in it removed."""
    return _USERINFO.sub(lambda match: match.group("scheme"), text)
