"""The one conversion of the scan inputs into a `ScanRequest`, for every command that scans.

`scan`, `report`, `plan`, `apply` and `adopt` take the same inputs (cli/scan_inputs.py, one
`ScanInputs` value built from the options of cli/options.py) and turn them into the
engine's request here, so they read the same desired state, the same cluster or snapshot,
and apply the same suppressions: those of KubedriftConfigs (read by the engine) and those
recorded with `kubedrift suppress` in the timeline store (read here, through
`store_suppressions`: the named store, else the default file when it exists). Before this
function `report` built its request by hand and left the store's suppressions out, so a
finding `scan` showed as suppressed counted as open drift in the report.

Imported only when a command runs (it imports the engine), never by `kubedrift --help`.
"""

from __future__ import annotations

from kubedrift.cli.scan_inputs import ScanInputs
from kubedrift.cli.suppress_store import store_suppressions
from kubedrift.cluster.target import ClusterTarget
from kubedrift.engine import ScanRequest


def cluster_target(inputs: ScanInputs) -> ClusterTarget:
    """The cluster `--kubeconfig`, `--context` and `--in-cluster` name."""
    return ClusterTarget(
        kubeconfig=inputs.kubeconfig, context=inputs.context, in_cluster=inputs.in_cluster
    )


def scan_request(inputs: ScanInputs) -> ScanRequest:
    """The scan the inputs ask for; `inputs.store` is where `kubedrift suppress` entries are
    read (None: the default store, when it exists; never created)."""
    return ScanRequest(
        desired=inputs.desired,
        snapshots=inputs.live,
        target=cluster_target(inputs),
        namespace=inputs.namespace,
        all_namespaces=inputs.all_namespaces,
        config=inputs.config,
        check_nodes=inputs.nodes,
        check_workloads=inputs.workloads,
        pool_label=inputs.pool_label,
        disabled_rules=inputs.disabled_rules,
        allow_empty=inputs.allow_empty,
        selector=inputs.selector,
        agent_namespace=inputs.agent_namespace,
        suppressions=store_suppressions(inputs.store),
    )
