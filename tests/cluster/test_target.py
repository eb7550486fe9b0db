"""`cluster.target.context_namespace`: the kubeconfig's namespace, the connection untouched
when there is no kubeconfig at all (a `diff` of two files then imports no lightkube)."""

from __future__ import annotations

from pathlib import Path

import pytest

from kubedrift.cluster import connection, target
from kubedrift.cluster.target import ClusterTarget, context_namespace, no_kubeconfig
from support.fixtures_files import token_kubeconfig


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A HOME with no kubeconfig, no KUBECONFIG, no service account token."""
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("KUBECONFIG", raising=False)
    monkeypatch.setattr(target, "SERVICE_ACCOUNT_DIR", tmp_path / "no-service-account")
    return tmp_path


def test_no_kubeconfig_anywhere_is_none_without_the_connection(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail(_: ClusterTarget) -> str:
        raise AssertionError("the connection was asked")

    monkeypatch.setattr(connection, "context_namespace", fail)
    assert no_kubeconfig(ClusterTarget())
    assert context_namespace(ClusterTarget()) is None


def test_the_default_kubeconfig_is_read(home: Path) -> None:
    token_kubeconfig(home / ".kube" / "config", "team-a")
    assert not no_kubeconfig(ClusterTarget())
    assert context_namespace(ClusterTarget()) == "team-a"


def test_each_other_source_goes_to_the_connection(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = token_kubeconfig(home / "elsewhere", "team-b")
    assert context_namespace(ClusterTarget(kubeconfig=config)) == "team-b"
    monkeypatch.setenv("KUBECONFIG", str(config))
    assert context_namespace(ClusterTarget()) == "team-b"
    monkeypatch.delenv("KUBECONFIG")
    assert not no_kubeconfig(ClusterTarget(context="c"))
    assert not no_kubeconfig(ClusterTarget(in_cluster=True))
    token = home / "sa" / "token"
    token.parent.mkdir()
    token.write_text("t")
    monkeypatch.setattr(target, "SERVICE_ACCOUNT_DIR", token.parent)
    assert not no_kubeconfig(ClusterTarget())


def test_connection_reexports_the_same_class() -> None:
    assert connection.ClusterTarget is ClusterTarget
