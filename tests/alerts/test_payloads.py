"""The three request bodies: the webhook's v1 schema, Slack's message, Alertmanager's list."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta

from kubedrift.alerts import SCHEMA, Alert, alerts_from_delta
from kubedrift.alerts.alertmanager import alertmanager_body
from kubedrift.alerts.slack import slack_body
from kubedrift.alerts.webhook import webhook_body
from kubedrift.model import MISSING, Impact, Severity
from store.builders import T0, finding, node_finding

from .helpers import Timeline

NOW = T0 + timedelta(hours=1)


def lifecycle() -> tuple[Alert, Alert, Alert]:
    t = Timeline()
    (new,) = alerts_from_delta("prod-a", t.scan(finding(severity=Severity.HIGH)))
    (changed,) = alerts_from_delta("prod-a", t.scan(finding(severity=Severity.HIGH, live=3)))
    (resolved,) = alerts_from_delta("prod-a", t.scan())
    return new, changed, resolved


def test_webhook_body_is_the_documented_v1_shape() -> None:
    new, changed, resolved = lifecycle()
    body = webhook_body("prod-a", [new, changed, resolved], sent_at=NOW)
    assert body["schema"] == SCHEMA == "kubedrift-alert/v1"
    assert (body["cluster"], body["status"], body["sent_at"]) == (
        "prod-a",
        "firing",
        "2026-03-02T10:00:00Z",
    )
    first = body["alerts"][0]
    assert first == {
        "status": "firing",
        "event": "new",
        "fingerprint": new.fingerprint,
        "id": new.stored.id,
        "episode": 1,
        "first_seen": "2026-03-02T09:01:00Z",
        "last_seen": "2026-03-02T09:01:00Z",
        "resolved_at": None,
        "finding": new.finding.to_json(),
    }
    assert body["alerts"][1]["previous"] == {
        "desired": 4,
        "live": 2,
        "manager": "kubectl-edit",
        "revision": "4f1c2e0",
        "at": "2026-03-02T09:01:00Z",
    }
    assert body["alerts"][2]["status"] == "resolved"
    assert body["alerts"][2]["resolved_at"] == "2026-03-02T09:03:00Z"
    json.dumps(body)  # plain JSON all the way down


def test_webhook_status_is_resolved_when_nothing_fires() -> None:
    _, _, resolved = lifecycle()
    assert webhook_body("prod-a", [resolved], sent_at=NOW)["status"] == "resolved"


def test_missing_values_are_null_in_the_webhook() -> None:
    t = Timeline()
    (alert,) = alerts_from_delta("c", t.scan(finding(desired=MISSING, live="x")))
    assert webhook_body("c", [alert], sent_at=NOW)["alerts"][0]["finding"]["desired"] is None


def test_slack_message_reads_well() -> None:
    new, _, resolved = lifecycle()
    body = slack_body("prod-a", [new, resolved], max_lines=10, link="https://kd.example/")
    text = body["text"]
    assert text.splitlines()[0] == "kubedrift: 1 drift finding firing, 1 resolved in prod-a"
    assert "*HIGH* `Deployment/ml/trainer` `/spec/replicas`: `4` → `2` · by kubectl-edit" in text
    assert [b["type"] for b in body["blocks"]] == ["header", "section", "context"]
    section = body["blocks"][1]["text"]["text"]
    assert section.splitlines()[0].startswith(":red_circle: *HIGH*")
    assert section.splitlines()[1].startswith(":white_check_mark: resolved *HIGH*")
    context = body["blocks"][2]["elements"][0]["text"]
    assert "cluster *prod-a*" in context
    assert "<https://kd.example/|open kubedrift>" in context


def test_slack_lists_up_to_n_findings_and_counts_the_rest() -> None:
    t = Timeline()
    alerts = alerts_from_delta("prod-a", t.scan(*(finding(f"app-{i}") for i in range(7))))
    body = slack_body("prod-a", alerts, max_lines=3)
    assert body["text"].splitlines()[-1] == "+4 more"
    assert len(body["blocks"][1]["text"]["text"].splitlines()) == 3
    assert body["blocks"][2]["elements"][0]["text"].startswith("+4 more")


def test_slack_escapes_control_characters_and_cuts_long_values() -> None:
    t = Timeline()
    f = finding(desired={"cmd": "<b>&" + "x" * 200}, live=MISSING, manager="<evil>")
    (alert,) = alerts_from_delta("c", t.scan(f))
    text = slack_body("c", [alert], max_lines=5)["text"]
    assert "<b>" not in text
    assert "&lt;b&gt;&amp;" in text
    assert "`(absent)`" in text
    assert "…" in text
    assert "by &lt;evil&gt;" in text


def test_alertmanager_alert_labels_annotations_and_times() -> None:
    new, _, _ = lifecycle()
    (posted,) = alertmanager_body([new], now=NOW, ttl=240, generator_url="https://kd.example/")
    assert posted["labels"] == {
        "alertname": "KubedriftDrift",
        "cluster": "prod-a",
        "severity": "high",
        "category": "object",
        "group": "apps",
        "kind": "Deployment",
        "namespace": "ml",
        "name": "trainer",
        "path": "/spec/replicas",
        "rule": "value-changed",
        "finding": new.fingerprint,
    }
    assert posted["annotations"] == {
        "summary": "[HIGH] Deployment/ml/trainer /spec/replicas: 4 → 2 (by kubectl-edit)",
        "description": "/spec/replicas differs",
        "desired": "4",
        "live": "2",
        "manager": "kubectl-edit",
        "revision": "4f1c2e0",
        "changed_at": "2026-03-01T08:00:00Z",
        "first_seen": "2026-03-02T09:01:00Z",
        "episode": "1",
    }
    assert posted["startsAt"] == "2026-03-02T09:01:00Z"
    assert posted["endsAt"] == "2026-03-02T10:04:00Z"  # now + ttl
    assert posted["generatorURL"] == "https://kd.example/"


def test_alertmanager_resolution_has_the_same_labels_and_ends_when_resolved() -> None:
    fire, change, end = (alertmanager_body([a], now=NOW, ttl=240)[0] for a in lifecycle())
    assert fire["labels"] == change["labels"] == end["labels"]
    assert change["annotations"]["live"] == "3"
    assert end["endsAt"] == "2026-03-02T09:03:00Z"
    assert "generatorURL" not in end


def test_alertmanager_sends_one_entry_per_episode() -> None:
    new, _, resolved = lifecycle()
    (only,) = alertmanager_body([new, resolved], now=NOW, ttl=240)
    assert only["endsAt"] == "2026-03-02T09:03:00Z"


def test_alertmanager_node_finding_has_no_namespace_but_a_pool() -> None:
    t = Timeline()
    node = replace(node_finding("gpu-7", "a100", live="550.54.15"), impact=Impact(8, 42))
    (alert,) = alerts_from_delta("c", t.scan(node))
    (posted,) = alertmanager_body([alert], now=NOW, ttl=240)
    assert "namespace" not in posted["labels"]
    assert "group" not in posted["labels"]
    assert posted["labels"]["pool"] == "a100"
    assert posted["labels"]["category"] == "node"
    assert (posted["annotations"]["gpus"], posted["annotations"]["gpu_hours"]) == ("8", "42.00")
    assert "manager" not in posted["annotations"]


def test_alertmanager_firing_never_ends_before_it_starts() -> None:
    new, _, _ = lifecycle()
    early = new.stored.first_seen - timedelta(hours=5)  # this host's clock lags the store's
    (posted,) = alertmanager_body([new], now=early, ttl=60)
    assert posted["endsAt"] == "2026-03-02T09:02:00Z"
