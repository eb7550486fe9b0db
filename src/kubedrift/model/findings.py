"""Findings: one reported difference between desired and live, with its severity and impact."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from kubedrift.model.refs import ObjectRef
from kubedrift.model.types import JSON

if TYPE_CHECKING:
    from kubedrift.model.suppression import Suppression


class Severity(enum.Enum):
    """How serious a finding is; ordered from `info` (lowest) to `critical`."""

    INFO = "info"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        """0 for info up to 4 for critical."""
        return _RANK[self]

    def __ge__(self, other: object) -> bool:
        if not isinstance(other, Severity):
            return NotImplemented
        return self.rank >= other.rank

    def __gt__(self, other: object) -> bool:
        if not isinstance(other, Severity):
            return NotImplemented
        return self.rank > other.rank

    def __le__(self, other: object) -> bool:
        if not isinstance(other, Severity):
            return NotImplemented
        return self.rank <= other.rank

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Severity):
            return NotImplemented
        return self.rank < other.rank


_RANK = {s: i for i, s in enumerate(Severity)}


class Category(enum.Enum):
    """What kind of thing drifted."""

    OBJECT = "object"
    NODE = "node"
    WORKLOAD = "workload"


@dataclass(frozen=True, slots=True)
class Impact:
    """What a finding puts at risk: GPUs held, GPU-hours run so far, workloads named."""

    gpus: int = 0
    gpu_hours: float = 0.0
    workloads: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """The JSON shape of the output contract."""
        return {
            "gpus": self.gpus,
            "gpu_hours": round(self.gpu_hours, 2),
            "workloads": list(self.workloads),
        }


@dataclass(frozen=True, slots=True)
class SourceLocation:
    """Where the desired document of an object finding was declared.

    `file` is the path as given on the command line, or the path inside the repository for
    a Git source; `line` is 1-based (None for rendered Kustomize or Helm output);
    `document` the 1-based index in a YAML stream; `item` the 0-based index in a List;
    `revision` the Git commit the file was read at.
    """

    file: str
    line: int | None = None
    document: int | None = None
    item: int | None = None
    revision: str | None = None

    def to_json(self) -> dict[str, Any]:
        """`{"file", "line", "document", "revision"}` (and `item` inside a List)."""
        out: dict[str, Any] = {
            "file": self.file,
            "line": self.line,
            "document": self.document,
            "revision": self.revision,
        }
        if self.item is not None:
            out["item"] = self.item
        return out

    def __str__(self) -> str:
        """`deploy/app.yaml:12`, or the file alone when the line is unknown."""
        return f"{self.file}:{self.line}" if self.line is not None else self.file


@dataclass(frozen=True, slots=True)
class Finding:
    """One drift: `path` is a JSON pointer for object fields, or the fact name for node facts.

    `desired` and `live` are JSON values, or `MISSING` when the field or object is absent
    on that side. Secret values never appear here: the diff layer replaces them with a
    keyed hash before a finding is built.
    """

    category: Category
    severity: Severity
    object: ObjectRef
    path: str
    desired: JSON
    live: JSON
    rule: str
    message: str
    manager: str | None = None
    changed_at: str | None = None
    revision: str | None = None
    impact: Impact | None = None
    details: tuple[tuple[str, str], ...] = field(default=())
    suppression: Suppression | None = None
    source: SourceLocation | None = None
    """Where the desired document of an object finding came from (None: not from a file)."""

    def identity(self) -> tuple[str, str, str, str, str, str]:
        """Stable identity of a finding across scans: object + path + rule."""
        o = self.object
        return (o.group, o.kind, o.namespace or "", o.name, self.path, self.rule)

    def short_id(self) -> str:
        """12 hex digits of sha256 over `identity()`: the `id` every output shows, which
        `kubedrift suppress` and `kubedrift apply --finding` accept; stable across scans."""
        import hashlib  # here: --help and version need no OpenSSL (start-up, issue 18.5)

        return hashlib.sha256("\0".join(self.identity()).encode()).hexdigest()[:12]

    @property
    def status(self) -> str:
        """`suppressed` while a suppression covers the finding, else `active`."""
        return "suppressed" if self.suppression is not None else "active"

    def to_json(self) -> dict[str, Any]:
        """The JSON shape of the output contract (schema `kubedrift/v1`)."""
        out: dict[str, Any] = {
            "id": self.short_id(),
            "status": self.status,
            "category": self.category.value,
            "severity": self.severity.value,
            "object": self.object.to_json(),
            "path": self.path,
            "desired": _json_value(self.desired),
            "live": _json_value(self.live),
            "rule": self.rule,
            "message": self.message,
        }
        for key in ("manager", "changed_at", "revision"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        if self.impact is not None:
            out["impact"] = self.impact.to_json()
        if self.details:
            out["details"] = dict(self.details)
        if self.suppression is not None:
            out["suppression"] = self.suppression.to_json()
        if self.source is not None:
            out["source"] = self.source.to_json()
        return out


class _Missing:
    """Marker for "absent on this side" (distinct from JSON null)."""

    _instance: _Missing | None = None

    def __new__(cls) -> _Missing:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "MISSING"

    def __bool__(self) -> bool:
        return False


MISSING: Any = _Missing()
"""The value of `desired` or `live` when the field or object does not exist there."""


def _json_value(value: JSON) -> JSON:
    return None if value is MISSING else value
