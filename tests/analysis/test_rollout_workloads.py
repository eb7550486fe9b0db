"""Rollouts of Deployments and StatefulSets as `kubectl rollout status` judges them, and the
"likely to drift" notice of those that drifted before (analysis/rollout_workloads.py)."""

from __future__ import annotations

from typing import Any

import pytest

from kubedrift.analysis.rollout_workloads import (
    deployment_rolling,
    statefulset_rolling,
    workload_notices,
)
from kubedrift.model import Category, Severity


def deployment(
    replicas: int = 3, *, generation: int = 2, observed: int = 2, **status: Any
) -> dict[str, Any]:
    old = status.pop("oldReplicas", 0)
    done = {
        "replicas": replicas + old,
        "updatedReplicas": replicas,
        "availableReplicas": replicas,
    }
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "trainer", "namespace": "ml", "generation": generation},
        "spec": {"replicas": replicas},
        "status": {"observedGeneration": observed, **done, **status},
    }


def statefulset(**status: Any) -> dict[str, Any]:
    base = {
        "observedGeneration": 4,
        "readyReplicas": 3,
        "updatedReplicas": 3,
        "currentRevision": "db-7c9",
        "updateRevision": "db-7c9",
    }
    return {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {"name": "db", "namespace": "ml", "generation": 4},
        "spec": {"replicas": 3},
        "status": {**base, **status},
    }


@pytest.mark.parametrize(
    ("obj", "rolling"),
    [
        (deployment(), False),
        (deployment(generation=3, observed=2), True),  # the new spec not observed yet
        (deployment(updatedReplicas=1), True),
        (deployment(replicas=4, updatedReplicas=3, availableReplicas=3), True),
        (deployment(oldReplicas=1), True),  # an old replica still terminating
        (deployment(availableReplicas=2), True),
        (
            deployment(
                updatedReplicas=1,
                conditions=[{"type": "Progressing", "reason": "ProgressDeadlineExceeded"}],
            ),
            False,  # stuck, not rolling
        ),
        (deployment(replicas=0, updatedReplicas=0, availableReplicas=0), False),
    ],
)
def test_deployment_rollouts(obj: dict[str, Any], rolling: bool) -> None:
    assert deployment_rolling(obj) is rolling


@pytest.mark.parametrize(
    ("obj", "rolling"),
    [
        (statefulset(), False),
        (statefulset(observedGeneration=3), True),
        (statefulset(readyReplicas=2), True),
        (statefulset(updateRevision="db-8d0", updatedReplicas=1), True),
    ],
)
def test_statefulset_rollouts(obj: dict[str, Any], rolling: bool) -> None:
    assert statefulset_rolling(obj) is rolling


def test_a_partitioned_statefulset_is_done_when_its_partition_is() -> None:
    obj = statefulset(updateRevision="db-8d0", updatedReplicas=1)
    obj["spec"]["updateStrategy"] = {"type": "RollingUpdate", "rollingUpdate": {"partition": 2}}
    assert statefulset_rolling(obj) is False
    obj["spec"]["updateStrategy"]["type"] = "OnDelete"
    assert statefulset_rolling(obj) is False


def test_only_objects_that_drifted_before_get_a_notice() -> None:
    rolling = deployment(updatedReplicas=1)
    other = {**rolling, "metadata": {**rolling["metadata"], "name": "fresh"}}
    history = {("apps", "Deployment", "ml", "trainer"): 0.42}
    found = workload_notices([rolling, other, deployment()], history)
    assert [f.object.name for f in found] == ["trainer"]
    notice = found[0]
    assert notice.category is Category.WORKLOAD
    assert notice.severity is Severity.INFO
    assert notice.rule == "likely-to-drift"
    assert (notice.path, notice.desired, notice.live) == ("/status/updatedReplicas", 3, 1)
    assert "rolling out (1 of 3 replicas updated) and drifted before" in notice.message
    assert "42%" in notice.message
