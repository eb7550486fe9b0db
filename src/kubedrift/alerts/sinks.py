"""Where alerts go: `Sink` (kind, URL, minimum severity) and how the CLI spells one.

    --alert-webhook URL          a generic JSON webhook (schema kubedrift-alert/v1)
    --alert-slack URL            a Slack-compatible incoming webhook
    --alertmanager URL           Alertmanager; `/api/v2/alerts` is added to a base URL
    --alert-min-severity LEVEL   the default minimum severity of every sink (default low)

A spec string (for config files and environment variables) is `KIND[/SEVERITY]=URL`, e.g.
`slack/high=https://hooks.slack.com/services/…`. A sink's URL is treated as a secret: its
repr, errors and `target` show only scheme://host (a user:password@ in it, which httpx2
sends as basic auth, is hidden too).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import SplitResult, urlsplit, urlunsplit

from kubedrift.alerts.errors import redact_url
from kubedrift.model import InputError, Severity

ALERTMANAGER_PATH = "/api/v2/alerts"


class SinkKind(enum.Enum):
    """The receiving protocol; each has its own body (webhook.py, slack.py, alertmanager.py)."""

    WEBHOOK = "webhook"
    SLACK = "slack"
    ALERTMANAGER = "alertmanager"


@dataclass(frozen=True, slots=True)
class Sink:
    """One receiver of alerts; only alerts at or above `min_severity` fire (and resolve)."""

    kind: SinkKind
    url: str = field(repr=False)
    min_severity: Severity = Severity.LOW

    @property
    def target(self) -> str:
        """The URL as it may be shown: scheme://host[:port]."""
        return redact_url(self.url)

    def __repr__(self) -> str:
        return f"Sink({self.kind.value}, {self.target}, min_severity={self.min_severity.value})"


def parse_severity(text: str | Severity) -> Severity:
    """A severity from its name (`critical|high|medium|low|info`, any case)."""
    if isinstance(text, Severity):
        return text
    try:
        return Severity(text.strip().lower())
    except ValueError:
        choices = "|".join(s.value for s in Severity)
        raise InputError(f"unknown severity {text!r} (expected {choices})") from None


def parse_kind(text: str | SinkKind) -> SinkKind:
    """A sink kind from its name (`webhook|slack|alertmanager`)."""
    if isinstance(text, SinkKind):
        return text
    try:
        return SinkKind(text.strip().lower())
    except ValueError:
        choices = "|".join(k.value for k in SinkKind)
        raise InputError(f"unknown alert sink {text!r} (expected {choices})") from None


def sink_from_url(
    kind: SinkKind | str, url: str, min_severity: Severity | str = Severity.LOW
) -> Sink:
    """A checked sink: an http(s) URL with a host; Alertmanager's API path added if absent."""
    sink_kind = parse_kind(kind)
    parts = _checked_url(sink_kind, url.strip())
    if sink_kind is SinkKind.ALERTMANAGER and not parts.path.endswith(ALERTMANAGER_PATH):
        parts = parts._replace(path=parts.path.rstrip("/") + ALERTMANAGER_PATH)
    return Sink(sink_kind, urlunsplit(parts), parse_severity(min_severity))


def parse_sink_spec(spec: str, default_min: Severity | str = Severity.LOW) -> Sink:
    """A sink from `KIND[/SEVERITY]=URL`; without a severity, `default_min` applies."""
    head, sep, url = spec.partition("=")
    if not sep or not url:
        raise InputError(f"alert sink {head.strip()!r}: expected KIND[/SEVERITY]=URL")
    kind, _, severity = head.partition("/")
    return sink_from_url(kind, url, severity or default_min)


def sinks_from_options(
    *,
    webhooks: Iterable[str] = (),
    slack: Iterable[str] = (),
    alertmanagers: Iterable[str] = (),
    min_severity: Severity | str = Severity.LOW,
) -> tuple[Sink, ...]:
    """The sinks of the CLI's repeatable `--alert-webhook/--alert-slack/--alertmanager`."""
    by_kind = (
        (SinkKind.WEBHOOK, webhooks),
        (SinkKind.SLACK, slack),
        (SinkKind.ALERTMANAGER, alertmanagers),
    )
    return tuple(sink_from_url(k, u, min_severity) for k, urls in by_kind for u in urls)


def _checked_url(kind: SinkKind, url: str) -> SplitResult:
    where = f"{kind.value} sink {redact_url(url)}"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a malformed port
    except ValueError:
        raise InputError("not a valid URL", where=where) from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InputError("expected an http:// or https:// URL with a host", where=where)
    return parts
