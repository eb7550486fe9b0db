"""Who holds a bearer token, and may they do something: TokenReview and SubjectAccessReview.

The dashboard and API delegate both questions to the cluster, as kube-rbac-proxy does in
front of Prometheus exporters (github.com/brancz/kube-rbac-proxy: a TokenReview
authenticates the token, a SubjectAccessReview with `resourceAttributes` authorises the
request), so cluster RBAC decides who may see drift. Both are `create` calls on
`authentication.k8s.io/v1` and `authorization.k8s.io/v1` (present since Kubernetes 1.6).

The token is sent to the API server only: it never appears in an error or a log line.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx2 as httpx

from kubedrift.cluster.connection import Connection, decode
from kubedrift.model import ClusterError

TOKEN_REVIEWS = "/apis/authentication.k8s.io/v1/tokenreviews"
ACCESS_REVIEWS = "/apis/authorization.k8s.io/v1/subjectaccessreviews"


@dataclass(frozen=True, slots=True)
class ReviewedUser:
    """The user a token belongs to, as the API server authenticated it."""

    username: str
    uid: str
    groups: tuple[str, ...]
    extra: tuple[tuple[str, tuple[str, ...]], ...] = ()


@dataclass(frozen=True, slots=True)
class ResourceAccess:
    """What a request wants to do, in RBAC terms (`verb` on `group`/`resource`)."""

    group: str
    resource: str
    verb: str


async def review_token(conn: Connection, token: str) -> ReviewedUser | None:
    """The user behind `token`, or None when the API server does not authenticate it."""
    body = {
        "apiVersion": "authentication.k8s.io/v1",
        "kind": "TokenReview",
        "spec": {"token": token},
    }
    status = (await _create(conn, TOKEN_REVIEWS, body, "TokenReview")).get("status", {})
    if not status.get("authenticated"):
        return None
    user = status.get("user", {})
    extra = tuple(sorted((k, tuple(v)) for k, v in (user.get("extra") or {}).items()))
    return ReviewedUser(
        username=str(user.get("username", "")),
        uid=str(user.get("uid", "")),
        groups=tuple(user.get("groups") or ()),
        extra=extra,
    )


async def access_allowed(conn: Connection, user: ReviewedUser, access: ResourceAccess) -> bool:
    """Whether RBAC (or whichever authoriser the cluster runs) lets `user` do `access`."""
    body = {
        "apiVersion": "authorization.k8s.io/v1",
        "kind": "SubjectAccessReview",
        "spec": {
            "user": user.username,
            "uid": user.uid,
            "groups": list(user.groups),
            "extra": {k: list(v) for k, v in user.extra},
            "resourceAttributes": {
                "group": access.group,
                "resource": access.resource,
                "verb": access.verb,
            },
        },
    }
    status = (await _create(conn, ACCESS_REVIEWS, body, "SubjectAccessReview")).get("status", {})
    return bool(status.get("allowed"))


async def _create(conn: Connection, path: str, body: dict[str, Any], what: str) -> dict[str, Any]:
    try:
        resp = await conn.http.post(path, json=body)
    except httpx.HTTPError as err:
        reason = str(err) or type(err).__name__
        raise ClusterError(f"cannot reach the API server: {reason}", where=conn.server) from None
    if resp.status_code >= 400:
        raise ClusterError(
            f"{what} refused with HTTP {resp.status_code} (the account needs `create` on it)",
            where=conn.server,
        )
    return decode(resp.content, where=what)
