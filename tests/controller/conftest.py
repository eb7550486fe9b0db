"""Controller fixtures: the real Prometheus that scrapes the controller's `/metrics`.

Tests that use `prometheus_server` are marked `prometheus`, so `-m "not prometheus"` skips
them and never starts it.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from support.prometheus import Prometheus, prometheus_binary, start_prometheus


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that uses the real Prometheus."""
    for item in items:
        fixtures = getattr(item, "fixturenames", ())
        if "prometheus_server" in fixtures:
            item.add_marker(pytest.mark.prometheus)


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
