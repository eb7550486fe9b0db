"""Facts about one node: a flat, frozen mapping from fact name to value.

Fact names are what findings show in `path`, what `NodeProfile.spec.expect` keys on and
what peers are compared by, so they are stable and readable:

- `nodeInfo.<field>`: `status.nodeInfo.<field>` as reported, e.g. `nodeInfo.kernelVersion`;
- `label:<key>`: `metadata.labels[<key>]`;
- `taint:<key>:<effect>`: a taint in `spec.taints`, e.g. `taint:nvidia.com/gpu:NoSchedule`;
  its value is the taint's value (`""` when it has none);
- `capacity:<resource>`, `allocatable:<resource>`: `status.capacity` and
  `status.allocatable`, as canonical quantity text;
- `agent:<name>`: from the node agent's `kubedrift.io/facts` annotation, e.g.
  `agent:sysctl.vm.max_map_count`; JSON scalars as they are, lists and objects as
  sorted compact JSON text.

An absent fact is simply not in the mapping. Quantities are canonical so equal values
compare equal: byte resources (`memory`, `ephemeral-storage`, `hugepages-*`) in the
largest binary unit that keeps them whole (`16Gi`, `15723588Ki`), the rest as
`kubedrift.diff.quantities.canonical_quantity` writes them (`8`, `191450m`).
`nodeInfo.machineID`, `systemUUID` and `bootID` are kept but naturally unique per node
(`UNIQUE_FACTS`): they identify a machine or a boot and are never compared with peers.

`NodeFacts.has_agent` says whether the node published agent facts at all: during an
agent rollout some nodes have none, and their peers' agent facts are not theirs to miss.

The node agent publishes `kubedrift.io/facts` (a JSON object, fact name → value) and
`kubedrift.io/facts-digest` (`facts_digest` of the annotation's exact text). Facts whose
digest does not match, or that are not a JSON object, are dropped and the node's
`problems` say why; without a digest annotation the facts are read as they are.

Agents since 0.1 publish only through a ConfigMap per node (`kubedrift-facts-<node>` in the
agent's namespace, `facts.json` + `digest`), never on the Node: patching Nodes would need
RBAC that cannot be narrowed to the agent's own node. `attach_published_facts` folds those
ConfigMaps into the nodes' views as the two annotations above, so the digest check and
every rule read them the same way; a Node annotation written by an older agent is still
read when its node has no ConfigMap.
"""

from __future__ import annotations

import enum
import hashlib
import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from functools import lru_cache
from types import MappingProxyType
from typing import Any, TypeAlias

from kubedrift.diff.quantities import canonical_quantity, quantity_value
from kubedrift.model import InputError
from kubedrift.model.kube import (
    Node,
    Quantity,
    as_configmap,
    as_node,
    metadata_of,
    node_spec_of,
    node_status_of,
)

FactValue: TypeAlias = str | int | float | bool | None
"""A fact's value: a JSON scalar."""

NODE_INFO_FIELDS = (
    "kernelVersion",
    "osImage",
    "containerRuntimeVersion",
    "kubeletVersion",
    "kubeProxyVersion",
    "architecture",
    "operatingSystem",
    "machineID",
    "systemUUID",
    "bootID",
)
UNIQUE_FACTS = frozenset({"nodeInfo.machineID", "nodeInfo.systemUUID", "nodeInfo.bootID"})
TAINT_EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")
FACTS_ANNOTATION = "kubedrift.io/facts"
DIGEST_ANNOTATION = "kubedrift.io/facts-digest"
AGENT_CONFIGMAP_SELECTOR = "app.kubernetes.io/part-of=kubedrift,app.kubernetes.io/managed-by=agent"
"""The labels every agent ConfigMap carries."""
_BYTE_RESOURCES = frozenset({"memory", "ephemeral-storage", "storage"})
_BINARY_UNITS = (
    ("Ei", 2**60),
    ("Pi", 2**50),
    ("Ti", 2**40),
    ("Gi", 2**30),
    ("Mi", 2**20),
    ("Ki", 2**10),
)


class FactKind(enum.Enum):
    """Where a fact comes from: the part of its name before `:` (or `.` for nodeInfo)."""

    NODE_INFO = "nodeInfo"
    LABEL = "label"
    TAINT = "taint"
    CAPACITY = "capacity"
    ALLOCATABLE = "allocatable"
    AGENT = "agent"


@lru_cache(maxsize=65536)
def label_fact(key: str) -> str:
    """`label:<key>`; cached so 5,000 nodes share one string per label key."""
    return f"label:{key}"


@lru_cache(maxsize=4096)
def taint_fact(key: str, effect: str) -> str:
    """`taint:<key>:<effect>`."""
    return f"taint:{key}:{effect}"


@lru_cache(maxsize=4096)
def capacity_fact(resource: str) -> str:
    """`capacity:<resource>`."""
    return f"capacity:{resource}"


@lru_cache(maxsize=4096)
def allocatable_fact(resource: str) -> str:
    """`allocatable:<resource>`."""
    return f"allocatable:{resource}"


@lru_cache(maxsize=65536)
def agent_fact(name: str) -> str:
    """`agent:<name>`."""
    return f"agent:{name}"


def fact_kind(name: str) -> FactKind | None:
    """The kind of a fact name, or None when it follows no known form."""
    if name.startswith("nodeInfo."):
        return FactKind.NODE_INFO
    prefix, sep, rest = name.partition(":")
    if not sep or not rest or prefix == FactKind.NODE_INFO.value:
        return None
    try:
        return FactKind(prefix)
    except ValueError:
        return None


def fact_name_error(name: str) -> str | None:
    """Why `name` is not a valid fact name, or None when it is."""
    kind = fact_kind(name)
    if kind is None:
        return (
            f"unknown fact {name!r}: use nodeInfo.<field>, label:<key>, taint:<key>:<effect>, "
            "capacity:<resource>, allocatable:<resource> or agent:<name>"
        )
    if kind is FactKind.NODE_INFO and name.removeprefix("nodeInfo.") not in NODE_INFO_FIELDS:
        return f"unknown fact {name!r}: nodeInfo fields are {', '.join(NODE_INFO_FIELDS)}"
    if kind is FactKind.TAINT:
        key, _, effect = name.removeprefix("taint:").rpartition(":")
        if not key or effect not in TAINT_EFFECTS:
            return f"invalid taint fact {name!r}: write taint:<key>:<{'|'.join(TAINT_EFFECTS)}>"
    return None


def is_resource_fact(name: str) -> bool:
    """Whether the fact is a capacity or allocatable quantity."""
    return name.startswith(("capacity:", "allocatable:"))


def facts_digest(text: str) -> str:
    """The digest the agent publishes beside its facts: `sha256:<hex>` of the exact text."""
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


class NodeFacts(Mapping[str, FactValue]):
    """The facts of one node, read once; `problems` lists facts that had to be dropped.

    `view` is the same facts as a read-only dict proxy, for loops that look up one fact
    on thousands of nodes (its `get` runs in C).
    """

    __slots__ = ("_facts", "has_agent", "name", "problems", "view")

    name: str
    problems: tuple[str, ...]
    view: Mapping[str, FactValue]
    has_agent: bool
    _facts: dict[str, FactValue]

    def __init__(
        self,
        name: str,
        facts: Mapping[str, FactValue],
        problems: tuple[str, ...] = (),
        has_agent: bool | None = None,
    ) -> None:
        object.__setattr__(self, "name", name)
        if has_agent is None:
            has_agent = any(k.startswith("agent:") for k in facts)
        object.__setattr__(self, "has_agent", has_agent)
        own = dict(facts)
        object.__setattr__(self, "_facts", own)
        object.__setattr__(self, "view", MappingProxyType(own))
        object.__setattr__(self, "problems", problems)

    def __setattr__(self, key: str, value: object) -> None:
        raise AttributeError("NodeFacts is frozen")

    def __getitem__(self, key: str) -> FactValue:
        return self._facts[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._facts)

    def __len__(self) -> int:
        return len(self._facts)

    def __contains__(self, key: object) -> bool:
        return key in self._facts

    def get(self, key: str, default: Any = None) -> Any:
        """The fact's value, or `default`; a plain dict lookup (peers call this a lot)."""
        return self._facts.get(key, default)

    def __repr__(self) -> str:
        return f"NodeFacts({self.name!r}, {len(self._facts)} facts)"

    def label(self, key: str) -> str | None:
        """A label's value as text, or None when the node does not have it."""
        value = self._facts.get(label_fact(key))
        return None if value is None else str(value)

    def labels(self) -> Mapping[str, str]:
        """The node's labels as a read-only mapping (a view, not a copy)."""
        return _LabelView(self)


class _LabelView(Mapping[str, str]):
    """Labels of a `NodeFacts`, keyed by label key."""

    __slots__ = ("_facts",)

    def __init__(self, facts: NodeFacts) -> None:
        self._facts = facts

    def __getitem__(self, key: str) -> str:
        value = self._facts.label(key)
        if value is None:
            raise KeyError(key)
        return value

    def get(self, key: str, default: Any = None) -> Any:
        """The label's value, or `default` (no exception raised and caught per miss)."""
        value = self._facts.label(key)
        return default if value is None else value

    def __iter__(self) -> Iterator[str]:
        return (name[6:] for name in self._facts if name.startswith("label:"))

    def __len__(self) -> int:
        return sum(1 for _ in self)


def node_facts(node: Mapping[str, object]) -> NodeFacts:
    """Read the facts of a `v1 Node` as the API returns it; the node is not modified."""
    meta = metadata_of(node)
    name = meta.get("name")
    if not isinstance(name, str) or not name:
        raise InputError("a Node has no metadata.name", where="nodes")
    status = node_status_of(as_node(node))
    facts: dict[str, FactValue] = {
        "nodeInfo." + field: _text(value)
        for field, value in (status.get("nodeInfo") or {}).items()
        if field in NODE_INFO_FIELDS and value is not None
    }
    facts.update(
        (label_fact(key), value if value.__class__ is str else _text(value))
        for key, value in (meta.get("labels") or {}).items()
    )
    for taint in node_spec_of(as_node(node)).get("taints") or ():
        key = taint.get("key")
        if key:
            facts[taint_fact(key, str(taint.get("effect", "")))] = _text(taint.get("value", ""))
    facts.update(_resources(capacity_fact, status.get("capacity")))
    facts.update(_resources(allocatable_fact, status.get("allocatable")))
    agent, problems = _agent_facts(meta.get("annotations") or {})
    facts.update(agent)
    return NodeFacts(name, facts, problems, has_agent=bool(agent))


def _resources(
    fact: Callable[[str], str], quantities: Mapping[str, Quantity] | None
) -> Iterator[tuple[str, str]]:
    for resource, value in (quantities or {}).items():
        try:
            yield fact(resource), _cached_quantity(resource, value)
        except TypeError:  # an unhashable value in a hand-written snapshot
            yield fact(resource), resource_quantity(resource, value)


def resource_quantity(resource: str, value: object) -> str:
    """The canonical text of a resource quantity (see the module docstring)."""
    if resource in _BYTE_RESOURCES or resource.startswith("hugepages-"):
        number = quantity_value(value)
        if number is not None and number.denominator == 1:
            return _binary_text(number.numerator)
    return canonical_quantity(value) or _text(value)


# Nodes of a pool report the same quantities: 5,000 nodes hold a few hundred distinct ones.
_cached_quantity = lru_cache(maxsize=8192)(resource_quantity)


def _binary_text(number: int) -> str:
    for suffix, unit in _BINARY_UNITS:
        if number and number % unit == 0:
            return f"{number // unit}{suffix}"
    return str(number)


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else str(value)


def _agent_facts(
    annotations: Mapping[str, object],
) -> tuple[dict[str, FactValue], tuple[str, ...]]:
    raw = annotations.get(FACTS_ANNOTATION)
    if raw is None:
        return {}, ()
    if not isinstance(raw, str):
        return {}, (f"{FACTS_ANNOTATION} is not a string",)
    digest = annotations.get(DIGEST_ANNOTATION)
    if digest is not None and digest != facts_digest(raw):
        return {}, (f"{FACTS_ANNOTATION} does not match {DIGEST_ANNOTATION}",)
    try:
        data = json.loads(raw)
    except ValueError:
        return {}, (f"{FACTS_ANNOTATION} is not valid JSON",)
    if not isinstance(data, dict):
        return {}, (f"{FACTS_ANNOTATION} is not a JSON object",)
    return {agent_fact(str(k)): _scalar(v) for k, v in data.items()}, ()


def _scalar(value: object) -> FactValue:
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def published_facts(
    configmaps: Iterable[Mapping[str, object]], namespace: str
) -> dict[str, tuple[str, str]]:
    """Node name → (facts text, digest) of each agent ConfigMap in `namespace`.

    Only the agent's namespace counts: a ConfigMap elsewhere, with the same labels, is not
    the agent's and must not speak for a node. A ConfigMap without `facts.json` or `node`
    is skipped; one without a digest gets an empty one, which fails the digest check.
    """
    found: dict[str, tuple[str, str]] = {}
    for cm in configmaps:
        meta = metadata_of(cm)
        data = as_configmap(cm).get("data") or {}
        text, node = data.get("facts.json"), data.get("node")
        if meta.get("namespace") != namespace or not isinstance(text, str) or not node:
            continue
        found[str(node)] = (text, str(data.get("digest") or ""))
    return found


def attach_published_facts(
    nodes: Iterable[Mapping[str, Any]], published: Mapping[str, tuple[str, str]]
) -> list[Node]:
    """The nodes, each with its ConfigMap's facts and digest in place of any annotations.

    Nodes without a ConfigMap keep what they have (an older agent's annotations). The
    nodes given are not changed: a node with published facts is a shallow copy. This is
    where a Node read from the API or a snapshot becomes the typed `Node` the analysis reads.
    """
    out: list[Node] = []
    for node in nodes:
        meta = node.get("metadata") or {}
        entry = published.get(str(meta.get("name")))
        if entry is None:
            out.append(as_node(node))
            continue
        notes = {**(meta.get("annotations") or {})}
        notes[FACTS_ANNOTATION], notes[DIGEST_ANNOTATION] = entry
        out.append(as_node({**node, "metadata": {**meta, "annotations": notes}}))
    return out
