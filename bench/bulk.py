"""Bulk creation on the test-bed apiserver: parallel POSTs over one HTTP/1.1 pool.

`register()` (kubedrift's own, for simulated fleets) creates objects in dependency waves
through lightkube, ~40 objects/s on a loaded 2-core machine; a benchmark that needs tens of
thousands of plain objects sends them `CONCURRENCY` at a time instead.
"""

from __future__ import annotations

import asyncio
import json
import ssl
import time
from typing import Any

CONCURRENCY = 32


def collection_path(obj: dict[str, Any]) -> str:
    """Where an object of a built-in kind is POSTed (namespaced, or Namespaces)."""
    kind, ns = obj["kind"], obj.get("metadata", {}).get("namespace")
    if kind == "Namespace":
        return "/api/v1/namespaces"
    plural = {"ConfigMap": "configmaps", "Deployment": "deployments"}[kind]
    prefix = "/api/v1" if obj["apiVersion"] == "v1" else f"/apis/{obj['apiVersion']}"
    return f"{prefix}/namespaces/{ns}/{plural}"


async def send_all(
    server: Any,
    requests: list[tuple[str, str, dict[str, Any], dict[str, str]]],
    *,
    headers: dict[str, str] | None = None,
) -> float:
    """(method, path, body, params) each, `CONCURRENCY` at a time; the seconds it took.

    409 (exists already) is fine: a re-run on the same server."""
    import httpx2

    from support.apiserver import ADMIN_TOKEN

    ctx = ssl.create_default_context(cafile=str(server.ca_file))
    base = {"Authorization": f"Bearer {ADMIN_TOKEN}", "Content-Type": "application/json"}
    limits = httpx2.Limits(max_connections=CONCURRENCY)
    start = time.perf_counter()
    async with httpx2.AsyncClient(
        base_url=server.url, verify=ctx, headers={**base, **(headers or {})}, limits=limits,
        timeout=120.0,
    ) as http:  # fmt: skip
        gate = asyncio.Semaphore(CONCURRENCY)

        async def one(method: str, path: str, body: dict[str, Any], params: dict[str, str]) -> None:
            async with gate:
                resp = await http.request(method, path, content=json.dumps(body), params=params)
            if resp.status_code >= 300 and resp.status_code != 409:
                raise RuntimeError(f"{method} {path}: {resp.status_code} {resp.text[:200]}")

        await asyncio.gather(*(one(*r) for r in requests))
    return time.perf_counter() - start


async def create_all(server: Any, objects: list[dict[str, Any]], field_manager: str) -> float:
    """Namespaces first, then every object; the seconds it took."""
    spaces = sorted({o["metadata"]["namespace"] for o in objects if o["metadata"].get("namespace")})
    ns = [("POST", "/api/v1/namespaces", {"metadata": {"name": n}}, {}) for n in spaces]
    took = await send_all(server, ns)
    params = {"fieldManager": field_manager}
    return took + await send_all(server, [("POST", collection_path(o), o, params) for o in objects])
