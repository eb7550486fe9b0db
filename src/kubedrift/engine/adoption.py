"""The adopt pipeline's inputs: a scan's findings, and the desired and live objects they
came from (for `kubedrift adopt`, which writes live values back into Git).

The same steps as `plan_scan` (engine/remedy.py) without a plan: the scan, then desired
read again and the live objects of the desired kinds, namespaces resolved as the scan
resolves them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from kubedrift.desired import load_desired
from kubedrift.engine.namespaces import with_namespaces
from kubedrift.engine.requests import ScanRequest
from kubedrift.engine.scan import Progress, _quiet, read_live, run_scan
from kubedrift.model import Report


@dataclass(frozen=True, slots=True)
class AdoptionInputs:
    """A scan's report and the objects on both sides of its findings."""

    report: Report
    desired: tuple[dict[str, Any], ...] = ()
    live: tuple[dict[str, Any], ...] = ()


async def adoption_inputs(request: ScanRequest, progress: Progress = _quiet) -> AdoptionInputs:
    """Scan; when there is drift, read the desired and live objects again."""
    report = await run_scan(request, progress=progress)
    if not report.findings:
        return AdoptionInputs(report)
    desired = [o.obj for o in load_desired(list(request.desired)).objects]
    live = await read_live(replace(request, check_nodes=False), desired, progress)
    resolved = with_namespaces(desired, live.default_namespace, lambda g, k: live.scope.get((g, k)))
    return AdoptionInputs(report, tuple(resolved), tuple(live.objects))
