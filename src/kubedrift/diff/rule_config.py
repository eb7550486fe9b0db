"""Validation shared by the raw forms of ignore rules and trusted rules.

The caller parses the config file; these helpers check one rule's mapping and raise
`InputError` with `where` naming the rule (`ignore rule #2`, counted from 1) and a message
that says what is wrong and what is expected.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from kubedrift.diff.prune import Pattern, parse_pattern
from kubedrift.model import InputError


@contextmanager
def rule_errors(where: str) -> Iterator[None]:
    """Turn a ValueError raised while parsing one rule into an InputError naming it."""
    try:
        yield
    except ValueError as exc:
        raise InputError(str(exc), where=where) from None


def check_mapping(raw: Any, allowed: frozenset[str]) -> Mapping[str, Any]:
    """The rule as a mapping with only known keys."""
    if not isinstance(raw, Mapping):
        raise ValueError(f"a rule must be a mapping, not {type(raw).__name__}")
    unknown = [str(key) for key in raw if key not in allowed]
    if unknown:
        raise ValueError(
            f"unknown key(s) {', '.join(sorted(unknown))}; allowed: {', '.join(sorted(allowed))}"
        )
    return raw


def check_sequence(raw: Any, what: str) -> Sequence[Any]:
    """The list of raw rules (not a string or a mapping)."""
    if isinstance(raw, str | bytes | Mapping) or not isinstance(raw, Sequence):
        raise InputError(f"{what} must be a list of rules, not {type(raw).__name__}")
    return raw


def patterns(raw: Mapping[str, Any], key: str, *, required: bool) -> tuple[Pattern, ...]:
    """A list of JSON pointer patterns under `key`."""
    value = raw.get(key)
    if value is None and not required:
        return ()
    if not isinstance(value, list) or not value:
        raise ValueError(f"{key!r} must be a non-empty list of JSON pointers like /spec/replicas")
    out = []
    for text in value:
        try:
            out.append(parse_pattern(text))
        except ValueError as exc:
            raise ValueError(f"{key!r}: {exc}") from None
    return tuple(out)


def strings(raw: Mapping[str, Any], key: str) -> tuple[str, ...]:
    """An optional list of strings under `key`."""
    value = raw.get(key)
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ValueError(f"{key!r} must be a list of non-empty strings")
    return tuple(value)
