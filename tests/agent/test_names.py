"""Fact names that peers must not compare, and the names module staying import-free."""

from __future__ import annotations

import ast
from fnmatch import fnmatchcase
from pathlib import Path

import pytest

from kubedrift.agent import names
from kubedrift.agent.names import NATURALLY_UNIQUE_FACTS


def _unique(name: str) -> bool:
    return any(fnmatchcase(name.lower(), p.lower()) for p in NATURALLY_UNIQUE_FACTS)


@pytest.mark.parametrize(
    "name",
    [
        "kernel.cmdline",
        "kernel.param.root",
        "kernel.param.rd.luks.uuid",
        "kernel.param.rd.lvm.lv",
        "kernel.param.ip",
        "nvml.gpu.0.uuid",
        "nvml.gpu.7.uuid",
        "file.kubelet-kubeconfig.sha256",
        "file.cdi-run.nvidia.yaml.sha256",
        "file.cdi-etc.nvidia.yaml.sha256",
    ],
)
def test_identities_are_naturally_unique(name: str) -> None:
    assert _unique(name)


@pytest.mark.parametrize(
    "name",
    [
        "kernel.param.BOOT_IMAGE",  # the kernel path: differs only when the kernel does
        "kernel.param.iommu",
        "kernel.param.nvidia_drm.modeset",
        "nvml.gpu.0.vbios",
        "nvml.gpu.0.name",
        "nvml.driver_version",
        "file.kubelet-config.sha256",
        "file.containerd-config.sha256",
        "modules.digest",
        "sysctl.vm.max_map_count",
    ],
)
def test_drift_signals_are_compared(name: str) -> None:
    assert not _unique(name)


def test_names_module_imports_nothing_so_it_can_move_to_the_model() -> None:
    tree = ast.parse(Path(names.__file__).read_text())
    imports = [n for n in ast.walk(tree) if isinstance(n, ast.Import | ast.ImportFrom)]
    assert [ast.unparse(n) for n in imports] == ["from __future__ import annotations"]
