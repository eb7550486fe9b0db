"""The dashboard and API as one FastAPI app, with the security that every response carries.

`build_dashboard(store, authorizer)` serves the HTML pages (`web.py`), the JSON API
(`routes.py`), its OpenAPI description at `/api/v1/openapi.json`, and `/static/…`. The
controller mounts it beside `/metrics` and `/healthz`; `kubedrift serve` runs it alone.

Read-only by construction: only GET (and HEAD) routes exist, so a forged cross-site form can
change nothing (405 for every other method). Every response carries a Content-Security-
Policy without inline script or style (`default-src 'none'`, scripts and styles from
`'self'` only), `X-Content-Type-Options: nosniff`, `X-Frame-Options: DENY` with CSP
`frame-ancestors 'none'` (no clickjacking), `Referrer-Policy: no-referrer` (filter values
stay in the page) and `Cache-Control: no-store` (drift is not cached by shared proxies).

Errors are one line: JSON `{"schema": "kubedrift/v1", "error": …}` under `/api`, a small page
elsewhere; 401 adds `WWW-Authenticate: Bearer`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from importlib import resources

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles

from kubedrift.api.auth import Authorizer, Decision
from kubedrift.api.documents import SCHEMA
from kubedrift.api.risk import ChildAssess, RiskCache
from kubedrift.api.routes import NotFound, Refused, Unavailable, api_router
from kubedrift.api.web import templates, web_router
from kubedrift.model import InputError
from kubedrift.store import SqlStore, StoreError

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}
_REFUSALS = {
    Decision.UNAUTHENTICATED: "a valid bearer token is required (Authorization: Bearer …)",
    Decision.FORBIDDEN: "this user may not read drift (RBAC: list findings.kubedrift.io)",
    Decision.UNAVAILABLE: "cannot check the token: the Kubernetes API server is unreachable",
}


def build_dashboard(store: SqlStore, authorizer: Authorizer) -> FastAPI:
    """The app serving `store` to whoever `authorizer` lets in."""
    app = FastAPI(
        title="kubedrift",
        summary="Drift findings recorded by kubedrift (read-only)",
        version="v1",
        openapi_url="/api/v1/openapi.json",
        docs_url=None,
        redoc_url=None,
    )
    static = resources.files("kubedrift.api") / "static"
    app.mount("/static", StaticFiles(directory=str(static)), name="static")
    # one cache: the API and the pages show the same predictions, trained in a child
    risks = RiskCache(store, assess=ChildAssess(store.connect_url()))
    app.include_router(api_router(store, authorizer, risks))
    app.include_router(web_router(store, authorizer, risks))
    app.middleware("http")(_security_headers)
    _error_handlers(app)
    return app


async def _security_headers(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    response = await call_next(request)
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def _error_handlers(app: FastAPI) -> None:
    env = templates()

    def answer(request: Request, status: int, message: str, **headers: str) -> Response:
        if request.url.path.startswith("/api/"):
            body = {"schema": SCHEMA, "error": message}
            return JSONResponse(body, status_code=status, headers=headers)
        page = env.get_template("error.html").render(
            title=f"Error {status}", message=message, clusters=[], cluster="", path="/"
        )
        return HTMLResponse(page, status_code=status, headers=headers)

    @app.exception_handler(Refused)
    async def refused(request: Request, exc: Refused) -> Response:
        extra = {"WWW-Authenticate": "Bearer"} if exc.decision is Decision.UNAUTHENTICATED else {}
        return answer(request, exc.decision.value, _REFUSALS[exc.decision], **extra)

    @app.exception_handler(InputError)
    async def bad_input(request: Request, exc: InputError) -> Response:
        return answer(request, 400, str(exc))

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()) if p not in ("path", "query"))
        return answer(request, 400, f"{where or 'request'}: {first.get('msg', 'invalid')}")

    @app.exception_handler(NotFound)
    async def not_found(request: Request, exc: NotFound) -> Response:
        return answer(request, 404, str(exc))

    @app.exception_handler(Unavailable)
    async def unavailable(request: Request, exc: Unavailable) -> Response:
        return answer(request, 503, str(exc), **{"Retry-After": exc.retry_after})

    @app.exception_handler(StoreError)
    async def store_error(request: Request, exc: StoreError) -> Response:
        return answer(request, 503, str(exc))
