"""Who made a difference, and when: read from `managedFields`, never guessed (issue 10, 6).

A field live has is credited to the entry that owns it now (`ManagedFields.owner_of`), with
its subresource when the server records one (`kubectl scale` on 1.22+: manager
`kubectl-scale`, `subresource: scale`) — with one exception. When that owner is the
client-side applier and its own record, the last-applied annotation, holds another value than
live, the applier did not write live's value: the write went where managedFields do not
record it. Kubernetes before 1.22 does not track managedFields for `/scale` (seen on v1.20.2:
after `kubectl scale`, `spec.replicas` stays owned by `kubectl-client-side-apply`). The
finding then says `unknown`, with the applier's recorded value as the reason.

A field live lacks (`field-missing`) was either never applied — the last-applied annotation
does not have it: desired changed since — or removed after the last apply. A removal leaves
no record in managedFields: structured-merge-diff drops removed fields from every manager's
set and deletes an entry left empty, and an entry's `time` does not move when a write only
removes (seen on v1.20.2: `kubectl label svc web tier-` leaves `kubectl-label`'s time at its
earlier write). Naming the one person who wrote since the last apply would be a guess, so the
finding says `unknown` and gives the evidence in `details`: the time of the last apply (the
removal came later) and the people whose entries were written since. A removal inside an
atomic field (an element out of `args`) is a change of that field, credited to its owner.

A live object without managedFields (a snapshot taken without `--show-managed-fields`, a
file) says nothing about writers: its findings carry no manager rather than `unknown`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from kubedrift.diff.canonical import scalars_equal
from kubedrift.diff.differences import RawDiff, Rule
from kubedrift.diff.last_applied import ANNOTATION
from kubedrift.diff.managed_fields import ManagedEntry, ManagedFields, coverage
from kubedrift.diff.managers import Role
from kubedrift.diff.merge_keys import value_at
from kubedrift.diff.pointers import Path
from kubedrift.model import JSON, MISSING

UNKNOWN = "unknown"
"""The manager of a finding whose writer managedFields do not tell."""

_NO_WRITER = frozenset({Rule.OBJECT_MISSING, Rule.FIELD_NOT_SERVED})
_ABSENT_LIVE = frozenset({Rule.FIELD_MISSING, Rule.LIST_ITEM_MISSING})
_ANNOTATION_PATH: Path = ("metadata", "annotations", ANNOTATION)


@dataclass(frozen=True, slots=True)
class Attribution:
    """Manager and time of a finding (None: no writer to name), and why, in `details`."""

    manager: str | None
    time: str | None
    details: tuple[tuple[str, str], ...] = ()


_NONE = Attribution(None, None)


class Attributor:
    """Attributes the raw differences of one live object."""

    __slots__ = ("managed", "previous", "role_of")

    def __init__(
        self,
        managed: ManagedFields,
        previous: Mapping[str, Any] | None,
        role_of: Callable[[str, str], Role],
    ) -> None:
        """`previous` is the last-applied object; pass None for a Secret, whose record holds
        its values in clear (and whose live values reach here only as keyed hashes)."""
        self.managed, self.previous, self.role_of = managed, previous, role_of

    def of(self, raw: RawDiff) -> Attribution:
        """The attribution of one raw difference (module docstring)."""
        if raw.rule in _NO_WRITER or not raw.path or not self.managed.entries:
            return _NONE  # nothing wrote it, or live carries no managedFields to read
        if raw.rule in _ABSENT_LIVE:
            return self._absent(raw.path)
        return self._writer(raw.path, raw.live)

    def _writer(self, path: Path, live: JSON) -> Attribution:
        owner = self.managed.owner_of(path)
        if owner is None:
            return Attribution(UNKNOWN, None, (("attribution", "no managedFields entry"),))
        recorded = self._recorded_by(owner, path)
        if recorded is not MISSING and not _same(recorded, live, path):
            reason = (
                f"{owner.manager} last applied {_text(recorded)}; the change was made where "
                "managedFields do not record it (e.g. /scale before Kubernetes 1.22)"
            )
            return Attribution(UNKNOWN, None, (("attribution", reason),))
        details = (("subresource", owner.subresource),) if owner.subresource else ()
        return Attribution(owner.manager, owner.time, details)

    def _recorded_by(self, owner: ManagedEntry, path: Path) -> JSON:
        """The owner's own last-applied value at `path`, when the owner wrote the annotation."""
        if self.previous is None or not coverage(owner.fields_v1, _ANNOTATION_PATH):
            return MISSING
        value = value_at(self.previous, path)
        return MISSING if isinstance(value, dict | list) else value  # scalars only: no defaults

    def _absent(self, path: Path) -> Attribution:
        if self.previous is not None and value_at(self.previous, path) is MISSING:
            return Attribution(None, None, (("cause", "not applied since desired changed"),))
        return self._remover()

    def _remover(self) -> Attribution:
        entries = [e for e in self.managed.entries if e.subresource != "status"]
        last_apply = max((e.time or "" for e in entries if self._is(e, Role.AUTHOR)), default="")
        later = [e for e in entries if self._is(e, Role.PERSON) and (e.time or "") > last_apply]
        details = [("removed", "managedFields keep no record of who removes a field")]
        if last_apply:
            details.append(("removed_after", last_apply))
        if later:
            details.append(("writers_since", ", ".join(sorted({e.manager for e in later}))))
        return Attribution(UNKNOWN, None, tuple(details))

    def _is(self, entry: ManagedEntry, role: Role) -> bool:
        return self.role_of(entry.manager, entry.operation) is role


def _same(recorded: JSON, live: JSON, path: Path) -> bool:
    parent = path[-2] if len(path) > 1 else None
    return bool(recorded == live) or scalars_equal(recorded, live, path[-1], parent)


def _text(value: JSON) -> str:
    return json.dumps(value, ensure_ascii=False)
