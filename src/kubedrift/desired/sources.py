"""Desired state from every spec a user gave (files, folders, Git) as one `DesiredSet`.

Each spec is a file, a folder (read by the folder rules of `kubedrift.desired.tree`:
kustomizations and charts are rendered), or a Git source (`kubedrift.desired.git`: a URL,
or a path with `@REV`, optionally with a `//sub-path`), each optionally ending in
`?values=F&namespace=NS&release=R` (`kubedrift.desired.specopts`). kubedrift's own documents
(apiVersion `kubedrift.io/…`) are set apart: `NodeProfile`s in `profiles`,
`KubedriftConfig`s in `configs`. The same object (group, kind, namespace, name) named
twice is an error naming both places, since it is unclear which one is desired.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from kubedrift.desired.documents import SourcedObject
from kubedrift.desired.git import GitSpec, checkout, parse_git_spec, worktree_state
from kubedrift.desired.gitsafe import redact, redact_error
from kubedrift.desired.render import RenderOptions, is_chart
from kubedrift.desired.scope import is_cluster_scoped
from kubedrift.desired.specopts import SpecOptions, resolve_values, split_spec
from kubedrift.desired.tree import read_tree
from kubedrift.model import InputError

KUBEDRIFT_GROUP = "kubedrift.io"
NODE_PROFILE_KIND = "NodeProfile"
CONFIG_KIND = "KubedriftConfig"


@dataclass(frozen=True, slots=True)
class DesiredSet:
    """Everything desired, in the order read (specs in order, folders sorted).

    `sources` are the specs with credentials hidden (`gitsafe.redact`).
    `revision` is the full commit SHA when the Git-backed sources agree on one (each
    object also carries its own); `dirty` says a local work tree had uncommitted changes
    under a spec, so the files read differ from `revision`. `empty` names the specs that
    held no document at all (an empty folder, a folder of READMEs, an empty file): a
    caller must not report such a source as "no drift".
    """

    objects: tuple[SourcedObject, ...]
    revision: str | None
    sources: tuple[str, ...]
    profiles: tuple[SourcedObject, ...] = ()
    configs: tuple[SourcedObject, ...] = ()
    dirty: bool = False
    empty: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class _Loaded:
    objects: list[SourcedObject]
    revision: str | None
    dirty: bool = False


def load_desired(
    specs: Sequence[str],
    *,
    default_namespace: str | None = None,
    options: RenderOptions | None = None,
) -> DesiredSet:
    """Read every spec; objects without a namespace get `default_namespace` when given.

    Well-known cluster-scoped kinds never get it (`kubedrift.desired.scope`); other kinds
    that get it are marked `namespace_defaulted`. Raises InputError naming the file,
    document or item at fault.
    """
    options = options or RenderOptions()
    if options.namespace is None and default_namespace:
        options = replace(options, namespace=default_namespace)
    loaded = [_load_spec(spec, options) for spec in specs]
    objects, profiles, configs = _split(o for part in loaded for o in part.objects)
    if default_namespace:
        objects = [_with_namespace(o, default_namespace) for o in objects]
    _check_unique(objects)
    _check_unique(profiles)
    revisions = {part.revision for part in loaded if part.revision}
    return DesiredSet(
        objects=tuple(objects),
        revision=revisions.pop() if len(revisions) == 1 else None,
        sources=tuple(redact(spec) for spec in specs),
        profiles=tuple(profiles),
        configs=tuple(configs),
        dirty=any(part.dirty for part in loaded),
        empty=tuple(spec for spec, part in zip(specs, loaded, strict=True) if not part.objects),
    )


def _load_spec(spec: str, options: RenderOptions) -> _Loaded:
    """One spec's objects; an error never quotes credentials a URL carries."""
    try:
        return _load_one(spec, options)
    except InputError as exc:
        raise redact_error(exc) from None


def _load_one(full: str, options: RenderOptions) -> _Loaded:
    spec, asked = split_spec(full)
    git_spec = parse_git_spec(spec, timeout=options.timeout)
    if git_spec is not None:
        return _load_git(full, git_spec, options, asked)
    path = Path(spec)
    if not path.exists():
        raise InputError("no such file, folder or Git repository", where=full)
    state = worktree_state(path, timeout=options.timeout)
    options = _render_options(options, asked, path, where=full)
    objects = read_tree(path, str, options, state.revision)
    return _Loaded(_in_namespace(objects, asked), state.revision, state.dirty)


def _load_git(spec: str, git_spec: GitSpec, options: RenderOptions, asked: SpecOptions) -> _Loaded:
    with checkout(git_spec, where=spec, timeout=options.timeout) as repo:
        root = repo.root.resolve()
        target = (root / git_spec.subdir).resolve()
        if not target.is_relative_to(root) or not target.exists():
            raise InputError(
                f"{git_spec.subdir!r} does not exist at commit {repo.revision[:12]}", where=spec
            )

        def cite(path: Path) -> str:
            """The path inside the repository, as code scanning cites a file."""
            return path.resolve().relative_to(root).as_posix()

        def name(path: Path) -> str:
            return git_spec.name(repo.revision, cite(path))

        options = _render_options(options, asked, target, where=spec, inside=root)
        objects = read_tree(target, name, options, repo.revision, cite)
    return _Loaded(_in_namespace(objects, asked), repo.revision)


def _render_options(
    options: RenderOptions,
    asked: SpecOptions,
    target: Path,
    *,
    where: str,
    inside: Path | None = None,
) -> RenderOptions:
    """The render options with a spec's own values files, namespace and release name.

    Values files need a chart to go to: given for anything else they would be silently
    unused, so that is an error.
    """
    if asked == SpecOptions():
        return options
    chart = target if target.is_dir() else target.parent
    if asked.values and not is_chart(chart):
        raise InputError("values= needs a chart folder (one holding Chart.yaml)", where=where)
    return replace(
        options,
        helm_values=resolve_values(asked, chart, where=where, inside=inside),
        namespace=asked.namespace or options.namespace,
        release_name=asked.release or options.release_name,
    )


def _in_namespace(objects: list[SourcedObject], asked: SpecOptions) -> list[SourcedObject]:
    """With `namespace=`, the spec's objects that name none are in it (as Helm installs)."""
    if asked.namespace is None:
        return objects
    return [_with_namespace(o, asked.namespace) for o in objects]


def _split(
    objects: Iterable[SourcedObject],
) -> tuple[list[SourcedObject], list[SourcedObject], list[SourcedObject]]:
    """Cluster objects, NodeProfiles, KubedriftConfigs."""
    plain: list[SourcedObject] = []
    profiles: list[SourcedObject] = []
    configs: list[SourcedObject] = []
    for o in objects:
        if o.obj["apiVersion"].rpartition("/")[0] != KUBEDRIFT_GROUP:
            plain.append(o)
        elif o.obj["kind"] == NODE_PROFILE_KIND:
            profiles.append(o)
        elif o.obj["kind"] == CONFIG_KIND:
            configs.append(o)
        else:
            raise InputError(
                f"unknown kind {o.obj['kind']!r} in {KUBEDRIFT_GROUP}: "
                f"expected {NODE_PROFILE_KIND} or {CONFIG_KIND}",
                where=str(o.location),
            )
    return plain, profiles, configs


def _with_namespace(o: SourcedObject, namespace: str) -> SourcedObject:
    meta = o.obj.get("metadata") or {}
    if meta.get("namespace") or is_cluster_scoped(o.obj["apiVersion"], o.obj["kind"]):
        return o
    obj = {**o.obj, "metadata": {**meta, "namespace": namespace}}
    return replace(o, obj=obj, namespace_defaulted=True)


def _check_unique(objects: Iterable[SourcedObject]) -> None:
    seen: dict[tuple[str, str, str, str], SourcedObject] = {}
    for o in objects:
        first = seen.setdefault(o.ref.pairing_key(), o)
        if first is not o:
            raise InputError(
                f"{o.ref} is defined twice; the first is at {first.location}",
                where=str(o.location),
            )
