"""Trusted controllers: fields that a known controller owns are not drift.

A trusted rule is an ignore rule with a condition. The fields its pointers select are not
compared when ANY of its conditions holds (no condition at all: always):

- `managers`: the field was last written (per live `managedFields`, most specific owner) by a
  manager matching one of these globs; checked per field, only for fields that differ;
- `ifPresent`: live has one of these JSON pointers (e.g. `/aggregationRule`);
- `ifAutoscaled`: a HorizontalPodAutoscaler or KEDA ScaledObject (in desired or live) targets
  the object; `diff_objects` finds them, `diff_object` takes it as an argument.

Built-in rules, and why:

- autoscaled replicas (`/spec/replicas`, any kind): written by `kube-controller-manager` (the
  HPA controller, through the scale subresource) or by KEDA, or the object is an HPA/ScaledObject
  target. managedFields tell the HPA from a person's `kubectl scale` (which Argo CD cannot,
  argo-cd#3002); when an autoscaler targets the object, a manual scale is undone by it within
  seconds anyway, so the target rule alone is sound even without managedFields;
- aggregated ClusterRole `rules`: written by the role-aggregation controller whenever the
  ClusterRole has an `aggregationRule` (argo-cd#2382);
- VPA container resources on Pods: written by `vpa-updater` (in-place resize) or by the
  `vpa-admission-controller` webhook, which marks the Pod with `vpaUpdates` /
  `vpaObservedContainers` annotations (webhook writes are attributed to the Pod's creator, so
  the annotations are the reliable sign);
- GPU operator node labels and annotations (`nvidia.com/*`, `feature.node.kubernetes.io/*`)
  on Nodes, when written by the GPU operator, GPU feature discovery or NFD. Labels a person
  sets to steer the operator (`nvidia.com/mig.config` by `kubectl label`) remain drift;
- `kubectl rollout restart`'s pod-template annotation `kubectl.kubernetes.io/restartedAt`,
  when `kubectl-rollout` wrote it: a restart is an operation, not configuration, and would
  otherwise be a `field-added` on every restarted workload (`additions.py`).

The raw form of a user rule is that of an ignore rule (`name` there is the object-name glob)
plus `controller` (required: who owns the fields, for people reading the config), `managers`,
`ifPresent` and `ifAutoscaled`::

    - controller: cert-manager cainjector
      kind: MutatingWebhookConfiguration
      jsonPointers: [/webhooks/*/clientConfig/caBundle]
      managers: [cainjector]
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from kubedrift.diff import rule_config
from kubedrift.diff.prune import Pattern, parse_pattern
from kubedrift.diff.selectors import SELECTOR_KEYS, Selector, parse_selector
from kubedrift.model import JSONObject

_KEYS = SELECTOR_KEYS | {"controller", "jsonPointers", "managers", "ifPresent", "ifAutoscaled"}


@dataclass(frozen=True, slots=True)
class TrustedRule:
    """Fields a controller owns; not compared when a condition holds (see module docstring)."""

    name: str
    selector: Selector
    pointers: tuple[Pattern, ...]
    managers: tuple[str, ...] = ()
    if_present: tuple[Pattern, ...] = ()
    if_autoscaled: bool = False


def _patterns(*texts: str) -> tuple[Pattern, ...]:
    return tuple(parse_pattern(text) for text in texts)


_RBAC = "rbac.authorization.k8s.io"

BUILTIN_TRUSTED_RULES: tuple[TrustedRule, ...] = (
    TrustedRule(
        name="autoscaler-replicas",
        selector=Selector(),
        pointers=_patterns("/spec/replicas"),
        managers=("kube-controller-manager", "keda*", "horizontal-pod-autoscaler*"),
        if_autoscaled=True,
    ),
    TrustedRule(
        name="aggregated-clusterrole-rules",
        selector=Selector(group=_RBAC, kind="ClusterRole"),
        pointers=_patterns("/rules"),
        if_present=_patterns("/aggregationRule"),
    ),
    TrustedRule(
        name="vpa-pod-resources",
        selector=Selector(group="", kind="Pod"),
        pointers=_patterns("/spec/containers/*/resources", "/spec/initContainers/*/resources"),
        managers=("vpa-updater", "vpa-admission-controller", "vpa-recommender"),
        if_present=_patterns(
            "/metadata/annotations/vpaUpdates", "/metadata/annotations/vpaObservedContainers"
        ),
    ),
    TrustedRule(
        name="gpu-operator-node-labels",
        selector=Selector(group="", kind="Node"),
        pointers=_patterns(
            "/metadata/labels/nvidia.com~1*",
            "/metadata/annotations/nvidia.com~1*",
            "/metadata/labels/feature.node.kubernetes.io~1*",
        ),
        managers=(
            "gpu-operator*",
            "nvidia*",
            "gpu-feature-discovery*",
            "k8s-driver-manager*",
            "nfd*",
            "node-feature-discovery*",
        ),
    ),
    TrustedRule(
        name="kubectl-rollout-restart",
        selector=Selector(),
        pointers=_patterns(
            "/spec/template/metadata/annotations/kubectl.kubernetes.io~1restartedAt"
        ),
        managers=("kubectl-rollout",),
    ),
)


def compile_trusted_rules(raw: Sequence[Mapping[str, Any]]) -> tuple[TrustedRule, ...]:
    """Validate and compile raw trusted rules; raise InputError naming the first bad rule."""
    rules = rule_config.check_sequence(raw, "trusted rules")
    out = []
    for index, item in enumerate(rules, start=1):
        with rule_config.rule_errors(f"trusted rule #{index}"):
            out.append(_compile(item))
    return tuple(out)


def _compile(raw: Any) -> TrustedRule:
    rule = rule_config.check_mapping(raw, _KEYS)
    name = rule.get("controller")
    if not isinstance(name, str) or not name:
        raise ValueError("'controller' is required: the name of the controller owning the fields")
    autoscaled = rule.get("ifAutoscaled", False)
    if not isinstance(autoscaled, bool):
        raise ValueError("'ifAutoscaled' must be true or false")
    return TrustedRule(
        name=name,
        selector=parse_selector(rule),
        pointers=rule_config.patterns(rule, "jsonPointers", required=True),
        managers=rule_config.strings(rule, "managers"),
        if_present=rule_config.patterns(rule, "ifPresent", required=False),
        if_autoscaled=autoscaled,
    )


# Autoscalers and where their target reference lives: (group, kind) -> default target kind.
_AUTOSCALERS: Mapping[tuple[str, str], str | None] = {
    ("autoscaling", "HorizontalPodAutoscaler"): None,
    ("keda.sh", "ScaledObject"): "Deployment",
}

_KINDS = frozenset(kind for _group, kind in _AUTOSCALERS)

AutoscaledKey = tuple[str, str, str]
"""(namespace, kind, name) of an object an autoscaler targets."""


def autoscaled_targets(
    objects: Iterable[JSONObject], default_namespace: str = "default"
) -> frozenset[AutoscaledKey]:
    """Objects targeted by an HPA or a KEDA ScaledObject among `objects`."""
    out: set[AutoscaledKey] = set()
    for obj in objects:
        target = _target(obj, default_namespace) if obj.get("kind") in _KINDS else None
        if target is not None:
            out.add(target)
    return frozenset(out)


def _target(obj: JSONObject, default_namespace: str) -> AutoscaledKey | None:
    group = str(obj.get("apiVersion") or "").rpartition("/")[0]
    key = (group, str(obj.get("kind") or ""))
    if key not in _AUTOSCALERS:
        return None
    ref = (obj.get("spec") or {}).get("scaleTargetRef") or {}
    kind = ref.get("kind") or _AUTOSCALERS[key]
    name = ref.get("name")
    if not (isinstance(kind, str) and isinstance(name, str)):
        return None
    namespace = (obj.get("metadata") or {}).get("namespace") or default_namespace
    return (str(namespace), kind, name)
