"""Leader election timing in virtual time: when a lease is renewed, lost, taken over.

The timing rules of `LeaderElector` (renew every retry period, step down within the renew
deadline, take over an abandoned lease only after the lease duration) are asserted here in
exact virtual seconds (`support.aio.VirtualClock`), so no CPU load can make them flake;
tests/cluster/test_lease.py runs the same elector against the real apiserver for the
races and the API's semantics (optimistic concurrency, RBAC), without timing bounds.

The Lease API here is a small in-memory one behind an httpx2 mock transport: GET, POST
(409 if it exists) and PUT (409 unless `metadata.resourceVersion` is the current one), and
403 for a candidate whose writes are "cut off". That is all the elector relies on.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx2
import pytest

from kubedrift.cluster.connection import ClusterTarget, Connection
from kubedrift.cluster.lease import _JITTER, LeaderElector, LeadershipLost
from support.aio import VirtualClock, run

LEASE = "/apis/coordination.k8s.io/v1/namespaces/default/leases"
TIMING = {"lease_duration": 15.0, "renew_deadline": 10.0, "retry_period": 2.0}
KUBECONFIG = """apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "http://lease.test"}}]
users: [{name: u, user: {token: t}}]
contexts: [{name: x, context: {cluster: c, user: u}}]
current-context: x
"""


class LeaseApi:
    """Leases in memory, with resourceVersions; writes by `cut_off` identities get 403."""

    def __init__(self) -> None:
        self.leases: dict[str, dict[str, Any]] = {}
        self.version = 0
        self.cut_off: set[str] = set()
        self.renewals: dict[str, list[float]] = {}

    def handler(self, identity: str, clock: VirtualClock) -> Callable[..., httpx2.Response]:
        def handle(request: httpx2.Request) -> httpx2.Response:
            name = request.url.path.removeprefix(LEASE).strip("/")
            if request.method == "GET":
                found = self.leases.get(name)
                return _json(200, found) if found else _json(404, {"reason": "NotFound"})
            if identity in self.cut_off:
                return _json(403, {"reason": "Forbidden", "message": "cut off"})
            body = json.loads(request.content)
            name = name or body["metadata"]["name"]
            current = self.leases.get(name)
            if request.method == "POST" and current is not None:
                return _json(409, {"reason": "AlreadyExists"})
            if request.method == "PUT" and (
                current is None
                or body["metadata"]["resourceVersion"] != current["metadata"]["resourceVersion"]
            ):
                return _json(409, {"reason": "Conflict"})
            self.version += 1
            body["metadata"]["resourceVersion"] = str(self.version)
            self.leases[name] = body
            holder = body["spec"].get("holderIdentity") or ""
            self.renewals.setdefault(holder, []).append(clock())
            return _json(200 if request.method == "PUT" else 201, body)

        return handle


def _json(status: int, body: dict[str, Any]) -> httpx2.Response:
    return httpx2.Response(status, json=body)


@asynccontextmanager
async def candidates(
    api: LeaseApi, clock: VirtualClock, tmp: Path, *names: str, **kw: Any
) -> AsyncIterator[list[LeaderElector]]:
    (tmp / "kubeconfig").write_text(KUBECONFIG)
    electors, clients = [], []
    for name in names:
        conn = Connection(ClusterTarget(kubeconfig=tmp / "kubeconfig"))
        transport = httpx2.MockTransport(api.handler(name, clock))
        conn._http = httpx2.AsyncClient(transport=transport, base_url="http://lease.test")
        clients.append(conn._http)
        electors.append(
            LeaderElector(
                conn, namespace="default", name="lease", identity=name,
                clock=clock, sleep=clock.sleep, **{**TIMING, **kw.get(name, {})},
            )
        )  # fmt: skip
    try:
        yield electors
    finally:
        for client in clients:
            await client.aclose()


async def forever() -> None:
    await asyncio.Event().wait()


async def until(clock: VirtualClock, check: Callable[[], bool], limit: float = 600.0) -> float:
    """Virtual seconds until `check()` holds (checked at every wake-up)."""
    start = clock()
    while not check():
        assert clock() - start < limit, "not within the virtual time limit"
        await clock.sleep(0.05)
    return clock() - start


async def stop(*tasks: asyncio.Task[Any]) -> None:
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


def virtual(test: Callable[[VirtualClock, LeaseApi], Awaitable[None]]) -> None:
    async def go() -> None:
        async with VirtualClock().running() as clock:
            await test(clock, LeaseApi())

    run(go(), timeout=30)


def test_a_leader_renews_every_retry_period_and_keeps_the_lease(tmp_path: Path) -> None:
    async def scenario(clock: VirtualClock, api: LeaseApi) -> None:
        async with candidates(api, clock, tmp_path, "a", "b") as (a, b):
            tasks = [asyncio.create_task(e.lead(forever)) for e in (a, b)]
            await until(clock, lambda: a.is_leader or b.is_leader)
            leader = a if a.is_leader else b
            await clock.sleep(10 * TIMING["lease_duration"])
            assert leader.is_leader
            assert not (a.is_leader and b.is_leader)
            await stop(*tasks)
        renewals = api.renewals[leader.identity]
        gaps = {round(later - earlier, 6) for earlier, later in itertools.pairwise(renewals)}
        assert gaps == {TIMING["retry_period"]}
        assert len(renewals) >= 10 * TIMING["lease_duration"] / TIMING["retry_period"]
        assert api.leases["lease"]["spec"]["holderIdentity"] == ""  # released when cancelled

    virtual(scenario)


def test_a_crashed_leader_is_replaced_only_after_the_lease_duration(tmp_path: Path) -> None:
    async def scenario(clock: VirtualClock, api: LeaseApi) -> None:
        async with candidates(api, clock, tmp_path, "crashing", "other") as (crashing, other):
            crashing.release_on_cancel = False
            leading = asyncio.create_task(crashing.lead(forever))
            await until(clock, lambda: crashing.is_leader)
            waiting = asyncio.create_task(other.lead(forever))
            await clock.sleep(5.0)
            await stop(leading)  # a crash: no release, the Lease still names "crashing"
            crashed = clock()
            last_renewal = api.renewals["crashing"][-1]
            await until(clock, lambda: other.is_leader)
            taken = clock()
            await stop(waiting)
        # expiry counts from when `other` saw the last renewal, at most one retry later
        retry = TIMING["retry_period"] * (1 + _JITTER)
        assert taken - last_renewal >= TIMING["lease_duration"]
        assert taken - last_renewal <= TIMING["lease_duration"] + 2 * retry
        assert taken > crashed

    virtual(scenario)


@pytest.mark.parametrize("ending", ["returns", "cancelled"])
def test_a_leader_that_steps_down_hands_over_within_one_retry(tmp_path: Path, ending: str) -> None:
    async def scenario(clock: VirtualClock, api: LeaseApi) -> None:
        done = asyncio.Event()

        async def work() -> None:
            await done.wait()

        async with candidates(api, clock, tmp_path, "first", "second") as (first, second):
            leading = asyncio.create_task(first.lead(work))
            await until(clock, lambda: first.is_leader)
            waiting = asyncio.create_task(second.lead(forever))
            await clock.sleep(TIMING["lease_duration"])  # long: only a release hands over
            assert not second.is_leader
            if ending == "cancelled":
                leading.cancel()
            else:
                done.set()
            await asyncio.gather(leading, return_exceptions=True)
            released = clock()
            elapsed = await until(clock, lambda: second.is_leader)
            holder = api.leases["lease"]["spec"]["holderIdentity"]
            await stop(waiting)
        assert holder == "second"
        assert clock() - released == elapsed
        assert elapsed <= TIMING["retry_period"] * (1 + _JITTER)  # released, not expired

    virtual(scenario)


def test_a_leader_cut_off_steps_down_before_anyone_takes_over(tmp_path: Path) -> None:
    async def scenario(clock: VirtualClock, api: LeaseApi) -> None:
        async with candidates(api, clock, tmp_path, "cut-off", "other") as (cut, other):
            leading = asyncio.create_task(cut.lead(forever))
            await until(clock, lambda: cut.is_leader)
            waiting = asyncio.create_task(other.lead(forever))
            await clock.sleep(3.0)
            api.cut_off.add("cut-off")  # its renewals are now forbidden
            last_renewal = api.renewals["cut-off"][-1]
            with pytest.raises(LeadershipLost):
                await leading
            lost = clock()
            await until(clock, lambda: other.is_leader)
            taken = clock()
            await stop(waiting)
        assert lost - last_renewal <= TIMING["renew_deadline"] + TIMING["retry_period"]
        assert taken - last_renewal >= TIMING["lease_duration"]
        assert lost < taken  # never two leaders: the old one stepped down first

    virtual(scenario)
