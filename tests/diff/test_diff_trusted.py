"""Trusted controllers: fields a known controller owns are not drift; a person's edits are."""

from __future__ import annotations

from typing import Any

import pytest

from diff.diff_builders import deployment, entry, served
from kubedrift.diff import (
    BUILTIN_TRUSTED_RULES,
    DiffOptions,
    compile_trusted_rules,
    diff_object,
    diff_objects,
)
from kubedrift.model import InputError

REPLICAS: dict[str, Any] = {"f:spec": {"f:replicas": {}}}


def scaled(manager: str, **kwargs: Any) -> dict[str, Any]:
    live = served(
        deployment(), managed=[entry(manager, REPLICAS, time="2026-05-01T00:00:00Z", **kwargs)]
    )
    live["spec"]["replicas"] = 7
    return live


def test_replicas_written_by_the_hpa_are_not_drift() -> None:
    assert diff_object(deployment(), scaled("kube-controller-manager", subresource="scale")) == []
    assert diff_object(deployment(), scaled("keda-operator")) == []


def test_replicas_scaled_by_hand_are_drift() -> None:
    (found,) = diff_object(deployment(), scaled("kubectl"))
    assert (found.path, found.manager, found.severity.value) == (
        "/spec/replicas",
        "kubectl",
        "medium",
    )


def test_replicas_of_an_hpa_target_are_trusted_without_managed_fields() -> None:
    live = served(deployment())
    live["spec"]["replicas"] = 9
    hpa = {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": "trainer", "namespace": "ml"},
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "trainer"}
        },
    }
    assert [f.path for f in diff_objects([deployment()], [live])] == ["/spec/replicas"]
    assert diff_objects([deployment(), hpa], [live, hpa]) == []
    assert diff_object(deployment(), live, autoscaled=True) == []


def test_keda_scaled_object_defaults_to_a_deployment_target() -> None:
    live = served(deployment())
    live["spec"]["replicas"] = 0
    scaled_object = {
        "apiVersion": "keda.sh/v1alpha1",
        "kind": "ScaledObject",
        "metadata": {"name": "trainer-scaler", "namespace": "ml"},
        "spec": {"scaleTargetRef": {"name": "trainer"}},
    }
    assert diff_objects([deployment()], [live, scaled_object]) == []


def test_replicas_removed_from_git_of_an_hpa_target_are_not_reported() -> None:
    before = deployment()
    desired = deployment()
    del desired["spec"]["replicas"]
    live = served(
        before,
        last_applied=before,
        managed=[entry("kube-controller-manager", REPLICAS, subresource="scale")],
    )
    assert diff_object(desired, live) == []
    live = served(before, last_applied=before)
    assert [f.rule for f in diff_object(desired, live)] == ["field-removed-from-desired"]


def aggregated_role(rules: list[Any] | None) -> dict[str, Any]:
    role: dict[str, Any] = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRole",
        "metadata": {"name": "monitoring"},
        "aggregationRule": {"clusterRoleSelectors": [{"matchLabels": {"aggregate": "true"}}]},
    }
    if rules is not None:
        role["rules"] = rules
    return role


def test_aggregated_cluster_role_rules_belong_to_the_aggregation_controller() -> None:
    live = aggregated_role([{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}])
    assert diff_object(aggregated_role([]), live) == []
    plain = {k: v for k, v in aggregated_role([]).items() if k != "aggregationRule"}
    live_plain = {k: v for k, v in live.items() if k != "aggregationRule"}
    (found,) = diff_object(plain, live_plain)
    assert (found.path, found.severity.value) == ("/rules", "high")


def vpa_pod(resources: dict[str, Any], annotations: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p", "namespace": "ml", "annotations": annotations or {}},
        "spec": {"containers": [{"name": "c", "image": "i", "resources": resources}]},
    }


def test_vpa_resources_on_pods() -> None:
    desired = vpa_pod({"requests": {"cpu": "1"}})
    live = vpa_pod({"requests": {"cpu": "2"}}, {"vpaUpdates": "Pod resources updated by ml/vpa"})
    assert diff_object(desired, live) == []
    live = vpa_pod({"requests": {"cpu": "2"}})
    assert [f.path for f in diff_object(desired, live)] == [
        "/spec/containers/name=c/resources/requests/cpu"
    ]
    live["metadata"]["managedFields"] = [
        entry(
            "vpa-updater",
            {
                "f:spec": {
                    "f:containers": {
                        'k:{"name":"c"}': {"f:resources": {"f:requests": {"f:cpu": {}}}}
                    }
                }
            },
        )
    ]
    assert diff_object(desired, live) == []


def node(labels: dict[str, str], managed: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": "gpu-1", "labels": labels}
    if managed is not None:
        meta["managedFields"] = managed
    return {"apiVersion": "v1", "kind": "Node", "metadata": meta}


def test_gpu_operator_node_labels() -> None:
    desired = node({"nvidia.com/gpu.product": "H100", "nvidia.com/mig.config": "all-1g.10gb"})
    owner: dict[str, Any] = {"f:metadata": {"f:labels": {"f:nvidia.com/gpu.product": {}}}}
    person: dict[str, Any] = {"f:metadata": {"f:labels": {"f:nvidia.com/mig.config": {}}}}
    live = node(
        {"nvidia.com/gpu.product": "A100", "nvidia.com/mig.config": "all-disabled"},
        [entry("nfd-master", owner), entry("kubectl-label", person)],
    )
    found = diff_object(desired, live)
    assert [(f.path, f.manager) for f in found] == [
        ("/metadata/labels/nvidia.com~1mig.config", "kubectl-label")
    ]


def test_user_trusted_rule() -> None:
    rules = compile_trusted_rules(
        [
            {
                "controller": "cert-manager",
                "kind": "MutatingWebhookConfiguration",
                "jsonPointers": ["/webhooks/*/clientConfig/caBundle"],
                "managers": ["cainjector"],
            }
        ]
    )
    desired = {
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "MutatingWebhookConfiguration",
        "metadata": {"name": "w"},
        "webhooks": [{"name": "a", "clientConfig": {"caBundle": "old"}}],
    }
    live = {**desired, "webhooks": [{"name": "a", "clientConfig": {"caBundle": "new"}}]}
    live["metadata"] = {
        "name": "w",
        "managedFields": [
            entry(
                "cainjector",
                {"f:webhooks": {'k:{"name":"a"}': {"f:clientConfig": {"f:caBundle": {}}}}},
            )
        ],
    }
    assert len(diff_object(desired, live)) == 1
    assert (
        diff_object(desired, live, DiffOptions(trusted_rules=BUILTIN_TRUSTED_RULES + rules)) == []
    )


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"jsonPointers": ["/spec"]}, "'controller' is required"),
        (
            {"controller": "x", "jsonPointers": ["/spec"], "ifAutoscaled": "yes"},
            "'ifAutoscaled' must be true or false",
        ),
        (
            {"controller": "x", "jsonPointers": ["/spec"], "managers": "kcm"},
            "'managers' must be a list",
        ),
        ({"controller": "x", "jsonPointers": ["/spec"], "ifPresent": ["spec"]}, "'ifPresent'"),
        ({"controller": "x", "jsonPointers": ["/spec"], "when": 1}, "unknown key"),
    ],
)
def test_trusted_rule_validation(raw: dict[str, Any], message: str) -> None:
    with pytest.raises(InputError, match=message) as excinfo:
        compile_trusted_rules([{"controller": "ok", "jsonPointers": ["/a"]}, raw])
    assert excinfo.value.where == "trusted rule #2"
