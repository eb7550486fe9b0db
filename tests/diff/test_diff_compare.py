"""Two-way comparison: defaults, webhooks and reordering are not drift; real changes are."""

from __future__ import annotations

import copy
from typing import Any

from diff.diff_builders import deployment, served
from kubedrift.diff import diff_object
from kubedrift.model import Finding


def pod_spec(obj: dict[str, Any]) -> dict[str, Any]:
    spec: dict[str, Any] = obj["spec"]["template"]["spec"]
    return spec


def paths(findings: list[Finding]) -> list[tuple[str, str]]:
    return [(f.rule, f.path) for f in findings]


def test_defaults_status_and_server_metadata_are_not_drift() -> None:
    desired = deployment()
    assert diff_object(desired, served(desired)) == []


def test_inputs_are_never_mutated() -> None:
    desired, live = deployment(), served(deployment(replicas=5))
    before = copy.deepcopy((desired, live))
    diff_object(desired, live)
    assert (desired, live) == before


def test_reordered_merge_key_lists_are_not_drift() -> None:
    desired = deployment()
    pod_spec(desired)["containers"].append({"name": "sidecar", "image": "envoy:1"})
    live = served(desired)
    containers = pod_spec(live)["containers"]
    containers.reverse()
    containers[1]["env"].reverse()
    assert diff_object(desired, live) == []


def test_changed_item_of_a_keyed_list_is_named_by_key() -> None:
    desired = deployment()
    pod_spec(desired)["containers"].append({"name": "sidecar", "image": "envoy:1"})
    live = served(desired)
    pod_spec(live)["containers"].reverse()
    pod_spec(live)["containers"][1]["env"][1]["value"] = "changed"
    assert paths(diff_object(desired, live)) == [
        ("field-changed", "/spec/template/spec/containers/name=trainer/env/name=B/value")
    ]


def test_missing_keyed_item_and_extra_merge_item() -> None:
    desired = deployment()
    live = served(desired)
    env = pod_spec(live)["containers"][0]["env"]
    env.pop(0)  # desired has A, live lost it
    env.append({"name": "INJECTED", "value": "by a webhook"})  # not drift
    found = diff_object(desired, live)
    assert paths(found) == [
        ("list-item-missing", "/spec/template/spec/containers/name=trainer/env/name=A")
    ]
    assert found[0].desired == {"name": "A", "value": "1"}


def test_set_list_extra_item_is_drift_except_pod_admission_tolerations() -> None:
    toleration = {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}
    added = {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "tolerationSeconds": 300}
    desired = deployment()
    pod_spec(desired)["tolerations"] = [toleration]
    live = served(desired)
    pod_spec(live)["tolerations"] = [added, toleration]
    assert paths(diff_object(desired, live)) == [
        (
            "list-item-extra",
            "/spec/template/spec/tolerations/key=node.kubernetes.io~1not-ready,operator=Exists",
        )
    ]
    pod: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p", "namespace": "ml"},
        "spec": {"tolerations": [toleration], "containers": [{"name": "c", "image": "i"}]},
    }
    live_pod = copy.deepcopy(pod)
    live_pod["spec"]["tolerations"] = [toleration, added]
    assert diff_object(pod, live_pod) == []


def test_ports_match_with_the_default_protocol() -> None:
    desired = deployment()
    live = served(desired)
    assert pod_spec(live)["containers"][0]["ports"] == [{"containerPort": 8080, "protocol": "TCP"}]
    assert diff_object(desired, live) == []
    pod_spec(live)["containers"][0]["ports"][0]["protocol"] = "UDP"
    assert paths(diff_object(desired, live)) == [
        (
            "list-item-missing",
            "/spec/template/spec/containers/name=trainer/ports/containerPort=8080,protocol=TCP",
        )
    ]


def test_init_container_order_is_behaviour() -> None:
    desired = deployment()
    pod_spec(desired)["initContainers"] = [{"name": "a", "image": "x"}, {"name": "b", "image": "y"}]
    live = served(desired)
    pod_spec(live)["initContainers"].reverse()
    found = diff_object(desired, live)
    assert paths(found) == [("list-order-changed", "/spec/template/spec/initContainers")]
    assert (found[0].desired, found[0].live) == (["name=a", "name=b"], ["name=b", "name=a"])


def test_atomic_lists_compare_by_position_and_length() -> None:
    desired = deployment()
    pod_spec(desired)["containers"][0]["args"] = ["--a", "--b"]
    live = served(desired)
    pod_spec(live)["containers"][0]["args"] = ["--a", "--c"]
    assert paths(diff_object(desired, live)) == [
        ("field-changed", "/spec/template/spec/containers/name=trainer/args/1")
    ]
    pod_spec(live)["containers"][0]["args"] = ["--a"]
    found = diff_object(desired, live)
    assert paths(found) == [("field-changed", "/spec/template/spec/containers/name=trainer/args")]
    assert (found[0].desired, found[0].live) == (["--a", "--b"], ["--a"])


def test_atomic_list_elements_may_carry_defaults() -> None:
    # admissionregistration `rules` are atomic; the server adds `scope: "*"` to each element.
    desired = {
        "apiVersion": "v1",
        "kind": "X",
        "metadata": {"name": "x"},
        "rules": [{"apiGroups": ["a"]}],
    }
    live = {
        "apiVersion": "v1",
        "kind": "X",
        "metadata": {"name": "x"},
        "rules": [{"apiGroups": ["a"], "scope": "*"}],
    }
    assert diff_object(desired, live) == []


def test_empty_and_null_match_absent() -> None:
    desired = deployment()
    container = pod_spec(desired)["containers"][0]
    container.update(args=[], command=None, stdin=False, workingDir="", securityContext={})
    container["env"].append({"name": "EMPTY", "value": ""})
    desired["metadata"]["annotations"] = {}
    desired["metadata"]["creationTimestamp"] = None
    live = served(deployment())
    pod_spec(live)["containers"][0]["env"].append({"name": "EMPTY"})
    assert diff_object(desired, live) == []


def test_missing_subtree_reported_leaf_by_leaf() -> None:
    desired = deployment()
    pod_spec(desired)["nodeSelector"] = {"nvidia.com/gpu.product": "H100", "pool": "a"}
    found = diff_object(desired, served(deployment()))
    assert paths(found) == [
        ("field-missing", "/spec/template/spec/nodeSelector/nvidia.com~1gpu.product"),
        ("field-missing", "/spec/template/spec/nodeSelector/pool"),
    ]


def test_quantities_and_ports_compare_by_value() -> None:
    desired = deployment()
    container = pod_spec(desired)["containers"][0]
    container["resources"] = {"limits": {"cpu": 1, "memory": "1024Mi"}, "requests": {"cpu": "0.5"}}
    container["ports"] = [{"containerPort": "8080"}]
    live = served(deployment())
    pod_spec(live)["containers"][0]["resources"] = {
        "limits": {"cpu": "1", "memory": "1Gi"},
        "requests": {"cpu": "500m"},
    }
    assert diff_object(desired, live) == []
    pod_spec(live)["containers"][0]["resources"]["limits"]["memory"] = "1G"
    assert paths(diff_object(desired, live)) == [
        ("field-changed", "/spec/template/spec/containers/name=trainer/resources/limits/memory")
    ]


def test_type_change_is_drift() -> None:
    desired = {
        "apiVersion": "example.com/v1",
        "kind": "Thing",
        "metadata": {"name": "t"},
        "spec": {"on": True, "list": [1]},
    }
    live = {
        "apiVersion": "example.com/v1",
        "kind": "Thing",
        "metadata": {"name": "t"},
        "spec": {"on": "true", "list": {"a": 1}},
    }
    assert paths(diff_object(desired, live)) == [
        ("field-changed", "/spec/on"),
        ("field-changed", "/spec/list"),
    ]


def test_labels_written_as_yaml_scalars() -> None:
    desired = deployment()
    desired["metadata"]["labels"]["gpu"] = True
    desired["metadata"]["labels"]["generation"] = 3
    live = served(deployment())
    live["metadata"]["labels"].update(gpu="true", generation="3")
    assert diff_object(desired, live) == []


def test_server_owned_fields_and_identity_are_not_compared() -> None:
    desired = deployment()
    desired["apiVersion"] = "apps/v1beta2"
    desired["metadata"].update(
        uid="other", resourceVersion="1", generation=9, namespace="elsewhere"
    )
    desired["status"] = {"replicas": 99}
    desired["metadata"]["annotations"] = {"kubectl.kubernetes.io/last-applied-configuration": "{}"}
    assert diff_object(desired, served(deployment())) == []


def test_finalizers_added_by_controllers_are_not_drift() -> None:
    desired: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": "ckpt", "namespace": "ml", "finalizers": ["example.com/backup"]},
    }
    live = copy.deepcopy(desired)
    live["metadata"]["finalizers"] = ["kubernetes.io/pvc-protection", "example.com/backup"]
    assert diff_object(desired, live) == []
    live["metadata"]["finalizers"] = ["kubernetes.io/pvc-protection"]
    assert paths(diff_object(desired, live)) == [("list-item-missing", "/metadata/finalizers/0")]


def test_endpoints_repacked_by_the_apiserver_are_not_drift() -> None:
    # The apiserver sorts Endpoints addresses and ports (RepackSubsets); order is not drift.
    desired: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Endpoints",
        "metadata": {"name": "solr", "namespace": "default"},
        "subsets": [
            {
                "addresses": [{"ip": "10.0.0.9"}, {"ip": "10.0.0.10"}],
                "ports": [
                    {"name": "http", "port": 8080},
                    {"name": "node", "port": 8983, "protocol": "UDP"},
                ],
            }
        ],
    }
    live = copy.deepcopy(desired)
    subset = live["subsets"][0]
    subset["addresses"].reverse()
    subset["ports"] = [
        {"name": "node", "port": 8983, "protocol": "UDP"},
        {"name": "http", "port": 8080, "protocol": "TCP"},
    ]
    assert diff_object(desired, live) == []
    subset["addresses"].append({"ip": "10.0.0.11"})
    assert paths(diff_object(desired, live)) == [
        ("list-item-extra", "/subsets/0/addresses/ip=10.0.0.11")
    ]


def test_service_ports_by_port_and_protocol() -> None:
    desired: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "llm", "namespace": "ml"},
        "spec": {
            "selector": {"app": "llm"},
            "ports": [{"port": 80, "targetPort": "8080"}, {"port": 53, "protocol": "UDP"}],
        },
    }
    live = copy.deepcopy(desired)
    live["spec"].update(clusterIP="10.96.0.12", type="ClusterIP", sessionAffinity="None")
    live["spec"]["ports"] = [
        {"port": 53, "protocol": "UDP", "targetPort": 53},
        {"port": 80, "protocol": "TCP", "targetPort": 8080},
    ]
    assert diff_object(desired, live) == []
    live["spec"]["ports"][1]["targetPort"] = 9090
    assert paths(diff_object(desired, live)) == [
        ("field-changed", "/spec/ports/port=80,protocol=TCP/targetPort")
    ]
