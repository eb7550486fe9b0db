"""Which cluster a command means, without the HTTP client: for commands that only read files.

`ClusterTarget` is what `diff`, `scan`, `watch` and the API pass around; the connection
itself (lightkube, httpx2, asyncio, PyYAML) lives in `cluster/connection.py`, which
re-exports `ClusterTarget`. `diff` of two files asks only the kubeconfig context's namespace,
and on a machine with no kubeconfig at all there is nothing to ask: `context_namespace`
answers None then without importing the connection (start-up time, issue 18.5).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

SERVICE_ACCOUNT_DIR = Path("/var/run/secrets/kubernetes.io/serviceaccount")
DEFAULT_KUBECONFIG = "~/.kube/config"  # lightkube's KubeConfig.from_env default, as kubectl's


@dataclass(frozen=True, slots=True)
class ClusterTarget:
    """Which cluster to talk to: a kubeconfig (default `KUBECONFIG`/~/.kube/config) and context.

    `in_cluster=True` uses the pod's service account; with neither a kubeconfig nor a
    context given, the in-cluster account is used when present (as kubectl does).
    """

    kubeconfig: Path | None = None
    context: str | None = None
    in_cluster: bool = False
    timeout: float = 30.0


def no_kubeconfig(target: ClusterTarget) -> bool:
    """Nothing to read for `target`: none named, no `KUBECONFIG`, no ~/.kube/config and no
    service account token (where `connection.resolve_config` could only fail)."""
    return (
        target.kubeconfig is None
        and target.context is None
        and not target.in_cluster
        and "KUBECONFIG" not in os.environ
        and not (SERVICE_ACCOUNT_DIR / "token").exists()
        and not Path(DEFAULT_KUBECONFIG).expanduser().is_file()
    )


def context_namespace(target: ClusterTarget) -> str | None:
    """`connection.context_namespace(target)`: None at once when there is no kubeconfig."""
    if no_kubeconfig(target):
        return None
    from kubedrift.cluster import connection

    return connection.context_namespace(target)
