"""A timeline with known answers, written through the store's own `record_scan`.

Daily scans at 09:00 UTC from day 0 (`T0`) to day 10; the report's period is days 3–10, so
the previous period is days -4–3. Episodes (all in cluster `prod-a`):

    a  Deployment ml/trainer  replicas   day 0 → resolved day 4  (4 days)  kubectl-edit
    b  Deployment web/front   replicas   day 4 → resolved day 6  (2 days)  kubectl-edit
    c  Deployment ml/serve    image      day 5 → open, high, 12.5 GPU-hours at risk, helm
    d  Node gpu-3 (pool h100) driver     day 2 → open
    e  ConfigMap ml/settings  data       day 1 → resolved day 2  (1 day)   kubectl-edit

Current period: opened b, c (2); resolved a, b (2); MTTR 3 days; open at its end c, d.
Previous period: opened a, e, d (3); resolved e (1); MTTR 1 day; open at its end a, d.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from kubedrift.model import Finding, Impact, Severity
from kubedrift.report import Period
from kubedrift.store import Store
from store.builders import T0, finding, node_finding

CLUSTER = "prod-a"
PERIOD = Period(T0 + timedelta(days=3), T0 + timedelta(days=10))
NOW = PERIOD.until

A = finding("trainer", namespace="ml", manager="kubectl-edit")
B = finding("front", namespace="web", manager="kubectl-edit")
C = finding(
    "serve",
    namespace="ml",
    path="/spec/template/spec/containers/name=server/image",
    desired="vllm:0.6.3",
    live="vllm:latest",
    severity=Severity.HIGH,
    manager="helm",
    impact=Impact(gpus=4, gpu_hours=12.5, workloads=("Deployment/ml/serve",)),
)
D = node_finding("gpu-3", "h100", live="550.144.03")
E = finding("settings", kind="ConfigMap", namespace="ml", path="/data/mode", manager="kubectl-edit")

OPEN_ON = {A: (0, 4), B: (4, 6), C: (5, 99), D: (2, 99), E: (1, 2)}
"""Each finding: the first day a scan sees it, the first day a scan no longer does."""


def day(n: int) -> datetime:
    """09:00 UTC of day n."""
    return T0 + timedelta(days=n)


def fill(store: Store) -> None:
    """The daily scans of days 0–10."""
    for n in range(11):
        seen: list[Finding] = [f for f, (start, end) in OPEN_ON.items() if start <= n < end]
        store.record_scan(CLUSTER, seen, at=day(n))
