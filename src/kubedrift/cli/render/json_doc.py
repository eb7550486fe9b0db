"""The `json` format: the `kubedrift/v1` document, pretty-printed for scripts and people alike."""

from __future__ import annotations

import msgspec

from kubedrift.model import Report


def render_json(report: Report) -> str:
    """`{"schema", "summary", "findings"}` with a 2-space indent and a trailing newline."""
    encoded = msgspec.json.encode(report.to_json())
    return msgspec.json.format(encoded, indent=2).decode() + "\n"
