"""`DiffOptions`: every switch of the object diff, in one frozen value with documented defaults."""

from __future__ import annotations

from dataclasses import dataclass, field

from kubedrift.diff.ignore import IgnoreRule
from kubedrift.diff.secrets import PROCESS_KEY
from kubedrift.diff.trusted import BUILTIN_TRUSTED_RULES, TrustedRule

DEFAULT_APPLIER_MANAGERS: frozenset[str] = frozenset(
    {
        "kubedrift",
        "kubectl",
        "argocd-controller",
        "helm",
        "helm-controller",
        "kustomize-controller",
        "pulumi-kubernetes*",
    }
)
"""Field managers (globs) whose server-side `Apply` entries record what desired set before.

`kubectl apply --server-side` applies as `kubectl`, Argo CD as `argocd-controller`, Flux as
`kustomize-controller` / `helm-controller`. Client-side appliers (`kubectl-client-side-apply`,
Helm 3's `helm` Update entries) need not be listed: their record is the last-applied annotation,
and their `Update` entries also own API defaults, so they cannot serve."""


@dataclass(frozen=True)
class DiffOptions:
    """How objects are compared.

    - `ignore_rules`: fields never compared (`compile_ignore_rules`); none by default.
    - `trusted_rules`: fields owned by trusted controllers (`BUILTIN_TRUSTED_RULES` by default;
      pass `BUILTIN_TRUSTED_RULES + compile_trusted_rules(raw)` to add your own).
    - `secret_hash_key`: key of the HMAC shown for Secret values; random per process by
      default, set it to compare hashes across runs. Never shown in `repr`.
    - `revision`: the Git commit of desired, recorded on every finding.
    - `applier_managers`: see `DEFAULT_APPLIER_MANAGERS`.
    """

    ignore_rules: tuple[IgnoreRule, ...] = ()
    trusted_rules: tuple[TrustedRule, ...] = BUILTIN_TRUSTED_RULES
    secret_hash_key: bytes = field(default=PROCESS_KEY, repr=False)
    revision: str | None = None
    applier_managers: frozenset[str] = DEFAULT_APPLIER_MANAGERS
