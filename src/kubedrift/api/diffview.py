"""Desired and live side by side: both values as indented JSON, lines paired and marked.

`difflib.SequenceMatcher` pairs equal lines and marks the others changed, removed (only
desired has it) or added (only live has it); an absent side shows `(absent)`. The values
come from the store, where a Secret's are keyed hashes already.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass
from itertools import zip_longest

from kubedrift.model import JSON, MISSING

ABSENT = "(absent)"


@dataclass(frozen=True, slots=True)
class DiffRow:
    """One row of the side-by-side view; a side is None where the other has extra lines."""

    desired: str | None
    live: str | None
    kind: str  # "same", "changed", "removed", "added"


def value_lines(value: JSON) -> list[str]:
    """A value as the lines a reader compares: indented JSON, keys sorted."""
    if value is MISSING:
        return [ABSENT]
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False).splitlines()


def side_by_side(desired: JSON, live: JSON) -> list[DiffRow]:
    """The rows of the view, in order."""
    left, right = value_lines(desired), value_lines(live)
    rows: list[DiffRow] = []
    matcher = difflib.SequenceMatcher(a=left, b=right, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            rows.extend(DiffRow(a, a, "same") for a in left[i1:i2])
            continue
        for a, b in zip_longest(left[i1:i2], right[j1:j2]):
            kind = (
                "changed"
                if a is not None and b is not None
                else "removed"
                if b is None
                else "added"
            )
            rows.append(DiffRow(a, b, kind))
    return rows


def _kind(desired: str | None, live: str | None) -> str:
    if desired is None:
        return "added"
    return "removed" if live is None else "changed"
