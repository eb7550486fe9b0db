"""Who may read drift, decided by the real apiserver: TokenReview + SubjectAccessReview.

`kubedrift serve --auth kubernetes` runs with a token of the controller's own account,
bound exactly as deploy/ binds it (reader + the viewer file's auth-delegator binding), so
this also proves the controller's RBAC lets it ask both questions. ServiceAccounts hold
the users: one bound to `kubedrift-viewer`, one bound to nothing, one that may only `list`.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from api.serving import get, kubedrift_serve
from kubedrift.store import SqlStore
from store.builders import at, finding
from support.apiserver import ApiServer

ROOT = Path(__file__).resolve().parents[2]
NS = "web-auth"
LIST_ONLY = """\
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: drift-lister}
rules: [{apiGroups: [kubedrift.io], resources: [findings], verbs: [list]}]
"""


def kubectl(server: ApiServer, *args: str, stdin: str | None = None) -> str:
    argv = ["kubectl", f"--kubeconfig={server.kubeconfig}", *args]
    done = subprocess.run(argv, input=stdin, capture_output=True, text=True, check=False)
    if done.returncode:
        raise AssertionError(f"kubectl {' '.join(args)}: {done.stderr}")
    return done.stdout


def token(server: ApiServer, account: str, namespace: str = NS) -> str:
    return kubectl(server, "create", "token", account, "-n", namespace).strip()


@pytest.fixture(scope="module")
def served(apiserver: ApiServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("auth")
    for name in ("namespace", "serviceaccount", "reader", "viewer"):
        kubectl(apiserver, "apply", "-f", str(ROOT / "deploy" / "controller" / f"{name}.yaml"))
    controller = token(apiserver, "kubedrift-controller", "kubedrift-system")
    kubeconfig = apiserver.kubeconfig_for(controller, folder / "kubeconfig")
    kubectl(apiserver, "create", "namespace", NS)
    for account in ("viewer", "stranger", "lister"):
        kubectl(apiserver, "create", "serviceaccount", account, "-n", NS)
    kubectl(apiserver, "create", "clusterrolebinding", "web-auth-viewer",
            "--clusterrole=kubedrift-viewer", f"--serviceaccount={NS}:viewer")  # fmt: skip
    kubectl(apiserver, "apply", "-f", "-", stdin=LIST_ONLY)
    kubectl(apiserver, "create", "clusterrolebinding", "web-auth-lister",
            "--clusterrole=drift-lister", f"--serviceaccount={NS}:lister")  # fmt: skip
    db = folder / "timeline.db"
    with SqlStore.open(str(db)) as store:
        store.record_scan("prod", [finding("trainer")], at=at(0))
    argv = ("--auth", "kubernetes", "--kubeconfig", str(kubeconfig), "--access-log")
    with kubedrift_serve(str(db), folder / "serve.log", *argv) as base:
        yield base
    log = (folder / "serve.log").read_text()
    assert controller not in log, "a token reached the log"


def test_a_viewer_token_sees_drift(apiserver: ApiServer, served: str) -> None:
    viewer = token(apiserver, "viewer")
    for path in ("/api/v1/findings", "/api/v1/findings/1", "/", "/findings", "/findings/1"):
        status, _, body = get(served + path, viewer)
        assert status == 200, (path, body)
    assert "trainer" in get(served + "/api/v1/findings", viewer)[2]


def test_a_token_without_the_role_is_forbidden(apiserver: ApiServer, served: str) -> None:
    stranger = token(apiserver, "stranger")
    for path in ("/api/v1/findings", "/findings"):
        status, _, body = get(served + path, stranger)
        assert status == 403, (path, body)
        assert "trainer" not in body


def test_no_or_a_bad_token_is_unauthenticated(served: str) -> None:
    for credential in (None, "not-a-token", "Basic"):
        status, headers, body = get(served + "/api/v1/findings", credential)
        assert status == 401, body
        assert headers.get("www-authenticate", headers.get("WWW-Authenticate")) == "Bearer"
        assert "trainer" not in body
    assert get(served + "/", None)[0] == 401


def test_get_and_list_are_separate_verbs(apiserver: ApiServer, served: str) -> None:
    lister = token(apiserver, "lister")
    assert get(served + "/api/v1/findings", lister)[0] == 200
    assert get(served + "/api/v1/findings/1", lister)[0] == 403
    assert get(served + "/findings/1", lister)[0] == 403
