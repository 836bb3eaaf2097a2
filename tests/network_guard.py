"""Tests fail closed on the network: a socket may connect to loopback (and Unix sockets), nothing else.

``socket.socket.connect`` / ``connect_ex`` refuse an IPv4 or IPv6 address outside 127.0.0.0/8 and ::1,
and ``socket.getaddrinfo`` refuses to resolve a name that is not ``localhost`` (a DNS query is
already traffic). Both raise :class:`NetworkGuardError`, a ``RuntimeError`` so that code catching
``OSError`` for "server unreachable" does not mistake it for one; and every refused attempt is
recorded, so a test that swallowed the error still fails at teardown, naming the address.

Used by ``tests/conftest.py`` as an autouse fixture; also a pytest plugin (``-p tests.network_guard``).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterator
from typing import Any

import pytest

_LOCAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"}


class NetworkGuardError(RuntimeError):
    """A test tried to reach something other than loopback."""


def is_loopback(host: Any) -> bool:
    """True for 127.0.0.0/8, ::1 (and IPv4-mapped loopback), the empty host and the names of localhost."""
    if host in (None, "", b""):
        return True
    text = host.decode() if isinstance(host, bytes) else str(host)
    if text.lower() in _LOCAL_NAMES:
        return True
    try:
        address = ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    return address.is_loopback or bool(mapped and mapped.is_loopback)


def _is_address(host: Any) -> bool:
    try:
        ipaddress.ip_address((host.decode() if isinstance(host, bytes) else str(host)).split("%", 1)[0])
    except ValueError:
        return False
    return True


class Guard:
    """Patches the socket module through ``monkeypatch``; ``refused`` lists every refused attempt."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.refused: list[str] = []
        real_connect, real_connect_ex, real_getaddrinfo = socket.socket.connect, socket.socket.connect_ex, socket.getaddrinfo

        def check(sock: socket.socket, address: Any, what: str) -> None:
            if sock.family in (socket.AF_INET, socket.AF_INET6) and not is_loopback(address[0]):
                self.refuse(f"{what} to {address[0]}:{address[1]}")

        def connect(sock: socket.socket, address: Any) -> None:
            check(sock, address, "connect")
            return real_connect(sock, address)

        def connect_ex(sock: socket.socket, address: Any) -> int:
            check(sock, address, "connect")
            return real_connect_ex(sock, address)

        def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> list:
            if not is_loopback(host) and not _is_address(host):  # an address literal is checked at connect
                self.refuse(f"name lookup of {host!r}")
            return real_getaddrinfo(host, *args, **kwargs)

        patches: dict[str, Callable[..., Any]] = {"connect": connect, "connect_ex": connect_ex}
        for name, replacement in patches.items():
            monkeypatch.setattr(socket.socket, name, replacement)
        monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)

    def refuse(self, what: str) -> None:
        message = f"network guard: tests may only reach 127.0.0.1 / ::1 / localhost; refused {what}"
        self.refused.append(message)
        raise NetworkGuardError(message)


@pytest.fixture(autouse=True)
def network_guard(monkeypatch: pytest.MonkeyPatch) -> Iterator[Guard]:
    guard = Guard(monkeypatch)
    yield guard
    if guard.refused:  # a test of the guard itself clears the list once it has checked it
        pytest.fail("; ".join(dict.fromkeys(guard.refused)), pytrace=False)
