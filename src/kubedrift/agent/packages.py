"""Operating system facts: `/etc/os-release` and installed package versions from dpkg.

Only Debian's package database (`/var/lib/dpkg/status`) is read. RPM's (`/var/lib/rpm`,
a Berkeley DB or SQLite file) is out of scope: when it is there, a note says so.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterable, Iterator
from fnmatch import fnmatchcase

from kubedrift.agent.hostfs import HostFS

Facts = dict[str, str]
DPKG_STATUS = "/var/lib/dpkg/status"
RPM_DATABASES = ("/var/lib/rpm", "/usr/lib/sysimage/rpm")
OS_RELEASE = ("/etc/os-release", "/usr/lib/os-release")  # the order os-release(5) gives
_OS_FIELDS = {"ID": "os.id", "VERSION_ID": "os.version_id"}


def os_release_facts(host: HostFS) -> Facts:
    """`os.id` and `os.version_id` from the first os-release file that exists."""
    for path in OS_RELEASE:
        text = host.read_text(path)
        if text is not None:
            fields = parse_os_release(text)
            return {fact: fields[key] for key, fact in _OS_FIELDS.items() if fields.get(key)}
    return {}


def parse_os_release(text: str) -> dict[str, str]:
    """`KEY=value` lines with shell quoting, comments and blank lines skipped."""
    fields: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, raw = line.strip().partition("=")
        if not sep or key.startswith("#"):
            continue
        try:
            words = shlex.split(raw)
        except ValueError:
            words = [raw.strip("\"'")]
        fields[key.strip()] = " ".join(words)
    return fields


def package_facts(host: HostFS, patterns: Iterable[str]) -> Facts:
    """`package.<name>` = version for installed packages whose name matches a pattern.

    A package installed for several architectures (multiarch `:i386` beside `:amd64`)
    is named `package.<name>:<arch>` for each.
    """
    if any(host.resolve(path) is not None for path in RPM_DATABASES):
        host.notes.append("RPM package database not read (out of scope): dpkg only")
    text = host.read_text(DPKG_STATUS)
    if text is None:
        return {}
    wanted = tuple(patterns)
    found = [
        (name, arch, version)
        for name, arch, version in installed_packages(text)
        if any(fnmatchcase(name, p) for p in wanted)
    ]
    archs: dict[str, int] = {}
    for name, _, _ in found:
        archs[name] = archs.get(name, 0) + 1
    return {
        f"package.{name}:{arch}" if archs[name] > 1 else f"package.{name}": version
        for name, arch, version in found
    }


def installed_packages(status: str) -> Iterator[tuple[str, str, str]]:
    """(name, architecture, version) of each installed package in a dpkg status file."""
    for stanza in _stanzas(status):
        state = stanza.get("Status", "").split()
        if state[-1:] == ["installed"] and stanza.get("Package") and stanza.get("Version"):
            yield stanza["Package"], stanza.get("Architecture", ""), stanza["Version"]


def _stanzas(text: str) -> Iterator[dict[str, str]]:
    fields: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip():
            if fields:
                yield fields
            fields = {}
        elif not line[0].isspace():
            key, _, value = line.partition(":")
            fields[key] = value.strip()
    if fields:
        yield fields
