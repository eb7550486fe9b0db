"""Where a field of a Kustomize-rendered object is declared: a patch, the kustomization's
own `replicas:`, or the base resource file (pure, given a file reader).

Kustomize builds a kustomization by loading its `resources` (files, or folders that are
kustomizations themselves), then applying its generators, transformers and patches
(kubectl.docs.kubernetes.io, "kustomization" reference: `resources`, `patches`,
`patchesStrategicMerge`, `patchesJson6902`, `replicas`, `images`, `namePrefix`). The last
step that sets a field decides its value, so the search runs outside in:

1. this kustomization's patches, last first: a strategic-merge patch for the object that
   sets the field is edited there; a JSON 6902 operation whose path is the field (or a
   parent of it) gets its `value` edited;
2. its `images:` entry that renders the container's image (`newTag`, when the live image
   keeps the name; Kustomize's image transformer runs after the patches) and its
   `replicas:` entry for the object (`count`);
3. its resources, recursively, down to the file that declares the object.

A field no file sets yet (adopting a field added live) goes to the top kustomization's
strategic-merge patch for the object when there is one (the overlay is what differs per
cluster), else next to the object in its base. A removal is made everywhere the field is set.
Generated objects (`configMapGenerator`, `secretGenerator`), an image `images:` rewrites to
another name, and `commonLabels`/`labels`/`commonAnnotations` are refused with the reason:
their values are not a field of any manifest.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kubedrift.desired.documents import Document, parse_yaml
from kubedrift.desired.render import KUSTOMIZATION_FILES
from kubedrift.diff.pointers import split
from kubedrift.model import InputError, ObjectRef
from kubedrift.remediate.plan import parse_key

Reader = Callable[[Path], str]
_CONTAINER_LISTS = ("containers", "initContainers", "ephemeralContainers")


class NotAdoptable(Exception):
    """Why a finding cannot be adopted (the message, one line)."""


@dataclass(frozen=True, slots=True)
class Site:
    """A place a value is written: a file, its document (1-based) and List item, the path.

    `transform` turns the live value into what the site holds (None: the value itself).
    """

    file: Path
    document: int | None
    item: int | None
    path: tuple[str, ...]
    transform: Callable[[Any], Any] | None = None


@dataclass(frozen=True, slots=True)
class _Search:
    ref: ObjectRef
    path: tuple[str, ...]
    rendered: Mapping[str, Any]
    read: Reader
    remove: bool
    live: Any = None


def locate(
    kustomization: Path,
    ref: ObjectRef,
    path: tuple[str, ...],
    rendered: Mapping[str, Any],
    read: Reader,
    *,
    remove: bool = False,
    live: Any = None,
) -> list[Site]:
    """The sites to edit for `path` of the object `ref` that `kustomization` renders
    (`live`: the live value, for sites that hold a part of it)."""
    search = _Search(ref, path, rendered, read, remove, live)
    setting, definitions, overlay = _walk(kustomization.parent, ref.name, search, top=True)
    if remove:
        return setting
    if setting:
        return setting[:1]
    if overlay is not None:
        return [overlay]
    if definitions:
        return definitions[:1]
    raise NotAdoptable(f"{ref} is not declared in any file of {kustomization.parent}")


def _walk(
    folder: Path, name: str, search: _Search, *, top: bool
) -> tuple[list[Site], list[Site], Site | None]:
    """(sites that set the field, sites that declare the object, the top-level SMP patch)."""
    found = _kustomization(folder, search.read)
    if found is None:
        raise NotAdoptable(f"{folder} has no kustomization file")
    kfile, k = found
    inner = _strip(name, k)
    _refuse_generated(k, inner, name, kfile)
    image = _image_site(k, search, kfile)
    if image is not None and not search.remove:
        return [image], [], None
    _refuse_transformed(k, search, kfile)
    setting: list[Site] = []
    overlay: Site | None = None
    for site, sets in _patch_sites(folder, k, inner, search):
        if sets:
            setting.append(site)
        elif top and overlay is None:
            overlay = site
    setting += _replicas_site(k, inner, search, kfile)
    if setting and not search.remove:
        return setting, [], overlay
    definitions: list[Site] = []
    for resource in _list(k, "resources") + _list(k, "bases"):
        deeper_set, deeper_defs = _resource_sites(_join(folder, resource), inner, search)
        setting += deeper_set
        definitions += deeper_defs
    return setting, definitions, overlay


def _resource_sites(path: Path, name: str, search: _Search) -> tuple[list[Site], list[Site]]:
    if "://" in str(path):
        return [], []
    if _kustomization(path, search.read) is not None:
        found = _walk(path, name, search, top=False)
        return found[0], found[1]
    if path.suffix.lower() not in (".yaml", ".yml"):
        return [], []
    setting: list[Site] = []
    definitions: list[Site] = []
    for doc, item, obj in _objects(path, search.read):
        if _is(obj, search.ref.kind, name):
            site = Site(path, doc.index, item, search.path)
            definitions.append(site)
            if _has(obj, search.path):
                setting.append(site)
    return setting, definitions


# --- patches -------------------------------------------------------------------------------


def _patch_sites(
    folder: Path, k: Mapping[str, Any], name: str, search: _Search
) -> Iterator[tuple[Site, bool]]:
    """Each patch of this kustomization for the object, last first: (site, sets the field)."""
    entries: list[tuple[Any, Mapping[str, Any] | None]] = []
    entries += [(p, None) for p in _list(k, "patchesStrategicMerge")]
    entries += [(p, p.get("target")) for p in _list(k, "patches") if isinstance(p, Mapping)]
    entries += [(p, p.get("target")) for p in _list(k, "patchesJson6902") if isinstance(p, dict)]
    for entry, target in reversed(entries):
        file = entry.get("path") if isinstance(entry, Mapping) else entry
        if not isinstance(file, str) or "\n" in file:
            if _inline_sets(entry, target, name, search):
                raise NotAdoptable("set by an inline patch in kustomization.yaml: edit it there")
            continue
        yield from _file_patch(_join(folder, file), target, name, search)


def _file_patch(
    path: Path, target: Mapping[str, Any] | None, name: str, search: _Search
) -> Iterator[tuple[Site, bool]]:
    documents = _documents(path, search.read)
    if len(documents) == 1 and isinstance(documents[0].body, list):
        if _targets(target, search, name):
            yield from _json6902(path, documents[0], search)
        return
    for doc in documents:
        obj = doc.body
        if not isinstance(obj, Mapping):
            continue
        if (target is not None and _targets(target, search, name)) or _is(
            obj, search.ref.kind, name
        ):
            yield Site(path, doc.index, None, search.path), _has(obj, search.path)


def _json6902(path: Path, doc: Document, search: _Search) -> Iterator[tuple[Site, bool]]:
    """An operation whose path is the field or a parent of it: edit its `value`."""
    wanted = _positional(search.rendered, search.path)
    for index, op in enumerate(doc.body):
        if not isinstance(op, Mapping) or op.get("op") not in ("add", "replace"):
            continue
        try:
            op_path = split(str(op.get("path", "")))
        except ValueError:
            continue
        if wanted[: len(op_path)] == op_path:
            rest = search.path[len(op_path) :]
            yield Site(path, doc.index, None, (str(index), "value", *rest)), True


def _positional(obj: Any, path: tuple[str, ...]) -> tuple[str, ...]:
    """The path with keyed list elements as positions (`name=app` → `0`), as JSON 6902 has it."""
    out: list[str] = []
    node = obj
    for segment in path:
        if isinstance(node, list) and not segment.isdigit():
            index = _index_of(node, segment)
            if index is None:
                return (*out, segment)
            out.append(str(index))
            node = node[index]
            continue
        out.append(segment)
        node = node.get(segment) if isinstance(node, Mapping) else None
    return tuple(out)


def _index_of(items: list[Any], segment: str) -> int | None:
    try:
        keys = parse_key(segment)
    except LookupError:
        return None
    for i, item in enumerate(items):
        if isinstance(item, Mapping) and all(str(item.get(k)) == v for k, v in keys.items()):
            return i
    return None


def _inline_sets(entry: Any, target: Mapping[str, Any] | None, name: str, search: _Search) -> bool:
    text = entry.get("patch") if isinstance(entry, Mapping) else entry
    if not isinstance(text, str):
        return False
    try:
        documents = parse_yaml(text, "inline patch")
    except InputError:
        return False
    for doc in documents:
        if isinstance(doc.body, list):
            return _targets(target, search, name)
        if isinstance(doc.body, Mapping) and _is(doc.body, search.ref.kind, name):
            return _has(doc.body, search.path)
    return False


def _targets(target: Mapping[str, Any] | None, search: _Search, name: str) -> bool:
    """A `target:` selects the object (kind, and name as the regular expression it is)."""
    if target is None:
        return False
    kind, pattern = target.get("kind"), target.get("name")
    if kind is not None and kind != search.ref.kind:
        return False
    if pattern is not None and not re.fullmatch(str(pattern), name):
        return False
    if target.get("labelSelector") or target.get("annotationSelector"):
        raise NotAdoptable("a patch selects objects by label or annotation: edit it by hand")
    return True


# --- transformers and generators -----------------------------------------------------------


def _replicas_site(k: Mapping[str, Any], name: str, search: _Search, kfile: Path) -> list[Site]:
    if search.path != ("spec", "replicas"):
        return []
    for entry in _list(k, "replicas"):
        if isinstance(entry, Mapping) and entry.get("name") == name:
            return [Site(kfile, 1, None, ("replicas", f"name={name}", "count"))]
    return []


def _refuse_generated(k: Mapping[str, Any], inner: str, rendered: str, kfile: Path) -> None:
    for generator in ("configMapGenerator", "secretGenerator"):
        for entry in _list(k, generator):
            base = entry.get("name") if isinstance(entry, Mapping) else None
            if isinstance(base, str) and re.fullmatch(
                rf"{re.escape(base)}(-[a-z0-9]{{10}})?", inner
            ):
                raise NotAdoptable(
                    f"generated by {generator} in {kfile} (name {rendered}): "
                    "edit its literals or files"
                )


def _image_site(k: Mapping[str, Any], search: _Search, kfile: Path) -> Site | None:
    """The `images:` entry that renders the container's image, when the live image keeps its
    name: its `newTag` gets the live tag. Kustomize's image transformer runs after the
    patches, so this entry decides the rendered image."""
    path = search.path
    if len(path) < 3 or path[-1] != "image" or path[-3] not in _CONTAINER_LISTS:
        return None
    rendered, live = _value(search.rendered, path), search.live
    if not isinstance(rendered, str) or not isinstance(live, str):
        return None
    for entry in _list(k, "images"):
        if not isinstance(entry, Mapping) or "newTag" not in entry or "digest" in entry:
            continue
        name = str(entry.get("newName") or entry.get("name"))
        if rendered == f"{name}:{entry['newTag']}" and live.rpartition(":")[0] == name:
            key = f"name={entry.get('name')}"
            return Site(kfile, 1, None, ("images", key, "newTag"), transform=_tag)
    return None


def _tag(image: Any) -> str:
    return str(image).rpartition(":")[2]


def _value(obj: Any, path: tuple[str, ...]) -> Any:
    node = obj
    for segment in path:
        if isinstance(node, Mapping):
            node = node.get(segment)
        elif isinstance(node, list):
            index = int(segment) if segment.isdigit() else _index_of(node, segment)
            node = node[index] if index is not None and index < len(node) else None
        else:
            return None
    return node


def _refuse_transformed(k: Mapping[str, Any], search: _Search, kfile: Path) -> None:
    path = search.path
    if len(path) >= 2 and path[-1] == "image" and path[-3] in _CONTAINER_LISTS and k.get("images"):
        raise NotAdoptable(
            f"{kfile} rewrites images (`images:`) and no entry's name and newTag give the live "
            "image: edit it there"
        )
    meta = {"labels": ("commonLabels", "labels"), "annotations": ("commonAnnotations",)}
    if len(path) == 3 and path[0] == "metadata" and path[1] in meta:
        for key in meta[path[1]]:
            if _sets_meta(k.get(key), path[2]):
                raise NotAdoptable(f"set by `{key}` in {kfile}: edit it there")


def _sets_meta(value: Any, key: str) -> bool:
    if isinstance(value, Mapping):
        return key in value
    if isinstance(value, list):  # `labels: [{pairs: {...}}]`
        return any(isinstance(v, Mapping) and key in (v.get("pairs") or {}) for v in value)
    return False


# --- helpers -------------------------------------------------------------------------------


def _kustomization(folder: Path, read: Reader) -> tuple[Path, Mapping[str, Any]] | None:
    """The kustomization file of a folder and its content, found through the reader."""
    for name in KUSTOMIZATION_FILES:
        path = folder / name
        try:
            text = read(path)
        except OSError:
            continue
        try:
            documents = parse_yaml(text, str(path))
        except InputError as exc:
            raise NotAdoptable(str(exc)) from None
        return path, _mapping(documents)
    return None


def _join(folder: Path, relative: Any) -> Path:
    """`folder/relative` with `..` resolved in the text (as Kustomize resolves it)."""
    return Path(os.path.normpath(folder / str(relative)))


def _strip(name: str, k: Mapping[str, Any]) -> str:
    prefix, suffix = str(k.get("namePrefix") or ""), str(k.get("nameSuffix") or "")
    if prefix and name.startswith(prefix):
        name = name[len(prefix) :]
    if suffix and name.endswith(suffix):
        name = name[: -len(suffix)]
    return name


def _documents(path: Path, read: Reader) -> list[Document]:
    try:
        return parse_yaml(read(path), str(path))
    except OSError as exc:
        raise NotAdoptable(f"cannot read {path}: {exc.strerror or exc}") from None
    except InputError as exc:
        raise NotAdoptable(str(exc)) from None


def _mapping(documents: list[Document]) -> Mapping[str, Any]:
    body = documents[0].body if documents else None
    return body if isinstance(body, Mapping) else {}


def _objects(path: Path, read: Reader) -> Iterator[tuple[Document, int | None, Mapping[str, Any]]]:
    for doc in _documents(path, read):
        body = doc.body
        if isinstance(body, Mapping) and isinstance(body.get("items"), list):
            for i, item in enumerate(body["items"]):
                if isinstance(item, Mapping):
                    yield doc, i, item
        elif isinstance(body, Mapping):
            yield doc, None, body


def _list(k: Mapping[str, Any], key: str) -> list[Any]:
    value = k.get(key)
    return value if isinstance(value, list) else []


def _is(obj: Mapping[str, Any], kind: str, name: str) -> bool:
    meta = obj.get("metadata")
    return obj.get("kind") == kind and isinstance(meta, Mapping) and meta.get("name") == name


def _has(obj: Any, path: tuple[str, ...]) -> bool:
    node = obj
    for segment in path:
        if isinstance(node, Mapping) and segment in node:
            node = node[segment]
        elif isinstance(node, list):
            index = int(segment) if segment.isdigit() else _index_of(node, segment)
            if index is None or index >= len(node):
                return False
            node = node[index]
        else:
            return False
    return True
