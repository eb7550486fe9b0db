"""Where a field of a Helm-rendered object comes from in the chart's `values.yaml` (pure,
given a file reader and a folder lister).

A template is code, so a rendered field maps to a value only where the template shows it
plainly. kubedrift adopts a field into `values.yaml` when exactly one value explains it:

- **one value**: a template line `<field>: ... {{ .Values.a.b ... }}` (any pipeline after
  it: `| quote`, `| default 1`) whose value `a.b` in `values.yaml` equals the rendered
  value (as Helm's `{{ }}` prints it: text) — `replicas: {{ .Values.replicaCount }}`;
- **an image**: `image: "{{ .Values.image.repository }}:{{ .Values.image.tag }}"`, the
  layout `helm create` writes (helm.sh/docs, "Chart Template Guide"); when the live image
  keeps the repository, the tag value gets the live tag.

Anything else — a value used in a condition, a `range`, a helper in `_helpers.tpl`, two
values that both fit — is refused with the reason: editing the wrong value would change
other objects the chart renders.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from kubedrift.desired.documents import parse_yaml
from kubedrift.model import InputError
from kubedrift.remediate.kustomize_site import NotAdoptable, Site

Reader = Callable[[Path], str]
Lister = Callable[[Path], list[Path]]
VALUES_FILE = "values.yaml"
_REF = r"\{\{-?\s*\.Values\.([A-Za-z0-9_.]+)[^}]*\}\}"
_IMAGE = re.compile(rf"^\s*image:\s*\"?{_REF}:{_REF}\"?\s*$")


def locate_helm(
    chart: Path,
    path: tuple[str, ...],
    desired: Any,
    live: Any,
    *,
    read: Reader,
    listing: Lister,
) -> Site:
    """The `values.yaml` site for `path`, or NotAdoptable with the reason."""
    why = "rendered by helm template: the value comes from a template"
    if not path or "=" in path[-1] or isinstance(desired, dict | list) or desired is None:
        raise NotAdoptable(f"{why} (only a scalar field maps to a Helm value)")
    values_path = chart / VALUES_FILE
    values = _values(values_path, read)
    lines = list(_template_lines(chart, read, listing))
    found = _plain(lines, path[-1], desired, values)
    if len(found) == 1:
        _check_used_once(lines, found[0], values_path)
        return Site(values_path, 1, None, found[0])
    if not found and path[-1] == "image":
        site = _image(lines, desired, live, values, values_path)
        if site is not None:
            return site
    detail = "two values could render it" if found else "no single value renders it"
    raise NotAdoptable(f"{why} ({detail}): edit {values_path} by hand")


def _plain(
    lines: list[str], field: str, desired: Any, values: Mapping[str, Any]
) -> list[tuple[str, ...]]:
    pattern = re.compile(rf"^\s*-?\s*{re.escape(field)}:\s*\"?{_REF}\"?\s*$")
    out: list[tuple[str, ...]] = []
    for line in lines:
        match = pattern.match(line)
        if match is None:
            continue
        key = tuple(match.group(1).split("."))
        if _printed(_get(values, key)) == _printed(desired) and key not in out:
            out.append(key)
    return out


def _check_used_once(lines: list[str], key: tuple[str, ...], values_path: Path) -> None:
    """A value the templates use twice renders two fields: adopting one would change both."""
    ref = re.compile(rf"\.Values\.{re.escape('.'.join(key))}(?![A-Za-z0-9_.])")
    uses = sum(len(ref.findall(line)) for line in lines)
    if uses > 1:
        raise NotAdoptable(
            f"rendered by helm template from .Values.{'.'.join(key)}, which the templates use "
            f"{uses} times: edit {values_path} by hand"
        )


def _image(
    lines: list[str], desired: Any, live: Any, values: Mapping[str, Any], values_path: Path
) -> Site | None:
    if not isinstance(live, str):
        return None
    for line in lines:
        match = _IMAGE.match(line)
        if match is None:
            continue
        repo_key, tag_key = (tuple(g.split(".")) for g in match.groups())
        repo, tag = _get(values, repo_key), _get(values, tag_key)
        if f"{_printed(repo)}:{_printed(tag)}" != desired:
            continue
        live_repo, _, live_tag = live.rpartition(":")
        if live_repo == _printed(repo) and "/" not in live_tag:
            _check_used_once(lines, tag_key, values_path)
            return Site(values_path, 1, None, tag_key, transform=_tag)
    return None


def _tag(image: Any) -> str:
    return str(image).rpartition(":")[2]


def _printed(value: Any) -> str | None:
    """A value as `{{ }}` prints it (booleans lower case); None for a missing value."""
    if value is None or isinstance(value, dict | list):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _get(values: Mapping[str, Any], key: tuple[str, ...]) -> Any:
    node: Any = values
    for part in key:
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node


def _values(path: Path, read: Reader) -> Mapping[str, Any]:
    try:
        documents = parse_yaml(read(path), str(path))
    except OSError:
        raise NotAdoptable(f"rendered by helm template and {path} cannot be read") from None
    except InputError as exc:
        raise NotAdoptable(str(exc)) from None
    body = documents[0].body if documents else None
    return body if isinstance(body, Mapping) else {}


def _template_lines(chart: Path, read: Reader, listing: Lister) -> Iterator[str]:
    for template in sorted(listing(chart / "templates")):
        if template.suffix in (".yaml", ".yml", ".tpl"):
            try:
                yield from read(template).splitlines()
            except OSError:
                continue
