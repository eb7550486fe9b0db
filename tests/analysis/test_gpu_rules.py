import json
from datetime import timedelta
from typing import Any

import pytest

from analysis.nodefactory import NOW, cpu_node, gpu_node, with_changes
from kubedrift.analysis.cuda import TOOLKIT_DRIVER, driver_requirement
from kubedrift.analysis.facts import node_facts
from kubedrift.analysis.gpu_rules import RuleContext, check_gpu_rules
from kubedrift.model import JSON, MISSING, Severity

CONTEXT = RuleContext("p5.48xlarge")


def rules(
    node: dict[str, Any], context: RuleContext = CONTEXT
) -> list[tuple[str, Severity, str, JSON, JSON]]:
    return [
        (f.rule, f.severity, f.path, f.desired, f.live)
        for f in check_gpu_rules(node_facts(node), context)
    ]


def test_clean_gpu_and_cpu_nodes_pass_every_rule() -> None:
    assert rules(gpu_node(0)) == []
    assert rules(cpu_node(0)) == []


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            {"capacity": {"nvidia.com/gpu": "7"}, "allocatable": {"nvidia.com/gpu": "7"}},
            ("gpu-count-mismatch", Severity.HIGH, "capacity:nvidia.com/gpu", "8", "7"),
        ),
        (
            {"capacity": {"nvidia.com/gpu": None}, "allocatable": {"nvidia.com/gpu": None}},
            # issue 11.6: no capacity at all is at least as severe as capacity 0
            ("gpu-count-mismatch", Severity.HIGH, "capacity:nvidia.com/gpu", "8", MISSING),
        ),
        (
            {"labels": {"nvidia.com/gpu.count": "4"}},
            ("gpu-count-mismatch", Severity.MEDIUM, "capacity:nvidia.com/gpu", "4", "8"),
        ),
    ],
)
def test_gpu_count_label_against_capacity(
    changes: dict[str, Any], expected: tuple[Any, ...]
) -> None:
    assert rules(with_changes(gpu_node(0), **changes)) == [expected]


def test_time_slicing_replicas_and_mig_single_counts_are_understood() -> None:
    sliced = with_changes(
        gpu_node(0),
        labels={"nvidia.com/gpu.replicas": "4", "nvidia.com/gpu.product": "NVIDIA-H100-SHARED"},
        capacity={"nvidia.com/gpu": "32"},
        allocatable={"nvidia.com/gpu": "32"},
    )
    assert rules(sliced) == []
    renamed = with_changes(
        sliced,
        capacity={"nvidia.com/gpu": None, "nvidia.com/gpu.shared": "32"},
        allocatable={"nvidia.com/gpu": None, "nvidia.com/gpu.shared": "32"},
    )
    assert rules(renamed) == []
    mig = with_changes(
        gpu_node(0),
        labels={
            "nvidia.com/mig.config": "all-1g.10gb",
            "nvidia.com/gpu.count": "56",
            "nvidia.com/gpu.product": "NVIDIA-H100-80GB-HBM3-MIG-1g.10gb",
        },
        capacity={"nvidia.com/gpu": "56"},
        allocatable={"nvidia.com/gpu": "56"},
    )
    assert rules(mig) == []
    mixed = with_changes(
        mig,
        labels={"nvidia.com/mig.strategy": "mixed"},
        capacity={"nvidia.com/gpu": "0"},
        allocatable={"nvidia.com/gpu": "0"},
    )
    assert [r[0] for r in rules(mixed)] == []


def test_allocatable_below_capacity_means_unhealthy_gpus() -> None:
    node = with_changes(gpu_node(0), allocatable={"nvidia.com/gpu": "6"})
    assert rules(node) == [("gpu-unhealthy", Severity.HIGH, "allocatable:nvidia.com/gpu", "8", "6")]
    (finding,) = check_gpu_rules(node_facts(node), CONTEXT)
    assert finding.message.startswith("2 of 8 nvidia.com/gpu are unhealthy")


@pytest.mark.parametrize(
    ("labels", "expected"),
    [
        ({"nvidia.com/mig.config.state": "failed"}, (Severity.HIGH, "failed")),
        ({"nvidia.com/mig.config.state": "pending"}, (Severity.LOW, "pending")),
        ({"nvidia.com/mig.config.state": "rebooting"}, (Severity.LOW, "rebooting")),
        ({"nvidia.com/mig.config.state": None}, (Severity.LOW, MISSING)),
        ({"nvidia.com/mig.config.state": "weird"}, (Severity.LOW, "weird")),
    ],
)
def test_mig_state(labels: dict[str, Any], expected: tuple[Any, ...]) -> None:
    severity, live = expected
    assert rules(with_changes(gpu_node(0), labels=labels)) == [
        ("mig-config-not-applied", severity, "label:nvidia.com/mig.config.state", "success", live)
    ]


def test_no_mig_config_label_means_no_mig_rule() -> None:
    assert (
        rules(
            with_changes(
                gpu_node(0),
                labels={"nvidia.com/mig.config": None, "nvidia.com/mig.config.state": None},
            )
        )
        == []
    )


@pytest.mark.parametrize(
    ("config", "product", "desired"),
    [
        ("all-1g.10gb", "NVIDIA-H100-80GB-HBM3", "*-MIG-1g.10gb"),
        ("all-1g.10gb", "NVIDIA-H100-80GB-HBM3-MIG-3g.40gb", "*-MIG-1g.10gb"),
        ("all-disabled", "NVIDIA-H100-80GB-HBM3-MIG-1g.10gb", "a whole-GPU product (no -MIG-)"),
    ],
)
def test_success_with_another_layout_on_the_gpus_is_not_applied(
    config: str, product: str, desired: str
) -> None:
    node = with_changes(
        gpu_node(0), labels={"nvidia.com/mig.config": config, "nvidia.com/gpu.product": product}
    )
    assert rules(node) == [
        (
            "mig-config-not-applied",
            Severity.MEDIUM,
            "label:nvidia.com/gpu.product",
            desired,
            product,
        )
    ]


def test_custom_mig_layouts_are_not_second_guessed() -> None:
    node = with_changes(
        gpu_node(0),
        labels={
            "nvidia.com/mig.config": "custom-training",
            "nvidia.com/gpu.product": "NVIDIA-H100-80GB-HBM3",
        },
    )
    assert rules(node) == []


def test_deprecated_driver_labels_that_disagree() -> None:
    node = with_changes(
        gpu_node(0),
        labels={
            "nvidia.com/cuda.driver.major": "550",
            "nvidia.com/cuda.driver.minor": "144",
            "nvidia.com/cuda.driver.rev": "03",
        },
    )
    assert rules(node) == [
        (
            "driver-label-disagreement",
            Severity.MEDIUM,
            "label:nvidia.com/cuda.driver.*",
            "570.133.20",
            "550.144.03",
        )
    ]


def test_new_driver_labels_that_disagree_with_each_other() -> None:
    node = with_changes(gpu_node(0), labels={"nvidia.com/cuda.driver-version.revision": "19"})
    assert rules(node) == [
        (
            "driver-label-disagreement",
            Severity.MEDIUM,
            "label:nvidia.com/cuda.driver-version.*",
            "570.133.20",
            "570.133.19",
        )
    ]


@pytest.mark.parametrize(
    ("agent", "path", "desired", "live"),
    [
        (
            {"nvml.driver_version": "570.158.01"},
            "label:nvidia.com/cuda.driver-version.full",
            "570.158.01",
            "570.133.20",
        ),
        (
            {"module.nvidia.version": "570.158.01"},
            "label:nvidia.com/cuda.driver-version.full",
            "570.158.01",
            "570.133.20",
        ),
        (
            {"nvml.cuda_driver_version": "12.9"},
            "label:nvidia.com/cuda.runtime-version.full",
            "12.9",
            "12.8",
        ),
    ],
)
def test_what_the_agent_read_on_the_host_against_the_labels(
    agent: dict[str, str], path: str, desired: str, live: str
) -> None:
    node = with_changes(gpu_node(0), annotations={"kubedrift.io/facts": json.dumps(agent)})
    assert rules(node) == [("driver-label-disagreement", Severity.MEDIUM, path, desired, live)]


def test_agent_facts_that_agree_with_the_labels_are_quiet() -> None:
    agent = {
        "nvml.driver_version": "570.133.20",
        "module.nvidia.version": "570.133.20",
        "nvml.cuda_driver_version": "12.8",
    }
    node = with_changes(gpu_node(0), annotations={"kubedrift.io/facts": json.dumps(agent)})
    assert rules(node) == []


@pytest.mark.parametrize(
    ("cuda", "severity", "needed"),
    [
        ("12.9", Severity.MEDIUM, ">=575.51.03"),
        ("13.0", Severity.HIGH, ">=580.65.06"),
        ("12.8", None, None),
        ("12.4", None, None),
        ("14.0", None, None),  # a CUDA major the table does not know: not judged
    ],
)
def test_driver_too_old_for_the_labelled_cuda(
    cuda: str, severity: Severity | None, needed: str | None
) -> None:
    major, minor = cuda.split(".")
    node = with_changes(
        gpu_node(0),
        labels={
            "nvidia.com/cuda.runtime-version.full": cuda,
            "nvidia.com/cuda.runtime-version.major": major,
            "nvidia.com/cuda.runtime-version.minor": minor,
        },
    )
    expected = (
        []
        if severity is None
        else [
            (
                "driver-too-old-for-cuda",
                severity,
                "label:nvidia.com/cuda.driver-version.full",
                needed,
                "570.133.20",
            )
        ]
    )
    assert rules(node) == expected


def test_old_clusters_with_only_deprecated_cuda_labels_are_checked() -> None:
    node = with_changes(
        gpu_node(0),
        labels={
            "nvidia.com/cuda.runtime-version.full": None,
            "nvidia.com/cuda.runtime-version.major": None,
            "nvidia.com/cuda.runtime-version.minor": None,
            "nvidia.com/cuda.runtime.minor": "9",
        },
    )
    assert [r[0] for r in rules(node)] == ["driver-too-old-for-cuda"]


def test_the_cuda_table_matches_nvidias_release_notes() -> None:
    assert TOOLKIT_DRIVER[(12, 0)] == "525.60.13"
    assert TOOLKIT_DRIVER[(12, 8)] == "570.26"
    assert TOOLKIT_DRIVER[(11, 8)] == "520.61.05"
    need = driver_requirement((12, 4))
    assert need is not None
    assert (need.toolkit, need.compat, need.exact) == ("550.54.14", "525.60.13", True)
    future = driver_requirement((13, 7))
    assert future is not None
    assert (future.toolkit, future.exact) == ("595.45.04", False)
    assert driver_requirement((10, 2)) is None


def test_failed_driver_upgrade() -> None:
    node = with_changes(
        gpu_node(0), labels={"nvidia.com/gpu-driver-upgrade-state": "upgrade-failed"}
    )
    assert rules(node) == [
        (
            "driver-upgrade-failed",
            Severity.HIGH,
            "label:nvidia.com/gpu-driver-upgrade-state",
            "upgrade-done",
            "upgrade-failed",
        )
    ]
    in_progress = with_changes(
        gpu_node(0), labels={"nvidia.com/gpu-driver-upgrade-state": "drain-required"}
    )
    assert rules(in_progress) == []


def test_an_old_gfd_timestamp_alone_is_not_stale() -> None:
    """Regression (issue 11.1): GFD writes gfd.timestamp when its process starts, so a
    healthy node whose GFD pod is days old was reported as stale."""
    old = str(int((NOW - timedelta(days=30)).timestamp()))
    assert rules(with_changes(gpu_node(0), labels={"nvidia.com/gfd.timestamp": old})) == []
    garbage = with_changes(gpu_node(0), labels={"nvidia.com/gfd.timestamp": "soon"})
    assert rules(garbage) == []


def with_agent(node: dict[str, Any], facts: dict[str, Any]) -> dict[str, Any]:
    return with_changes(node, annotations={"kubedrift.io/facts": json.dumps(facts)})


def stale(node: dict[str, Any]) -> list[str]:
    found = check_gpu_rules(node_facts(node), CONTEXT)
    return [f.message for f in found if f.rule == "gfd-labels-stale"]


def test_gfd_labels_older_than_the_last_boot_are_stale() -> None:
    stamp = int((NOW - timedelta(days=3)).timestamp())
    labelled = with_changes(gpu_node(0), labels={"nvidia.com/gfd.timestamp": str(stamp)})
    rebooted = with_agent(labelled, {"host.boot_time": stamp + 3600})
    assert rules(rebooted) == [
        (
            "gfd-labels-stale",
            Severity.MEDIUM,
            "label:nvidia.com/gfd.timestamp",
            "labels GFD rewrote since the last boot, matching the host",
            "written 2025-05-30T12:00:00Z",
        )
    ]
    assert "booted at 2025-05-30T13:00:00Z, after GFD last started" in stale(rebooted)[0]
    # GFD restarted after the boot (the normal case): not stale, however old
    assert stale(with_agent(labelled, {"host.boot_time": stamp - 120})) == []


def test_gfd_labels_left_behind_by_a_switched_off_gfd_are_stale() -> None:
    off = with_changes(gpu_node(0), labels={"nvidia.com/gpu.deploy.gpu-feature-discovery": "false"})
    assert "has GFD switched off" in stale(off)[0]
    paused = with_changes(
        gpu_node(0),
        labels={"nvidia.com/gpu.deploy.gpu-feature-discovery": "paused-for-mig-change"},
    )
    assert stale(paused) == []


def test_gfd_labels_contradicting_nvml_are_stale_in_one_finding() -> None:
    node = with_agent(
        gpu_node(0), {"nvml.gpu_count": "7", "nvml.gpu.0.name": "NVIDIA A100-SXM4-80GB"}
    )
    (message,) = stale(node)
    assert "gpu.count says 8 GPUs but NVML sees 7" in message
    assert "gpu.product says NVIDIA-H100-80GB-HBM3 but NVML names the GPU" in message
    agreeing = with_agent(
        gpu_node(0), {"nvml.gpu_count": 8, "nvml.gpu.0.name": "NVIDIA H100 80GB HBM3"}
    )
    assert stale(agreeing) == []


def test_kernel_changed_since_labels_and_driver_build() -> None:
    rebooted = with_changes(gpu_node(0), info={"kernelVersion": "5.15.0-1060-aws"})
    assert rules(rebooted) == [
        (
            "kernel-changed-since-driver",
            Severity.MEDIUM,
            "label:feature.node.kubernetes.io/kernel-version.full",
            "5.15.0-1060-aws",
            "5.15.0-1057-aws",
        )
    ]
    built = with_changes(
        gpu_node(0),
        annotations={"kubedrift.io/facts": '{"nvidia.driver.kernel": "5.15.0-1050-aws"}'},
    )
    assert rules(built) == [
        (
            "kernel-changed-since-driver",
            Severity.HIGH,
            "agent:nvidia.driver.kernel",
            "5.15.0-1057-aws",
            "5.15.0-1050-aws",
        )
    ]
