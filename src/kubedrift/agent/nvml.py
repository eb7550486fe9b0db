"""GPU facts from NVML, behind a narrow seam: `NvmlApi` and two implementations.

`PynvmlApi` calls the real library through `nvidia-ml-py` (module `pynvml`), an optional
dependency: without it `PynvmlApi.load()` returns None and there are no GPU facts.
`RecordedNvml` replays values recorded from real GPUs, exactly as the pynvml functions
return them (strings as `str` or, from older releases, `bytes`), so the translation to
facts is tested without a GPU. Both raise only `NvmlError`; pynvml's exceptions stay here.

`nvml_facts` turns either into facts (names in `kubedrift.agent.names`). NVML missing or
the driver not loaded is normal on a CPU node: only `nvml.status` says so.
"""

from __future__ import annotations

import enum
import importlib
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from types import ModuleType
from typing import Any, Protocol, TypeAlias

NvmlValue: TypeAlias = str | bytes | int | Sequence[int]
Facts = dict[str, str]

SYSTEM_CALLS = ("nvmlSystemGetDriverVersion", "nvmlSystemGetCudaDriverVersion")
DEVICE_CALLS = (
    "nvmlDeviceGetName",
    "nvmlDeviceGetUUID",
    "nvmlDeviceGetVbiosVersion",
    "nvmlDeviceGetEccMode",
    "nvmlDeviceGetMigMode",
    "nvmlDeviceGetPersistenceMode",
    "nvmlDeviceGetPowerManagementLimit",
)


class NvmlErrorKind(enum.Enum):
    """NVML's return codes that the agent tells apart; the value is `nvml.status`."""

    LIBRARY_NOT_FOUND = "library-not-found"  # 12: no libnvidia-ml.so.1 (CPU node)
    DRIVER_NOT_LOADED = "driver-not-loaded"  # 9
    NO_PERMISSION = "no-permission"  # 4
    VERSION_MISMATCH = "version-mismatch"  # 18: kernel module and library differ
    NOT_SUPPORTED = "not-supported"  # 3: this GPU has no such feature
    FUNCTION_NOT_FOUND = "function-not-found"  # 13: the driver predates the call
    GPU_IS_LOST = "gpu-is-lost"  # 15
    OTHER = "error"


_CODES = {
    12: NvmlErrorKind.LIBRARY_NOT_FOUND,
    9: NvmlErrorKind.DRIVER_NOT_LOADED,
    4: NvmlErrorKind.NO_PERMISSION,
    18: NvmlErrorKind.VERSION_MISMATCH,
    3: NvmlErrorKind.NOT_SUPPORTED,
    13: NvmlErrorKind.FUNCTION_NOT_FOUND,
    15: NvmlErrorKind.GPU_IS_LOST,
}
_UNSUPPORTED = (NvmlErrorKind.NOT_SUPPORTED, NvmlErrorKind.FUNCTION_NOT_FOUND)


class NvmlError(Exception):
    """An NVML call failed; `kind` says how."""

    def __init__(self, kind: NvmlErrorKind, message: str = "") -> None:
        super().__init__(message or kind.value)
        self.kind = kind


class NvmlApi(Protocol):
    """The few NVML calls the agent makes, named after the pynvml functions."""

    def init(self) -> None:
        """`nvmlInit`."""

    def shutdown(self) -> None:
        """`nvmlShutdown`."""

    def system(self, function: str) -> NvmlValue:
        """Call a system-wide function (one of `SYSTEM_CALLS`)."""

    def device_count(self) -> int:
        """`nvmlDeviceGetCount`."""

    def device(self, index: int, function: str) -> NvmlValue:
        """Call a per-device function (one of `DEVICE_CALLS`) on the GPU at `index`."""


class PynvmlApi:
    """The real NVML, through the `pynvml` module."""

    def __init__(self, module: ModuleType) -> None:
        self._nvml = module
        self._handles: dict[int, Any] = {}

    @classmethod
    def load(cls) -> PynvmlApi | None:
        """The API, or None when `nvidia-ml-py` is not installed."""
        try:
            return cls(importlib.import_module("pynvml"))
        except ImportError:
            return None

    def init(self) -> None:
        """`nvmlInit`."""
        self._handles.clear()
        self._call(self._nvml.nvmlInit)

    def shutdown(self) -> None:
        """`nvmlShutdown`."""
        self._handles.clear()
        self._call(self._nvml.nvmlShutdown)

    def system(self, function: str) -> NvmlValue:
        """Call a system-wide function."""
        value: NvmlValue = self._call(self._function(function))
        return value

    def device_count(self) -> int:
        """`nvmlDeviceGetCount`."""
        return int(self._call(self._nvml.nvmlDeviceGetCount))

    def device(self, index: int, function: str) -> NvmlValue:
        """Call a per-device function on the GPU at `index`."""
        if index not in self._handles:
            self._handles[index] = self._call(self._nvml.nvmlDeviceGetHandleByIndex, index)
        value: NvmlValue = self._call(self._function(function), self._handles[index])
        return value

    def _function(self, name: str) -> Callable[..., Any]:
        function: Callable[..., Any] | None = getattr(self._nvml, name, None)
        if function is None:  # an nvidia-ml-py older than the call
            raise NvmlError(NvmlErrorKind.FUNCTION_NOT_FOUND, f"pynvml has no {name}")
        return function

    def _call(self, function: Callable[..., Any], *args: Any) -> Any:
        try:
            return function(*args)
        except self._nvml.NVMLError as err:
            code = getattr(err, "value", -1)
            raise NvmlError(_CODES.get(code, NvmlErrorKind.OTHER), str(err)) from None


Recorded: TypeAlias = NvmlValue | NvmlError


class RecordedNvml:
    """NVML replayed from recorded return values; a recorded `NvmlError` is raised.

    `system` maps system function names to values, `devices` holds one such mapping per
    GPU; `init_error` is raised by `init` (e.g. `LIBRARY_NOT_FOUND` on a CPU node).
    """

    def __init__(
        self,
        system: Mapping[str, Recorded],
        devices: Sequence[Mapping[str, Recorded]] = (),
        *,
        init_error: NvmlError | None = None,
    ) -> None:
        self._system = dict(system)
        self._devices = [dict(d) for d in devices]
        self._init_error = init_error
        self.shut_down = False

    def init(self) -> None:
        """Raise the recorded init error, if any."""
        if self._init_error is not None:
            raise self._init_error

    def shutdown(self) -> None:
        """Remember that it was called."""
        self.shut_down = True

    def system(self, function: str) -> NvmlValue:
        """The recorded value of a system function."""
        return _replay(self._system, function)

    def device_count(self) -> int:
        """The number of recorded devices."""
        return len(self._devices)

    def device(self, index: int, function: str) -> NvmlValue:
        """The recorded value of a device function."""
        return _replay(self._devices[index], function)


def _replay(recorded: Mapping[str, Recorded], function: str) -> NvmlValue:
    value = recorded.get(function, NvmlError(NvmlErrorKind.FUNCTION_NOT_FOUND, function))
    if isinstance(value, NvmlError):
        raise value
    return value


def nvml_facts(api: NvmlApi, notes: list[str]) -> Facts:
    """`nvml.*` facts; a failed init yields `nvml.status` alone, failed calls a note."""
    try:
        api.init()
    except NvmlError as err:
        notes.append(f"NVML not available: {err}")
        return {"nvml.status": err.kind.value}
    try:
        return _read_all(api, notes)
    finally:
        try:
            api.shutdown()
        except NvmlError as err:
            notes.append(f"nvmlShutdown: {err}")


def _read_all(api: NvmlApi, notes: list[str]) -> Facts:
    facts: Facts = {"nvml.status": "ok"}
    for function, name, convert in _SYSTEM_FACTS:
        _put(facts, name, partial(api.system, function), convert, notes)
    try:
        count = api.device_count()
    except NvmlError as err:
        notes.append(f"nvmlDeviceGetCount: {err}")
        return facts
    facts["nvml.gpu_count"] = str(count)
    for index in range(count):
        facts.update(_device_facts(api, index, notes))
    return facts


def _device_facts(api: NvmlApi, index: int, notes: list[str]) -> Facts:
    facts: Facts = {}
    prefix = f"nvml.gpu.{index}."
    for function, name, convert in _DEVICE_FACTS:
        _put(facts, prefix + name, partial(api.device, index, function), convert, notes)
    return facts


def _put(
    facts: Facts,
    name: str,
    call: Callable[[], NvmlValue],
    convert: Callable[[NvmlValue], dict[str, str]],
    notes: list[str],
) -> None:
    try:
        values = convert(call())
    except NvmlError as err:
        if err.kind in _UNSUPPORTED:
            facts[name] = "unsupported"
        else:
            notes.append(f"{name}: {err}")
        return
    for suffix, text in values.items():
        facts[name + suffix] = text


def _text(value: NvmlValue) -> dict[str, str]:
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="replace")
    return {"": str(value).strip()}


def _cuda_version(value: NvmlValue) -> dict[str, str]:
    number = _int(value)
    return {"": f"{number // 1000}.{number % 1000 // 10}"}


def _mode_pair(value: NvmlValue) -> dict[str, str]:
    """[current, pending]: the pending mode only when a reset would change it."""
    if isinstance(value, int | str | bytes) or len(value) != 2:
        raise NvmlError(NvmlErrorKind.OTHER, f"expected [current, pending], got {value!r}")
    current, pending = _enabled(value[0]), _enabled(value[1])
    return {"": current} if pending == current else {"": current, "_pending": pending}


def _mode(value: NvmlValue) -> dict[str, str]:
    return {"": _enabled(value)}


def _watts(value: NvmlValue) -> dict[str, str]:
    return {"": f"{_int(value) / 1000:g}"}


def _enabled(value: object) -> str:
    return "enabled" if _int(value) else "disabled"


def _int(value: object) -> int:
    if isinstance(value, int):
        return value
    raise NvmlError(NvmlErrorKind.OTHER, f"expected a number, got {value!r}")


_SYSTEM_FACTS = (
    ("nvmlSystemGetDriverVersion", "nvml.driver_version", _text),
    ("nvmlSystemGetCudaDriverVersion", "nvml.cuda_driver_version", _cuda_version),
)
_DEVICE_FACTS = (
    ("nvmlDeviceGetName", "name", _text),
    ("nvmlDeviceGetUUID", "uuid", _text),
    ("nvmlDeviceGetVbiosVersion", "vbios", _text),
    ("nvmlDeviceGetEccMode", "ecc_mode", _mode_pair),
    ("nvmlDeviceGetMigMode", "mig_mode", _mode_pair),
    ("nvmlDeviceGetPersistenceMode", "persistence_mode", _mode),
    ("nvmlDeviceGetPowerManagementLimit", "power_limit_w", _watts),
)
