"""Fixtures for every test: the network guard (loopback only; see tests/network_guard.py)."""

from tests.network_guard import network_guard  # noqa: F401  (autouse fixture, registered by import)
