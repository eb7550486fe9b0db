"""What a caller asks the engine for: frozen requests with documented defaults."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from kubedrift.cluster.target import ClusterTarget
from kubedrift.model import AGENT_NAMESPACE
from kubedrift.model.suppression import Suppression


@dataclass(frozen=True, slots=True)
class ScanRequest:
    """A scan of desired state and nodes against a cluster, or against snapshot files.

    `snapshots` empty means the live cluster named by `target`. Namespaces are kubectl's:
    a namespaced desired object that names none is in `namespace`, else in the kubeconfig
    context's namespace (for a snapshot too, when there is a kubeconfig), else in `default`.
    A `namespace` also limits the scan to that namespace (desired objects elsewhere and
    cluster-scoped ones are skipped, workloads are read from it only), as `kubectl get -n`
    does, unless `all_namespaces` (`-A`) says to read every namespace. `check_workloads`
    reads running AI workloads (every object of a snapshot; the workload kinds, listed from
    a cluster) to judge what node drift puts at risk and to run the AI workload rules.
    `disabled_rules`: rule ids never reported (`--disable-rule`), on top of the `rules:`
    switches of KubedriftConfigs. `suppressions`: those recorded with `kubedrift suppress`
    (the store's), on top of the `suppressions:` of KubedriftConfigs.
    A desired source that holds no object is an error unless `allow_empty`.
    """

    desired: tuple[str, ...] = ()
    snapshots: tuple[Path, ...] = ()
    target: ClusterTarget = field(default_factory=ClusterTarget)
    namespace: str | None = None
    all_namespaces: bool = False
    config: Path | None = None
    check_nodes: bool = True
    check_workloads: bool = True
    pool_label: str | None = None
    now: datetime | None = None
    disabled_rules: tuple[str, ...] = ()
    suppressions: tuple[Suppression, ...] = ()
    allow_empty: bool = False
    selector: str | None = None
    """A label selector (`kubectl -l` syntax): only desired objects it matches are compared."""

    @property
    def only_namespace(self) -> str | None:
        """The one namespace the scan is limited to (`-n` without `-A`), or None."""
        return None if self.all_namespaces else self.namespace

    agent_namespace: str = AGENT_NAMESPACE
    """Where the node agents publish their facts ConfigMaps."""


@dataclass(frozen=True, slots=True)
class DiffRequest:
    """`kubedrift diff DESIRED LIVE`: two files or folders of objects, paired by identity.

    A desired object that names no namespace is in `namespace`, else in the namespace of
    `target`'s kubeconfig context when there is a kubeconfig, else in `default`.
    """

    desired: Path
    live: Path
    config: Path | None = None
    namespace: str | None = None
    target: ClusterTarget = field(default_factory=ClusterTarget)
    allow_empty: bool = False
    selector: str | None = None
    suppressions: tuple[Suppression, ...] = ()
    """Those recorded with `kubedrift suppress`, on top of the configs' `suppressions:`."""
    now: datetime | None = None
    """When suppressions expire is judged (default: the wall clock)."""
