"""Query strings into store queries, with one clear line for a bad value (HTTP 400).

The API and the HTML list share these parameters, so a dashboard URL and an API URL filter
alike: `cluster`, `namespace`, `kind`, `pool`, `severity` (repeatable or comma-separated),
`category`, `rule`, `status` (open, resolved, all), `q` (free text), `cursor`, `limit`.
An empty value does not filter (what an HTML form sends for "any").
"""

from __future__ import annotations

from collections.abc import Iterable

from kubedrift.model import Category, InputError, Severity
from kubedrift.store.browse import MAX_LIMIT, FindingQuery, Status

DEFAULT_LIMIT = 50
MAX_TEXT = 200


def finding_query(
    *,
    cluster: str | None = None,
    namespace: str | None = None,
    kind: str | None = None,
    pool: str | None = None,
    severity: Iterable[str] = (),
    category: str | None = None,
    rule: str | None = None,
    status: str | None = None,
    q: str | None = None,
    cursor: str | None = None,
    limit: str | None = None,
) -> FindingQuery:
    """The `FindingQuery` of a request's parameters; `InputError` names the bad one."""
    return FindingQuery(
        cluster=_given(cluster),
        namespace=_given(namespace),
        kind=_given(kind),
        pool=_given(pool),
        severities=severities(severity),
        category=_choice("category", category, [c.value for c in Category]),
        rule=_given(rule),
        status=Status(_choice("status", status, [s.value for s in Status]) or "open"),
        text=_text(q),
        after=_number("cursor", cursor, 1, None),
        limit=_number("limit", limit, 1, MAX_LIMIT) or DEFAULT_LIMIT,
    )


def severities(values: Iterable[str]) -> frozenset[Severity]:
    """`severity=high&severity=critical` or `severity=high,critical`."""
    names = [v.strip().lower() for value in values for v in value.split(",") if v.strip()]
    known = {s.value: s for s in Severity}
    for name in names:
        if name not in known:
            raise InputError(f"severity {name!r}: use one of {', '.join(known)}")
    return frozenset(known[n] for n in names)


def days(value: str | None, default: int, most: int = 366) -> int:
    """A number of days, 1 to `most`."""
    return _number("days", value, 1, most) or default


def _given(value: str | None) -> str | None:
    return value if value else None


def _choice(name: str, value: str | None, allowed: list[str]) -> str | None:
    if not value:
        return None
    if value.lower() not in allowed:
        raise InputError(f"{name} {value!r}: use one of {', '.join(allowed)}")
    return value.lower()


def _text(value: str | None) -> str | None:
    if not value or not value.strip():
        return None
    if len(value) > MAX_TEXT:
        raise InputError(f"q: at most {MAX_TEXT} characters")
    return value.strip()


def _number(name: str, value: str | None, least: int, most: int | None) -> int | None:
    if not value:
        return None
    if not value.isdigit() or int(value) < least or (most is not None and int(value) > most):
        bound = f"{least} to {most}" if most is not None else f"at least {least}"
        raise InputError(f"{name} {value!r}: a whole number, {bound}")
    return int(value)
