"""The two-way comparison: every field desired mentions, against live.

Desired is the claim: a field live has and desired does not mention is a default, a webhook
addition or someone else's field, never drift here (three_way.py handles fields we removed).
The walk skips equal subtrees with `==` before descending (dict and list equality fail fast
on different lengths), applies the canonical-value steps of normalize.py only where raw values
differ, and never copies or mutates its inputs.

One accepted imprecision of the `==` shortcut: Python holds `True == 1`, so a CRD field that
changed from `1` to `true` is not reported. Typed Kubernetes fields cannot change type.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from kubedrift.diff import secrets
from kubedrift.diff.canonical import scalars_equal
from kubedrift.diff.differences import RawDiff, Rule
from kubedrift.diff.merge_keys import (
    KEY_DEFAULTS,
    KEY_TABLE,
    ORDERED_LISTS,
    SCALAR_MERGE_SETS,
    KeySpec,
    ListKind,
    keyed_lists,
    list_key,
)
from kubedrift.diff.normalize import is_vacuous
from kubedrift.diff.pointers import Path
from kubedrift.diff.prune import State, is_pruned, step
from kubedrift.model import JSON, MISSING


class Comparer:
    """Walks desired and live together and collects `RawDiff`s in `out`."""

    __slots__ = ("kind", "out")

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.out: list[RawDiff] = []

    def emit(self, path: Path, rule: Rule, desired: JSON, live: JSON) -> None:
        """Record one difference."""
        self.out.append(RawDiff(path, rule, desired, live))

    def compare_maps(
        self, desired: Mapping[str, Any], live: Mapping[str, Any], path: Path, state: State
    ) -> None:
        """Compare every key desired has; `null` in desired claims nothing."""
        for key, dv in desired.items():
            lv = live.get(key, MISSING)
            if dv is None or dv == lv:
                continue
            sub = step(state, key) if state else state
            if sub and is_pruned(sub):
                continue
            if type(dv) is dict and type(lv) is dict:  # the common case, without a detour
                self.compare_maps(dv, lv, (*path, key), sub)
            else:
                self.compare_values(dv, lv, (*path, key), sub)

    def compare_values(self, desired: JSON, live: JSON, path: Path, state: State) -> None:
        """Compare two values at `path` (already known to differ as raw JSON)."""
        if isinstance(desired, dict):
            self._dict(desired, live, path, state)
        elif isinstance(desired, list):
            self._list_value(desired, live, path, state)
        elif live is MISSING or live is None:
            if not (is_vacuous(desired) or _defaulted_key(path, desired)):
                self.emit(path, Rule.FIELD_MISSING, desired, MISSING)
        elif not scalars_equal(desired, live, path[-1], path[-2] if len(path) > 1 else None):
            self.emit(path, Rule.FIELD_CHANGED, desired, live)

    def _dict(self, desired: dict[str, Any], live: JSON, path: Path, state: State) -> None:
        if isinstance(live, dict):
            self.compare_maps(desired, live, path, state)
        elif live is MISSING or live is None:
            # Descend, so that each missing leaf is reported (and pruned) on its own path.
            self.compare_maps(desired, {}, path, state)
        else:
            self.emit(path, Rule.FIELD_CHANGED, desired, live)

    def _list_value(self, desired: list[Any], live: JSON, path: Path, state: State) -> None:
        if isinstance(live, list):
            self._list(desired, live, path, state)
        elif is_vacuous(desired):
            return
        elif live is MISSING or live is None:
            self.emit(path, Rule.FIELD_MISSING, desired, MISSING)
        else:
            self.emit(path, Rule.FIELD_CHANGED, desired, live)

    def _list(self, desired: list[Any], live: list[Any], path: Path, state: State) -> None:
        name = path[-1] if path else None
        if name in SCALAR_MERGE_SETS:
            self._scalar_set(desired, live, path, state)
            return
        keyed = keyed_lists(name, desired, live)
        if keyed is None:
            self._positional(desired, live, path, state)
        else:
            self._keyed(keyed, desired, live, (path, state))

    def _keyed(
        self,
        keyed: tuple[KeySpec, list[list[Any]]],
        desired: list[Any],
        live: list[Any],
        where: tuple[Path, State],
    ) -> None:
        """Elements matched by key; order and extras only matter for some lists."""
        (spec, (desired_keys, live_keys)), (path, state) = keyed, where
        if desired_keys == live_keys:  # same elements in the same order: pair by position
            self._pairs(spec, zip(desired_keys, desired, live, strict=True), path, state)
            return
        by_key = dict(zip(live_keys, live, strict=True))
        found = [by_key.get(k, MISSING) for k in desired_keys]
        self._pairs(spec, zip(desired_keys, desired, found, strict=True), path, state)
        if spec.kind is ListKind.SET and not self._admission_adds(path):
            live_items = zip(live_keys, live, strict=True)
            self._extras(spec, set(desired_keys), live_items, path, state)
        if path[-1] in ORDERED_LISTS:
            self._order(spec, desired_keys, live_keys, path)

    def _pairs(
        self, spec: KeySpec, pairs: Iterable[tuple[Any, Any, Any]], path: Path, state: State
    ) -> None:
        """Compare (key, desired, live) elements; live is MISSING where it lacks the element."""
        for position, (key, item, live_item) in enumerate(pairs):
            if item == live_item:
                continue
            segment = list_key(spec, key)
            sub = step(state, segment.render(), str(position)) if state else state
            if sub and is_pruned(sub):
                continue
            if live_item is MISSING:
                self.emit((*path, segment), Rule.LIST_ITEM_MISSING, item, MISSING)
            else:
                self.compare_values(item, live_item, (*path, segment), sub)

    def _admission_adds(self, path: Path) -> bool:
        # Admission plugins (DefaultTolerationSeconds, ExtendedResourceToleration) add
        # tolerations to every Pod; on a Pod, live tolerations beyond desired are expected.
        return self.kind == "Pod" and path[-1] == "tolerations"

    def _extras(
        self,
        spec: KeySpec,
        desired_keys: set[Any],
        live_items: Iterable[tuple[Any, Any]],
        path: Path,
        state: State,
    ) -> None:
        """Report SET-list elements live has and desired does not."""
        for position, (key, live_item) in enumerate(live_items):
            if key in desired_keys:
                continue
            segment = list_key(spec, key)
            sub = step(state, segment.render(), str(position)) if state else state
            if not (sub and is_pruned(sub)):
                self.emit((*path, segment), Rule.LIST_ITEM_EXTRA, MISSING, live_item)

    def _order(self, spec: KeySpec, desired: list[Any], live: list[Any], path: Path) -> None:
        common = set(desired) & set(live)
        desired_order = [list_key(spec, k).render() for k in desired if k in common]
        live_order = [list_key(spec, k).render() for k in live if k in common]
        if desired_order != live_order:
            self.emit(path, Rule.LIST_ORDER_CHANGED, desired_order, live_order)

    def _scalar_set(self, desired: list[Any], live: list[Any], path: Path, state: State) -> None:
        """Each desired value must be live; values live has on top are someone else's."""
        present = {json_key(value) for value in live}
        for index, value in enumerate(desired):
            sub = step(state, str(index)) if state else state
            if json_key(value) not in present and not (sub and is_pruned(sub)):
                self.emit((*path, index), Rule.LIST_ITEM_MISSING, value, MISSING)

    def _positional(self, desired: list[Any], live: list[Any], path: Path, state: State) -> None:
        if len(desired) != len(live):
            self.emit(path, Rule.FIELD_CHANGED, desired, live)
            return
        for index, (item, live_item) in enumerate(zip(desired, live, strict=True)):
            if item is None or item == live_item:
                continue
            sub = step(state, str(index)) if state else state
            if not (sub and is_pruned(sub)):
                self.compare_values(item, live_item, (*path, index), sub)

    def compare_secret_values(
        self, desired: Mapping[str, Any], live: Mapping[str, Any], state: State, key: bytes
    ) -> None:
        """Compare a Secret's values as bytes; report keyed hashes at `/data/<key>`."""
        live_values = secrets.secret_values(live)
        for name, value in secrets.secret_values(desired).items():
            live_value = live_values.get(name)
            if live_value == value or secrets.key_pruned(state, name):
                continue
            shown_live = MISSING if live_value is None else secrets.keyed_hash(live_value, key)
            rule = Rule.FIELD_MISSING if live_value is None else Rule.FIELD_CHANGED
            self.emit(("data", name), rule, secrets.keyed_hash(value, key), shown_live)


def _defaulted_key(path: Path, desired: JSON) -> bool:
    """A key field written with its default (`protocol: TCP` in `ports`) matches its absence."""
    return (
        len(path) > 2
        and path[-3] in KEY_TABLE
        and KEY_DEFAULTS.get(str(path[-1]), MISSING) == desired
    )


def json_key(value: JSON) -> Any:
    """A hashable stand-in for a JSON value (for set membership)."""
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True)
    return value
