"""Adopting live values into Git (pure but for the file reader it is given): which file,
document and field each chosen finding is written to, the new text of every file, and,
for each finding that cannot be adopted, the reason.

The value written is the live object's own value at the finding's path (not the
normalised value of the finding), so `1Gi` stays `1Gi`. What each rule means here:

- `field-changed`, `field-added`, `field-removed-from-desired`, `list-item-extra`,
  `default-overridden`: the live value is written at the path (a new field is added, a new
  list element appended with its key fields);
- `field-missing`, `list-item-missing`: the field (element) is removed from desired.

Where it is written comes from the finding's `source`: a plain manifest is edited at its
document (and List item); an object rendered by Kustomize is traced through its
kustomization (`remediate/kustomize_site.py`) to the patch or base file that sets the field;
one rendered by Helm to the one value of `values.yaml` that renders it
(`remediate/helm_site.py`), where there is exactly one.

Refused, each with its reason: a Secret (its live value is never written anywhere, Git
included), Helm fields no single value explains, fields Kustomize generates or transforms,
JSON files (no round trip keeps their formatting), missing objects (adopting would delete
them from Git), list order and fields the server does not keep, node and workload findings
(nothing in Git declares them).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kubedrift.desired.render import CHART_FILE, KUSTOMIZATION_FILES
from kubedrift.diff.pointers import split
from kubedrift.model import MISSING, Category, Finding, ObjectRef, ref_of
from kubedrift.model.rules import ObjectRule
from kubedrift.remediate.helm_site import Lister, locate_helm
from kubedrift.remediate.kustomize_site import NotAdoptable, Site, locate
from kubedrift.remediate.plan import parse_key
from kubedrift.remediate.yamledit import Change, EditError, edit_document

Reader = Callable[[Path], str]
"""Reads a file's text (the caller's I/O; tests pass a dict's lookup)."""

SET_RULES = frozenset(
    {
        ObjectRule.FIELD_CHANGED,
        ObjectRule.FIELD_ADDED,
        ObjectRule.FIELD_REMOVED,
        ObjectRule.LIST_ITEM_EXTRA,
        ObjectRule.DEFAULT_OVERRIDDEN,
    }
)
REMOVE_RULES = frozenset({ObjectRule.FIELD_MISSING, ObjectRule.LIST_ITEM_MISSING})
ADOPTABLE_RULES = SET_RULES | REMOVE_RULES
_HELM = "rendered by helm template: the value comes from a template"
_WHY_NOT: dict[str, str] = {
    ObjectRule.OBJECT_MISSING: "the object is not in the cluster: adopting would delete it "
    "from Git; remove it by hand if that is meant",
    ObjectRule.LIST_ORDER_CHANGED: "a list's order: reorder it by hand",
    ObjectRule.FIELD_NOT_SERVED: "the server does not keep this field: that is not drift",
}


@dataclass(frozen=True, slots=True)
class Adopted:
    """A finding whose live value is written: where, and the change made there."""

    finding: Finding
    site: Site
    change: Change


@dataclass(frozen=True, slots=True)
class Refused:
    """A chosen finding that cannot be adopted, and why (one line)."""

    finding: Finding
    reason: str


@dataclass(frozen=True, slots=True)
class FileEdit:
    """One file's text before and after."""

    path: Path
    before: str
    after: str


@dataclass(frozen=True, slots=True)
class Adoption:
    """The outcome of planning an adoption: what is written, and what is refused."""

    adopted: tuple[Adopted, ...] = ()
    refused: tuple[Refused, ...] = ()
    files: tuple[FileEdit, ...] = field(default=())


def plan_adoption(
    findings: Iterable[Finding],
    desired: Sequence[Mapping[str, Any]],
    live: Sequence[Mapping[str, Any]],
    read: Reader,
    listing: Lister | None = None,
) -> Adoption:
    """Where and how each finding's live value is written; the files' new texts.

    `listing` lists a folder's files (for a chart's templates); without it, Helm-rendered
    findings are refused.
    """
    desired_by = {ref_of(dict(o)).pairing_key(): o for o in desired}
    live_by = {ref_of(dict(o)).pairing_key(): o for o in live}
    adopted: list[Adopted] = []
    refused: list[Refused] = []
    for finding in findings:
        key = finding.object.pairing_key()
        try:
            found = _adopt_one(finding, desired_by.get(key), live_by.get(key), read, listing)
            adopted.extend(found)
        except NotAdoptable as why:
            refused.append(Refused(finding, str(why)))
    edits, failed = _edit_files(adopted, read)
    kept = tuple(a for a in adopted if a.finding.identity() not in failed)
    refused += [
        Refused(a.finding, failed[a.finding.identity()])
        for a in adopted
        if a.finding.identity() in failed
    ]
    return Adoption(kept, tuple(_unique_refused(refused)), edits)


def _adopt_one(
    finding: Finding,
    desired: Mapping[str, Any] | None,
    live: Mapping[str, Any] | None,
    read: Reader,
    listing: Lister | None,
) -> list[Adopted]:
    why = refusal(finding)
    if why:
        raise NotAdoptable(why)
    segments = split(finding.path)
    value = MISSING if finding.rule in REMOVE_RULES else live_value(finding, live, segments)
    if value is MISSING and finding.rule in SET_RULES:
        raise NotAdoptable("the live value is not known (no live object was read)")
    sites = _sites(finding, segments, value, desired, read=read, listing=listing)
    return [Adopted(finding, s, Change(s.path, _value_for(s, value))) for s in sites]


def _sites(
    finding: Finding,
    segments: tuple[str, ...],
    value: Any,
    desired: Mapping[str, Any] | None,
    *,
    read: Reader,
    listing: Lister | None,
) -> list[Site]:
    """Where the value goes: the manifest itself, or the chart value or kustomize file."""
    source = finding.source
    assert source is not None  # refusal() checked it
    file = Path(source.file)
    if file.name == CHART_FILE:
        if listing is None or value is MISSING:
            raise NotAdoptable(_HELM)
        rendered = value_at(desired, segments) if desired is not None else finding.desired
        return [locate_helm(file.parent, segments, rendered, value, read=read, listing=listing)]
    if file.name in KUSTOMIZATION_FILES:
        ref, rendered_obj = finding.object, desired or {}
        return locate(file, ref, segments, rendered_obj, read, remove=value is MISSING, live=value)
    if file.suffix.lower() not in (".yaml", ".yml"):
        raise NotAdoptable(f"{file} is not a YAML file: edit it by hand")
    return [Site(file, source.document, source.item, segments)]


def _value_for(site: Site, value: Any) -> Any:
    """A site may write a part of the live value (a kustomization's image tag)."""
    return site.transform(value) if site.transform is not None else value


def refusal(finding: Finding) -> str:
    """Why a finding cannot be adopted, whatever the files hold ("" when it may be)."""
    if finding.category is not Category.OBJECT:
        return f"a {finding.category.value} finding: nothing in Git declares it"
    if finding.object.kind == "Secret" and finding.object.group == "":
        return "a Secret: its live value is never written into Git (rotate it in your secret store)"
    if finding.rule not in ADOPTABLE_RULES:
        return _WHY_NOT.get(finding.rule, f"`{finding.rule}` cannot be adopted")
    return _source_refusal(finding)


def _source_refusal(finding: Finding) -> str:
    source = finding.source
    if source is None:
        return "the desired object was not read from a file"
    if finding.path in ("", "/metadata/name", "/metadata/namespace"):
        return "the object's identity cannot be adopted"
    return ""


def live_value(finding: Finding, live: Mapping[str, Any] | None, segments: tuple[str, ...]) -> Any:
    """The live object's value at `segments`; the finding's own value without a live object."""
    return finding.live if live is None else value_at(live, segments)


def value_at(obj: Mapping[str, Any], segments: tuple[str, ...]) -> Any:
    """The value at `segments` (keyed list elements by their keys), or MISSING."""
    node: Any = obj
    for segment in segments:
        node = _step(node, segment)
        if node is MISSING:
            return MISSING
    return node


def _step(node: Any, segment: str) -> Any:
    if isinstance(node, Mapping):
        return node.get(segment, MISSING)
    if not isinstance(node, list):
        return MISSING
    if segment.isdigit():
        return node[int(segment)] if int(segment) < len(node) else MISSING
    try:
        keys = parse_key(segment)
    except LookupError:
        return segment if segment in node else MISSING
    for item in node:
        if isinstance(item, Mapping) and all(_text(item.get(k)) == v for k, v in keys.items()):
            return item
    return MISSING


def _text(value: Any) -> str | None:
    if isinstance(value, bool):
        return "true" if value else "false"
    return None if value is None else str(value)


def _edit_files(
    adopted: Sequence[Adopted], read: Reader
) -> tuple[tuple[FileEdit, ...], dict[tuple[str, ...], str]]:
    """Every file's new text, documents edited one by one; a failed edit refuses its findings."""
    by_file: dict[Path, list[Adopted]] = {}
    for a in adopted:
        by_file.setdefault(a.site.file, []).append(a)
    edits: list[FileEdit] = []
    failed: dict[tuple[str, ...], str] = {}
    for path, group in by_file.items():
        before = read(path)
        text = before
        for (document, item), changes in _by_document(group).items():
            try:
                text = edit_document(text, document, item, [a.change for a in changes])
            except EditError as err:
                where = f"{path}, document {document or 1}"
                failed.update({a.finding.identity(): f"{where} {err}" for a in changes})
        if text != before:
            edits.append(FileEdit(path, before, text))
    return tuple(edits), failed


def _by_document(group: Sequence[Adopted]) -> dict[tuple[int | None, int | None], list[Adopted]]:
    out: dict[tuple[int | None, int | None], list[Adopted]] = {}
    for a in group:
        out.setdefault((a.site.document, a.site.item), []).append(a)
    return out


def _unique_refused(refused: Iterable[Refused]) -> list[Refused]:
    seen: set[tuple[str, ...]] = set()
    out: list[Refused] = []
    for r in refused:
        if r.finding.identity() not in seen:
            seen.add(r.finding.identity())
            out.append(r)
    return out


def describe(ref: ObjectRef, path: str) -> str:
    """`Deployment/ml/trainer /spec/replicas`, as messages and commits name a field."""
    return f"{ref} {path}"
