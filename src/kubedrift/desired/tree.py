"""Files and folders to objects: the folder rules of desired state.

A folder is read by these rules, applied again in every subfolder:

1. A folder holding `kustomization.yaml` (or `.yml`, or `Kustomization`) is rendered
   with kustomize; its files are not read raw and its subfolders are not walked (they
   are the kustomization's to use).
2. Otherwise a folder holding `Chart.yaml` is rendered with `helm template`, likewise.
3. Otherwise its entries are taken in sorted order: `.yaml`, `.yml` and `.json` files are
   read, subfolders are walked, anything else (README.md, scripts) is skipped, and so is
   every hidden entry (`.git`, `.github`, `.pre-commit-config.yaml`).

A file named explicitly is read whatever its place, and must have one of those
extensions; naming a `kustomization.yaml` or `Chart.yaml` renders its folder.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from kubedrift.desired.documents import MANIFEST_SUFFIXES, SourcedObject, objects_of
from kubedrift.desired.documents import read_objects as read_file_objects
from kubedrift.desired.render import (
    CHART_FILE,
    KUSTOMIZATION_FILES,
    RenderOptions,
    helm_template,
    is_chart,
    kustomization_file,
    kustomize,
)
from kubedrift.model import InputError

Namer = Callable[[Path], str]
"""How a location names a file or folder (the path as given, or `URL@REV:path` for Git)."""


def read_tree(
    path: Path,
    name: Namer,
    options: RenderOptions,
    revision: str | None = None,
    cite: Namer | None = None,
) -> list[SourcedObject]:
    """Every object under `path` (a file or a folder), by the folder rules above.

    `cite` names a file as a code-scanning report cites it (the path inside a Git
    repository), when not as `name` does.
    """
    source = _Source(name, cite or name, options, revision)
    if path.is_dir():
        return _read_folder(path, source, set())
    if not path.exists():
        raise InputError("no such file or folder", where=name(path))
    if path.name in KUSTOMIZATION_FILES or path.name == CHART_FILE:
        return _render(path.parent, source)
    return source.read(path)


@dataclass(frozen=True, slots=True)
class _Source:
    """How the files of one spec are named, cited and read."""

    name: Namer
    cite: Namer
    options: RenderOptions
    revision: str | None

    def read(self, path: Path) -> list[SourcedObject]:
        return read_file_objects(
            path, self.name(path), revision=self.revision, file=self.cite(path)
        )


def manifest_files(folder: Path) -> Iterator[Path]:
    """Manifest files under a folder in sorted order, hidden entries skipped, no rendering."""
    seen: set[Path] = set()
    yield from _files(folder, seen)


def _files(folder: Path, seen: set[Path]) -> Iterator[Path]:
    for entry in _entries(folder, str(folder), seen):
        if entry.is_dir():
            yield from _files(entry, seen)
        elif _is_manifest(entry):
            yield entry
        elif _is_broken_link(entry):
            raise InputError(_BROKEN_LINK, where=str(entry))


def _read_folder(folder: Path, source: _Source, seen: set[Path]) -> list[SourcedObject]:
    if kustomization_file(folder) or is_chart(folder):
        return _render(folder, source)
    out: list[SourcedObject] = []
    for entry in _entries(folder, source.name(folder), seen):
        if entry.is_dir():
            out += _read_folder(entry, source, seen)
        elif _is_manifest(entry):
            out += source.read(entry)
        elif _is_broken_link(entry):
            raise InputError(_BROKEN_LINK, where=source.name(entry))
    return out


_BROKEN_LINK = "symlink loops or points to nothing: the manifest it names cannot be read"


def _is_broken_link(path: Path) -> bool:
    """A manifest-named symlink that does not resolve (a loop, or a missing target).

    Skipping it would read the folder as if the manifest were not there at all.
    """
    suffixes = [s.lower() for s in path.suffixes]
    named = bool(suffixes) and suffixes[-1] in (*MANIFEST_SUFFIXES, ".gz")
    return named and path.is_symlink() and not path.exists()


def _render(folder: Path, source: _Source) -> list[SourcedObject]:
    """Rendered objects cite the kustomization or chart file, with no line: the lines of
    the program's output are no file's."""
    display, revision = source.name(folder), source.revision
    found = kustomization_file(folder)
    if found:
        documents = kustomize(folder, display, source.options)
        cited, where = source.cite(found), f"{display} (kustomize)"
    else:
        documents = helm_template(folder, display, source.options)
        cited, where = source.cite(folder / CHART_FILE), f"{display} (helm template)"
    return objects_of(documents, where, revision=revision, file=cited, lines=False)


def _entries(folder: Path, where: str, seen: set[Path]) -> list[Path]:
    """Visible entries of a folder, sorted; a folder reached twice (symlink loop) is empty."""
    real = folder.resolve()
    if real in seen:
        return []
    seen.add(real)
    try:
        entries = [e for e in folder.iterdir() if not e.name.startswith(".")]
    except OSError as exc:
        raise InputError(f"cannot read folder: {exc.strerror or exc}", where=where) from None
    return sorted(entries, key=lambda e: e.name)


def _is_manifest(path: Path) -> bool:
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes.pop()
    return bool(suffixes) and suffixes[-1] in MANIFEST_SUFFIXES and path.is_file()
