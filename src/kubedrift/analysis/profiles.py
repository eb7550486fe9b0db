"""`NodeProfile` documents: what the nodes a selector picks must be, validated once.

    apiVersion: kubedrift.io/v1alpha1
    kind: NodeProfile
    metadata: {name: h100}
    spec:
      nodeSelector:                      # a Kubernetes label selector; {} selects all
        matchLabels: {node.kubernetes.io/instance-type: p5.48xlarge}
      severity: medium                   # optional default for this profile's misses
      expect:                            # fact name -> matcher (see analysis.matchers)
        nodeInfo.kernelVersion: {version: ">=5.15.0-1057, <5.16"}
        label:nvidia.com/cuda.driver-version.full: {version: ">=570.86, <571"}
        taint:nvidia.com/gpu:NoSchedule: {present: true, severity: high}

Documents arrive already parsed (the desired layer reads YAML); `compile_profiles`
raises `InputError` naming the document and the field at fault.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from kubedrift.analysis.facts import fact_name_error
from kubedrift.analysis.matchers import Expectation, compile_expectation
from kubedrift.analysis.selectors import LabelSelector, compile_selector
from kubedrift.model import InputError, Severity

API_VERSION = "kubedrift.io/v1alpha1"
KIND = "NodeProfile"
DEFAULT_SEVERITY = Severity.MEDIUM
_SPEC_FIELDS = frozenset({"nodeSelector", "expect", "severity", "description"})


@dataclass(frozen=True, slots=True)
class NodeProfile:
    """A compiled profile: which nodes it selects and what it expects of them."""

    name: str
    selector: LabelSelector
    expectations: tuple[Expectation, ...]
    severity: Severity = DEFAULT_SEVERITY
    source: str = ""


def is_node_profile(doc: Mapping[str, Any]) -> bool:
    """Whether a parsed document is a NodeProfile (of any kubedrift.io version)."""
    api_version = str(doc.get("apiVersion") or "")
    return doc.get("kind") == KIND and api_version.startswith("kubedrift.io/")


def compile_profiles(docs: Sequence[tuple[str, Mapping[str, Any]]]) -> tuple[NodeProfile, ...]:
    """Validate and compile NodeProfile documents, given as (source location, document).

    Names must be unique across all documents. The first problem raises `InputError`
    with `where` naming the document and profile, e.g. `profiles/h100.yaml, document 1
    (NodeProfile h100)`.
    """
    profiles: dict[str, NodeProfile] = {}
    for source, doc in docs:
        name = _name_of(doc)
        where = f"{source} (NodeProfile {name})" if name else source
        try:
            profile = _compile(doc, source)
        except ValueError as error:
            raise InputError(str(error), where=where) from None
        if profile.name in profiles:
            other = profiles[profile.name].source
            raise InputError(f"NodeProfile {profile.name} is also defined in {other}", where=where)
        profiles[profile.name] = profile
    return tuple(profiles.values())


def _name_of(doc: object) -> str | None:
    if not isinstance(doc, Mapping):
        return None
    name = (doc.get("metadata") or {}).get("name")
    return name if isinstance(name, str) and name else None


def _compile(doc: object, source: str) -> NodeProfile:
    if not isinstance(doc, Mapping):
        raise ValueError("a NodeProfile document must be a mapping")
    if doc.get("apiVersion") != API_VERSION:
        raise ValueError(f"apiVersion: expected {API_VERSION}, got {doc.get('apiVersion')!r}")
    if doc.get("kind") != KIND:
        raise ValueError(f"kind: expected {KIND}, got {doc.get('kind')!r}")
    name = _name_of(doc)
    if name is None:
        raise ValueError("metadata.name: required")
    spec = doc.get("spec")
    if not isinstance(spec, Mapping):
        raise ValueError("spec: required, a mapping with nodeSelector and expect")
    unknown = sorted(set(spec) - _SPEC_FIELDS)
    if unknown:
        raise ValueError(
            f"spec.{unknown[0]}: unknown field (known: {', '.join(sorted(_SPEC_FIELDS))})"
        )
    if "nodeSelector" not in spec:
        raise ValueError("spec.nodeSelector: required (use {} to select every node)")
    return NodeProfile(
        name=name,
        selector=compile_selector(spec["nodeSelector"], "spec.nodeSelector"),
        expectations=_expectations(spec.get("expect")),
        severity=_severity(spec.get("severity", DEFAULT_SEVERITY.value)),
        source=source,
    )


def _expectations(raw: object) -> tuple[Expectation, ...]:
    if not isinstance(raw, Mapping) or not raw:
        raise ValueError("spec.expect: required, a mapping of fact name to expected value")
    expectations = []
    for fact, matcher in raw.items():
        path = f"spec.expect[{str(fact)!r}]"
        problem = fact_name_error(str(fact))
        if problem is not None:
            raise ValueError(f"{path}: {problem}")
        expectations.append(compile_expectation(str(fact), matcher, path))
    return tuple(expectations)


def _severity(raw: object) -> Severity:
    try:
        return Severity(raw)
    except ValueError:
        names = ", ".join(s.value for s in Severity)
        raise ValueError(f"spec.severity: {raw!r} is not one of {names}") from None
