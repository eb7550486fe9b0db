"""Shared fixtures: the real kube-apiserver test bed and paths to peer test data."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from support.apiserver import ApiServer, missing_binaries, start_apiserver

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that uses the real apiserver, so `-m "not apiserver"` skips them."""
    for item in items:
        fixtures = getattr(item, "fixturenames", ())
        if "apiserver" in fixtures or "private_server" in fixtures:
            item.add_marker(pytest.mark.apiserver)


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
def shared_corpus() -> Path:
    """The peers' test data folder (`../shared/corpus` beside the checkout)."""
    path = SHARED / "corpus"
    if not path.is_dir():
        pytest.fail(f"{path} not found: CI places ../shared beside the clone")
    return path
