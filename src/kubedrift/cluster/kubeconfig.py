"""`KUBECONFIG` naming several files (`a:b`), merged as kubectl merges them.

kubectl's loading rules (`kubectl config --help`, and "Organizing Cluster Access Using
kubeconfig Files" in the Kubernetes docs): the files of the list are merged; for each map —
clusters, contexts, users — the first file to define a name wins, and so does the first file
to set `current-context`; files that do not exist are skipped; a relative path in a file
(certificate, key, token file, exec command) is relative to that file. lightkube reads one
file only, so the merge happens here and lightkube gets the result.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml
from lightkube import ConfigError, KubeConfig

_SECTIONS = (("clusters", "cluster"), ("contexts", "context"), ("users", "user"))
_PATH_FIELDS = {
    "cluster": ("certificate-authority",),
    "user": ("client-certificate", "client-key", "tokenFile"),
}


def kubeconfig_paths(value: str) -> list[Path]:
    """The files a `KUBECONFIG` value names, in order, empty entries dropped."""
    return [Path(part).expanduser() for part in value.split(os.pathsep) if part]


def load_merged(paths: list[Path]) -> KubeConfig:
    """One configuration from several kubeconfig files, by kubectl's merge rules."""
    merged: dict[str, Any] = {"clusters": [], "contexts": [], "users": []}
    seen: dict[str, set[str]] = {section: set() for section, _ in _SECTIONS}
    existing = [path for path in paths if path.is_file()]
    if not existing:
        named = os.pathsep.join(map(str, paths))
        raise ConfigError(f"none of the KUBECONFIG files exists: {named}")
    for path in existing:
        conf = yaml.safe_load(path.read_text()) or {}
        if not isinstance(conf, dict):
            raise ConfigError(f"{path}: not a kubeconfig (a mapping)")
        if not merged.get("current-context"):
            merged["current-context"] = conf.get("current-context") or None
        for section, key in _SECTIONS:
            for entry in conf.get(section) or ():
                name = entry.get("name")
                if name is not None and name not in seen[section]:
                    seen[section].add(name)
                    merged[section].append(_absolute(entry, key, path.parent))
    return KubeConfig.from_dict(merged, fname=existing[0])


def _absolute(entry: dict[str, Any], key: str, base: Path) -> dict[str, Any]:
    """The entry with its relative file paths made relative to its own file's folder."""
    body = dict(entry.get(key) or {})
    for field in _PATH_FIELDS.get(key, ()):
        value = body.get(field)
        if isinstance(value, str) and value and not Path(value).is_absolute():
            body[field] = str(base / value)
    command = (body.get("exec") or {}).get("command")
    if isinstance(command, str) and "/" in command and not Path(command).is_absolute():
        body["exec"] = {**body["exec"], "command": str(base / command)}
    return {**entry, key: body}
