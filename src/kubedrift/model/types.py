"""Type aliases for raw Kubernetes JSON, kept as plain mappings (as kopf does)."""

from collections.abc import Mapping
from typing import Any, TypeAlias

JSON: TypeAlias = Any
"""Any JSON value: None, bool, int, float, str, list or dict."""

JSONObject: TypeAlias = Mapping[str, Any]
"""A decoded JSON object, such as one Kubernetes resource."""
