"""SHA-256 digests of configuration files: kubelet, containerd, NVIDIA toolkit, CDI specs.

Only the digest of a file leaves the process, never a byte of its content: some of them
(`/etc/kubernetes/kubelet.conf`) can hold credentials. A missing file has no fact.
"""

from __future__ import annotations

from collections.abc import Iterable
from posixpath import basename

from kubedrift.agent.hostfs import HostFS
from kubedrift.agent.options import ConfigFile

Facts = dict[str, str]


def file_facts(host: HostFS, files: Iterable[ConfigFile]) -> Facts:
    """`file.<id>.sha256` per file, `file.<id>.<basename>.sha256` per file of a folder."""
    facts: Facts = {}
    for spec in files:
        if spec.is_folder:
            for path in host.files_in(spec.path[:-2]):
                _add(facts, f"file.{spec.id}.{basename(path)}.sha256", host.sha256(path))
        else:
            _add(facts, f"file.{spec.id}.sha256", host.sha256(spec.path))
    return facts


def _add(facts: Facts, name: str, digest: str | None) -> None:
    if digest is not None:
        facts[name] = digest
