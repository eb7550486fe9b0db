"""The documented log format (`kubedrift.cli.logs`), as tests check real processes' lines."""

from __future__ import annotations

import json
import re
from typing import Any

TEXT_LINE = re.compile(
    r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (DEBUG|INFO|WARNING|ERROR|CRITICAL) [\w.]+: .*$"
)
"""A text log line as docs/DESIGN.md and `kubedrift.cli.logs` document it."""
JSON_KEYS = ("time", "level", "logger", "message")
TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def parse_json_line(line: str) -> dict[str, Any]:
    """One JSON Lines record, checked against the documented fields; AssertionError if not."""
    record = json.loads(line)
    assert isinstance(record, dict), line
    assert tuple(record)[:4] == JSON_KEYS, line
    assert TIME.match(record["time"]), line
    assert record["level"] in {"debug", "info", "warning", "error", "critical"}, line
    return record
