"""The network guard every test runs under: loopback passes, anything else is refused loudly."""

import socket
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from tests.network_guard import NetworkGuardError, is_loopback

ROOT = Path(__file__).resolve().parents[2]


def test_a_connect_to_a_non_loopback_address_is_refused_naming_the_address(network_guard):
    with socket.socket() as sock, pytest.raises(NetworkGuardError, match=r"refused connect to 192\.0\.2\.1:80"):
        sock.connect(("192.0.2.1", 80))  # TEST-NET-1: never routed
    assert len(network_guard.refused) == 1
    network_guard.refused.clear()


def test_a_name_lookup_of_a_remote_host_is_refused_before_any_dns_query(network_guard):
    with pytest.raises(NetworkGuardError, match="name lookup of 'example.com'"):
        socket.getaddrinfo("example.com", 443)
    network_guard.refused.clear()


def test_an_http_client_cannot_reach_a_remote_host(network_guard):
    with pytest.raises(NetworkGuardError):
        requests.get("http://prometheus.example:9090/api/v1/query", timeout=1)
    network_guard.refused.clear()


def test_loopback_connections_and_localhost_lookups_still_work():
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        with socket.create_connection(("localhost", server.getsockname()[1]), timeout=5):
            pass
    left, right = socket.socketpair()  # Unix sockets (multiprocessing) are not IP
    left.close(), right.close()


@pytest.mark.parametrize(
    "host, loopback",
    [
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("::1", True),
        ("::ffff:127.0.0.1", True),
        ("localhost", True),
        ("", True),
        ("10.0.0.1", False),
        ("0:0:0:0:0:ffff:a00:1", False),
        ("::2", False),
        ("prometheus.test", False),
        ("128.0.0.1", False),
    ],
)
def test_only_loopback_addresses_count_as_loopback(host, loopback):
    assert is_loopback(host) is loopback


def test_a_test_that_swallows_the_refusal_still_fails_naming_the_address(tmp_path):
    (tmp_path / "test_swallow.py").write_text(
        "import socket\n\n"
        "def test_swallowed():\n"
        "    try:\n"
        "        socket.create_connection(('192.0.2.7', 9090), timeout=1)\n"
        "    except Exception:\n"
        "        pass\n"
    )
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "tests.network_guard", "-p", "no:cacheprovider", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "refused connect to 192.0.2.7:9090" in result.stdout
