"""Shared fixtures: the real components (kube-apiserver test bed, Prometheus, Alertmanager)
and paths to peer test data.

Each real component's fixture marks the tests that use it (`MARKS`), so that, say,
`-m "not alertmanager"` skips them and never starts the component.
"""

from __future__ import annotations

import gc
import logging
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from support.alertmanager import Alertmanager, alertmanager_binary, start_alertmanager
from support.apiserver import ApiServer, missing_binaries, start_apiserver
from support.corpus import require_corpus
from support.prometheus import Prometheus, prometheus_binary, start_prometheus

MARKS = {
    "apiserver": "apiserver",
    "private_server": "apiserver",
    "prometheus_server": "prometheus",
    "alertmanager": "alertmanager",
}
"""Fixture name → the marker of the real component it starts."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test by the real components its fixtures start."""
    for item in items:
        for fixture in getattr(item, "fixturenames", ()):
            if fixture in MARKS:
                item.add_marker(getattr(pytest.mark, MARKS[fixture]))


@pytest.fixture(scope="session")
def apiserver() -> Iterator[ApiServer]:
    """etcd + kube-apiserver + kube-controller-manager v1.20.2 for the whole session."""
    missing = missing_binaries()
    if missing:
        pytest.fail(f"test bed binaries missing ({', '.join(missing)}): run `make kube` first")
    server = start_apiserver()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def private_server() -> Iterator[ApiServer]:
    """An apiserver of one test module's own (no controller-manager): restarting it or
    filling it with a fleet disturbs no other test."""
    missing = missing_binaries()
    if missing:
        pytest.fail(f"test bed binaries missing ({', '.join(missing)}): run `make kube` first")
    server = start_apiserver(controller_manager=False)
    try:
        yield server
    finally:
        server.stop()


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


@pytest.fixture(scope="session")
def shared_corpus() -> Path:
    """The peers' test data folder (`../shared/corpus` beside the checkout); skips without."""
    return require_corpus()


@pytest.fixture(autouse=True)
def _logging_left_as_found() -> Iterator[None]:
    """Undo what a command run in-process (typer's CliRunner) did to global logging.

    `cli.logs.configure_logging` adds a root handler on the sys.stderr of the moment (the
    runner's, closed afterwards) and quiets library loggers (`httpx2`, ...): left in place, a
    later test's caplog misses httpx's records and logging reports a closed stream."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    known = logging.root.manager.loggerDict.items()
    levels = {lg: lg.level for _, lg in known if isinstance(lg, logging.Logger)}
    yield
    for handler in [h for h in root.handlers if h not in handlers]:
        root.removeHandler(handler)
    root.setLevel(level)
    for logger, was in levels.items():
        if logger.level != was:
            logger.setLevel(was)


@pytest.fixture(autouse=True)
def _leaks_reported_where_made(request: pytest.FixtureRequest) -> Iterator[None]:
    """After a test against a real server, collect garbage at once, so a socket or transport
    the test left open is reported (as an error: `filterwarnings = error`) in this test's
    teardown, not in whichever later test the collector happens to run in."""
    yield
    if request.node.get_closest_marker("apiserver") is not None:
        gc.collect()
