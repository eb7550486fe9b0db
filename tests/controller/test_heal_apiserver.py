"""`kubedrift watch --heal` as users run it: a process, the real apiserver, RBAC on.

The controller runs with a token of the `kubedrift-controller` service account bound as
`deploy/` binds it: the read-only role, plus the opt-in `deploy/remediation` role where the
test writes (namespace `default`, the only one that role covers). What must hold:

- in `apply` mode a hand edit is reverted (only the drifted field: kubedrift's
  managedFields entry holds it and nothing else), recorded in the actions table, alerted
  and counted; a field owned by a trusted controller and an object outside the policy's
  namespaces are left alone;
- a competing writer that sets the field back after every revert wins after 3 rounds:
  healing stops and a `heal-fight` finding names it;
- the default dry run changes nothing, with the read-only role only, and records and
  alerts each drifted value once;
- without the remediation role an `apply`-mode heal is refused, counted, and `/readyz`
  stays 200.
"""

from __future__ import annotations

import functools
import json
import os
import signal
import subprocess
import sys
import threading
import uuid
from pathlib import Path
from typing import Any

import pytest

from alerts.receiver import Receiver
from controller.probing import http_get, wait_for
from kubedrift.store import HistoryFilter, SqlStore
from support.apiserver import ApiServer, free_port

ROOT = Path(__file__).resolve().parents[2]
KUBEDRIFT = Path(sys.executable).parent / "kubedrift"
DEPLOY = ROOT / "deploy"
ELSEWHERE = "heal-elsewhere"


def kubectl(kubeconfig: Path, *args: str, stdin: str | None = None) -> str:
    done = subprocess.run(
        ["kubectl", f"--kubeconfig={kubeconfig}", *args],
        capture_output=True,
        text=True,
        input=stdin,
        check=False,
        timeout=60,
    )
    if done.returncode:
        raise AssertionError(f"kubectl {' '.join(args)}: {done.stderr}")
    return done.stdout


def configmap(name: str, namespace: str = "default", **data: str) -> dict[str, Any]:
    meta = {"name": name, "namespace": namespace}
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": data}


def get(server: ApiServer, name: str, namespace: str = "default") -> dict[str, Any]:
    # --raw: a newer kubectl hides managedFields from `get -o json`
    path = f"/api/v1/namespaces/{namespace}/configmaps/{name}"
    return dict(json.loads(kubectl(server.kubeconfig, "get", "--raw", path)))


def data(server: ApiServer, name: str, namespace: str = "default") -> dict[str, str]:
    return dict(get(server, name, namespace).get("data") or {})


def apply_as(server: ApiServer, manager: str, obj: dict[str, Any]) -> None:
    """A server-side apply by `manager`, taking the fields it sends."""
    kubectl(
        server.kubeconfig, "apply", "--server-side", "--force-conflicts",
        f"--field-manager={manager}", "-f", "-", stdin=json.dumps(obj),
    )  # fmt: skip


def patch(server: ApiServer, name: str, namespace: str = "default", **values: str) -> None:
    body = json.dumps({"data": values})
    kubectl(server.kubeconfig, "patch", "configmap", name, "-n", namespace, "-p", body)


def _token(server: ApiServer, *, remediation: bool) -> str:
    kc = server.kubeconfig
    kubectl(kc, "apply", "-k", str(DEPLOY / "controller"))
    if remediation:
        kubectl(kc, "apply", "-k", str(DEPLOY / "remediation"))
    else:
        kubectl(kc, "delete", "-k", str(DEPLOY / "remediation"), "--ignore-not-found")
    body = json.dumps({"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest"})
    path = "/api/v1/namespaces/kubedrift-system/serviceaccounts/kubedrift-controller/token"
    out = kubectl(kc, "create", "--raw", path, "-f", "-", stdin=body)
    return str(json.loads(out)["status"]["token"])


class Watch:
    """One `kubedrift watch` process, its webhook receiver, store and log."""

    def __init__(self, tmp: Path, kubeconfig: Path, objects: list[dict[str, Any]]) -> None:
        self.tmp, self.kubeconfig = tmp, kubeconfig
        (tmp / "desired").mkdir()
        for obj in objects:
            (tmp / "desired" / f"{obj['metadata']['name']}.json").write_text(json.dumps(obj))
        self.port, self.db, self.log = free_port(), tmp / "timeline.db", tmp / "watch.log"
        self.base = f"http://127.0.0.1:{self.port}"
        self.receiver = Receiver()
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, *heal: str) -> None:
        argv = [
            str(KUBEDRIFT), "watch", "--kubeconfig", str(self.kubeconfig),
            "--desired", str(self.tmp / "desired"), "--cluster", "heal-e2e",
            "--store", str(self.db), "--listen", f"127.0.0.1:{self.port}",
            "--webhook-listen", "", "--no-nodes", "--alert-group-wait", "0.1",
            "--alert-webhook", self.receiver.url, *heal,
        ]  # fmt: skip
        self.receiver.__enter__()
        with self.log.open("w") as log:
            self.proc = subprocess.Popen(
                argv, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        wait_for("/readyz", lambda: http_get(self.base + "/readyz")[0] == 200)

    def stop(self) -> str:
        """SIGTERM; the exit code must be 0 and the log free of tracebacks."""
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.receiver.__exit__(None, None, None)
        output = self.log.read_text()
        assert self.proc.returncode == 0, output
        assert "Traceback" not in output, output
        return output

    def alerts(self, name: str, rule: str, event: str | None = None) -> list[dict[str, Any]]:
        return [
            alert
            for request in self.receiver.requests
            for alert in request.body["alerts"]
            if alert["finding"]["object"]["name"] == name
            and alert["finding"]["rule"] == rule
            and (event is None or alert["event"] == event)
        ]

    def drift_seen(self, name: str) -> list[dict[str, Any]]:
        return list(self.alerts(name, "field-changed", "new"))

    def metric(self, name: str, **labels: str) -> float:
        body = http_get(self.base + "/metrics")[1]
        values = [
            float(line.rsplit(" ", 1)[1])
            for line in body.splitlines()
            if line.split("{", 1)[0] == name
            and all(f'{k}="{v}"' in line for k, v in labels.items())
        ]
        return sum(values)


@pytest.fixture
def names() -> dict[str, str]:
    suffix = uuid.uuid4().hex[:6]
    return {k: f"heal-{k}-{suffix}" for k in ("edited", "trusted", "outside", "fought")}


def test_apply_mode_reverts_a_hand_edit_leaves_trusted_and_unscoped_fields_and_stops_a_fight(
    apiserver: ApiServer, tmp_path: Path, names: dict[str, str]
) -> None:
    objects = [
        configmap(names["edited"], a="1", b="2"),
        configmap(names["trusted"], mode="git"),
        configmap(names["outside"], ELSEWHERE, a="1"),
        configmap(names["fought"], a="1"),
    ]
    kubectl(apiserver.kubeconfig, "apply", "-f", "-", stdin=json.dumps(_namespace(ELSEWHERE)))
    for obj in objects:
        kubectl(apiserver.kubeconfig, "apply", "-f", "-", stdin=json.dumps(obj))
    token = _token(apiserver, remediation=True)
    watch = Watch(tmp_path, apiserver.kubeconfig_for(token, tmp_path / "kc"), objects)
    try:
        watch.start("--heal", "--heal-mode", "apply", "--heal-namespace", "default",
                    "--heal-max-per-minute", "600")  # fmt: skip
        _trusted_and_unscoped_are_left_alone(apiserver, watch, names)
        _a_hand_edit_is_reverted(apiserver, watch, names["edited"])
        _a_fight_stops_after_three_rounds(apiserver, watch, names["fought"])
        assert not watch.alerts(names["trusted"], "heal")
        assert not watch.alerts(names["outside"], "heal")
        assert http_get(watch.base + "/readyz")[0] == 200
    finally:
        kubectl(apiserver.kubeconfig, "delete", "-k", str(DEPLOY / "remediation"))
        output = watch.stop()
    assert data(apiserver, names["trusted"]) == {"mode": "operator"}
    assert data(apiserver, names["outside"], ELSEWHERE) == {"a": "9"}
    assert "self-heal reverted" in output
    with SqlStore.open(str(watch.db)) as store:
        rows = [r for r in store.actions() if r.object.name == names["edited"]]
        (row,) = rows
        assert (row.actor, row.action, row.result, row.dry_run) == (
            "kubedrift-heal", "revert", "applied", False
        )  # fmt: skip
        assert row.changes == ({"path": "/data/a", "from": "9", "to": "1"},)
        assert not [r for r in store.actions() if r.object.name != names["edited"]
                    and r.object.name != names["fought"]]  # fmt: skip
        fights = [
            s.finding
            for s in store.open_findings(HistoryFilter(cluster="heal-e2e"))
            if s.finding.rule == "heal-fight"
        ]
        assert [(f.object.name, f.path, f.manager) for f in fights] == [
            (names["fought"], "/data/a", "fighter")
        ]


def test_apply_mode_reverts_every_one_of_a_run_of_hand_edits_by_another_manager(
    apiserver: ApiServer, tmp_path: Path
) -> None:
    """What `bench/bench_heal.py` times, asserted without timing: hand edits one after the
    other, each by field manager `hand-editor` on an object of its own, are all reverted
    to desired, each by one applied heal (the token bucket delays none of them past the
    wait, and none is taken for a fight)."""
    suffix = uuid.uuid4().hex[:6]
    objects = [configmap(f"heal-run-{i}-{suffix}", a="1") for i in range(5)]
    for obj in objects:
        kubectl(apiserver.kubeconfig, "apply", "-f", "-", stdin=json.dumps(obj))
    token = _token(apiserver, remediation=True)
    watch = Watch(tmp_path, apiserver.kubeconfig_for(token, tmp_path / "kc"), objects)
    names = [obj["metadata"]["name"] for obj in objects]
    try:
        watch.start("--heal", "--heal-mode", "apply", "--heal-namespace", "default",
                    "--heal-max-per-minute", "600")  # fmt: skip
        for i, name in enumerate(names):
            body = json.dumps({"data": {"a": f"hand-{i}"}})
            kubectl(apiserver.kubeconfig, "patch", "configmap", name, "-p", body,
                    "--field-manager=hand-editor")  # fmt: skip
            wait_for(f"the revert of {name}", functools.partial(_reverted, apiserver, name))

        # counted just after the write returns: waited for, not read at once
        def applied() -> float:
            return watch.metric("kubedrift_heal_actions_total", result="applied")

        wait_for("every heal counted", lambda: applied() == len(names))
    finally:
        kubectl(apiserver.kubeconfig, "delete", "-k", str(DEPLOY / "remediation"))
        watch.stop()
    with SqlStore.open(str(watch.db)) as store:
        rows = [r for r in store.actions() if r.object.name in names]
    assert sorted((r.object.name, r.result, r.changes[0]["from"]) for r in rows) == [
        (name, "applied", f"hand-{i}") for i, name in enumerate(names)
    ]


def _reverted(server: ApiServer, name: str) -> bool:
    return data(server, name) == {"a": "1"}


def _namespace(name: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}


def _trusted_and_unscoped_are_left_alone(
    server: ApiServer, watch: Watch, names: dict[str, str]
) -> None:
    """Both drifts are seen (alerted as drift) before the hand edit that does get healed,
    so by the time that heal is done, these two were judged and passed over."""
    apply_as(server, "gpu-operator", configmap(names["trusted"], mode="operator"))
    patch(server, names["outside"], ELSEWHERE, a="9")
    wait_for("the trusted field's drift", lambda: watch.drift_seen(names["trusted"]))
    (drift,) = watch.drift_seen(names["trusted"])
    assert drift["finding"]["manager"] == "gpu-operator"
    wait_for("the unscoped object's drift", lambda: watch.drift_seen(names["outside"]))


def _a_hand_edit_is_reverted(server: ApiServer, watch: Watch, name: str) -> None:
    patch(server, name, a="9")
    wait_for("the revert", lambda: data(server, name) == {"a": "1", "b": "2"})
    (alert,) = wait_for("the action alert", lambda: watch.alerts(name, "heal", "action"))
    assert alert["finding"]["details"] == {
        "drift_rule": "field-changed", "mode": "apply", "result": "applied"
    }  # fmt: skip
    assert alert["finding"]["message"] == "self-heal reverted /data/a to desired"
    entries = {m["manager"]: m for m in get(server, name)["metadata"]["managedFields"]}
    mine = json.dumps(entries["kubedrift"]["fieldsV1"])
    assert '"f:a"' in mine, mine
    assert '"f:b"' not in mine, mine  # only the drifted field is taken
    assert entries["kubedrift"]["operation"] == "Apply"
    wait_for("the counter", lambda: watch.metric("kubedrift_heal_actions_total", result="applied"))


def _a_fight_stops_after_three_rounds(server: ApiServer, watch: Watch, name: str) -> None:
    """`fighter` sets the field back whenever it is not its value; kubedrift gives up on the
    third undone revert, and the field keeps the fighter's value from then on."""
    stop = threading.Event()
    writes: list[int] = []

    def fight() -> None:
        while not stop.is_set():
            if data(server, name).get("a") != "9":
                apply_as(server, "fighter", configmap(name, a="9"))
                writes.append(1)
            stop.wait(0.2)

    fighter = threading.Thread(target=fight, daemon=True)
    fighter.start()
    try:
        (alert,) = wait_for("the heal-fight finding", lambda: watch.alerts(name, "heal-fight"))
        assert alert["finding"]["manager"] == "fighter"
        assert alert["finding"]["details"] == {"competitor": "fighter", "rounds": "3"}
        wait_for("the fight counter", lambda: watch.metric("kubedrift_heal_actions_total",
                                                           result="fight"))  # fmt: skip
        applied = [a for a in watch.alerts(name, "heal", "action")
                   if a["finding"]["details"]["result"] == "applied"]  # fmt: skip
        assert len(applied) == 3
        # healing stopped: the fighter's value stays, however long we look
        before = len(writes)
        stop.wait(2.0)
        assert len(writes) == before
        assert data(server, name)["a"] == "9"
    finally:
        stop.set()
        fighter.join(timeout=10)


def test_dry_run_changes_nothing_with_the_read_only_role_and_tells_each_value_once(
    apiserver: ApiServer, tmp_path: Path
) -> None:
    name = f"heal-dry-{uuid.uuid4().hex[:6]}"
    obj = configmap(name, a="1")
    kubectl(apiserver.kubeconfig, "apply", "-f", "-", stdin=json.dumps(obj))
    token = _token(apiserver, remediation=False)
    watch = Watch(tmp_path, apiserver.kubeconfig_for(token, tmp_path / "kc"), [obj])
    try:
        watch.start("--heal")
        patch(apiserver, name, a="9")
        (first,) = wait_for("the planned action", lambda: watch.alerts(name, "heal", "action"))
        assert first["finding"]["details"]["result"] == "planned"
        assert first["finding"]["message"] == "self-heal (dry run) would revert /data/a to desired"
        # the same drifted value again (a label changed): not told twice; a new value is
        kubectl(apiserver.kubeconfig, "label", "configmap", name, "touched=yes")
        patch(apiserver, name, a="10")
        wait_for("the second planned action", lambda: len(watch.alerts(name, "heal")) == 2)
        planned = watch.metric("kubedrift_heal_actions_total", result="planned")
    finally:
        watch.stop()
    assert planned == 2
    live = get(apiserver, name)
    assert live["data"] == {"a": "10"}
    assert "kubedrift" not in {m["manager"] for m in live["metadata"]["managedFields"]}
    with SqlStore.open(str(watch.db)) as store:
        rows = [r for r in store.actions() if r.object.name == name]
    assert [(r.result, r.dry_run, r.changes[0]["from"]) for r in rows] == [
        ("planned", True, "9"),
        ("planned", True, "10"),
    ]


def test_apply_mode_without_the_remediation_role_is_refused_and_stays_ready(
    apiserver: ApiServer, tmp_path: Path
) -> None:
    name = f"heal-denied-{uuid.uuid4().hex[:6]}"
    obj = configmap(name, a="1")
    kubectl(apiserver.kubeconfig, "apply", "-f", "-", stdin=json.dumps(obj))
    token = _token(apiserver, remediation=False)
    watch = Watch(tmp_path, apiserver.kubeconfig_for(token, tmp_path / "kc"), [obj])
    try:
        watch.start("--heal", "--heal-mode", "apply")
        patch(apiserver, name, a="9")
        # a retry (after 2.5-5 s of backoff) is refused again, for the same reason
        wait_for(
            "the refused heal and its retry",
            lambda: watch.metric("kubedrift_heal_actions_total", result="forbidden") >= 2,
        )
        assert http_get(watch.base + "/readyz")[0] == 200
    finally:
        output = watch.stop()  # alerts still queued are delivered before it exits
    (alert,) = watch.alerts(name, "heal", "action")  # regression: one alert per retry
    assert alert["finding"]["details"]["result"] == "forbidden"
    assert data(apiserver, name) == {"a": "9"}
    assert "self-heal failed" in output
    refused = [line for line in output.splitlines() if "refused: " in line and name in line]
    assert len(refused) == 1, output  # the WARNING line, once
    assert "not alerted again until the reason changes" in refused[0]
    with SqlStore.open(str(watch.db)) as store:
        rows = [r for r in store.actions() if r.object.name == name]
    assert len(rows) >= 2  # every attempt is still recorded
    assert {(r.result, r.dry_run) for r in rows} == {("forbidden", False)}
