"""What an alert failure says, and what it never says: a webhook URL's path and query.

    KubedriftError
    └── AlertError   a sink refused or could not be reached; `where` is scheme://host

Webhook URLs carry their credential in the path (Slack's `/services/T…/B…/<token>`), so
everything this package writes — error messages, log lines, stats, a `Sink`'s repr — shows
only the origin of a sink. httpx2 itself logs every request's full URL at INFO on the
`httpx2` logger; `protect_in_logs` installs a filter there that cuts the URL of any
request to a sink's origin down to that origin.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from kubedrift.model import KubedriftError

_HIDDEN = "<invalid URL>"


class AlertError(KubedriftError):
    """An alert could not be delivered; `where` is the sink's scheme://host, never its path."""


def redact_url(url: str) -> str:
    """`scheme://host[:port]` of `url`; anything that does not parse shows as a placeholder."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return _HIDDEN
    if not parts.scheme or not parts.hostname:
        return _HIDDEN
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return f"{parts.scheme}://{host}" + (f":{port}" if port is not None else "")


def scrub(text: str, url: str) -> str:
    """`text` with `url`, and its path and query on their own, replaced by its origin."""
    origin = redact_url(url)
    try:
        parts = urlsplit(url)
    except ValueError:
        return text.replace(url, origin)
    for secret in (url, url.rstrip("/"), parts.path + (f"?{parts.query}" if parts.query else "")):
        if len(secret) > 1:
            text = text.replace(secret, origin)
    return text


class _SinkUrlFilter(logging.Filter):
    """Rewrites the URL argument of httpx2's request log lines for registered origins."""

    def __init__(self) -> None:
        super().__init__()
        self.origins: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and self.origins:
            record.args = tuple(self._hide(arg) for arg in record.args)
        return True

    def _hide(self, arg: object) -> object:
        if isinstance(arg, int | float):
            return arg
        text = str(arg)  # httpx2 passes an `httpx2.URL`; a plain string is treated alike
        if "://" not in text:
            return arg
        origin = redact_url(text)
        return origin if origin in self.origins else arg


_FILTER = _SinkUrlFilter()


def protect_in_logs(url: str) -> None:
    """Make httpx2's own request log show only the origin of requests to `url`'s origin."""
    logger = logging.getLogger("httpx2")
    if _FILTER not in logger.filters:
        logger.addFilter(_FILTER)
    _FILTER.origins.add(redact_url(url))
