"""Raw differences: what the comparisons produce before they become findings.

A `RawDiff` has a path, a rule and the two values, nothing else; `findings.py` adds severity,
attribution, masking and the message. The rule names are part of the JSON output contract.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from kubedrift.diff.pointers import Path
from kubedrift.model import JSON


class Rule(enum.StrEnum):
    """Why a field is reported."""

    OBJECT_MISSING = "object-missing"
    """Desired object absent from the cluster (path `""`)."""
    FIELD_CHANGED = "field-changed"
    """Both sides have the field, with different values."""
    FIELD_MISSING = "field-missing"
    """Desired sets the field (to a non-empty value), live does not have it."""
    FIELD_REMOVED = "field-removed-from-desired"
    """Set by our last apply (last-applied annotation or an SSA `Apply` entry), no longer in
    desired, still live. Also used for a keyed list element; the path names the element."""
    LIST_ITEM_MISSING = "list-item-missing"
    """An element of a keyed list is in desired and not live."""
    LIST_ITEM_EXTRA = "list-item-extra"
    """An element of a SET list (atomic for the apiserver) is live and not in desired."""
    LIST_ORDER_CHANGED = "list-order-changed"
    """A keyed list whose order is behaviour (init containers) is in a different order."""
    FIELD_ADDED = "field-added"
    """Not in desired, set live by a person or an unknown client (per `managedFields`), not by
    our applier, API defaulting, an admission webhook or a trusted controller (`additions.py`)."""
    DEFAULT_OVERRIDDEN = "default-overridden"
    """Desired leaves the field to its API default (shown as desired); a person set another
    value live (`additions.py`, defaults in `api_defaults.py`)."""
    FIELD_NOT_SERVED = "field-not-served"
    """Desired sets a field the apiserver does not keep (newer than the server, or disabled):
    the server recorded it for our applier and dropped it. Info, not drift (`not_served.py`)."""


@dataclass(frozen=True, slots=True)
class RawDiff:
    """One difference at `path` (see `Rule`); values may be `MISSING`."""

    path: Path
    rule: Rule
    desired: JSON
    live: JSON
