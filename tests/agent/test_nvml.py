"""GPU facts from NVML: recorded return values of real GPUs, errors, and the real library."""

from __future__ import annotations

import importlib
from types import SimpleNamespace
from typing import Any

import pytest

from kubedrift.agent.nvml import (
    NvmlError,
    NvmlErrorKind,
    PynvmlApi,
    Recorded,
    RecordedNvml,
    nvml_facts,
)

NOT_SUPPORTED = NvmlError(NvmlErrorKind.NOT_SUPPORTED, "Not Supported")

# An HGX H100 node as current nvidia-ml-py returns it (strings already decoded).
H100_SYSTEM: dict[str, Recorded] = {
    "nvmlSystemGetDriverVersion": "570.86.15",
    "nvmlSystemGetCudaDriverVersion": 12080,
}
H100: dict[str, Recorded] = {
    "nvmlDeviceGetName": "NVIDIA H100 80GB HBM3",
    "nvmlDeviceGetUUID": "GPU-3f3c8f2b-8c2d-4e3b-a1f2-5d6e7f8a9b0c",
    "nvmlDeviceGetVbiosVersion": "96.00.99.00.01",
    "nvmlDeviceGetEccMode": [1, 1],
    "nvmlDeviceGetMigMode": [0, 0],
    "nvmlDeviceGetPersistenceMode": 1,
    "nvmlDeviceGetPowerManagementLimit": 700000,
}
# An A100 in MIG mode as older pynvml releases return it: strings as bytes.
A100_SYSTEM: dict[str, Recorded] = {
    "nvmlSystemGetDriverVersion": b"535.183.06",
    "nvmlSystemGetCudaDriverVersion": 12020,
}
A100_MIG: dict[str, Recorded] = {
    "nvmlDeviceGetName": b"NVIDIA A100-SXM4-80GB",
    "nvmlDeviceGetUUID": b"GPU-9a8b7c6d-5e4f-3a2b-1c0d-e9f8a7b6c5d4",
    "nvmlDeviceGetVbiosVersion": b"92.00.45.00.03",
    "nvmlDeviceGetEccMode": [1, 1],
    "nvmlDeviceGetMigMode": [1, 1],
    "nvmlDeviceGetPersistenceMode": 1,
    "nvmlDeviceGetPowerManagementLimit": 400000,
}
# An L4 with ECC off, no MIG, and a limit that is not whole watts.
L4: dict[str, Recorded] = {
    "nvmlDeviceGetName": "NVIDIA L4",
    "nvmlDeviceGetUUID": "GPU-11111111-2222-3333-4444-555555555555",
    "nvmlDeviceGetVbiosVersion": "95.04.29.00.06",
    "nvmlDeviceGetEccMode": [0, 1],
    "nvmlDeviceGetMigMode": NOT_SUPPORTED,
    "nvmlDeviceGetPersistenceMode": 0,
    "nvmlDeviceGetPowerManagementLimit": 72500,
}


def test_two_h100s() -> None:
    notes: list[str] = []
    api = RecordedNvml(H100_SYSTEM, [H100, {**H100, "nvmlDeviceGetUUID": "GPU-second"}])
    facts = nvml_facts(api, notes)
    assert facts == {
        "nvml.status": "ok",
        "nvml.driver_version": "570.86.15",
        "nvml.cuda_driver_version": "12.8",
        "nvml.gpu_count": "2",
        "nvml.gpu.0.name": "NVIDIA H100 80GB HBM3",
        "nvml.gpu.0.uuid": "GPU-3f3c8f2b-8c2d-4e3b-a1f2-5d6e7f8a9b0c",
        "nvml.gpu.0.vbios": "96.00.99.00.01",
        "nvml.gpu.0.ecc_mode": "enabled",
        "nvml.gpu.0.mig_mode": "disabled",
        "nvml.gpu.0.persistence_mode": "enabled",
        "nvml.gpu.0.power_limit_w": "700",
        "nvml.gpu.1.name": "NVIDIA H100 80GB HBM3",
        "nvml.gpu.1.uuid": "GPU-second",
        "nvml.gpu.1.vbios": "96.00.99.00.01",
        "nvml.gpu.1.ecc_mode": "enabled",
        "nvml.gpu.1.mig_mode": "disabled",
        "nvml.gpu.1.persistence_mode": "enabled",
        "nvml.gpu.1.power_limit_w": "700",
    }
    assert notes == []
    assert api.shut_down


def test_a100_in_mig_mode_recorded_as_bytes() -> None:
    facts = nvml_facts(RecordedNvml(A100_SYSTEM, [A100_MIG]), [])
    assert facts == {
        "nvml.status": "ok",
        "nvml.driver_version": "535.183.06",
        "nvml.cuda_driver_version": "12.2",
        "nvml.gpu_count": "1",
        "nvml.gpu.0.name": "NVIDIA A100-SXM4-80GB",
        "nvml.gpu.0.uuid": "GPU-9a8b7c6d-5e4f-3a2b-1c0d-e9f8a7b6c5d4",
        "nvml.gpu.0.vbios": "92.00.45.00.03",
        "nvml.gpu.0.ecc_mode": "enabled",
        "nvml.gpu.0.mig_mode": "enabled",
        "nvml.gpu.0.persistence_mode": "enabled",
        "nvml.gpu.0.power_limit_w": "400",
    }


def test_unsupported_features_and_pending_modes() -> None:
    facts = nvml_facts(RecordedNvml(H100_SYSTEM, [L4]), [])
    assert facts["nvml.gpu.0.mig_mode"] == "unsupported"
    assert facts["nvml.gpu.0.ecc_mode"] == "disabled"
    assert facts["nvml.gpu.0.ecc_mode_pending"] == "enabled"  # waits for a reset
    assert facts["nvml.gpu.0.persistence_mode"] == "disabled"
    assert facts["nvml.gpu.0.power_limit_w"] == "72.5"
    assert "nvml.gpu.0.mig_mode_pending" not in facts


def test_a_failed_query_is_a_note_not_a_fact() -> None:
    lost = {
        **H100,
        "nvmlDeviceGetVbiosVersion": NvmlError(NvmlErrorKind.GPU_IS_LOST, "GPU is lost"),
    }
    notes: list[str] = []
    facts = nvml_facts(RecordedNvml(H100_SYSTEM, [lost]), notes)
    assert "nvml.gpu.0.vbios" not in facts
    assert facts["nvml.gpu.0.name"] == "NVIDIA H100 80GB HBM3"
    assert notes == ["nvml.gpu.0.vbios: GPU is lost"]


def test_an_old_driver_without_a_function_reads_unsupported() -> None:
    system = {"nvmlSystemGetDriverVersion": "450.51.06"}  # no nvmlSystemGetCudaDriverVersion
    facts = nvml_facts(RecordedNvml(system, []), [])
    assert facts == {
        "nvml.status": "ok",
        "nvml.driver_version": "450.51.06",
        "nvml.cuda_driver_version": "unsupported",
        "nvml.gpu_count": "0",
    }


@pytest.mark.parametrize(
    ("kind", "status"),
    [
        (NvmlErrorKind.LIBRARY_NOT_FOUND, "library-not-found"),
        (NvmlErrorKind.DRIVER_NOT_LOADED, "driver-not-loaded"),
        (NvmlErrorKind.VERSION_MISMATCH, "version-mismatch"),
        (NvmlErrorKind.NO_PERMISSION, "no-permission"),
    ],
)
def test_init_failure_publishes_only_the_status(kind: NvmlErrorKind, status: str) -> None:
    notes: list[str] = []
    api = RecordedNvml(H100_SYSTEM, [H100], init_error=NvmlError(kind, "boom"))
    assert nvml_facts(api, notes) == {"nvml.status": status}
    assert notes == ["NVML not available: boom"]


class _NVMLError(Exception):
    def __init__(self, value: int) -> None:
        super().__init__(f"code {value}")
        self.value = value


def _fake_pynvml(**functions: Any) -> SimpleNamespace:
    """A stand-in for the pynvml module, only to check how PynvmlApi maps its errors."""
    return SimpleNamespace(NVMLError=_NVMLError, nvmlShutdown=lambda: None, **functions)


def _raise(code: int) -> Any:
    def call(*args: object) -> None:
        raise _NVMLError(code)

    return call


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        (12, NvmlErrorKind.LIBRARY_NOT_FOUND),
        (9, NvmlErrorKind.DRIVER_NOT_LOADED),
        (18, NvmlErrorKind.VERSION_MISMATCH),
        (999, NvmlErrorKind.OTHER),
    ],
)
def test_pynvml_errors_become_nvml_errors(code: int, kind: NvmlErrorKind) -> None:
    api = PynvmlApi(_fake_pynvml(nvmlInit=_raise(code)))  # type: ignore[arg-type]
    with pytest.raises(NvmlError) as info:
        api.init()
    assert info.value.kind is kind


def test_pynvml_handles_are_fetched_once_per_gpu() -> None:
    calls: list[int] = []

    def handle(index: int) -> str:
        calls.append(index)
        return f"handle-{index}"

    module = _fake_pynvml(
        nvmlInit=lambda: None,
        nvmlDeviceGetHandleByIndex=handle,
        nvmlDeviceGetName=lambda h: f"name of {h}",
        nvmlDeviceGetMigMode=_raise(3),
    )
    api = PynvmlApi(module)  # type: ignore[arg-type]
    api.init()
    assert api.device(0, "nvmlDeviceGetName") == "name of handle-0"
    assert api.device(0, "nvmlDeviceGetName") == "name of handle-0"
    with pytest.raises(NvmlError) as info:
        api.device(0, "nvmlDeviceGetMigMode")
    assert info.value.kind is NvmlErrorKind.NOT_SUPPORTED
    with pytest.raises(NvmlError) as missing:
        api.device(0, "nvmlDeviceGetGspFirmwareMode")  # older pynvml lacks it
    assert missing.value.kind is NvmlErrorKind.FUNCTION_NOT_FOUND
    assert calls == [0]


def test_the_real_library_on_this_machine() -> None:
    """No GPU here: without nvidia-ml-py no API at all, with it only `nvml.status`."""
    api = PynvmlApi.load()
    try:
        importlib.import_module("pynvml")  # as PynvmlApi.load does: pynvml has no stubs
    except ImportError:
        assert api is None
        return
    assert api is not None
    facts = nvml_facts(api, [])
    if facts["nvml.status"] == "ok":  # a machine lent with a GPU
        assert int(facts["nvml.gpu_count"]) >= 0
        assert facts["nvml.driver_version"]
    else:
        assert facts["nvml.status"] in ("library-not-found", "driver-not-loaded")
        assert list(facts) == ["nvml.status"]
