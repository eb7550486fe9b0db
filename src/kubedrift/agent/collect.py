"""One collection: every collector run over the host, merged into one flat fact map."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from kubedrift.agent.configfiles import file_facts
from kubedrift.agent.hostfs import HostFS
from kubedrift.agent.kernel import (
    boot_time_facts,
    cmdline_facts,
    module_facts,
    sysctl_facts,
    thp_facts,
)
from kubedrift.agent.nvml import NvmlApi, nvml_facts
from kubedrift.agent.options import CollectOptions
from kubedrift.agent.packages import os_release_facts, package_facts


@dataclass(frozen=True, slots=True)
class Collection:
    """The facts of one host (name → string value) and notes on what could not be read."""

    facts: Mapping[str, str]
    notes: tuple[str, ...] = field(default=())


def collect(options: CollectOptions, nvml: NvmlApi | None) -> Collection:
    """Read every fact; `nvml` None (no `nvidia-ml-py`) means no GPU facts at all."""
    host = HostFS(options.host_root)
    notes = host.notes
    facts: dict[str, str] = {}
    facts.update(cmdline_facts(options.proc, notes))
    facts.update(boot_time_facts(options.proc, notes))
    facts.update(sysctl_facts(options.proc, options.sysctls, notes))
    facts.update(thp_facts(options.sys, notes))
    facts.update(module_facts(options.proc, options.sys, options.modules, notes))
    facts.update(os_release_facts(host))
    facts.update(package_facts(host, options.packages))
    facts.update(file_facts(host, options.files))
    if nvml is not None:
        facts.update(nvml_facts(nvml, notes))
    return Collection(facts=dict(sorted(facts.items())), notes=tuple(notes))
