"""One translation from an apiserver answer (or a failed connection) to a typed error.

Callers decide by type, never by matching message text:

    ClusterError                      (model: what the CLI prints as one line)
    └── ApiError(status)              the apiserver answered with an HTTP error
        ├── Unauthorized   401        credentials missing or rejected
        ├── Forbidden      403        RBAC said no
        ├── NotFound       404
        ├── Conflict       409        exists already, or changed under a conditional write
        ├── Gone           410        a watch's resourceVersion is too old: relist
        ├── TooManyRequests 429       e.g. an eviction a PodDisruptionBudget refuses now
        └── Unavailable    5xx, or no answer at all (`status` 0)

lightkube's own `ApiError` (the clients that create and patch through lightkube:
`register.py`) is translated by `lightkube_error`, from the `Status` it carries, into the same
classes.

The messages are the ones users have always read (`forbidden: …`, `HTTP 500: …`,
`cannot reach the API server: …`); the library's exception stays chained as `__cause__`
so a debugger sees the real failure.
"""

from __future__ import annotations

import httpx2 as httpx
import msgspec
from lightkube import ApiError as LightkubeApiError

from kubedrift.model import ClusterError

_decoder = msgspec.json.Decoder()


class ApiError(ClusterError):
    """The apiserver answered `status` (0: it could not be reached)."""

    status: int = 0
    reason: str = ""
    """The `reason` of the apiserver's `Status` (`AlreadyExists`, `ServerTimeout`), when known."""
    server_message: str = ""
    """The `message` of the apiserver's `Status`, as it sent it."""

    def __init__(self, message: str, *, where: str | None = None, status: int | None = None):
        super().__init__(message, where=where)
        if status is not None:
            self.status = status


class Unauthorized(ApiError):
    """HTTP 401: the credentials are missing, expired or rejected."""

    status = 401


class Forbidden(ApiError):
    """HTTP 403: authenticated, but RBAC does not allow the request."""

    status = 403


class NotFound(ApiError):
    """HTTP 404: no such object (or no such resource served)."""

    status = 404


class Conflict(ApiError):
    """HTTP 409: the object already exists, or changed under a conditional write."""

    status = 409


class Gone(ApiError):
    """HTTP 410: the resourceVersion a watch asked for is compacted away; relist."""

    status = 410


class TooManyRequests(ApiError):
    """HTTP 429: try again later (rate limits; an eviction a PodDisruptionBudget refuses)."""

    status = 429


class Unavailable(ApiError):
    """HTTP 5xx, or no answer at all (`status` 0): the apiserver cannot serve now."""


_BY_STATUS: dict[int, type[ApiError]] = {
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    410: Gone,
    429: TooManyRequests,
}


def _class_of(status: int) -> type[ApiError]:
    return _BY_STATUS.get(status) or (Unavailable if status >= 500 else ApiError)


def api_error(status: int, message: str, *, where: str) -> ApiError:
    """The typed error for an HTTP `status` and the apiserver's `message`."""
    return _class_of(status)(_line(status, message), where=where, status=status)


def response_error(resp: httpx.Response, what: str) -> ApiError:
    """The typed error for an HTTP error response (its body read already)."""
    return api_error(resp.status_code, status_message(resp), where=what)


def lightkube_error(err: LightkubeApiError, *, where: str) -> ApiError:
    """The typed error for lightkube's `ApiError`, from the apiserver `Status` it carries."""
    status = err.status
    code = status.code if isinstance(status.code, int) else 0
    message = status.message or str(err)
    typed = api_error(code, message, where=where)
    typed.reason, typed.server_message = status.reason or "", message
    return typed


def transport_error(err: Exception, server: str) -> Unavailable:
    """The error for a request that got no answer (connection refused, timeout, TLS)."""
    reason = str(err) or type(err).__name__
    return Unavailable(f"cannot reach the API server: {reason}", where=server, status=0)


def status_error(status: dict[str, object], what: str) -> ApiError:
    """The typed error for a `Status` object a watch stream sent as an ERROR event."""
    code = status.get("code")
    message = str(status.get("message") or status.get("reason") or "unknown error")
    number = code if isinstance(code, int) else 0
    cls = _class_of(number)
    if cls is Gone:
        return Gone(message, where=what)
    return cls(f"watch error {code}: {message}", where=f"watch {what}", status=number)


def status_message(resp: httpx.Response) -> str:
    """The `message` of the apiserver's `Status` body, else the start of the body."""
    try:
        body = _decoder.decode(resp.content)
    except msgspec.DecodeError:
        return resp.text[:200].strip() or resp.reason_phrase
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        return str(body["message"])
    return resp.reason_phrase


def _line(status: int, message: str) -> str:
    if status == 401:
        return f"unauthorized (check the credentials): {message}"
    if status == 403:
        return f"forbidden: {message}"
    if status == 409:
        return f"conflict: {message}"
    return f"HTTP {status}: {message}"
