"""Paths inside an object and their JSON pointer form (RFC 6901, with keyed list elements).

A path is a tuple of segments: a `str` (an object key), an `int` (a position in a list that
has no merge key) or a `ListKey` (an element of a merge-key list, named by its key fields).

Rendered as a JSON pointer, a keyed element is addressed by its key, not its position, so the
path of a finding does not move when a list is reordered:

    /spec/template/spec/containers/name=trainer/image
    /spec/template/spec/containers/name=app/ports/containerPort=80,protocol=TCP

Every segment is escaped as RFC 6901 says (`~` → `~0`, `/` → `~1`); inside a key value `%`,
`,` and `=` are percent-escaped (`%25`, `%2C`, `%3D`) so that a rendered segment is never
ambiguous. Key fields appear in merge-key order; a key field absent from the element is left
out. This form is part of the JSON output contract: keep it stable.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeAlias

Scalar: TypeAlias = str | int | float | bool | None


@dataclass(frozen=True, slots=True)
class ListKey:
    """The identity of one element of a merge-key list: its key fields and their values."""

    fields: tuple[tuple[str, Scalar], ...]

    def render(self) -> str:
        """The segment text, e.g. `name=trainer` or `containerPort=80,protocol=TCP`."""
        return ",".join(
            f"{name}={_key_value(value)}" for name, value in self.fields if value is not None
        )

    def as_dict(self) -> dict[str, Scalar]:
        """The key fields that are set, as fieldsV1 `k:{...}` entries spell them."""
        return {name: value for name, value in self.fields if value is not None}


Segment: TypeAlias = str | int | ListKey
Path: TypeAlias = tuple[Segment, ...]


def _key_value(value: Scalar) -> str:
    text = ("true" if value else "false") if isinstance(value, bool) else str(value)
    return text.replace("%", "%25").replace(",", "%2C").replace("=", "%3D")


def escape(segment: str) -> str:
    """Escape one segment for a JSON pointer (RFC 6901 section 3)."""
    return segment.replace("~", "~0").replace("/", "~1")


def unescape(segment: str) -> str:
    """Undo `escape`; raise ValueError on a `~` not followed by `0` or `1`."""
    if "~" not in segment:
        return segment
    out: list[str] = []
    chars = iter(segment)
    for char in chars:
        if char != "~":
            out.append(char)
            continue
        nxt = next(chars, "")
        if nxt not in ("0", "1"):
            raise ValueError(f"'~{nxt}' is not a valid escape (use ~0 for '~' and ~1 for '/')")
        out.append("~" if nxt == "0" else "/")
    return "".join(out)


def segment_text(segment: Segment) -> str:
    """The unescaped text of one segment: the key, the position, or the rendered list key."""
    if isinstance(segment, ListKey):
        return segment.render()
    return str(segment)


def render(path: Path) -> str:
    """The JSON pointer of a path; the empty path (the whole object) renders as ``""``."""
    return "".join("/" + escape(segment_text(segment)) for segment in path)


def split(pointer: str) -> tuple[str, ...]:
    """Split a JSON pointer into unescaped segments; raise ValueError if it is malformed."""
    if pointer == "":
        return ()
    if not pointer.startswith("/"):
        raise ValueError(f"JSON pointer {pointer!r} must start with '/'")
    return tuple(unescape(part) for part in pointer[1:].split("/"))
