"""How a desired or live value reads in the text formats: one scalar, or YAML-ish lines.

`MISSING` reads `<absent>` and JSON null reads `null`; a string that would read like another
type (`"8"`, `"true"`, `""`, `"<absent>"`) is quoted so the two sides of a diff stay honest.
Nothing is added to a value: long ones are only cut, with `…` saying so.
"""

from __future__ import annotations

import json
import re

from kubedrift.cli.render.yaml_doc import dump_yaml
from kubedrift.model import JSON, MISSING, Finding

ABSENT = "<absent>"
ELLIPSIS = "…"

_TYPED_WORDS = frozenset({"true", "false", "null", "yes", "no", "on", "off", "~"})
_NUMBER = re.compile(r"[-+]?(\d[\d_]*)?\.?\d+([eE][-+]?\d+)?")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def scalar_text(value: JSON) -> str:
    """One line for any value: scalars as YAML reads them, collections as compact JSON."""
    if value is MISSING:
        return ABSENT
    if isinstance(value, str):
        return safe(_quoted(value)) if _needs_quotes(value) else value
    return safe(_quoted(value))


def value_lines(value: JSON) -> list[str]:
    """Lines for a diff: block YAML for non-empty collections, one line per line of text."""
    if isinstance(value, dict | list) and value:
        return [safe(line) for line in dump_yaml(value).splitlines()]
    if isinstance(value, str) and "\n" in value:
        return [safe(line) for line in value.splitlines()]
    return [scalar_text(value)]


def cap_lines(lines: list[str], limit: int) -> list[str]:
    """At most `limit` lines; the last says how many more there were."""
    if len(lines) <= limit:
        return lines
    hidden = len(lines) - limit + 1
    return [*lines[: limit - 1], f"{ELLIPSIS} {hidden} more lines"]


def shorten(text: str, limit: int) -> str:
    """`text` cut to `limit` characters, ending in `…` when it was cut."""
    if len(text) <= limit:
        return text
    return text[: max(limit - 1, 0)] + ELLIPSIS


def safe(text: str) -> str:
    """`text` with control characters (`\\x1b`) and lone surrogates (`\\ud800`) spelled out."""
    return _CONTROL.sub(_spell, text)


def plural(count: int, noun: str) -> str:
    """`1 finding`, `3 findings`, `1,200 nodes`."""
    return f"{count:,} {noun}" if count == 1 else f"{count:,} {noun}s"


def has_values(finding: Finding) -> bool:
    """Whether either side holds a value worth a diff (not both absent or null)."""
    return any(v is not MISSING and v is not None for v in (finding.desired, finding.live))


def changed_text(manager: str | None, changed_at: str | None) -> str:
    """`changed by kubectl-edit 2026-11-20T10:03:00Z`, or what part of it is known, or ""."""
    if not manager and not changed_at:
        return ""
    who = f" by {manager}" if manager else ""
    when = f" {changed_at}" if changed_at else ""
    return safe(f"changed{who}{when}")


def _spell(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def _needs_quotes(text: str) -> bool:
    if text == "" or text != text.strip() or text == ABSENT or _CONTROL.search(text):
        return True
    return text.lower() in _TYPED_WORDS or _NUMBER.fullmatch(text) is not None


def _quoted(value: JSON) -> str:
    # The standard library, not msgspec: it writes what it cannot encode (a lone surrogate
    # from a `\ud800` escape in the input) as is, and `safe()` then spells it out.
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
