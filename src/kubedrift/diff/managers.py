"""Who a field manager is: an author of desired, a controller, or a person.

`metadata.managedFields` names each writer by its field manager. kubectl names its own by
command (kubernetes/kubectl, `pkg/cmd/apply/apply.go`: `FieldManagerClientSideApply =
"kubectl-client-side-apply"`, server-side apply `fieldManagerServerSideApply = "kubectl"`,
`fieldManagerLastAppliedAnnotation = "kubectl-last-applied"`; and per command through
`cmdutil.AddFieldManagerFlagVar(cmd, &o.fieldManager, "kubectl-edit")` in `edit`, likewise
`kubectl-patch`, `kubectl-set`, `kubectl-label`, `kubectl-annotate`, `kubectl-scale`,
`kubectl-rollout`, `kubectl-create`, `kubectl-replace`, `kubectl-expose`, `kubectl-autoscale`).
A client that names none is recorded by its user agent up to the first `/` (the apiserver's
`managerOrUserAgent`): `kubectl` for kubectl before 1.19, `OpenAPI-Generator` for the Python
client, `curl`.

Three roles:

- AUTHOR: wrote desired (an applier, `kubectl create`/`replace`, a GitOps controller). Its
  `Update` entries also own every API default and webhook addition of its writes, so what it
  owns is never an addition. `kubectl` (Update) is an author too: before 1.19 every kubectl
  command wrote as `kubectl`, and guessing a person there would flag every default;
- CONTROLLER: the control plane and controllers (built in below, plus every manager a trusted
  rule names): their fields are their business;
- PERSON: kubectl's imperative commands, and any other client's `Update` — a script, a
  custom tool — unless its entry owns fields of desired with desired's values, which is what
  an author's writes look like (`additions.py`). Another client's server-side `Apply` is a
  declarative tool's (an operator's), not a person's.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from functools import lru_cache

from kubedrift.diff.managed_fields import manager_matches

CLIENT_AUTHORS: frozenset[str] = frozenset(
    {
        "kubectl-client-side-apply",
        "kubectl-last-applied",
        "kubectl-create",
        "kubectl-replace",
        "kubectl",
        "before-first-apply",  # the apiserver's name for fields of objects created before SSA
        "argocd-application-controller",
        "argocd-controller",
        "helm",
        "helm-controller",
        "kustomize-controller",
        "kubedrift",
    }
)
"""Managers that write desired as a whole (besides `DiffOptions.applier_managers`)."""

PEOPLE: frozenset[str] = frozenset(
    {
        "kubectl-edit",
        "kubectl-patch",
        "kubectl-set",
        "kubectl-label",
        "kubectl-annotate",
        "kubectl-scale",
        "kubectl-rollout",
        "kubectl-taint",
        "kubectl-expose",
        "kubectl-autoscale",
        "kubectl-run",
    }
)
"""kubectl's imperative commands: always a person at a terminal."""

CONTROLLERS: frozenset[str] = frozenset(
    {
        "kube-controller-manager",
        "kube-scheduler",
        "kubelet",
        "kube-apiserver",
        "cloud-controller-manager",
        "kube-proxy",
        "horizontal-pod-autoscaler*",
        "keda*",
        "vpa-*",
        "cluster-autoscaler*",
        "karpenter*",
    }
)
"""Control-plane components and autoscalers (globs); trusted rules add their managers."""


class Role(enum.Enum):
    """What a field manager is to the diff."""

    AUTHOR = "author"
    CONTROLLER = "controller"
    PERSON = "person"


@lru_cache(maxsize=1024)
def _builtin_role(manager: str) -> Role | None:
    if manager in PEOPLE:
        return Role.PERSON
    if manager in CLIENT_AUTHORS:
        return Role.AUTHOR
    if manager_matches(manager, CONTROLLERS):
        return Role.CONTROLLER
    return None


def role_of(manager: str, operation: str, appliers: Iterable[str], trusted: Iterable[str]) -> Role:
    """The role of one managedFields entry (`trusted`: every manager a trusted rule names).

    An unknown client's `Update` is a person's (`additions.py` still checks whether its
    writes look like an author's); its server-side `Apply` is another tool's declared
    configuration (an operator, a second GitOps tool), which is that tool's business.
    """
    found = _builtin_role(manager)
    if found is not None:
        return found
    if manager_matches(manager, appliers):
        return Role.AUTHOR
    if manager_matches(manager, trusted) or operation == "Apply":
        return Role.CONTROLLER
    return Role.PERSON
