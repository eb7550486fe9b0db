"""Who may read the dashboard and API: bearer tokens reviewed by the cluster, or nobody checks.

Never open by default. `kubernetes` (the default) takes `Authorization: Bearer <token>`, asks
the API server who holds it (TokenReview) and whether that user may `get`/`list`
`findings.kubedrift.io` (SubjectAccessReview), so a ClusterRole decides who sees drift —
`kubedrift-viewer` in the chart. `none` checks nothing and is refused unless the server
listens on loopback only (`check_listen`): drift names objects, nodes and who changed them.

Answers: no or unknown token → 401 (with `WWW-Authenticate: Bearer`), a user RBAC does not
allow → 403, API server unreachable → 503 (never "allowed"). Decisions are cached for
`ttl` seconds by a hash of the token (the token itself is neither kept nor logged), as
kube-rbac-proxy and the apiserver's own webhook authenticator cache theirs, so a page of
twenty requests costs two reviews, not forty.
"""

from __future__ import annotations

import enum
import hashlib
import ipaddress
import logging
import time
from collections.abc import Callable
from typing import Protocol

from kubedrift.cluster.connection import ClusterTarget, Connection
from kubedrift.cluster.reviews import ResourceAccess, access_allowed, review_token
from kubedrift.model import ClusterError, InputError

log = logging.getLogger(__name__)

API_GROUP = "kubedrift.io"
RESOURCE = "findings"
CACHE_TTL = 10.0
CACHE_SIZE = 1024


class AuthMode(enum.StrEnum):
    """The `--auth` choices."""

    KUBERNETES = "kubernetes"
    NONE = "none"


class Verb(enum.StrEnum):
    """The RBAC verb a request needs on `findings.kubedrift.io`."""

    GET = "get"
    LIST = "list"


class Decision(enum.Enum):
    """What the authoriser says about one request."""

    ALLOWED = 200
    UNAUTHENTICATED = 401
    FORBIDDEN = 403
    UNAVAILABLE = 503


class Authorizer(Protocol):
    """Decides whether the holder of `token` (None: no token sent) may use `verb`."""

    async def decide(self, token: str | None, verb: Verb) -> Decision:
        """The decision for one request."""
        ...


class OpenAccess:
    """`--auth none`: everyone who can connect may read (loopback only, see `check_listen`)."""

    async def decide(self, token: str | None, verb: Verb) -> Decision:
        """Always allowed."""
        return Decision.ALLOWED


class KubernetesAuth:
    """TokenReview + SubjectAccessReview against the cluster of `target`, cached briefly."""

    def __init__(
        self,
        target: ClusterTarget,
        *,
        ttl: float = CACHE_TTL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._target = target
        self._ttl = ttl
        self._clock = clock
        self._cache: dict[tuple[str, Verb], tuple[Decision, float]] = {}

    async def decide(self, token: str | None, verb: Verb) -> Decision:
        """See the module docstring; an unreachable API server is never cached."""
        if not token:
            return Decision.UNAUTHENTICATED
        key = (hashlib.sha256(token.encode()).hexdigest(), verb)
        cached = self._cache.get(key)
        if cached is not None and cached[1] > self._clock():
            return cached[0]
        try:
            decision = await self._review(token, verb)
        except ClusterError as err:
            log.warning("cannot review a dashboard token: %s", err)
            return Decision.UNAVAILABLE
        self._remember(key, decision)
        return decision

    async def _review(self, token: str, verb: Verb) -> Decision:
        async with Connection(self._target) as conn:
            user = await review_token(conn, token)
            if user is None:
                return Decision.UNAUTHENTICATED
            access = ResourceAccess(API_GROUP, RESOURCE, verb.value)
            allowed = await access_allowed(conn, user, access)
        if not allowed:
            log.info("dashboard: %s may not %s %s.%s", user.username, verb, RESOURCE, API_GROUP)
        return Decision.ALLOWED if allowed else Decision.FORBIDDEN

    def _remember(self, key: tuple[str, Verb], decision: Decision) -> None:
        now = self._clock()
        if len(self._cache) >= CACHE_SIZE:
            self._cache = {k: v for k, v in self._cache.items() if v[1] > now}
            if len(self._cache) >= CACHE_SIZE:  # all fresh: many tokens at once
                self._cache.clear()
        self._cache[key] = (decision, now + self._ttl)


def bearer_token(authorization: str | None) -> str | None:
    """The token of an `Authorization: Bearer <token>` header (None: absent or not Bearer)."""
    if not authorization:
        return None
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def check_listen(mode: AuthMode, host: str) -> None:
    """Refuse `--auth none` on any address but loopback (127.0.0.1, ::1, localhost)."""
    if mode is AuthMode.NONE and not is_loopback(host):
        raise InputError(
            f"--auth none serves drift to anyone who can connect: listen on 127.0.0.1 or "
            f"[::1], not {host or 'every address'} (or use --auth kubernetes)"
        )


def is_loopback(host: str) -> bool:
    """True for an address only this machine can reach."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def authorizer(mode: AuthMode, target: ClusterTarget) -> Authorizer:
    """The authoriser for a `--auth` choice."""
    return OpenAccess() if mode is AuthMode.NONE else KubernetesAuth(target)
