"""Helpers for agent tests against the real apiserver: namespaces, nodes, admin reads."""

from __future__ import annotations

import json
import ssl
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from lightkube import ApiError, Client, KubeConfig
from lightkube.models.meta_v1 import ObjectMeta
from lightkube.resources.core_v1 import Namespace, Node
from lightkube.types import PatchType

from support.apiserver import ADMIN_TOKEN, ApiServer

NAMESPACE = "kubedrift-system"
DEPLOY = Path(__file__).resolve().parents[2] / "deploy" / "agent"
APPLY_PATCH = "application/apply-patch+yaml"
_PLURALS = {
    "Namespace": "namespaces",
    "ServiceAccount": "serviceaccounts",
    "ClusterRole": "clusterroles",
    "ClusterRoleBinding": "clusterrolebindings",
    "Role": "roles",
    "RoleBinding": "rolebindings",
    "DaemonSet": "daemonsets",
}


@contextmanager
def admin(apiserver: ApiServer) -> Iterator[Client]:
    """A lightkube client with the test bed's admin token, closed after use."""
    client = Client(config=KubeConfig.from_file(apiserver.kubeconfig))
    try:
        yield client
    finally:
        client.close()


def ensure_namespace(apiserver: ApiServer, name: str = NAMESPACE) -> None:
    """Create the namespace unless it exists."""
    with admin(apiserver) as client:
        try:
            client.create(Namespace(metadata=ObjectMeta(name=name)))
        except ApiError as err:
            if err.status.code != 409:
                raise


def register_node(apiserver: ApiServer, name: str) -> dict[str, Any]:
    """Register a Node object, as a node simulator would; returns it as JSON."""
    with admin(apiserver) as client:
        client.create(Node(metadata=ObjectMeta(name=name, labels={"pool": "h100"})))
    return read(apiserver, f"/api/v1/nodes/{name}")


def delete_node(apiserver: ApiServer, name: str) -> None:
    """Delete a Node."""
    with admin(apiserver) as client:
        client.delete(Node, name)


def annotate_node(apiserver: ApiServer, name: str, extra: dict[str, str]) -> None:
    """Merge more annotations into a Node, as another writer would."""
    with admin(apiserver) as client:
        client.patch(Node, name, {"metadata": {"annotations": extra}}, patch_type=PatchType.MERGE)


def read(apiserver: ApiServer, path: str, *, token: str | None = None) -> dict[str, Any]:
    """GET as admin (or with `token`); fails the test on any status but 200."""
    status, body = apiserver.get(path) if token is None else apiserver.get(path, token=token)
    assert status == 200, f"GET {path}: {status} {body[:300]!r}"
    value: dict[str, Any] = json.loads(body)
    return value


def node_annotations(apiserver: ApiServer, node: str) -> dict[str, str]:
    """The Node's annotations."""
    meta = read(apiserver, f"/api/v1/nodes/{node}")["metadata"]
    return dict(meta.get("annotations") or {})


def configmap(apiserver: ApiServer, name: str, namespace: str = NAMESPACE) -> dict[str, Any]:
    """A ConfigMap as JSON."""
    return read(apiserver, f"/api/v1/namespaces/{namespace}/configmaps/{name}")


def request(
    apiserver: ApiServer,
    method: str,
    path: str,
    body: dict[str, Any] | None = None,
    *,
    content_type: str = "application/json",
    token: str = ADMIN_TOKEN,
) -> tuple[int, dict[str, Any]]:
    """A raw JSON request; returns the status and the decoded answer (errors included)."""
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(apiserver.url + path, data=data, method=method)
    req.add_header("Authorization", f"Bearer {token}")
    req.add_header("Content-Type", content_type)
    context = ssl.create_default_context(cafile=str(apiserver.ca_file))
    try:
        with urllib.request.urlopen(req, context=context, timeout=30) as resp:
            return int(resp.status), json.loads(resp.read())
    except urllib.error.HTTPError as err:
        with err:  # the error holds the response and its socket
            return int(err.code), json.loads(err.read() or b"{}")


def object_path(doc: dict[str, Any]) -> str:
    """The REST path of a manifest's object (the kinds deploy/agent uses)."""
    api_version, kind = doc["apiVersion"], doc["kind"]
    base = f"/api/{api_version}" if "/" not in api_version else f"/apis/{api_version}"
    namespace = doc["metadata"].get("namespace")
    scope = f"/namespaces/{namespace}" if namespace else ""
    return f"{base}{scope}/{_PLURALS[kind]}/{doc['metadata']['name']}"


def apply(
    apiserver: ApiServer, doc: dict[str, Any], *, dry_run: bool
) -> tuple[int, dict[str, Any]]:
    """Server-side apply one manifest as admin (`?dryRun=All` when `dry_run`)."""
    query = "?fieldManager=kubedrift-test&force=true" + ("&dryRun=All" if dry_run else "")
    return request(apiserver, "PATCH", object_path(doc) + query, doc, content_type=APPLY_PATCH)
