"""Turning a raw difference into a `Finding`: severity, attribution, masking, message.

Attribution (manager, time and why) comes from `attribution.py`. Every value of a Secret
finding is masked here, whatever comparison produced it, and the message is built from the
masked values only.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kubedrift.diff import secrets
from kubedrift.diff.attribution import Attribution
from kubedrift.diff.differences import RawDiff, Rule
from kubedrift.diff.last_applied import ANNOTATION
from kubedrift.diff.pointers import render
from kubedrift.diff.severity import severity_of
from kubedrift.model import JSON, MISSING, Category, Finding, ObjectRef

_MAX_SHOWN = 80


@dataclass(frozen=True, slots=True)
class FindingContext:
    """What every finding of one object shares."""

    ref: ObjectRef
    secret: bool
    hash_key: bytes
    revision: str | None


def build_finding(raw: RawDiff, ctx: FindingContext, who: Attribution | None) -> Finding:
    """The finding for one raw difference (`who`: None when there is no live object)."""
    desired, live = _shown(raw, ctx, raw.desired), _shown(raw, ctx, raw.live)
    return Finding(
        category=Category.OBJECT,
        severity=severity_of(ctx.ref.kind, raw.path, raw.rule),
        object=ctx.ref,
        path=render(raw.path),
        desired=desired,
        live=live,
        rule=raw.rule.value,
        message=message(raw.rule, render(raw.path), desired, live, ctx.ref),
        manager=who.manager if who is not None else None,
        changed_at=who.time if who is not None else None,
        revision=ctx.revision,
        details=who.details if who is not None else (),
    )


def _shown(raw: RawDiff, ctx: FindingContext, value: JSON) -> JSON:
    if not ctx.secret:
        return value
    head = raw.path[0] if raw.path else None
    if head in secrets.VALUE_FIELDS:
        return secrets.plain(secrets.masked_value(str(head), value, ctx.hash_key))
    return secrets.plain(_scrub(value, ctx.hash_key))


def _scrub(value: JSON, key: bytes) -> JSON:
    """A Secret value shown whole (never expected): mask values, drop the annotation."""
    if isinstance(value, Mapping):
        return {k: _scrub_item(k, v, key) for k, v in value.items() if k != ANNOTATION}
    if isinstance(value, list):
        return [_scrub(item, key) for item in value]
    return value


def _scrub_item(name: str, value: Any, key: bytes) -> JSON:
    if name in secrets.VALUE_FIELDS:
        return secrets.masked_value(name, value, key)
    return _scrub(value, key)


_TEMPLATES: dict[Rule, str] = {
    Rule.FIELD_CHANGED: "{where}: desired {desired}, live {live}",
    Rule.FIELD_MISSING: "{where}: desired {desired}, absent live",
    Rule.FIELD_REMOVED: "{where}: removed from desired but still live ({live})",
    Rule.LIST_ITEM_MISSING: "{where}: list item in desired, absent live",
    Rule.LIST_ITEM_EXTRA: "{where}: list item live but not in desired",
    Rule.LIST_ORDER_CHANGED: "{where}: order differs: desired {desired}, live {live}",
    Rule.FIELD_ADDED: "{where}: not in desired, set live by hand ({live})",
    Rule.DEFAULT_OVERRIDDEN: "{where}: desired leaves the default {desired}, live {live}",
    Rule.FIELD_NOT_SERVED: "{where}: desired {desired}, not kept by this apiserver (not drift)",
}


def message(rule: Rule, where: str, desired: JSON, live: JSON, ref: ObjectRef) -> str:
    """One line saying what differs, from values that are already safe to show."""
    if rule is Rule.OBJECT_MISSING:
        return f"{ref} is in desired but not in the cluster"
    return _TEMPLATES[rule].format(where=where, desired=_short(desired), live=_short(live))


def _short(value: JSON) -> str:
    if value is MISSING:
        return "(absent)"
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)
    return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 1] + "…"
