"""Secret values: compared inside the process, never shown.

A Secret's `data` (base64) and `stringData` (plain text, which the apiserver merges into
`data` and never returns) are decoded to bytes and compared as bytes, so desired `stringData`
matches live `data`. A finding on a Secret value names the key and shows a keyed hash: the
first 12 hex digits of HMAC-SHA256 under a per-process random key (or the key in the options),
prefixed `sha256:`. The key makes the hash useless for guessing short values offline; a stable
key from the options lets two runs be compared.

`masked_value` is the last line of defence: every value of every Secret finding goes through
it, whichever comparison produced the finding.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from collections.abc import Mapping
from typing import Any

from kubedrift.diff.prune import State, is_pruned, step
from kubedrift.model import JSON, MISSING

PROCESS_KEY = secrets.token_bytes(32)
"""The default hash key: random, one per process, never written anywhere."""

VALUE_FIELDS = ("data", "stringData")


class Masked(str):
    """A hash standing for a Secret value (so it is never hashed twice)."""

    __slots__ = ()


def is_secret(obj: Mapping[str, Any]) -> bool:
    """True for a core-group Secret."""
    return obj.get("kind") == "Secret" and obj.get("apiVersion") in ("v1", None)


def keyed_hash(value: bytes, key: bytes) -> Masked:
    """`sha256:` and 12 hex digits of HMAC-SHA256(key, value)."""
    return Masked("sha256:" + hmac.new(key, value, hashlib.sha256).hexdigest()[:12])


def decode_data(value: object) -> bytes:
    """The bytes of one `data` value; text that is not base64 is taken as is."""
    if not isinstance(value, str):
        return b""
    try:
        return base64.b64decode(value, validate=False)
    except (binascii.Error, ValueError):
        return value.encode()


def secret_values(obj: Mapping[str, Any]) -> dict[str, bytes]:
    """Key -> bytes after the apiserver's merge: `data`, then `stringData` on top."""
    out = {k: decode_data(v) for k, v in (obj.get("data") or {}).items() if v}
    for key, value in (obj.get("stringData") or {}).items():
        if value is not None:
            out[key] = str(value).encode()
    return {k: v for k, v in out.items() if v}


def secret_keys(obj: Mapping[str, Any]) -> set[str]:
    """Every key under `data` or `stringData`."""
    return {*(obj.get("data") or {}), *(obj.get("stringData") or {})}


def masked_value(field: str, value: JSON, key: bytes) -> JSON:
    """Replace a Secret value (or a map of them) under `data`/`stringData` by its hash."""
    if value is MISSING or value is None or isinstance(value, Masked):
        return value
    if isinstance(value, Mapping):
        return {k: masked_value(field, v, key) for k, v in value.items()}
    raw = decode_data(value) if field == "data" else str(value).encode()
    return keyed_hash(raw, key)


def plain(value: JSON) -> JSON:
    """`value` with every `Masked` hash turned into a plain `str`, at any depth.

    `Masked` only keeps a hash from being hashed again inside the diff; a finding holds plain
    JSON, since encoders refuse a `str` subclass (msgspec: "Encoding objects of type Masked is
    unsupported", PyYAML's safe dumper: RepresenterError) and every output, the store and
    alerts encode findings.
    """
    if isinstance(value, Masked):
        return str(value)
    if isinstance(value, Mapping):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value


def key_pruned(state: State, name: str) -> bool:
    """Whether a rule covers Secret key `name`, written under `/data` or `/stringData`."""
    return bool(state) and any(is_pruned(step(step(state, f), name)) for f in VALUE_FIELDS)
