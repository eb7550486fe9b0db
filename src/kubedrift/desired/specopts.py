"""Rendering options given inside a `--desired` spec: `SPEC?values=F&namespace=NS&release=R`.

The form follows kustomize's remote targets, `URL//dir?ref=v1&timeout=120`
(kubernetes-sigs/kustomize examples/remoteBuild.md: "an HTTPS or SSH git clone URL with an
optional directory and some query string parameters"), so a chart in Git reads
`https://git.example.com/gitops.git//charts/app@v1.2?values=prod.yaml&namespace=ml`:
the query comes last, after `//path` and `@REV`. Keys, each a Helm notion (Argo CD's
`helm.valueFiles` and `destination.namespace`, Flux's `valuesFiles` and
`targetNamespace`):

- `values` (repeatable, applied in order as `helm template -f` does): a values file,
  relative to the folder the spec names (the chart) or absolute; in a Git source a
  relative one must stay inside the checkout.
- `namespace`: the release namespace (`helm template --namespace`), also given to the
  rendered objects that name none, as `helm install` would create them there — for every
  object of the spec, charts, kustomizations and plain files alike.
- `release`: the release name (default: the chart folder's name).

Nothing here reaches a program as a flag: values files must be existing regular files and
are passed by absolute path, `namespace` must be a DNS-1123 label and `release` a Helm
release name, and the renderer ends its options with `--`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl

from kubedrift.model import InputError

_KEYS = ("values", "namespace", "release")
_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")
# helm's own check (pkg/chartutil ValidateReleaseName): a DNS-1123 subdomain of <= 53 chars
_RELEASE = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
_MAX_RELEASE = 53


@dataclass(frozen=True, slots=True)
class SpecOptions:
    """What a spec's query asked for; `values` as written, resolved by `resolve_values`."""

    values: tuple[str, ...] = ()
    namespace: str | None = None
    release: str | None = None


def split_spec(spec: str) -> tuple[str, SpecOptions]:
    """The spec without its query, and the options the query holds.

    A spec that exists as a path is taken whole (a file may have `?` in its name); a spec
    without `?` has no options. Unknown keys, empty values and repeated `namespace` or
    `release` are errors naming the spec.
    """
    if "?" not in spec or Path(spec).exists():
        return spec, SpecOptions()
    base, _, query = spec.rpartition("?")
    pairs = parse_qsl(query, keep_blank_values=True, strict_parsing=False)
    if not pairs or not base:
        raise InputError(f"empty option list after '?' (expected {_expected()})", where=spec)
    values: list[str] = []
    single: dict[str, str] = {}
    for key, value in pairs:
        if key not in _KEYS:
            raise InputError(f"unknown option {key!r} (expected {_expected()})", where=spec)
        if not value:
            raise InputError(f"option {key!r} needs a value", where=spec)
        if key == "values":
            values.append(value)
        elif key in single:
            raise InputError(f"option {key!r} given twice", where=spec)
        else:
            single[key] = _checked(key, value, spec)
    return base, SpecOptions(tuple(values), single.get("namespace"), single.get("release"))


def resolve_values(
    options: SpecOptions, folder: Path, *, where: str, inside: Path | None = None
) -> tuple[Path, ...]:
    """Each values file as an absolute path: relative ones from `folder` (the chart); with
    `inside` (a Git checkout) a relative one that leaves it, through `..` or a symlink, is
    refused. Every file must exist and be a regular file."""
    resolved: list[Path] = []
    for value in options.values:
        given = Path(value)
        path = (given if given.is_absolute() else folder / given).resolve()
        if inside is not None and not given.is_absolute() and not path.is_relative_to(inside):
            raise InputError(f"values file {value!r} is outside the repository", where=where)
        if not path.is_file():
            raise InputError(f"values file {value!r} is not a file", where=where)
        resolved.append(path)
    return tuple(resolved)


def _checked(key: str, value: str, spec: str) -> str:
    if key == "namespace" and not _LABEL.fullmatch(value):
        raise InputError(f"namespace {value!r} is not a valid namespace name", where=spec)
    if key == "release" and (len(value) > _MAX_RELEASE or not _RELEASE.fullmatch(value)):
        raise InputError(f"release {value!r} is not a valid Helm release name", where=spec)
    return value


def _expected() -> str:
    return ", ".join(f"{k}=" for k in _KEYS)
