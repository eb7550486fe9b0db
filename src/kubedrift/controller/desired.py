"""Desired state as the watcher holds it: objects by pairing key, diff options, profiles.

`load` reads the `--desired` specs (files, folders, Git at a revision, Kustomize, Helm) and
compiles what a watch needs once per revision: the desired objects of each kind, keyed by
`(group, kind, namespace, name)` after namespaces are filled in, the diff options (ignore
and trust rules), the node profiles, and a `version` that changes exactly when the content
does — the Git commit when every source is Git-backed and clean, else a digest of the
objects — so polling can tell a new revision from the same one read again.
"""

from __future__ import annotations

import hashlib
import os
import sys
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec

from kubedrift.analysis.options import FactIgnore
from kubedrift.analysis.profiles import NodeProfile, compile_profiles
from kubedrift.analysis.user_controls import RuleSwitches
from kubedrift.cluster.discovery import ApiResource
from kubedrift.desired import DesiredSet, SourcedObject, load_config, load_desired, parse_config
from kubedrift.desired.git import parse_git_spec, remote_revision
from kubedrift.desired.heal import HealSettings
from kubedrift.diff import DiffOptions
from kubedrift.diff.trusted import autoscaled_targets
from kubedrift.engine.namespaces import with_namespaces
from kubedrift.engine.requests import ScanRequest
from kubedrift.engine.scan import diff_options, user_controls
from kubedrift.model import ObjectRef, ref_of
from kubedrift.model.suppression import Suppression

GroupKind = tuple[str, str]
PairingKey = tuple[str, str, str, str]
"""group, kind, namespace ("" when cluster-scoped), name: `ObjectRef.pairing_key()`."""

_encoder = msgspec.json.Encoder(order="sorted")


_decoder = msgspec.json.Decoder()


@dataclass(frozen=True, slots=True)
class Packer:
    """zlib with a preset dictionary: one object of the kind, so what objects of a kind
    share (apiVersion, kind, label and annotation keys, most values) costs almost nothing.

    A 0.6 KB ConfigMap encoding packs to ~0.15 KB; unpacking it costs a few microseconds,
    paid only when the object is diffed (RFC 1950 preset dictionaries, `zlib.compressobj`'s
    `zdict`)."""

    zdict: bytes

    def pack(self, data: bytes) -> bytes:
        """`data` compressed against the dictionary."""
        packer = zlib.compressobj(6, zlib.DEFLATED, -15, 9, zlib.Z_DEFAULT_STRATEGY, self.zdict)
        return packer.compress(data) + packer.flush()

    def unpack(self, data: bytes) -> bytes:
        """What `pack` was given."""
        unpacker = zlib.decompressobj(-15, zdict=self.zdict)
        return unpacker.decompress(data) + unpacker.flush()


@dataclass(frozen=True, slots=True)
class DesiredKind:
    """The desired objects of one kind, as served by the cluster (`resource`).

    Each object is kept as its compact JSON encoding (~0.6 KB for a ConfigMap, against
    ~3 KB as nested dicts), packed against one object of the kind (`packer`: ~0.15 KB),
    and decoded when it is diffed: a watch holds desired state for hours and diffs an
    object only when it changes. Without a packer, `objects` holds plain encodings.
    """

    resource: ApiResource
    objects: Mapping[PairingKey, bytes]
    packer: Packer | None = None

    def get(self, key: PairingKey) -> dict[str, Any] | None:
        """The desired object at `key`, decoded; None when desired has none there."""
        data = self.objects.get(key)
        if data is None:
            return None
        return decode(data if self.packer is None else self.packer.unpack(data))

    @property
    def namespaces(self) -> frozenset[str]:
        """The namespaces its objects live in ("" for a cluster-scoped kind)."""
        return frozenset(key[2] for key in self.objects)


@dataclass(frozen=True, slots=True)
class LoadedDesired:
    """Desired state as read, before compiling: plain values, so it crosses from the
    worker process that reads it (`controller.loader`) to the watcher by pickling."""

    version: str
    revision: str | None
    sources: tuple[str, ...]
    objects: tuple[bytes, ...]
    """Each object's compact JSON: 10,000 of them are ~6 MB, not ~30 MB of dicts."""
    group_kinds: frozenset[tuple[str, str]]
    """(apiVersion, kind) of the objects, for discovery."""
    profiles: tuple[tuple[str, dict[str, Any]], ...]
    configs: tuple[SourcedObject, ...]


@dataclass(frozen=True, slots=True)
class DesiredState:
    """One revision of desired state, compiled for watching."""

    version: str
    revision: str | None
    sources: tuple[str, ...]
    objects: tuple[bytes, ...]
    """Encoded objects, as read (`kinds` holds them resolved, and then this is empty)."""
    options: DiffOptions
    profiles: tuple[NodeProfile, ...] = ()
    kinds: Mapping[GroupKind, DesiredKind] = field(default_factory=dict)
    unserved: tuple[ObjectRef, ...] = ()
    autoscaled: frozenset[tuple[str, str, str]] = frozenset()
    """Objects that desired HPAs or ScaledObjects target (namespace, kind, name)."""
    count: int = 0
    """How many desired objects the watch covers (`objects` is emptied once resolved)."""
    group_kinds: frozenset[tuple[str, str]] = frozenset()
    rules: RuleSwitches = field(default_factory=RuleSwitches)
    """`rules:` of the KubedriftConfigs in desired state and `--config`."""
    fact_ignores: tuple[FactIgnore, ...] = ()
    """`ignoreNodeFacts:` of the same configs."""
    suppressions: tuple[Suppression, ...] = ()
    """`suppressions:` of the same configs (reviewed in Git; the recorder applies them)."""
    heal: HealSettings | None = None
    """`heal:` of the same configs (`watch --heal`), None when none has one."""


def read(specs: tuple[str, ...]) -> LoadedDesired:
    """Read desired state (blocking: Git and renderers run subprocesses), encoded.

    Raises `InputError` naming the file or document at fault.
    """
    desired = load_desired(list(specs)) if specs else DesiredSet((), None, ())
    return LoadedDesired(
        version=_version(desired),
        revision=desired.revision,
        sources=desired.sources,
        objects=tuple(_encode(o.obj) for o in desired.objects),
        group_kinds=frozenset(
            (str(o.obj.get("apiVersion") or ""), str(o.obj.get("kind") or ""))
            for o in desired.objects
        ),
        profiles=tuple((str(p.location), p.obj) for p in desired.profiles),
        configs=desired.configs,
    )


def compile_loaded(loaded: LoadedDesired, config: Path | None) -> DesiredState:
    """Compile what `read` returned: profiles, ignore and trust rules (`--config` too)."""
    configs_only = DesiredSet((), loaded.revision, loaded.sources, configs=loaded.configs)
    controls = user_controls(configs_only, ScanRequest(config=config))
    return DesiredState(
        version=loaded.version,
        revision=loaded.revision,
        sources=loaded.sources,
        objects=loaded.objects,
        options=diff_options(configs_only, ScanRequest(config=config)),
        profiles=tuple(compile_profiles(list(loaded.profiles))),
        count=len(loaded.objects),
        group_kinds=loaded.group_kinds,
        rules=controls.switches,
        fact_ignores=controls.fact_ignores,
        suppressions=controls.suppressions,
        heal=heal_settings(loaded.configs, config),
    )


def heal_settings(configs: tuple[SourcedObject, ...], config: Path | None) -> HealSettings | None:
    """The `heal:` blocks of desired state's configs, then of `--config`, which wins: the
    file the controller's deployer gives is closer to who decided to heal than a commit."""
    parsed = [parse_config(c.obj, str(c.location)) for c in configs]
    if config is not None:
        parsed.append(load_config(config))
    blocks = [c.heal for c in parsed if c.heal is not None]
    if not blocks:
        return None
    merged = blocks[0]
    for block in blocks[1:]:
        merged = merged.merged(block)
    return merged


def load(specs: tuple[str, ...], config: Path | None) -> DesiredState:
    """`read` and `compile_loaded` in this process."""
    return compile_loaded(read(specs), config)


def resolve(
    state: DesiredState,
    resources: Mapping[GroupKind, ApiResource | None],
    default_namespace: str,
) -> DesiredState:
    """Group the objects by served kind, namespaces filled in; note the unserved ones.

    The result holds the objects only encoded, in `kinds`: its `objects` is empty.
    """
    served = {gk: r for gk, r in resources.items() if r is not None}

    def scoped(group: str, kind: str) -> bool | None:
        resource = served.get((group, kind))
        return None if resource is None else not resource.namespaced

    by_kind: dict[GroupKind, dict[PairingKey, bytes]] = {}
    packers: dict[GroupKind, Packer] = {}
    unserved: list[ObjectRef] = []
    autoscaled: set[tuple[str, str, str]] = set()
    for data in state.objects:  # one at a time: never all of them decoded at once
        decoded = decode(data)
        (obj,) = with_namespaces([decoded], default_namespace, scoped)
        ref = ref_of(obj)
        autoscaled |= autoscaled_targets([obj], default_namespace)
        resource = served.get((ref.group, ref.kind))
        if resource is None:
            unserved.append(ref)
            continue
        encoded = data if obj is decoded else _encode(obj)  # no copy unless it changed
        gk = (ref.group, ref.kind)
        packer = packers.get(gk) or packers.setdefault(gk, Packer(encoded))
        by_kind.setdefault(gk, {})[_key(ref, resource)] = packer.pack(encoded)
    kinds = {gk: DesiredKind(served[gk], objs, packers[gk]) for gk, objs in by_kind.items()}
    return DesiredState(
        version=state.version,
        revision=state.revision,
        sources=state.sources,
        objects=(),
        options=state.options,
        profiles=state.profiles,
        kinds=kinds,
        unserved=tuple(unserved),
        autoscaled=frozenset(autoscaled),
        count=state.count,
        group_kinds=state.group_kinds,
        rules=state.rules,
        fact_ignores=state.fact_ignores,
        suppressions=state.suppressions,
    )


def decode(data: bytes) -> dict[str, Any]:
    """A desired object from its encoding in `DesiredKind.objects`."""
    obj: dict[str, Any] = _decoder.decode(data)
    return obj


_plain_encoder = msgspec.json.Encoder()


def _encode(obj: dict[str, Any]) -> bytes:
    return _plain_encoder.encode(obj)


def group_kinds(state: DesiredState) -> set[tuple[str, str]]:
    """(apiVersion, kind) of every desired object, for discovery."""
    return set(state.group_kinds)


def _key(ref: ObjectRef, resource: ApiResource) -> PairingKey:
    """Its strings interned: the kind and namespace are shared by thousands of keys, and
    the name by the informer's key of the same object (`cluster.informer`)."""
    namespace = (ref.namespace or "") if resource.namespaced else ""
    return (
        sys.intern(ref.group),
        sys.intern(ref.kind),
        sys.intern(namespace),
        sys.intern(ref.name),
    )


def _version(desired: DesiredSet) -> str:
    """The commit when it stands for the content; a digest of the objects otherwise."""
    if desired.revision and not desired.dirty and desired.sources:
        return desired.revision
    digest = hashlib.sha256()
    for part in (desired.objects, desired.profiles, desired.configs):
        for item in part:
            digest.update(_encoder.encode(item.obj))
    return "sha256:" + digest.hexdigest()[:16]


def source_fingerprint(specs: tuple[str, ...], config: Path | None) -> str | None:
    """A digest of what the specs (and config) would read: for a Git source the commit its
    revision names on the remote now (`git ls-remote`), for a local path the name, size and
    mtime of every file under it.

    Polling compares it before fetching or parsing anything: an unchanged repository or
    folder of 10,000 manifests costs a `ls-remote` or a directory walk, not a second of
    YAML parsing competing with the watch loop. None when only a full read can tell.
    """
    digest = hashlib.sha256()
    paths = [*specs, *([str(config)] if config else [])]
    for spec in paths:
        git_spec = parse_git_spec(spec)
        if git_spec is not None:
            revision = remote_revision(git_spec, where=spec)
            if revision is None:
                return None
            digest.update(f"{spec}\0{revision}\n".encode())
            continue
        for path in _files(Path(spec)):
            try:
                info = path.stat()
            except OSError:  # gone while walking: the next poll sees it
                continue
            digest.update(f"{path}\0{info.st_size}\0{info.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def _files(root: Path) -> list[Path]:
    """Every file under `root` (or `root` itself), hidden folders such as `.git` left out."""
    if not root.is_dir():
        return [root]
    found: list[Path] = []
    for folder, dirs, names in os.walk(root):
        dirs[:] = [d for d in dirs if not d.startswith(".")]  # os.walk descends into these
        found += (Path(folder) / name for name in names)
    return sorted(found)
