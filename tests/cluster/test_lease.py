"""Leader election on a Lease: the pure takeover decision, then real races on the apiserver.

The apiserver tests check who leads and what the Lease says, never how fast: the timing
rules (renewal period, renew deadline, expiry) are pinned in virtual time in
tests/cluster/test_lease_timing.py, where no CPU load can stretch them.
"""

from __future__ import annotations

import asyncio
import random
import re
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from kubedrift.cluster.connection import ClusterTarget, Connection
from kubedrift.cluster.lease import (
    LeaderElector,
    LeadershipLost,
    LeaseRecord,
    Observed,
    Step,
    decide,
    micro_time,
    next_record,
    observe,
)
from kubedrift.cluster.rest import send_json
from support.aio import run
from support.apiserver import ApiServer

NS = "default"
FAST = {"lease_duration": 2.0, "renew_deadline": 1.5, "retry_period": 0.2}
MICRO_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")
THEIRS = LeaseRecord("other", 15, "2026-12-01T08:00:00.000000Z", "2026-12-01T08:00:00.000000Z", 3)

# -- the pure decision ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("observed", "now", "step"),
    [
        (None, 0.0, Step.CREATE),
        (Observed(THEIRS, at=100.0), 100.0, Step.WAIT),
        (Observed(THEIRS, at=100.0), 114.9, Step.WAIT),
        (Observed(THEIRS, at=100.0), 115.0, Step.ACQUIRE),
        (Observed(LeaseRecord(holder="me", duration=15), at=100.0), 500.0, Step.RENEW),
        (Observed(LeaseRecord(holder="", duration=15), at=100.0), 100.0, Step.ACQUIRE),
        (Observed(LeaseRecord(holder="other", duration=0), at=100.0), 100.0, Step.ACQUIRE),
    ],
)
def test_decide(observed: Observed | None, now: float, step: Step) -> None:
    assert decide(observed, "me", now) is step


def test_expiry_counts_from_our_observation_not_the_remote_renew_time() -> None:
    # renewTime says 2026 (a remote clock far ahead); only our own clock matters.
    first = observe(None, THEIRS, now=100.0)
    assert observe(first, THEIRS, now=110.0) is first  # unchanged: still seen at 100
    assert decide(observe(first, THEIRS, now=115.0), "me", 115.0) is Step.ACQUIRE
    renewed = LeaseRecord.from_spec({**THEIRS.to_spec(), "renewTime": micro_time()})
    again = observe(first, renewed, now=114.0)
    assert again.at == 114.0
    assert decide(again, "me", 128.0) is Step.WAIT


def test_next_record_renews_keeping_acquire_time_or_takes_over_counting() -> None:
    mine = LeaseRecord("me", 15, "2026-12-01T08:00:00.000000Z", "2026-12-01T08:00:00.000000Z", 4)
    renewed = next_record(mine, "me", 15, "2026-12-01T08:00:02.000000Z")
    assert renewed == LeaseRecord("me", 15, mine.acquire_time, "2026-12-01T08:00:02.000000Z", 4)
    taken = next_record(THEIRS, "me", 2, "2026-12-01T09:00:00.000000Z")
    assert taken == LeaseRecord("me", 2, taken.renew_time, "2026-12-01T09:00:00.000000Z", 4)
    assert next_record(None, "me", 2, "t").transitions == 0


def test_record_round_trips_a_lease_spec() -> None:
    assert LeaseRecord.from_spec(THEIRS.to_spec()) == THEIRS
    assert LeaseRecord.from_spec({}) == LeaseRecord()
    assert "acquireTime" not in LeaseRecord("me", 2).to_spec()


def test_micro_time_is_rfc3339_with_microseconds() -> None:
    assert MICRO_TIME.match(micro_time())


@pytest.mark.parametrize(
    "timing",
    [
        {"lease_duration": 2.0, "renew_deadline": 2.0, "retry_period": 0.2},
        {"lease_duration": 2.0, "renew_deadline": 0.2, "retry_period": 0.2},
        {"lease_duration": 2.0, "renew_deadline": 1.0, "retry_period": 0.0},
    ],
)
def test_timings_must_leave_room_to_step_down(timing: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="lease_duration"):
        LeaderElector(None, namespace=NS, name="x", identity="me", **timing)  # type: ignore[arg-type]


# -- the real apiserver ---------------------------------------------------------------------


class Guard:
    """Records every moment an elector became leader while another still led."""

    def __init__(self) -> None:
        self.electors: list[LeaderElector] = []
        self.violations: list[str] = []
        self.terms: list[str] = []

    def add(self, conn: Connection, lease: str, identity: str, **kw: Any) -> LeaderElector:
        def changed(leading: bool) -> None:
            if leading:
                self.terms.append(identity)
                others = [e.identity for e in self.electors if e.is_leader and e is not elector]
                if others:
                    self.violations.append(f"{identity} led while {others} did")

        timing = {**FAST, **kw}
        elector = LeaderElector(
            conn, namespace=NS, name=lease, identity=identity, on_change=changed, **timing
        )
        self.electors.append(elector)
        return elector

    async def sample(self) -> None:
        """Also sample the flags, in case a change skipped the callback."""
        while True:
            leading = [e.identity for e in self.electors if e.is_leader]
            if len(leading) > 1:
                self.violations.append(f"sampled {leading} leading at once")
            await asyncio.sleep(0.02)


@pytest.fixture
def lease() -> str:
    return f"lease-{uuid.uuid4().hex[:8]}"


@asynccontextmanager
async def connected(kubeconfig: Path, count: int) -> AsyncIterator[list[Connection]]:
    conns = [Connection(ClusterTarget(kubeconfig=kubeconfig)) for _ in range(count)]
    for conn in conns:
        await conn.__aenter__()
    try:
        yield conns
    finally:
        for conn in conns:
            await conn.__aexit__(None, None, None)


async def forever() -> None:
    await asyncio.Event().wait()


async def until(predicate: Callable[[], bool], timeout: float) -> float:
    """Seconds until `predicate()` holds; fails the test after `timeout`."""
    start = time.monotonic()
    while not predicate():
        assert time.monotonic() - start < timeout, "condition not met in time"
        await asyncio.sleep(0.01)
    return time.monotonic() - start


async def renewed(conn: Connection, name: str) -> dict[str, Any]:
    """The Lease's spec once its holder has renewed it at least twice."""
    first = (await read_lease(conn, name))["spec"]["renewTime"]
    seen = {first}
    while len(seen) < 3:
        await asyncio.sleep(0.05)
        seen.add((await read_lease(conn, name))["spec"]["renewTime"])
    return dict((await read_lease(conn, name))["spec"])


async def read_lease(conn: Connection, name: str) -> dict[str, Any]:
    lease = await conn.get_json(f"/apis/coordination.k8s.io/v1/namespaces/{NS}/leases/{name}")
    assert lease is not None
    return lease


def test_two_candidates_one_leader_that_keeps_renewing(apiserver: ApiServer, lease: str) -> None:
    async def go() -> None:
        async with connected(apiserver.kubeconfig, 2) as (c1, c2):
            guard = Guard()
            electors = [guard.add(c1, lease, "a"), guard.add(c2, lease, "b")]
            tasks = [asyncio.create_task(e.lead(forever)) for e in electors]
            sampler = asyncio.create_task(guard.sample())
            await until(lambda: any(e.is_leader for e in guard.electors), 10)
            spec = await renewed(c1, lease)
            for task in (*tasks, sampler):
                task.cancel()
            await asyncio.gather(*tasks, sampler, return_exceptions=True)
        assert len(guard.terms) == 1, guard.terms
        assert guard.violations == []
        assert spec["holderIdentity"] == guard.terms[0]
        assert spec["leaseDurationSeconds"] == 2
        assert spec["leaseTransitions"] == 0
        assert MICRO_TIME.match(spec["renewTime"])
        assert spec["renewTime"] > spec["acquireTime"]

    run(go())


@pytest.mark.parametrize("ending", ["returns", "raises", "cancelled"])
def test_a_leader_that_steps_down_hands_over_promptly(
    apiserver: ApiServer, lease: str, ending: str
) -> None:
    async def go() -> None:
        done = asyncio.Event()

        async def work() -> None:
            await done.wait()
            if ending == "raises":
                raise RuntimeError("work failed")

        async with connected(apiserver.kubeconfig, 2) as (c1, c2):
            guard = Guard()
            first, second = guard.add(c1, lease, "first"), guard.add(c2, lease, "second")
            leading = asyncio.create_task(first.lead(work))
            await until(lambda: first.is_leader, 10)
            waiting = asyncio.create_task(second.lead(forever))
            await until(lambda: bool(second._observed), 10)  # it has seen first's Lease
            assert not second.is_leader
            if ending == "cancelled":
                leading.cancel()
            else:
                done.set()
            outcome = (await asyncio.gather(leading, return_exceptions=True))[0]
            await until(lambda: second.is_leader, 10)
            spec = (await read_lease(c1, lease))["spec"]
            waiting.cancel()
            await asyncio.gather(waiting, return_exceptions=True)
        expected = {"returns": type(None), "raises": RuntimeError}
        assert type(outcome) is expected.get(ending, asyncio.CancelledError)
        assert (spec["holderIdentity"], spec["leaseTransitions"]) == ("second", 1)
        assert guard.violations == []

    run(go())


def test_a_leader_that_stops_renewing_is_replaced_after_the_lease_duration(
    apiserver: ApiServer, lease: str
) -> None:
    async def go() -> None:
        async with connected(apiserver.kubeconfig, 2) as (c1, c2):
            guard = Guard()
            crashing = guard.add(c1, lease, "crashing", release_on_cancel=False)
            other = guard.add(c2, lease, "other")
            leading = asyncio.create_task(crashing.lead(forever))
            await until(lambda: crashing.is_leader, 10)
            waiting = asyncio.create_task(other.lead(forever))
            await until(lambda: bool(other._observed), 10)
            leading.cancel()  # a crash: no release, the Lease still names "crashing"
            await asyncio.gather(leading, return_exceptions=True)
            assert (await read_lease(c1, lease))["spec"]["holderIdentity"] == "crashing"
            await until(lambda: other.is_leader, 10)
            spec = (await read_lease(c1, lease))["spec"]
            waiting.cancel()
            await asyncio.gather(waiting, return_exceptions=True)
        assert (spec["holderIdentity"], spec["leaseTransitions"]) == ("other", 1)
        assert guard.violations == []

    run(go())


def test_a_lease_taken_by_force_is_lost_at_the_next_renewal(
    apiserver: ApiServer, lease: str
) -> None:
    async def go() -> None:
        cancelled = asyncio.Event()

        async def work() -> None:
            try:
                await forever()
            finally:
                cancelled.set()

        async with connected(apiserver.kubeconfig, 2) as (c1, admin):
            elector = Guard().add(c1, lease, "victim")
            leading = asyncio.create_task(elector.lead(work))
            await until(lambda: elector.is_leader, 10)
            taken = await read_lease(admin, lease)
            taken["spec"] |= {"holderIdentity": "intruder", "renewTime": micro_time()}
            path = f"/apis/coordination.k8s.io/v1/namespaces/{NS}/leases/{lease}"
            await send_json(admin, "PUT", path, taken, what=lease)
            with pytest.raises(LeadershipLost, match="could not renew"):
                await leading
            spec = (await read_lease(admin, lease))["spec"]
        assert cancelled.is_set()
        assert not elector.is_leader
        assert spec["holderIdentity"] == "intruder"  # a lost lease is not "released"

    run(go())


def test_racing_candidates_never_lead_at_once(apiserver: ApiServer, lease: str) -> None:
    async def go() -> None:
        async def short_term() -> None:
            await asyncio.sleep(0.3)

        async def campaign(elector: LeaderElector) -> None:
            while True:
                await elector.lead(short_term)
                await asyncio.sleep(random.uniform(0, 0.2))  # meet the others' retries

        async with connected(apiserver.kubeconfig, 3) as conns:
            guard = Guard()
            electors = [guard.add(c, lease, f"e{i}") for i, c in enumerate(conns)]
            tasks = [asyncio.create_task(campaign(e)) for e in electors]
            sampler = asyncio.create_task(guard.sample())
            await until(lambda: len(guard.terms) >= 6, 20)
            for task in (*tasks, sampler):
                task.cancel()
            await asyncio.gather(*tasks, sampler, return_exceptions=True)
        assert guard.violations == []

    run(go())


async def grant_leases(admin: Connection, account: str) -> str:
    """A ServiceAccount allowed to campaign in NS (Role + RoleBinding); returns its token."""
    rbac, core = "/apis/rbac.authorization.k8s.io/v1/namespaces", "/api/v1/namespaces"
    meta = {"name": account, "namespace": NS}
    await send_json(admin, "POST", f"{core}/{NS}/serviceaccounts", {"metadata": meta}, what="sa")
    rule = {"apiGroups": ["coordination.k8s.io"], "resources": ["leases"]}
    role = {"metadata": meta, "rules": [rule | {"verbs": ["get", "create", "update"]}]}
    await send_json(admin, "POST", f"{rbac}/{NS}/roles", role, what="role")
    binding = {
        "metadata": meta,
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": account},
        "subjects": [{"kind": "ServiceAccount", "name": account, "namespace": NS}],
    }
    await send_json(admin, "POST", f"{rbac}/{NS}/rolebindings", binding, what="binding")
    path = f"{core}/{NS}/serviceaccounts/{account}/token"
    answer = await send_json(admin, "POST", path, {"spec": {"expirationSeconds": 600}}, what="t")
    return str(answer["status"]["token"])


def test_a_leader_cut_off_steps_down_before_anyone_takes_over(
    apiserver: ApiServer, lease: str, tmp_path: Path
) -> None:
    async def go() -> None:
        async with connected(apiserver.kubeconfig, 2) as (admin, c2):
            token = await grant_leases(admin, lease)
            kubeconfig = apiserver.kubeconfig_for(token, tmp_path / "kubeconfig")
            async with connected(kubeconfig, 1) as (c1,):
                guard = Guard()
                cut_off, other = guard.add(c1, lease, "cut-off"), guard.add(c2, lease, "other")
                sampler = asyncio.create_task(guard.sample())
                leading = asyncio.create_task(cut_off.lead(forever))
                await until(lambda: cut_off.is_leader, 10)
                waiting = asyncio.create_task(other.lead(forever))
                await until(lambda: bool(other._observed), 10)
                path = f"/apis/rbac.authorization.k8s.io/v1/namespaces/{NS}/rolebindings/{lease}"
                await admin.http.delete(path)  # its renewals are now forbidden
                with pytest.raises(LeadershipLost):
                    await leading
                await until(lambda: other.is_leader, 10)
                for task in (waiting, sampler):
                    task.cancel()
                await asyncio.gather(waiting, sampler, return_exceptions=True)
        assert guard.violations == []
        assert guard.terms == ["cut-off", "other"]

    run(go())


def test_simultaneous_attempts_one_wins_the_write(apiserver: ApiServer, lease: str) -> None:
    async def go() -> None:
        async with connected(apiserver.kubeconfig, 2) as conns:
            electors = [Guard().add(c, lease, f"e{i}") for i, c in enumerate(conns)]
            for _ in range(5):  # the first round races to create, the others to take over
                won = await asyncio.gather(*(e.try_acquire_or_renew() for e in electors))
                assert sorted(won) == [False, True]
                await electors[won.index(True)].release()

    run(go())
