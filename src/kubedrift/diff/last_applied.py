"""The `kubectl.kubernetes.io/last-applied-configuration` annotation (client-side apply).

kubectl stores the whole object it last applied in this annotation and computes its next
patch three-way from it; kubedrift reads it for the same purpose (three_way.py). The
annotation itself is server-owned for comparison: it is never compared and never shown, since
for a Secret it holds the values in clear.

kubectl writes it with `metadata.annotations: {}` and the namespace it applied to, which
desired files often leave out; neither is a removal (argo-cd's `removeNamespaceAnnotation`
does the same), and both are handled by the walk: identity fields are pruned and an empty
map has no leaf to report.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import msgspec

ANNOTATION = "kubectl.kubernetes.io/last-applied-configuration"

# msgspec decodes the annotation about twice as fast as `json`; one per live object adds up.
_DECODER = msgspec.json.Decoder()


def last_applied(live: Mapping[str, Any]) -> dict[str, Any] | None:
    """The object of the annotation, or None when absent or not a JSON object."""
    annotations = (live.get("metadata") or {}).get("annotations") or {}
    text = annotations.get(ANNOTATION)
    if not isinstance(text, str) or not text:
        return None
    try:
        value = _DECODER.decode(text)
    except msgspec.DecodeError:
        return None  # hand-edited into invalid JSON: kubectl itself then falls back to two-way
    return value if isinstance(value, dict) else None
