"""Which NVIDIA Linux driver each CUDA version needs.

Source: NVIDIA CUDA Toolkit Release Notes, section "CUDA Driver" — Table 3, "CUDA Toolkit
and Corresponding Driver Versions" (the Linux x86_64 "Toolkit Driver Version" of each GA
release), and Table 2, "Minimum Required Driver Version for CUDA Minor Version
Compatibility" (https://docs.nvidia.com/cuda/cuda-toolkit-release-notes/, checked against
the 13.2 Update 2 edition; the 11.x floor of 450.80.02 is that page's footnote).

Which minimum applies: GPU Feature Discovery's `nvidia.com/cuda.runtime-version.*` is
NVML's `cudaDriverVersion` — the newest CUDA the *installed driver* supports — not a
container's toolkit. A driver below the toolkit driver of that CUDA minor cannot be the
one that reported it, so `driver_requirement` returns the GA toolkit driver as the
requirement. Minor version compatibility (any CUDA 12.x application runs, with limited
features, on a driver >= 525.60.13) decides only how bad a miss is: below that floor
nothing of that CUDA major runs (high); above it applications run with limitations
(medium). Update releases (12.8 Update 1: 570.124.06) are not separate rows: NVML
reports the same major.minor for the whole branch.
"""

from __future__ import annotations

from dataclasses import dataclass

from kubedrift.analysis.versions import Version, parse_version

# CUDA major.minor -> minimum Linux x86_64 driver of its GA toolkit (Table 3).
TOOLKIT_DRIVER: dict[tuple[int, int], str] = {
    (11, 0): "450.51.05",  # 11.0.2 GA (11.0.1 RC shipped 450.36.06)
    (11, 1): "455.23",
    (11, 2): "460.27.03",
    (11, 3): "465.19.01",
    (11, 4): "470.42.01",
    (11, 5): "495.29.05",
    (11, 6): "510.39.01",
    (11, 7): "515.43.04",
    (11, 8): "520.61.05",
    (12, 0): "525.60.13",
    (12, 1): "530.30.02",
    (12, 2): "535.54.03",
    (12, 3): "545.23.06",
    (12, 4): "550.54.14",
    (12, 5): "555.42.02",
    (12, 6): "560.28.03",
    # No CUDA 12.7 toolkit was released, but R565 drivers report CUDA 12.7 through NVML;
    # 565.57.01 is the first production R565 Linux driver.
    (12, 7): "565.57.01",
    (12, 8): "570.26",
    (12, 9): "575.51.03",
    (13, 0): "580.65.06",
    (13, 1): "590.44.01",
    (13, 2): "595.45.04",
}

# CUDA major -> minimum driver for minor version compatibility (Table 2 and its footnote).
MINOR_COMPAT_DRIVER: dict[int, str] = {11: "450.80.02", 12: "525.60.13", 13: "580.65.06"}


@dataclass(frozen=True, slots=True)
class DriverRequirement:
    """The drivers a CUDA version needs: `toolkit` for all features, `compat` to run at all."""

    cuda: tuple[int, int]
    toolkit: str
    compat: str | None
    exact: bool  # False when `cuda` is newer than the table and a lower row stands in

    def toolkit_version(self) -> Version:
        """`toolkit` as a version tuple."""
        return _version(self.toolkit)

    def compat_version(self) -> Version | None:
        """`compat` as a version tuple, None when unknown."""
        return None if self.compat is None else _version(self.compat)


def driver_requirement(cuda: tuple[int, int]) -> DriverRequirement | None:
    """The requirement for CUDA `major.minor`; None for a CUDA major the table lacks.

    A minor newer than the table's newest of that major (a future 13.5) is held to the
    newest known row: a lower bound, still enough to catch a driver that is far too old.
    """
    known = [key for key in TOOLKIT_DRIVER if key[0] == cuda[0] and key <= cuda]
    if not known:
        return None
    row = max(known)
    return DriverRequirement(
        cuda=cuda,
        toolkit=TOOLKIT_DRIVER[row],
        compat=MINOR_COMPAT_DRIVER.get(cuda[0]),
        exact=row == cuda,
    )


def _version(text: str) -> Version:
    version = parse_version(text)
    if version is None:  # pragma: no cover - the table holds only valid versions
        raise ValueError(text)
    return version
