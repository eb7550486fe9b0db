"""The period of a Velero schedule: how often a `spec.schedule` cron expression fires.

Supported, on purpose no more:
- `@every <duration>` with Go-style durations (`6h`, `30m`, `1h30m`, `90s`);
- `@yearly`/`@annually`, `@monthly` (taken as 31 days), `@weekly`, `@daily`/`@midnight`,
  `@hourly`;
- five-field crons (minute hour day-of-month month day-of-week) with `*`, `a-b`, `a,b`,
  `*/n`, `a-b/n`, three-letter month and day names, and day 7 for Sunday. Day-of-month and
  day-of-week are OR-ed when both are restricted, as cron does. A `CRON_TZ=`/`TZ=` prefix is
  ignored (it shifts fire times, not the interval between them).

A five-field cron's period is the *longest* gap between successive fire times among the
first 64 from a fixed Monday: `0 2 * * 1-5` is 3 days (over the weekend), which tells a
late backup from a weekend without one.
"""

from __future__ import annotations

import itertools
import re
from datetime import UTC, datetime, timedelta

__all__ = ["cron_period"]

_MACROS = {
    "@yearly": timedelta(days=366),
    "@annually": timedelta(days=366),
    "@monthly": timedelta(days=31),
    "@weekly": timedelta(days=7),
    "@daily": timedelta(days=1),
    "@midnight": timedelta(days=1),
    "@hourly": timedelta(hours=1),
}
_UNITS = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}
_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|h|m|s)")
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
_START = datetime(2024, 1, 1, tzinfo=UTC)  # a Monday, in a leap year
_SAMPLES = 64
_HORIZON_DAYS = 800


def cron_period(expression: str) -> timedelta | None:
    """The longest interval between two fire times, or None when the expression is not
    understood."""
    text = " ".join(w for w in expression.split() if not w.upper().startswith(("CRON_TZ=", "TZ=")))
    if text in _MACROS:
        return _MACROS[text]
    if text.startswith("@every "):
        return _duration(text.removeprefix("@every ").strip())
    try:
        return _five_field(text)
    except ValueError:
        return None


def _duration(text: str) -> timedelta | None:
    parts = _DURATION.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        return None
    seconds = sum(float(n) * _UNITS[u] for n, u in parts)
    return timedelta(seconds=seconds) if seconds > 0 else None


def _five_field(text: str) -> timedelta | None:
    fields = text.split()
    if len(fields) != 5:
        raise ValueError(text)
    minutes = sorted(_field(fields[0], 0, 59, ()))
    hours = _field(fields[1], 0, 23, ())
    mdays = _field(fields[2], 1, 31, ())
    months = _field(fields[3], 1, 12, _MONTHS, offset=1)
    wdays = {d % 7 for d in _field(fields[4], 0, 7, _DAYS)}
    restricted = fields[2] != "*" and fields[4] != "*"
    fires: list[datetime] = []
    for day in range(_HORIZON_DAYS):
        date = _START + timedelta(days=day)
        dom, dow = date.day in mdays, (date.isoweekday() % 7) in wdays
        if date.month in months and ((dom or dow) if restricted else (dom and dow)):
            fires += [date.replace(hour=h, minute=m) for h in sorted(hours) for m in minutes]
        if len(fires) > _SAMPLES:
            break
    if len(fires) < 2:
        return None
    return max(b - a for a, b in itertools.pairwise(fires))


def _field(text: str, low: int, high: int, names: tuple[str, ...], offset: int = 0) -> set[int]:
    values: set[int] = set()
    for part in text.lower().split(","):
        base, _, step_text = part.partition("/")
        step = int(step_text) if step_text else 1
        if base == "*":
            start, end = low, high
        elif "-" in base:
            a, b = base.split("-", 1)
            start, end = _value(a, names, offset), _value(b, names, offset)
        else:
            start = _value(base, names, offset)
            end = high if step_text else start
        if not low <= start <= end <= high or step < 1:
            raise ValueError(text)
        values.update(range(start, end + 1, step))
    return values


def _value(text: str, names: tuple[str, ...], offset: int) -> int:
    if text in names:
        return names.index(text) + offset
    return int(text)
