"""How serious a difference is, from the object kind, the path and the rule.

First match wins:

| what | severity |
|---|---|
| a desired field the server does not keep (`field-not-served`) | info |
| desired object missing from the cluster | high |
| a Secret value (`/data/*`, `/stringData/*`) | high |
| container `image`, `command`, `args`, `resources` (GPU limits included) | high |
| pod placement and privilege (below): `nodeSelector`, `tolerations`, `affinity`, … | high |
| RBAC `rules`, `subjects`, `roleRef`; webhook configuration `webhooks` | high |
| the object's own `metadata.labels` / `metadata.annotations` | low |
| anything else (replicas, env, probes, ports, template labels, …) | medium |

Placement and privilege fields: `nodeSelector`, `tolerations`, `affinity`, `nodeName`,
`runtimeClassName`, `securityContext`, `serviceAccountName`, `hostNetwork`, `hostPID`,
`hostIPC`, `volumes` (what a pod can reach on its node).
"""

from __future__ import annotations

from kubedrift.diff.differences import Rule
from kubedrift.diff.pointers import Path
from kubedrift.model import Severity

_CONTAINER_LISTS = frozenset({"containers", "initContainers", "ephemeralContainers"})
_CONTAINER_HIGH = frozenset({"image", "command", "args", "resources"})
_POD_HIGH = frozenset(
    {
        "nodeSelector",
        "tolerations",
        "affinity",
        "nodeName",
        "runtimeClassName",
        "securityContext",
        "serviceAccountName",
        "hostNetwork",
        "hostPID",
        "hostIPC",
        "volumes",
    }
)
_RBAC_KINDS = frozenset({"Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding"})
_WEBHOOK_KINDS = frozenset({"MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"})


_BY_RULE = {Rule.FIELD_NOT_SERVED: Severity.INFO, Rule.OBJECT_MISSING: Severity.HIGH}


def severity_of(kind: str, path: Path, rule: Rule) -> Severity:
    """The severity of one difference (see the module table)."""
    fixed = _BY_RULE.get(rule)
    if fixed is not None:
        return fixed
    head = path[0] if path else ""
    if kind == "Secret" and head in ("data", "stringData"):
        return Severity.HIGH
    if _container_field(path) or any(segment in _POD_HIGH for segment in path):
        return Severity.HIGH
    if (kind in _RBAC_KINDS and head in ("rules", "subjects", "roleRef")) or (
        kind in _WEBHOOK_KINDS and head == "webhooks"
    ):
        return Severity.HIGH
    if head == "metadata" and len(path) > 1 and path[1] in ("labels", "annotations"):
        return Severity.LOW
    return Severity.MEDIUM


def _container_field(path: Path) -> bool:
    """True for a path below `<containers>/<one container>/<image|command|args|resources>`."""
    return any(
        path[i] in _CONTAINER_LISTS and path[i + 2] in _CONTAINER_HIGH for i in range(len(path) - 2)
    )
