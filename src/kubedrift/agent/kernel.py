"""Kernel facts from `/proc` and `/sys`: command line, sysctls, loaded modules, THP mode.

These files describe the running kernel, not a process, so they read the same from the
host's `/proc` and from any container's own `/proc`; only `net.*` sysctls belong to the
reader's network namespace, which is why the DaemonSet runs with `hostNetwork`.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from fnmatch import fnmatchcase
from pathlib import Path

from kubedrift.agent.hostfs import read_local_text

Facts = dict[str, str]
_THP_SELECTED = re.compile(r"\[([^\]]+)\]")


def cmdline_facts(proc: Path, notes: list[str]) -> Facts:
    """`kernel.cmdline` and one `kernel.param.<name>` per parameter before `--`."""
    text = read_local_text(proc / "cmdline", notes)
    if text is None:
        return {}
    line = text.strip()
    facts = {"kernel.cmdline": line}
    for name, value in kernel_params(line).items():
        facts[f"kernel.param.{name}"] = value
    return facts


def boot_time_facts(proc: Path, notes: list[str]) -> Facts:
    """`host.boot_time`: the `btime` line of `/proc/stat`, seconds since the epoch.

    The controller's `gfd-labels-stale` rule compares it with GFD's `gfd.timestamp`
    (written once when GFD starts): a host booted after GFD last started carries labels
    from before the boot. It changes only at a reboot, so it does not churn publishing.
    """
    text = read_local_text(proc / "stat", notes)
    for line in (text or "").splitlines():
        name, _, value = line.partition(" ")
        if name == "btime" and value.strip().isdigit():
            return {"host.boot_time": value.strip()}
    return {}


def kernel_params(line: str) -> dict[str, str]:
    """Parameters as the kernel parses them: quotes group, `-` and `_` alike in names.

    A parameter given twice keeps both values, joined by a space in order; a bare flag
    (`quiet`) has the value "". Arguments after `--` go to init and are left out.
    """
    values: dict[str, list[str]] = {}
    for token in _split_args(line):
        if token == "--":
            break
        name, _, value = token.partition("=")
        values.setdefault(name.replace("-", "_"), []).append(value)
    return {name: " ".join(v for v in vals if v) for name, vals in values.items()}


def _split_args(line: str) -> list[str]:
    tokens: list[str] = []
    current: list[str] = []
    quoted = False
    for char in line:
        if char == '"':
            quoted = not quoted
        elif char.isspace() and not quoted:
            if current:
                tokens.append("".join(current))
            current = []
        else:
            current.append(char)
    if current:
        tokens.append("".join(current))
    return tokens


def sysctl_facts(proc: Path, names: Iterable[str], notes: list[str]) -> Facts:
    """`sysctl.<dotted name>` for each sysctl this kernel has, whitespace collapsed."""
    facts: Facts = {}
    for name in names:
        relative = name if "/" in name else name.replace(".", "/")
        text = read_local_text(proc / "sys" / relative, notes)
        if text is not None:
            facts["sysctl." + name.replace("/", ".")] = " ".join(text.split())
    return facts


def thp_facts(sys: Path, notes: list[str]) -> Facts:
    """`thp.enabled` and `thp.defrag`: the transparent huge page modes in brackets."""
    facts: Facts = {}
    for knob in ("enabled", "defrag"):
        text = read_local_text(sys / "kernel/mm/transparent_hugepage" / knob, notes)
        match = _THP_SELECTED.search(text or "")
        if match:
            facts[f"thp.{knob}"] = match.group(1)
    return facts


def module_facts(proc: Path, sys: Path, patterns: Iterable[str], notes: list[str]) -> Facts:
    """`module.<name>` (and its `.version`) per module of interest, and `modules.digest`.

    The digest covers the sorted names of every loaded module, not the raw file, whose
    sizes, use counts and addresses change without any drift.
    """
    text = read_local_text(proc / "modules", notes)
    if text is None:
        return {}
    names = sorted({line.split(maxsplit=1)[0] for line in text.splitlines() if line.strip()})
    facts: Facts = {"modules.digest": "sha256:" + _digest(names)}
    wanted = tuple(patterns)
    for name in names:
        if any(fnmatchcase(name, p) for p in wanted):
            facts[f"module.{name}"] = "loaded"
            version = read_local_text(sys / "module" / name / "version", notes)
            if version and version.strip():
                facts[f"module.{name}.version"] = version.strip()
    return facts


def _digest(names: list[str]) -> str:
    return hashlib.sha256("\n".join(names).encode()).hexdigest()
