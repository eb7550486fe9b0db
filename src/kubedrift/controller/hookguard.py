"""What keeps `POST /hooks/git` cheap for anyone who can reach it: bounds, replay and log limits.

The hook is unauthenticated until its signature is checked, and the signature covers the
body, so the body must be read first. `HookGuard` bounds what that costs an attacker to
impose (issue 12.4):

- at most `concurrency` hooks are read at once; one more is answered 429 at once, without
  reading it (a flood holds a few small buffers, never one per connection);
- a body is at most `max_body` bytes (1 MiB: GitHub's push payloads are far smaller; its
  documented cap of 25 MB is for all events) and must arrive within `read_timeout`
  seconds, else 413 / 408;
- a delivery ID seen before (`X-GitHub-Delivery`, `X-Gitea-Delivery`,
  `X-Gitlab-Event-UUID`) is answered 200 "duplicate" without a reload; the last
  `replay_window` IDs are kept. The ID is not covered by GitHub's signature, so this stops
  re-sent deliveries (by the forge or a replaying proxy), not a forger who knows the secret;
- the warning for a rejected hook is rate-limited (`LogLimiter`): a flood writes a line
  now and then saying how many were suppressed, not one line per request.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass

DELIVERY_HEADERS = (
    "x-github-delivery",
    "x-gitea-delivery",
    "x-gogs-delivery",
    "x-gitlab-event-uuid",
)
SIGNATURE_HEADERS = ("x-hub-signature-256", "x-gitea-signature", "x-gitlab-token")


@dataclass(frozen=True, slots=True)
class HookLimits:
    """The bounds of the hook; the defaults suit GitHub, GitLab and Gitea push hooks."""

    max_body: int = 1024 * 1024
    concurrency: int = 4
    read_timeout: float = 10.0
    replay_window: int = 4096
    log_every: float = 10.0


class LogLimiter:
    """Logs the first message, then at most one every `interval` s with a suppressed count."""

    def __init__(
        self, logger: logging.Logger, interval: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._logger = logger
        self._interval = interval
        self._clock = clock
        self._next = -float("inf")
        self._suppressed = 0

    def warning(self, message: str, *args: object) -> None:
        """Log at WARNING unless a line was written less than `interval` s ago."""
        now = self._clock()
        if now < self._next:
            self._suppressed += 1
            return
        if self._suppressed:
            message += " (%d similar lines suppressed)"
            args = (*args, self._suppressed)
        self._logger.warning(message, *args)
        self._suppressed, self._next = 0, now + self._interval


class HookGuard:
    """The bounds above, shared by every request to one app's hook."""

    def __init__(self, limits: HookLimits, logger: logging.Logger) -> None:
        self.limits = limits
        self.rejections = LogLimiter(logger, limits.log_every)
        self._busy = 0  # hooks being read; one event loop, so a plain counter suffices
        self._seen: OrderedDict[str, None] = OrderedDict()

    def try_enter(self) -> bool:
        """Take a slot if one is free (never waits)."""
        if self._busy >= self.limits.concurrency:
            return False
        self._busy += 1
        return True

    def leave(self) -> None:
        """Give the slot back."""
        self._busy -= 1

    def replayed(self, headers: Mapping[str, str]) -> bool:
        """True when this delivery ID was seen before; remembers it otherwise."""
        delivery = delivery_id(headers)
        if delivery is None:
            return False
        if delivery in self._seen:
            self._seen.move_to_end(delivery)
            return True
        self._seen[delivery] = None
        while len(self._seen) > self.limits.replay_window:
            self._seen.popitem(last=False)
        return False


def delivery_id(headers: Mapping[str, str]) -> str | None:
    """The forge's ID of this delivery, when it sent one (headers matched case-insensitively)."""
    lower = {k.lower(): v for k, v in headers.items()}
    for name in DELIVERY_HEADERS:
        if value := lower.get(name, "").strip():
            return f"{name}:{value[:128]}"
    return None


def has_signature(headers: Mapping[str, str]) -> bool:
    """Whether any header that could prove the secret is present (checked before the body)."""
    lower = {k.lower() for k in headers}
    return any(name in lower for name in SIGNATURE_HEADERS)
