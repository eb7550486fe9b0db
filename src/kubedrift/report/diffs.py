"""A finding's desired and live values as the lines of a diff, for the findings table (pure).

Scalars become one `-` and one `+` line; objects and lists are written as sorted, indented
JSON on each side and compared line by line (`difflib`), so a changed key in a large value
shows as the one line that changed. Very long values are cut to `MAX_LINES` per diff.
Values are exactly what the finding holds: Secret values are keyed hashes by construction.
"""

from __future__ import annotations

import difflib
import json
from typing import NamedTuple

from kubedrift.model import JSON, MISSING

MAX_LINES = 120
ABSENT = "(absent)"


class DiffLine(NamedTuple):
    """One line of a diff: `-` desired only, `+` live only, ` ` both, `…` cut."""

    mark: str
    text: str


def value_lines(value: JSON) -> list[str]:
    """A value as text lines: `(absent)` for MISSING, JSON otherwise."""
    if value is MISSING:
        return [ABSENT]
    if isinstance(value, dict | list):
        return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False).splitlines()
    return [json.dumps(value, ensure_ascii=False)]


def diff_lines(desired: JSON, live: JSON) -> list[DiffLine]:
    """The lines that turn desired into live (at most `MAX_LINES`, then a count of the rest)."""
    before, after = value_lines(desired), value_lines(live)
    if len(before) == 1 and len(after) == 1:
        lines = [DiffLine("-", before[0]), DiffLine("+", after[0])]
    else:
        lines = _compared(before, after)
    if len(lines) > MAX_LINES:
        rest = len(lines) - MAX_LINES
        lines = [*lines[:MAX_LINES], DiffLine("…", f"{rest:,} more lines")]
    return lines


def _compared(before: list[str], after: list[str]) -> list[DiffLine]:
    """Line by line through `SequenceMatcher` (not `ndiff`, whose intraline hints cost
    quadratic time on large values)."""
    out: list[DiffLine] = []
    matcher = difflib.SequenceMatcher(None, before, after, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            out += [DiffLine(" ", line) for line in before[i1:i2]]
            continue
        out += [DiffLine("-", line) for line in before[i1:i2]]
        out += [DiffLine("+", line) for line in after[j1:j2]]
    return out
