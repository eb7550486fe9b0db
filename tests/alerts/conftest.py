"""Alert fixtures: a real Alertmanager for the session, marked so `-m "not alertmanager"`
skips the tests that need it (and never starts it)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from support.alertmanager import Alertmanager, alertmanager_binary, start_alertmanager


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that uses the real Alertmanager."""
    for item in items:
        if "alertmanager" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.alertmanager)


@pytest.fixture(scope="session")
def alertmanager() -> Iterator[Alertmanager]:
    """Debian's prometheus-alertmanager on a free loopback port, for the whole session."""
    binary = alertmanager_binary()
    if binary is None:
        pytest.fail("prometheus-alertmanager not found: run `make monitoring` first")
    server = start_alertmanager(binary)
    try:
        yield server
    finally:
        server.stop()
