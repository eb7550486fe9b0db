"""The one conversion of command-line inputs into a `ScanRequest`, for every command that scans.

`scan`, `report`, `plan`, `apply` and `adopt` take the same inputs (cli/options.py) and turn
them into the engine's request here, so they read the same desired state, the same cluster
or snapshot, and apply the same suppressions: those of KubedriftConfigs (read by the engine)
and those recorded with `kubedrift suppress` in the timeline store (read here, through
`store_suppressions`: the named store, else the default file when it exists). Before this
function `report` built its request by hand and left the store's suppressions out, so a
finding `scan` showed as suppressed counted as open drift in the report.

Imported only when a command runs (it imports the engine), never by `kubedrift --help`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from kubedrift.cli.suppress_store import store_suppressions
from kubedrift.cluster.connection import ClusterTarget
from kubedrift.engine import ScanRequest
from kubedrift.model import AGENT_NAMESPACE


def cluster_target(
    kubeconfig: Path | None = None, context: str | None = None, *, in_cluster: bool = False
) -> ClusterTarget:
    """The cluster `--kubeconfig`, `--context` and `--in-cluster` name."""
    return ClusterTarget(kubeconfig=kubeconfig, context=context, in_cluster=in_cluster)


def scan_request(
    *,
    desired: Sequence[str] | None = None,
    live: Sequence[Path] | None = None,
    target: ClusterTarget | None = None,
    namespace: str | None = None,
    all_namespaces: bool = False,
    selector: str | None = None,
    config: Path | None = None,
    nodes: bool = True,
    workloads: bool = True,
    pool_label: str | None = None,
    disable_rule: Sequence[str] | None = None,
    allow_empty: bool = False,
    agent_namespace: str = AGENT_NAMESPACE,
    store: str | None = None,
) -> ScanRequest:
    """The scan the shared options ask for; `store` is where `kubedrift suppress` entries are
    read (None: the default store, when it exists; never created)."""
    return ScanRequest(
        desired=tuple(desired or ()),
        snapshots=tuple(live or ()),
        target=target if target is not None else ClusterTarget(),
        namespace=namespace,
        all_namespaces=all_namespaces,
        config=config,
        check_nodes=nodes,
        check_workloads=workloads,
        pool_label=pool_label,
        disabled_rules=tuple(disable_rule or ()),
        allow_empty=allow_empty,
        selector=selector,
        agent_namespace=agent_namespace,
        suppressions=store_suppressions(store),
    )
