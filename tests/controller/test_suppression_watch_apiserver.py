"""Issue 14.4's proof in the watcher: a suppression silences, shows, expires and re-alerts.

Against the real apiserver, desired state is a Git repository whose KubedriftConfig
suppresses one field until a day; the recorder's clock is frozen and then moved past that
day. The suppressed drift is recorded (shown: status `suppressed`, a history note) but
raises no alert while an unsuppressed one does; after the day, one refresh brings it back
with a "suppression expired" alert and a timeline note. A `kubedrift suppress` entry in the
store silences an already-firing finding the same way (its alert resolves).
"""

from __future__ import annotations

import asyncio
import subprocess
import time
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from kubedrift.alerts.events import AlertEvent, alerts_from_delta
from kubedrift.alerts.summary import summary_line
from kubedrift.cluster.connection import ClusterTarget
from kubedrift.cluster.informer import InformerOptions
from kubedrift.controller.recorder import Recorded, Recorder
from kubedrift.controller.watcher import Watcher, WatchOptions
from kubedrift.model.suppression import Suppression
from kubedrift.store import HistoryFilter, SqlStore, StoredFinding
from support.apiserver import ApiServer

NS = "suppress-e2e"
CLUSTER = "e2e"
START = datetime.now(UTC).replace(microsecond=0)
UNTIL = (START + timedelta(days=2)).date()

DESIRED = f"""\
apiVersion: v1
kind: ConfigMap
metadata: {{name: serving, namespace: {NS}}}
data: {{max_model_len: "8192", gpu_memory_utilization: "0.90", dtype: bf16}}
"""
CONFIG = f"""\
apiVersion: kubedrift.io/v1alpha1
kind: KubedriftConfig
suppressions:
  - kind: ConfigMap
    name: serving
    path: /data/max_model_len
    reason: long-context trial, INC-7
    until: {UNTIL.isoformat()}
    by: al
"""


class FrozenClock:
    """The time the recorder reads: fixed until the test moves it."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def run(argv: list[str], cwd: Path | None = None) -> str:
    done = subprocess.run(argv, capture_output=True, text=True, cwd=cwd, check=False)
    if done.returncode:
        raise AssertionError(f"{' '.join(argv)}: {done.stderr}")
    return done.stdout


def kubectl(server: ApiServer, *args: str) -> str:
    return run(["kubectl", f"--kubeconfig={server.kubeconfig}", *args])


@dataclass
class Log:
    """Every recorded delta, and what alerts each one means."""

    store: SqlStore
    recorded: list[Recorded] = field(default_factory=list)
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    def __call__(self, recorded: Recorded) -> None:
        self.recorded.append(recorded)
        self.changed.set()

    def alerts(self) -> list[tuple[AlertEvent, str]]:
        return [
            (a.event, a.finding.path)
            for r in self.recorded
            for a in alerts_from_delta(CLUSTER, r.delta)
        ]

    def open(self) -> dict[str, StoredFinding]:
        return {s.finding.path: s for s in self.store.open_findings(HistoryFilter(CLUSTER))}

    async def until(self, what: str, check: Callable[[], bool], timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while not check():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}; open: {list(self.open())}")
            self.changed.clear()
            with suppress(TimeoutError):
                await asyncio.wait_for(self.changed.wait(), 0.5)


@pytest.fixture(scope="module")
def repo(apiserver: ApiServer, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("suppress-git")
    (folder / "app.yaml").write_text(DESIRED)
    (folder / "kubedrift.yaml").write_text(CONFIG)
    run(["git", "init", "-q", "-b", "main"], folder)
    run(["git", "add", "-A"], folder)
    git_id = ["-c", "user.name=t", "-c", "user.email=t@example.org"]
    run(["git", *git_id, "commit", "-q", "-m", "desired"], folder)
    kubectl(apiserver, "create", "namespace", NS)
    kubectl(apiserver, "apply", "-f", str(folder / "app.yaml"))
    return folder


def test_a_git_suppression_silences_shows_expires_and_realerts(
    apiserver: ApiServer, repo: Path, tmp_path: Path
) -> None:
    clock = FrozenClock(START)

    async def scenario() -> None:
        store = SqlStore.open(str(tmp_path / "timeline.db"))
        log = Log(store)
        recorder = Recorder(store, CLUSTER, [log], clock=clock)
        await recorder.start()
        options = WatchOptions(
            desired=(f"{repo}@HEAD",),
            target=ClusterTarget(kubeconfig=apiserver.kubeconfig),
            cluster=CLUSTER,
            check_nodes=False,
            informer=InformerOptions(backoff_initial=0.1, backoff_cap=0.5),
        )
        watcher = Watcher(options, recorder)
        task = asyncio.create_task(watcher.run())
        try:
            await asyncio.wait_for(watcher.initial_recorded.wait(), 30)
            assert recorder.config_suppressions[0].reason == "long-context trial, INC-7"
            await silenced_and_shown(apiserver, log)
            await expired_and_realerted(recorder, log, clock)
            await suppressed_from_the_store(recorder, log, clock)
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            recorder.close()
            store.close()

    asyncio.run(scenario())


async def silenced_and_shown(apiserver: ApiServer, log: Log) -> None:
    patch = '{"data": {"max_model_len": "32768", "gpu_memory_utilization": "0.98"}}'
    kubectl(apiserver, "patch", "configmap", "serving", "-n", NS, "-p", patch)
    await log.until("both edits", lambda: len(log.open()) == 2)
    shown = log.open()["/data/max_model_len"]
    assert shown.finding.status == "suppressed"  # recorded and shown, not dropped
    assert shown.finding.suppression is not None
    assert shown.finding.suppression.until == UNTIL
    assert log.store.changes(shown.id)[0].note == (
        f"suppressed until {UNTIL} by al: long-context trial, INC-7"
    )
    assert log.open()["/data/gpu_memory_utilization"].finding.status == "active"
    assert log.alerts() == [(AlertEvent.NEW, "/data/gpu_memory_utilization")]


async def expired_and_realerted(recorder: Recorder, log: Log, clock: FrozenClock) -> None:
    clock.now = datetime.combine(UNTIL, datetime.min.time(), UTC) + timedelta(hours=23)
    assert await recorder.refresh_suppressions() is None  # `until` is the last day it holds
    before = len(log.alerts())
    clock.now += timedelta(hours=1)  # the day after `until` has begun
    recorded = await recorder.refresh_suppressions()
    assert recorded is not None
    [back] = alerts_from_delta(CLUSTER, recorded.delta)
    assert back.event is AlertEvent.SUPPRESSION_EXPIRED
    assert back.finding.path == "/data/max_model_len"
    assert summary_line(back).startswith(
        f"suppression expired (suppressed until {UNTIL} by al: long-context trial, INC-7)"
    )
    assert len(log.alerts()) == before + 1
    stored = log.open()["/data/max_model_len"]
    assert stored.finding.status == "active"
    assert str(log.store.changes(stored.id)[-1].note).startswith("suppression expired (was: ")
    assert sum(recorder.counts().values()) == 2  # counted again


async def suppressed_from_the_store(recorder: Recorder, log: Log, clock: FrozenClock) -> None:
    rule = Suppression(
        "driver canary", (clock.now + timedelta(days=1)).date(), "bo",
        path="/data/gpu_memory_utilization",
    )  # fmt: skip
    log.store.add_suppression(rule, at=clock.now)
    recorded = await recorder.refresh_suppressions()
    assert recorded is not None
    [quiet] = alerts_from_delta(CLUSTER, recorded.delta)
    assert quiet.event is AlertEvent.SUPPRESSED
    assert quiet.status.value == "resolved"
    shown = log.open()["/data/gpu_memory_utilization"].finding
    assert shown.suppression == replace(rule, source="store #1")
    assert shown.status == "suppressed"
    assert sum(recorder.counts().values()) == 1  # shown, no longer counted
