"""Snapshot files: live objects saved by `kubectl get … -o json|yaml`, or by kubedrift.

A snapshot is a file holding a `List` (`kind: List`, or `PodList` and friends whose items
lack apiVersion and kind), single objects, or a YAML stream of either; in JSON or YAML,
optionally gzipped (`.json.gz`). A folder is read as every such file under it, in sorted
order, hidden entries skipped. kubedrift writes its own snapshots as a `v1 List`
(`write_snapshot`), so they read back the same way.

Snapshots are big (20,000 Deployments are ~100 MB of JSON), so JSON is decoded by
msgspec with the garbage collector paused, and the loaded objects, which live as long
as the scan, are moved out of the collector's sight with `gc.freeze()`: otherwise every
later full collection would walk their millions of dicts again (docs/DESIGN.md, "Performance
facts").
"""

from __future__ import annotations

import gc
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec

from kubedrift.cluster.projected import read_projected
from kubedrift.desired.documents import SourcedObject, read_objects
from kubedrift.desired.tree import manifest_files
from kubedrift.model import InputError, KubedriftError
from kubedrift.model.gcpause import gc_paused


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Live objects read from snapshot files, each with its file and item.

    An object found again in a later file (overlapping `kubectl get`s) replaces the
    earlier copy in place; `replaced` counts how often that happened. Within one file an
    object given twice is an error.
    """

    objects: tuple[SourcedObject, ...]
    sources: tuple[str, ...]
    replaced: int = 0


def load_snapshot(
    paths: Sequence[Path], *, freeze: bool = True, project: frozenset[str] = frozenset()
) -> Snapshot:
    """Read snapshot files and folders; `freeze=False` leaves the collector alone.

    Objects of the kinds in `project` that have a projection (`projected.PROJECTED_KINDS`)
    are read as it: only the fields the rules read. The caller asks for it only for kinds
    it will not diff (an object diffed must be whole)."""
    files = _snapshot_files(paths)
    with gc_paused():
        objects: dict[tuple[str, str, str, str], SourcedObject] = {}
        count = 0
        for file in files:
            in_file: dict[tuple[str, str, str, str], SourcedObject] = {}
            for o in read_projected(file, project) if project else read_objects(file):
                key = _pairing_key(o.obj)
                _check_once(in_file, key, o)
                objects[key] = o
                count += 1
        if freeze:
            gc.freeze()
    return Snapshot(
        objects=tuple(objects.values()),
        sources=tuple(str(p) for p in paths),
        replaced=count - len(objects),
    )


def _pairing_key(obj: Mapping[str, Any]) -> tuple[str, str, str, str]:
    """`ref_of(obj).pairing_key()` without building the ref (157,000 of them in a large
    snapshot; `SourcedObject.ref` builds one anew on each access)."""
    meta = obj.get("metadata") or {}
    group = str(obj.get("apiVersion") or "").rpartition("/")[0]
    kind, name = str(obj.get("kind") or ""), str(meta.get("name") or "")
    return (group, kind, str(meta.get("namespace") or ""), name)


def _check_once(
    seen: dict[tuple[str, str, str, str], SourcedObject],
    key: tuple[str, str, str, str],
    o: SourcedObject,
) -> None:
    """One file lists an object once: the apiserver never returns it twice in one List.

    Two copies could hold different values, and which one is live would be a guess.
    """
    first = seen.setdefault(key, o)
    if first is not o:
        raise InputError(
            f"{o.ref} is listed twice; the first is at {first.location}", where=str(o.location)
        )


def write_snapshot(
    path: Path,
    objects: Iterable[Mapping[str, Any]],
    *,
    annotations: Mapping[str, str] | None = None,
) -> None:
    """Write objects as a `v1 List` in JSON, which `load_snapshot` and kubectl both read.

    `annotations` go on the List's metadata (e.g. `kubedrift.io/taken-at`).
    """
    body = {
        "apiVersion": "v1",
        "kind": "List",
        "metadata": {"annotations": dict(annotations)} if annotations else {},
        "items": list(objects),
    }
    try:
        path.write_bytes(msgspec.json.encode(body))
    except OSError as exc:
        raise KubedriftError(
            f"cannot write snapshot: {exc.strerror or exc}", where=str(path)
        ) from None


def _snapshot_files(paths: Sequence[Path]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = list(manifest_files(path))
            if not found:
                raise InputError("no .json, .yaml or .yml files in this folder", where=str(path))
            files += found
        elif path.exists():
            files.append(path)
        else:
            raise InputError("no such file or folder", where=str(path))
    return files
