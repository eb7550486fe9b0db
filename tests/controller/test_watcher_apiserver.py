"""Issue 6's proof for object drift: the watcher against the real apiserver, end to end.

Another client (kubectl) changes what desired declares; the watcher's stored timeline must
show the finding with its manager, the revert must resolve it, a deleted object must be
reported missing and resolve when it is back, a new desired revision must be picked up on
`reload()`, and an apiserver stopped and restarted mid-watch must lose no change.
"""

from __future__ import annotations

import asyncio
import subprocess
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from kubedrift.cluster.connection import ClusterTarget
from kubedrift.cluster.informer import InformerOptions
from kubedrift.controller.recorder import Recorded, Recorder
from kubedrift.controller.watcher import Watcher, WatchOptions
from kubedrift.store import HistoryFilter, SqlStore, StoredFinding
from support.apiserver import ApiServer
from support.tcpproxy import TcpProxy

NS = "watch-e2e"
CLUSTER = "e2e"

DESIRED = """\
apiVersion: v1
kind: ConfigMap
metadata: {name: serving-config, namespace: watch-e2e}
data: {gpu_memory_utilization: "0.90", max_model_len: "8192"}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: llm, namespace: watch-e2e}
spec:
  replicas: 2
  selector: {matchLabels: {app: llm}}
  template:
    metadata: {labels: {app: llm}}
    spec:
      containers:
        - name: server
          image: vllm/vllm-openai:v0.6.3
          resources: {limits: {nvidia.com/gpu: 1}}
"""


def kubectl(server: ApiServer, *args: str, stdin: str | None = None) -> str:
    argv = ["kubectl", f"--kubeconfig={server.kubeconfig}", *args]
    done = subprocess.run(argv, capture_output=True, text=True, input=stdin, check=False)
    if done.returncode:
        raise AssertionError(f"kubectl {' '.join(args)}: {done.stderr}")
    return done.stdout


@dataclass
class Timeline:
    """What the watcher recorded, as it happened."""

    store: SqlStore
    recorded: list[Recorded] = field(default_factory=list)
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    def __call__(self, recorded: Recorded) -> None:
        self.recorded.append(recorded)
        self.changed.set()

    def open(self) -> list[StoredFinding]:
        return self.store.open_findings(HistoryFilter(cluster=CLUSTER))

    async def until(self, what: str, check: Callable[[], bool], timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while not check():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                opened = [(str(s.finding.object), s.finding.path) for s in self.open()]
                raise AssertionError(f"timed out waiting for {what}; open: {opened}")
            self.changed.clear()
            with suppress(TimeoutError):
                await asyncio.wait_for(self.changed.wait(), min(remaining, 0.5))


def _paths(timeline: Timeline) -> set[tuple[str, str]]:
    return {(str(s.finding.object), s.finding.path) for s in timeline.open()}


@pytest.fixture(scope="module")
def desired(apiserver: ApiServer, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("watch-desired")
    (folder / "app.yaml").write_text(DESIRED)
    kubectl(apiserver, "create", "namespace", NS)
    kubectl(apiserver, "apply", "-f", str(folder / "app.yaml"))
    return folder


@asynccontextmanager
async def watching(
    server: ApiServer, desired: Path, db: Path
) -> AsyncIterator[tuple[Watcher, Timeline]]:
    store = SqlStore.open(str(db))
    timeline = Timeline(store)
    recorder = Recorder(store, CLUSTER, [timeline])
    await recorder.start()
    options = WatchOptions(
        desired=(str(desired),),
        target=ClusterTarget(kubeconfig=server.kubeconfig),
        cluster=CLUSTER,
        check_nodes=False,
        informer=InformerOptions(backoff_initial=0.1, backoff_cap=0.5),
    )
    watcher = Watcher(options, recorder)
    task = asyncio.create_task(watcher.run())
    try:
        await asyncio.wait_for(watcher.initial_recorded.wait(), 30)
        yield watcher, timeline
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        recorder.close()
        store.close()


def test_edits_by_another_client_are_found_attributed_and_resolved(
    apiserver: ApiServer, desired: Path, tmp_path: Path
) -> None:
    async def scenario() -> None:
        async with watching(apiserver, desired, tmp_path / "timeline.db") as (_, timeline):
            assert timeline.open() == [], "the applied set must watch clean"

            kubectl(
                apiserver, "patch", "configmap", "serving-config", "-n", NS,
                "-p", '{"data": {"gpu_memory_utilization": "0.98"}}',
            )  # fmt: skip
            key = ("ConfigMap/watch-e2e/serving-config", "/data/gpu_memory_utilization")
            await timeline.until("the edit", lambda: key in _paths(timeline))
            (stored,) = timeline.open()
            assert (stored.finding.desired, stored.finding.live) == ("0.90", "0.98")
            assert stored.finding.manager == "kubectl-patch"
            assert stored.finding.changed_at is not None

            kubectl(apiserver, "scale", "deployment", "llm", "-n", NS, "--replicas=5")
            scaled = ("Deployment/watch-e2e/llm", "/spec/replicas")
            await timeline.until("the scale", lambda: scaled in _paths(timeline))

            kubectl(
                apiserver, "patch", "configmap", "serving-config", "-n", NS,
                "-p", '{"data": {"gpu_memory_utilization": "0.90"}}',
            )  # fmt: skip
            kubectl(apiserver, "scale", "deployment", "llm", "-n", NS, "--replicas=2")
            await timeline.until("the reverts", lambda: timeline.open() == [])
            resolved = timeline.store.history(HistoryFilter(cluster=CLUSTER))
            assert {(str(s.finding.object), s.finding.path) for s in resolved} == {key, scaled}
            assert all(s.resolved_at is not None for s in resolved)

    asyncio.run(scenario())


def test_a_deleted_object_is_missing_until_it_is_back(
    apiserver: ApiServer, desired: Path, tmp_path: Path
) -> None:
    async def scenario() -> None:
        async with watching(apiserver, desired, tmp_path / "timeline.db") as (_, timeline):
            kubectl(apiserver, "delete", "configmap", "serving-config", "-n", NS)
            missing = ("ConfigMap/watch-e2e/serving-config", "")
            await timeline.until("the deletion", lambda: missing in _paths(timeline))
            assert timeline.open()[0].finding.rule == "object-missing"

            kubectl(apiserver, "apply", "-f", str(desired / "app.yaml"))
            await timeline.until("the re-creation", lambda: timeline.open() == [])

    asyncio.run(scenario())


def test_a_new_desired_revision_is_picked_up_on_reload(
    apiserver: ApiServer, desired: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "desired"
    folder.mkdir()
    (folder / "app.yaml").write_text((desired / "app.yaml").read_text())

    async def scenario() -> None:
        async with watching(apiserver, folder, tmp_path / "timeline.db") as (watcher, timeline):
            assert timeline.open() == []
            text = DESIRED.replace('max_model_len: "8192"', 'max_model_len: "16384"')
            (folder / "app.yaml").write_text(text)
            watcher.reload()
            key = ("ConfigMap/watch-e2e/serving-config", "/data/max_model_len")
            await timeline.until("the new revision", lambda: key in _paths(timeline))
            assert watcher.generations == 2
            (stored,) = timeline.open()
            assert (stored.finding.desired, stored.finding.live) == ("16384", "8192")

            (folder / "app.yaml").write_text(DESIRED)
            watcher.reload()
            await timeline.until("the revert in Git", lambda: timeline.open() == [])

    asyncio.run(scenario())


@pytest.mark.apiserver
def test_an_apiserver_restart_mid_watch_loses_no_change(
    private_server: ApiServer, tmp_path: Path
) -> None:
    server = private_server
    (tmp_path / "app.yaml").write_text(DESIRED)
    kubectl(server, "create", "namespace", NS)
    kubectl(server, "apply", "-f", str(tmp_path / "app.yaml"))

    async def scenario() -> None:
        async with watching(server, tmp_path, tmp_path / "timeline.db") as (_, timeline):
            port = server.stop_apiserver()
            await asyncio.sleep(1.0)  # the watch breaks; the watcher backs off and retries
            await asyncio.to_thread(server.start_apiserver, port=port)
            kubectl(
                server, "patch", "configmap", "serving-config", "-n", NS,
                "-p", '{"data": {"max_model_len": "4096"}}',
            )  # fmt: skip
            key = ("ConfigMap/watch-e2e/serving-config", "/data/max_model_len")
            await timeline.until("the change after the restart", lambda: key in _paths(timeline))
            port = server.stop_apiserver()
            await asyncio.to_thread(server.start_apiserver, port=port)
            kubectl(
                server, "patch", "configmap", "serving-config", "-n", NS,
                "-p", '{"data": {"max_model_len": "8192"}}',
            )  # fmt: skip
            await timeline.until("its revert after a second restart", lambda: not timeline.open())

    asyncio.run(scenario())


def test_findings_left_open_by_an_earlier_run_resolve_at_the_next_start(
    apiserver: ApiServer, desired: Path, tmp_path: Path
) -> None:
    """A change reverted while no watcher ran must not stay open forever."""
    db = tmp_path / "timeline.db"

    async def scenario() -> None:
        async with watching(apiserver, desired, db) as (_, timeline):
            kubectl(apiserver, "scale", "deployment", "llm", "-n", NS, "--replicas=3")
            scaled = ("Deployment/watch-e2e/llm", "/spec/replicas")
            await timeline.until("the scale", lambda: scaled in _paths(timeline))
        kubectl(apiserver, "scale", "deployment", "llm", "-n", NS, "--replicas=2")
        async with watching(apiserver, desired, db) as (_, timeline):
            assert timeline.open() == []
            (episode,) = timeline.store.history(HistoryFilter(cluster=CLUSTER))
            assert episode.resolved_at is not None

    asyncio.run(scenario())


NARROW = """\
apiVersion: v1
kind: ServiceAccount
metadata: {name: narrow, namespace: watch-rbac}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: configmaps-only, namespace: watch-rbac}
rules:
  - {apiGroups: [""], resources: [configmaps], verbs: [get, list, watch]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: narrow, namespace: watch-rbac}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: configmaps-only}
subjects:
  - {kind: ServiceAccount, name: narrow, namespace: watch-rbac}
"""

RBAC_DESIRED = """\
apiVersion: v1
kind: ConfigMap
metadata: {name: tokenizer, namespace: watch-rbac}
data: {vocab_size: "128256"}
---
apiVersion: v1
kind: Secret
metadata: {name: hf-token, namespace: watch-rbac}
stringData: {token: hf_neverShownAnywhere}
"""


def test_a_kind_rbac_forbids_is_reported_and_the_rest_is_watched(
    apiserver: ApiServer, tmp_path: Path
) -> None:
    """A 403 must not stall the initial sync forever: the kind is reported, not watched."""
    kubectl(apiserver, "create", "namespace", "watch-rbac")
    (tmp_path / "rbac.yaml").write_text(NARROW)
    (tmp_path / "desired").mkdir()
    (tmp_path / "desired" / "app.yaml").write_text(RBAC_DESIRED)
    kubectl(apiserver, "apply", "-f", str(tmp_path / "rbac.yaml"))
    kubectl(apiserver, "apply", "-f", str(tmp_path / "desired" / "app.yaml"))
    token = kubectl(apiserver, "create", "token", "narrow", "-n", "watch-rbac").strip()
    narrow = ApiServer(apiserver.workdir)
    narrow.kubeconfig = apiserver.kubeconfig_for(token, tmp_path / "narrow.kubeconfig")

    async def scenario() -> None:
        async with watching(narrow, tmp_path / "desired", tmp_path / "t.db") as (_, timeline):
            (stored,) = timeline.open()
            assert str(stored.finding.object) == "Secret/watch-rbac/hf-token"
            assert stored.finding.rule == "kind-not-readable"
            assert "RBAC" in stored.finding.message

            kubectl(
                apiserver, "patch", "configmap", "tokenizer", "-n", "watch-rbac",
                "-p", '{"data": {"vocab_size": "32000"}}',
            )  # fmt: skip
            key = ("ConfigMap/watch-rbac/tokenizer", "/data/vocab_size")
            await timeline.until("the edit", lambda: key in _paths(timeline))

    asyncio.run(scenario())


def test_changes_made_while_the_apiserver_is_away_are_not_lost(
    apiserver: ApiServer, desired: Path, tmp_path: Path
) -> None:
    """The watcher loses its apiserver (a proxy cut between them, connections reset) while
    another client keeps changing things; when the apiserver is back, every change made
    meanwhile is found: a new edit, and the revert of an earlier drift."""
    port = int(apiserver.url.rsplit(":", 1)[1])
    with TcpProxy("127.0.0.1", port) as proxy:
        away = ApiServer(apiserver.workdir)
        away.kubeconfig = tmp_path / "via-proxy.kubeconfig"
        away.kubeconfig.write_text(
            apiserver.kubeconfig.read_text().replace(f":{port}", f":{proxy.port}")
        )

        async def scenario() -> None:
            async with watching(away, desired, tmp_path / "t.db") as (_, timeline):
                kubectl(apiserver, "scale", "deployment", "llm", "-n", NS, "--replicas=4")
                scaled = ("Deployment/watch-e2e/llm", "/spec/replicas")
                await timeline.until("the scale", lambda: scaled in _paths(timeline))

                proxy.cut()
                kubectl(
                    apiserver, "patch", "configmap", "serving-config", "-n", NS,
                    "-p", '{"data": {"max_model_len": "2048"}}',
                )  # fmt: skip
                kubectl(apiserver, "scale", "deployment", "llm", "-n", NS, "--replicas=2")
                await asyncio.sleep(1.5)  # the watch is broken: the watcher backs off
                assert _paths(timeline) == {scaled}, "nothing can be seen while away"
                proxy.restore()

                edited = ("ConfigMap/watch-e2e/serving-config", "/data/max_model_len")
                await timeline.until(
                    "the changes made while away", lambda: _paths(timeline) == {edited}
                )
                kubectl(
                    apiserver, "patch", "configmap", "serving-config", "-n", NS,
                    "-p", '{"data": {"max_model_len": "8192"}}',
                )  # fmt: skip
                await timeline.until("its revert", lambda: timeline.open() == [])

        asyncio.run(scenario())


HPA = """\
apiVersion: autoscaling/v1
kind: HorizontalPodAutoscaler
metadata: {name: llm, namespace: watch-e2e}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: llm}
  minReplicas: 1
  maxReplicas: 8
"""


def test_an_hpa_created_or_deleted_mid_watch_moves_the_replicas_finding(
    apiserver: ApiServer, desired: Path, tmp_path: Path
) -> None:
    """Replicas an HPA owns are not drift: an HPA appearing resolves the finding, one
    going away brings it back, without any change to the Deployment itself."""
    (tmp_path / "hpa.yaml").write_text(HPA)
    scaled = ("Deployment/watch-e2e/llm", "/spec/replicas")

    async def scenario() -> None:
        async with watching(apiserver, desired, tmp_path / "t.db") as (_, timeline):
            kubectl(apiserver, "scale", "deployment", "llm", "-n", NS, "--replicas=6")
            await timeline.until("the scale", lambda: scaled in _paths(timeline))

            kubectl(apiserver, "apply", "-f", str(tmp_path / "hpa.yaml"))
            await timeline.until("the HPA taking over", lambda: scaled not in _paths(timeline))

            kubectl(apiserver, "delete", "-f", str(tmp_path / "hpa.yaml"))
            await timeline.until("the HPA gone", lambda: scaled in _paths(timeline))

            kubectl(apiserver, "scale", "deployment", "llm", "-n", NS, "--replicas=2")
            await timeline.until("the revert", lambda: timeline.open() == [])

    asyncio.run(scenario())


def test_rule_switches_in_desired_state_follow_each_revision(
    apiserver: ApiServer, desired: Path, tmp_path: Path
) -> None:
    """Issue 11.9: a KubedriftConfig kept in Git switches rules for `watch` as for `scan`."""
    folder = tmp_path / "desired"
    folder.mkdir()
    (folder / "app.yaml").write_text(DESIRED)
    config = folder / "kubedrift.yaml"
    config.write_text(
        "apiVersion: kubedrift.io/v1alpha1\nkind: KubedriftConfig\n"
        "rules: {field-changed: {severity: low}}\n"
    )

    async def scenario() -> None:
        async with watching(apiserver, folder, tmp_path / "timeline.db") as (watcher, timeline):
            kubectl(
                apiserver, "patch", "configmap", "serving-config", "-n", NS,
                "-p", '{"data": {"max_model_len": "4096"}}',
            )  # fmt: skip
            key = ("ConfigMap/watch-e2e/serving-config", "/data/max_model_len")
            await timeline.until("the edit", lambda: key in _paths(timeline))
            (stored,) = timeline.open()
            assert stored.finding.severity.value == "low"

            config.write_text(config.read_text().replace("{severity: low}", "off"))
            watcher.reload()
            await timeline.until("the rule switched off", lambda: timeline.open() == [])

            kubectl(
                apiserver, "patch", "configmap", "serving-config", "-n", NS,
                "-p", '{"data": {"max_model_len": "8192"}}',
            )  # fmt: skip

    asyncio.run(scenario())
