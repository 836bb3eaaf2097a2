"""A Dask scheduler address as the user writes it: ``dask://HOST:PORT`` on the command line,
``tcp://HOST:PORT`` in the config. Parsing needs only the standard library (``--help`` stays fast).

A Dask ``tcp://`` address carries no credentials (a Dask cluster authenticates with TLS
certificates, not a user name in the URL), so a ``user:password@`` part is refused, and the
message that refuses it shows the address without it (``detector.core.redact.strip_userinfo``).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from detector.core.redact import strip_userinfo

LOCAL = "local"
"""``--executor local``: the local process pool (the default)."""


@dataclass(frozen=True)
class DaskAddress:
    """Where the Dask scheduler listens."""

    host: str
    port: int

    @property
    def tcp(self) -> str:
        """The address ``distributed.Client`` takes."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"tcp://{host}:{self.port}"

    def __str__(self) -> str:
        return self.tcp


def parse_dask_address(text: str, scheme: str) -> DaskAddress:
    """``SCHEME://HOST:PORT`` as a ``DaskAddress``; ``ValueError`` saying what was expected otherwise.

    >>> parse_dask_address("dask://scheduler:8786", "dask").tcp
    'tcp://scheduler:8786'
    """
    expected = f"expected {scheme}://HOST:PORT"
    shown = strip_userinfo(text.strip())
    try:
        parts = urlsplit(text.strip())
        port = parts.port
    except ValueError:
        raise ValueError(f"{expected} with a port from 1 to 65535, got {shown!r}") from None
    if parts.scheme.lower() != scheme:
        raise ValueError(f"{expected}, got {shown!r}")
    if parts.username is not None or parts.password is not None:
        raise ValueError(
            f"a Dask address carries no user or password (Dask authenticates with TLS certificates); {expected}, got {shown!r}"
        )
    if not parts.hostname:
        raise ValueError(f"{expected}: the host is missing, got {shown!r}")
    if port is None or port == 0:
        raise ValueError(f"{expected}: the port is missing, got {shown!r}")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ValueError(f"{expected} and nothing after the port, got {shown!r}")
    return DaskAddress(parts.hostname, port)
