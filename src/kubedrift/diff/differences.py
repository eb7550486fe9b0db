"""Raw differences: what the comparisons produce before they become findings.

A `RawDiff` has a path, a rule and the two values, nothing else; `findings.py` adds severity,
attribution, masking and the message. The rule names are part of the JSON output contract
(`model.rules.ObjectRule`, re-exported here as `Rule`).
"""

from __future__ import annotations

from dataclasses import dataclass

from kubedrift.diff.pointers import Path
from kubedrift.model import JSON
from kubedrift.model.rules import ObjectRule as Rule

__all__ = ["RawDiff", "Rule"]


@dataclass(frozen=True, slots=True)
class RawDiff:
    """One difference at `path` (see `Rule`); values may be `MISSING`."""

    path: Path
    rule: Rule
    desired: JSON
    live: JSON
