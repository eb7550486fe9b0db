from typing import Any

import pytest

from analysis.nodefactory import cpu_node, gpu_node, pool, with_changes
from kubedrift.analysis import NodeProfile, analyze_nodes, compile_profiles
from kubedrift.analysis.facts import node_facts
from kubedrift.analysis.matchers import compile_expectation
from kubedrift.analysis.profile_check import check_profiles
from kubedrift.model import MISSING, Category, Finding, InputError, ObjectRef, Severity


def profile(name: str = "h100", *, selector: Any = None, **expect: Any) -> dict[str, Any]:
    return {
        "apiVersion": "kubedrift.io/v1alpha1",
        "kind": "NodeProfile",
        "metadata": {"name": name},
        "spec": {
            "nodeSelector": selector
            if selector is not None
            else {"matchLabels": {"node.kubernetes.io/instance-type": "p5.48xlarge"}},
            "expect": expect or {"nodeInfo.kernelVersion": {"version": ">=5.15.0-1057, <5.16"}},
        },
    }


H100 = {
    "nodeInfo.kernelVersion": {"regex": r"^5\.15\.0-\d+-aws$"},
    "nodeInfo.containerRuntimeVersion": {"version": ">=1.7.11"},
    "label:nvidia.com/cuda.driver-version.full": {"version": ">=570.86, <571", "severity": "high"},
    "label:nvidia.com/gpu.product": {"oneOf": ["NVIDIA-H100-80GB-HBM3", "NVIDIA-H200"]},
    "taint:nvidia.com/gpu:NoSchedule": {"present": True},
    "capacity:nvidia.com/gpu": 8,
    "allocatable:memory": {"equals": "2013Gi"},
    "label:example.com/debug": {"absent": True},
    "nodeInfo.osImage": "Ubuntu 22.04.4 LTS",
}


def compiled(
    doc: dict[str, Any], where: str = "profiles/h100.yaml, document 1"
) -> tuple[NodeProfile, ...]:
    return compile_profiles([(where, doc)])


def check(node: dict[str, Any], *docs: dict[str, Any]) -> list[Finding]:
    profiles = compile_profiles([(f"doc {i}", d) for i, d in enumerate(docs)])
    return check_profiles(node_facts(node), "p5.48xlarge", profiles)


def test_a_node_that_meets_its_profile_has_no_findings() -> None:
    node = with_changes(gpu_node(0), allocatable={"memory": "2013Gi"})
    assert check(node, profile()) == []
    assert check(node, {**profile(), "spec": {**profile()["spec"], "expect": H100}}) == []


def test_each_unmet_expectation_is_one_finding() -> None:
    node = with_changes(
        gpu_node(0),
        info={"kernelVersion": "6.8.0-1015-aws"},
        labels={"nvidia.com/cuda.driver-version.full": "550.144.03", "example.com/debug": "1"},
        taints=[],
        allocatable={"memory": "2013Gi"},
    )
    doc = {**profile(), "spec": {**profile()["spec"], "expect": H100}}
    findings = {f.path: f for f in check(node, doc)}
    assert set(findings) == {
        "nodeInfo.kernelVersion",
        "label:nvidia.com/cuda.driver-version.full",
        "taint:nvidia.com/gpu:NoSchedule",
        "label:example.com/debug",
    }
    driver = findings["label:nvidia.com/cuda.driver-version.full"]
    assert driver.category is Category.NODE
    assert driver.object == ObjectRef("v1", "Node", None, node["metadata"]["name"])
    assert driver.rule == "profile-mismatch"
    assert driver.severity is Severity.HIGH
    assert driver.desired == ">=570.86,<571"
    assert driver.live == "550.144.03"
    assert driver.message == (
        "NodeProfile h100: NVIDIA driver is 550.144.03, expected >=570.86,<571"
    )
    assert dict(driver.details) == {"pool": "p5.48xlarge", "profile": "h100"}
    assert findings["nodeInfo.kernelVersion"].desired == r"regex:^5\.15\.0-\d+-aws$"
    assert findings["nodeInfo.kernelVersion"].severity is Severity.MEDIUM
    assert findings["taint:nvidia.com/gpu:NoSchedule"].live is MISSING
    assert findings["taint:nvidia.com/gpu:NoSchedule"].desired == "present"
    assert findings["label:example.com/debug"].desired == "absent"


@pytest.mark.parametrize(
    ("fact", "matcher", "value", "ok"),
    [
        ("capacity:nvidia.com/gpu", 8, "8", True),
        ("capacity:nvidia.com/gpu", "8", "7", False),
        ("allocatable:memory", {"equals": "2048Mi"}, "2Gi", True),
        ("label:nvidia.com/gpu.present", True, "true", True),
        ("label:nvidia.com/gpu.count", 8, "8", True),
        ("label:nvidia.com/gpu.count", 8, "08", False),
        ("label:x", {"oneOf": ["a", "b"]}, "b", True),
        ("label:x", {"oneOf": ["a", "b"]}, MISSING, False),
        ("label:x", {"regex": "a.c"}, "abcd", False),
        ("label:x", {"absent": True}, MISSING, True),
        ("label:x", {"present": True}, "", True),
        ("agent:sysctl.vm.max_map_count", 262144, 262144, True),
        ("agent:sysctl.vm.max_map_count", {"version": ">=262144"}, 65530, False),
    ],
)
def test_matchers(fact: str, matcher: Any, value: Any, ok: bool) -> None:
    assert compile_expectation(fact, matcher, "x").matcher.matches(value) is ok


@pytest.mark.parametrize(
    ("expect", "message"),
    [
        (
            {"nodeInfo.kernelVersion": {"version": ">=5.15.0 <<6"}},
            "spec.expect['nodeInfo.kernelVersion']: invalid version range '>=5.15.0 <<6'",
        ),
        (
            {"nodeInfo.kernelVersion": {"regex": "(unclosed"}},
            "spec.expect['nodeInfo.kernelVersion']: invalid regex '(unclosed': missing )",
        ),
        (
            {"label:nvidia.com/cuda.runtime-version.full": 12.10},
            "spec.expect['label:nvidia.com/cuda.runtime-version.full']: quote the value 12.1: "
            "YAML reads numbers such as 12.10 as 12.1",
        ),
        (
            {"nodeInfo.kernel": "5.15"},
            "spec.expect['nodeInfo.kernel']: unknown fact 'nodeInfo.kernel': nodeInfo fields are "
            "kernelVersion, osImage, containerRuntimeVersion, kubeletVersion, kubeProxyVersion, "
            "architecture, operatingSystem, machineID, systemUUID, bootID",
        ),
        (
            {"label:a": {"regex": "a", "version": "1"}},
            "spec.expect['label:a']: give exactly one of equals, regex, version, oneOf, absent, "
            "present",
        ),
        (
            {"label:a": {"matches": "a"}},
            "spec.expect['label:a']: unknown matcher 'matches' (use one of equals, regex, version, "
            "oneOf, absent, present)",
        ),
        (
            {"label:a": {"absent": False}},
            "spec.expect['label:a']: write 'absent: true' (or 'present: true')",
        ),
        (
            {"label:a": {"equals": "x", "severity": "urgent"}},
            "spec.expect['label:a'].severity: 'urgent' is not one of info, low, medium, high, "
            "critical",
        ),
        ({"label:a": None}, "spec.expect['label:a']: null is not a value; use {absent: true}"),
        ({"label:a": {"oneOf": []}}, "spec.expect['label:a'].oneOf: must be a non-empty list"),
        (
            {"label:a": {"regex": "(a)\\1"}},
            r"spec.expect['label:a']: invalid regex '(a)\\1': invalid escape sequence: \1 "
            "(RE2 has no backreferences or lookarounds)",
        ),
        (
            {"capacity:memory": "1e100000000"},
            "spec.expect['capacity:memory']: quantity '1e100000000' is out of range",
        ),
    ],
)
def test_invalid_expectations_are_input_errors_naming_document_and_field(
    expect: dict[str, Any], message: str
) -> None:
    with pytest.raises(InputError) as caught:
        compiled({**profile(), "spec": {**profile()["spec"], "expect": expect}})
    assert caught.value.where == "profiles/h100.yaml, document 1 (NodeProfile h100)"
    assert caught.value.message.startswith(message)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"apiVersion": "v1"}, "apiVersion: expected kubedrift.io/v1alpha1, got 'v1'"),
        ({"kind": "Node"}, "kind: expected NodeProfile, got 'Node'"),
        ({"spec": None}, "spec: required"),
        ({"spec": {"expect": {"label:a": "b"}}}, "spec.nodeSelector: required (use {} to"),
        ({"spec": {"nodeSelector": {}, "expects": {}}}, "spec.expects: unknown field"),
        ({"spec": {"nodeSelector": {}, "expect": {}}}, "spec.expect: required"),
        (
            {"spec": {"nodeSelector": {"matchLabel": {}}, "expect": {"label:a": "b"}}},
            "spec.nodeSelector: unknown field 'matchLabel'",
        ),
        (
            {
                "spec": {
                    "nodeSelector": {"matchExpressions": [{"key": "a", "operator": "In"}]},
                    "expect": {"label:a": "b"},
                }
            },
            "spec.nodeSelector.matchExpressions[0]: operator In needs at least one value",
        ),
        (
            {
                "spec": {
                    "nodeSelector": {"matchExpressions": [{"key": "a", "operator": "Gt"}]},
                    "expect": {"label:a": "b"},
                }
            },
            "spec.nodeSelector.matchExpressions[0].operator: 'Gt' is not one of In, NotIn, "
            "Exists, DoesNotExist",
        ),
        (
            {"spec": {"nodeSelector": {}, "expect": {"label:a": "b"}, "severity": "bad"}},
            "spec.severity: 'bad' is not one of",
        ),
    ],
)
def test_invalid_documents(change: dict[str, Any], message: str) -> None:
    with pytest.raises(InputError) as caught:
        compiled({**profile(), **change})
    assert caught.value.message.startswith(message)
    assert str(caught.value).startswith("profiles/h100.yaml, document 1 (NodeProfile h100): ")


def test_a_profile_without_a_name_is_reported_by_its_document() -> None:
    doc = profile()
    del doc["metadata"]
    with pytest.raises(InputError) as caught:
        compiled(doc)
    assert str(caught.value) == "profiles/h100.yaml, document 1: metadata.name: required"


def test_profile_names_are_unique() -> None:
    with pytest.raises(
        InputError, match=r"NodeProfile h100 is also defined in a\.yaml, document 1"
    ):
        compile_profiles([("a.yaml, document 1", profile()), ("b.yaml, document 1", profile())])


@pytest.mark.parametrize(
    ("selector", "selected"),
    [
        ({}, True),
        ({"matchLabels": {"eks.amazonaws.com/nodegroup": "h100"}}, True),
        ({"matchLabels": {"eks.amazonaws.com/nodegroup": "a100"}}, False),
        ({"matchExpressions": [{"key": "nvidia.com/gpu.present", "operator": "Exists"}]}, True),
        ({"matchExpressions": [{"key": "example.com/x", "operator": "DoesNotExist"}]}, True),
        (
            {"matchExpressions": [{"key": "example.com/x", "operator": "NotIn", "values": ["a"]}]},
            True,
        ),
        (
            {
                "matchExpressions": [
                    {"key": "nvidia.com/gpu.product", "operator": "In", "values": ["NVIDIA-H200"]}
                ]
            },
            False,
        ),
        (
            {
                "matchLabels": {"kubernetes.io/os": "linux"},
                "matchExpressions": [
                    {"key": "nvidia.com/gpu.count", "operator": "NotIn", "values": ["8"]}
                ],
            },
            False,
        ),
    ],
)
def test_selectors_follow_kubernetes_semantics(selector: dict[str, Any], selected: bool) -> None:
    node = with_changes(gpu_node(0), info={"kernelVersion": "4.0.0"})
    findings = check(node, profile(selector=selector))
    assert any(f.rule == "profile-mismatch" for f in findings) is selected


def test_a_node_selected_by_two_profiles_is_flagged_and_reported_once_per_fact() -> None:
    node = with_changes(gpu_node(0), info={"kernelVersion": "4.0.0"})
    findings = check(node, profile("b-profile"), profile("a-profile", selector={}))
    rules = sorted((f.rule, f.path) for f in findings)
    assert rules == [
        ("profile-mismatch", "nodeInfo.kernelVersion"),
        ("profile-overlap", "profiles"),
    ]
    overlap = next(f for f in findings if f.rule == "profile-overlap")
    assert overlap.live == "a-profile, b-profile"
    assert overlap.severity is Severity.LOW
    mismatch = next(f for f in findings if f.rule == "profile-mismatch")
    assert dict(mismatch.details)["profile"] == "a-profile"


def test_gpu_nodes_no_profile_selects_are_flagged_only_when_profiles_exist() -> None:
    selector = {"matchLabels": {"node.kubernetes.io/instance-type": "p4d.24xlarge"}}
    unmatched = check(gpu_node(0), profile(selector=selector))
    assert [(f.rule, f.path, f.live) for f in unmatched] == [
        ("profile-unmatched-gpu-node", "profiles", MISSING)
    ]
    assert check(cpu_node(0), profile(selector=selector)) == []
    assert check_profiles(node_facts(gpu_node(0)), "p5.48xlarge", ()) == []
    assert analyze_nodes(pool(3)).findings == ()


def test_pci_only_and_capacity_only_gpu_nodes_count_as_gpu_nodes() -> None:
    selector = {"matchLabels": {"example.com/none": "x"}}
    by_pci = with_changes(
        cpu_node(0), labels={"feature.node.kubernetes.io/pci-10de.present": "true"}
    )
    by_capacity = with_changes(cpu_node(1), capacity={"nvidia.com/gpu": "4"})
    assert check(by_pci, profile(selector=selector))
    assert check(by_capacity, profile(selector=selector))


def test_catastrophic_regex_is_matched_in_linear_time() -> None:
    """Regression (issue 12.5): `(a+)+$` against a long value hung Python's backtracking `re`."""
    import time

    expectation = compile_expectation("label:a", {"regex": "(a+)+$"}, "spec.expect['label:a']")
    start = time.monotonic()

    assert not expectation.matcher.matches("a" * 5000 + "b")
    assert expectation.matcher.matches("a" * 5000)
    # linear: milliseconds; backtracking `(a+)+$` over 5,000 characters never ends. The
    # bound only tells them apart, far above any load's slowdown (issue 17.5)
    assert time.monotonic() - start < 30
