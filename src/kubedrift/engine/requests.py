"""What a caller asks the engine for: frozen requests with documented defaults."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from kubedrift.cluster.connection import ClusterTarget
from kubedrift.model.suppression import Suppression


@dataclass(frozen=True, slots=True)
class ScanRequest:
    """A scan of desired state and nodes against a cluster, or against snapshot files.

    `snapshots` empty means the live cluster named by `target`. `namespace` is given to
    namespaced desired objects that name none (default: the kubeconfig context's namespace
    for a cluster, `default` for a snapshot), as `kubectl apply` does. `check_workloads`
    reads running AI workloads (every object of a snapshot; the workload kinds, listed from
    a cluster) to judge what node drift puts at risk and to run the AI workload rules.
    `disabled_rules`: rule ids never reported (`--disable-rule`), on top of the `rules:`
    switches of KubedriftConfigs. `suppressions`: those recorded with `kubedrift suppress`
    (the store's), on top of the `suppressions:` of KubedriftConfigs.
    """

    desired: tuple[str, ...] = ()
    snapshots: tuple[Path, ...] = ()
    target: ClusterTarget = field(default_factory=ClusterTarget)
    namespace: str | None = None
    config: Path | None = None
    check_nodes: bool = True
    check_workloads: bool = True
    pool_label: str | None = None
    now: datetime | None = None
    disabled_rules: tuple[str, ...] = ()
    suppressions: tuple[Suppression, ...] = ()


@dataclass(frozen=True, slots=True)
class DiffRequest:
    """`kubedrift diff DESIRED LIVE`: two files or folders of objects, paired by identity."""

    desired: Path
    live: Path
    config: Path | None = None
