"""Publishing a node's agent facts where the scanner reads them: one ConfigMap per node.

The ConfigMap `kubedrift-facts-<node>` (default namespace `kubedrift-system`) holds the
facts as canonical JSON (a flat object of strings, keys sorted, no spaces) under
`facts.json`, plus `digest` (`sha256:<hex>` of exactly that text,
`kubedrift.analysis.facts.facts_digest`, which the scanner checks), `node`,
`agent-version`, `collected-at` (RFC 3339, UTC) and `notes` (what could not be read, one
per line). The Node owns it, so the garbage collector removes it with the Node.

The agent never writes the Node: RBAC cannot narrow `patch nodes` to the agent's own node
(resourceNames are fixed in the Role, not per pod), so a Node-writing agent could rewrite
every node's labels and taints. It only reads its Node (`get`, for the owner's uid). The
`kubedrift.io/facts*` annotations older agents wrote are still read by the scanner when a
node has no ConfigMap (`kubedrift.analysis.facts.attach_published_facts`).

Nothing is written when nothing changed: the ConfigMap is patched only when its content
(all but `collected-at`) or its owner differs. `collected-at` therefore says when these
facts were first seen.
"""

from __future__ import annotations

import enum
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from kubedrift.analysis.facts import facts_digest
from kubedrift.cluster.connection import Connection
from kubedrift.cluster.errors import Conflict
from kubedrift.cluster.rest import MERGE_PATCH, send_json
from kubedrift.model import AGENT_NAMESPACE, ClusterError

FIELD_MANAGER = "kubedrift-agent"
DEFAULT_NAMESPACE = AGENT_NAMESPACE
NODE_KEY = "kubedrift.io/node"
_PREFIX = "kubedrift-facts-"
_MAX_NAME = 253
_MAX_LABEL_VALUE = 63
_PARAMS = {"fieldManager": FIELD_MANAGER}


class Outcome(enum.Enum):
    """What a publish did to one object."""

    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


@dataclass(frozen=True, slots=True)
class FactsDocument:
    """The facts of one node as the agent collected them, with their collection metadata."""

    node: str
    facts: Mapping[str, str]
    agent_version: str
    collected_at: datetime
    notes: tuple[str, ...] = field(default=())


@dataclass(frozen=True, slots=True)
class Published:
    """The result of one publish."""

    node: str
    digest: str
    facts: int
    size: int
    configmap: Outcome
    configmap_ref: str


def encode_facts(facts: Mapping[str, str]) -> str:
    """The canonical JSON text of a fact map: keys sorted, no whitespace, UTF-8 as is."""
    return json.dumps(dict(facts), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def configmap_name(node: str) -> str:
    """`kubedrift-facts-<node>`, shortened with a hash when the name would pass 253 chars."""
    name = _PREFIX + node
    if len(name) <= _MAX_NAME:
        return name
    suffix = "-" + hashlib.sha256(node.encode()).hexdigest()[:10]
    return name[: _MAX_NAME - len(suffix)].rstrip(".-") + suffix


async def publish_facts(
    conn: Connection, doc: FactsDocument, *, namespace: str = DEFAULT_NAMESPACE
) -> Published:
    """Write the node's ConfigMap when it changed; the Node itself is only read."""
    node = await conn.get_json(f"/api/v1/nodes/{doc.node}", what=f"Node/{doc.node}")
    if node is None:
        raise ClusterError("node not found (check --node-name)", where=f"Node/{doc.node}")
    text = encode_facts(doc.facts)
    digest = facts_digest(text)
    name = configmap_name(doc.node)
    cm_outcome = await _write_configmap(conn, namespace, name, _configmap(doc, text, digest, node))
    return Published(
        node=doc.node,
        digest=digest,
        facts=len(doc.facts),
        size=len(text.encode()),
        configmap=cm_outcome,
        configmap_ref=f"{namespace}/{name}",
    )


def _configmap(
    doc: FactsDocument, text: str, digest: str, node: Mapping[str, Any]
) -> dict[str, Any]:
    labels = {"app.kubernetes.io/part-of": "kubedrift", "app.kubernetes.io/managed-by": "agent"}
    if len(doc.node) <= _MAX_LABEL_VALUE:
        labels[NODE_KEY] = doc.node
    owner = {"apiVersion": "v1", "kind": "Node", "name": doc.node, "uid": _uid(node)}
    data = {
        "facts.json": text,
        "digest": digest,
        "node": doc.node,
        "agent-version": doc.agent_version,
        "collected-at": doc.collected_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "notes": "\n".join(doc.notes),
    }
    metadata = {"labels": labels, "annotations": {NODE_KEY: doc.node}, "ownerReferences": [owner]}
    return {"metadata": metadata, "data": data}


def _uid(node: Mapping[str, Any]) -> str:
    return str((node.get("metadata") or {}).get("uid") or "")


async def _write_configmap(
    conn: Connection, namespace: str, name: str, body: dict[str, Any]
) -> Outcome:
    path = f"/api/v1/namespaces/{namespace}/configmaps"
    what = f"ConfigMap/{namespace}/{name}"
    current = await conn.get_json(f"{path}/{name}", what=what)
    if current is None:
        created = {"apiVersion": "v1", "kind": "ConfigMap", **body}
        created["metadata"] = {"name": name, "namespace": namespace, **body["metadata"]}
        try:
            await send_json(conn, "POST", path, created, what=what, params=_PARAMS)
            return Outcome.CREATED
        except Conflict:
            pass  # another writer created it meanwhile: patch it like any existing one
    elif _configmap_current(current, body):
        return Outcome.UNCHANGED
    await _patch(conn, f"{path}/{name}", body, what=what)
    return Outcome.UPDATED


def _configmap_current(current: Mapping[str, Any], body: Mapping[str, Any]) -> bool:
    data = current.get("data") or {}
    wanted = body["data"]
    if any(data.get(k) != v for k, v in wanted.items() if k != "collected-at"):
        return False
    meta = current.get("metadata") or {}
    owners = [(o.get("kind"), o.get("uid")) for o in meta.get("ownerReferences") or ()]
    want = body["metadata"]["ownerReferences"][0]
    return owners == [(want["kind"], want["uid"])] and _has(meta, body["metadata"])


def _has(meta: Mapping[str, Any], wanted: Mapping[str, Any]) -> bool:
    return all(
        (meta.get(part) or {}).get(k) == v
        for part in ("labels", "annotations")
        for k, v in wanted[part].items()
    )


async def _patch(conn: Connection, path: str, patch: Mapping[str, Any], *, what: str) -> None:
    await send_json(conn, "PATCH", path, patch, what=what, content_type=MERGE_PATCH, params=_PARAMS)
