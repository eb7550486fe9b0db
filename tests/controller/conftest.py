"""Controller fixtures: the real Prometheus that scrapes the controller's `/metrics`, and a
private apiserver for tests that would disturb the shared one.

Tests that use `prometheus_server` are marked `prometheus`, so `-m "not prometheus"` skips
them and never starts it.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from support.apiserver import ApiServer, missing_binaries, start_apiserver
from support.prometheus import Prometheus, prometheus_binary, start_prometheus


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that uses the real Prometheus, or a private apiserver."""
    for item in items:
        fixtures = getattr(item, "fixturenames", ())
        if "prometheus_server" in fixtures:
            item.add_marker(pytest.mark.prometheus)
        if "private_server" in fixtures:
            item.add_marker(pytest.mark.apiserver)


@pytest.fixture(scope="session")
def prometheus_server() -> Iterator[Prometheus]:
    """Debian's Prometheus for the whole session, stopped (process group) at the end."""
    binary = prometheus_binary()
    if binary is None:
        pytest.fail("prometheus binary not found (/usr/bin/prometheus): run `make monitoring`")
    server = start_prometheus(binary)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def private_server() -> Iterator[ApiServer]:
    """An apiserver of a module's own (no controller-manager): restarting it or filling it
    with a fleet disturbs no other test."""
    missing = missing_binaries()
    if missing:
        pytest.fail(f"test bed binaries missing ({', '.join(missing)}): run `make kube` first")
    server = start_apiserver(controller_manager=False)
    try:
        yield server
    finally:
        server.stop()
