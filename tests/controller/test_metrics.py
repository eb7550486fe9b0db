"""ControllerMetrics: what each method exports, read back through Prometheus' own parser."""

from __future__ import annotations

import pytest
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample

from kubedrift.controller.metrics import (
    CATEGORIES,
    DETECTION_BUCKETS,
    SEVERITIES,
    ControllerMetrics,
)

Labels = tuple[tuple[str, str], ...]


def _samples(metrics: ControllerMetrics, name: str) -> dict[Labels, float]:
    """The samples called `name`, keyed by their sorted labels."""
    body, _ = metrics.render()
    found: dict[Labels, float] = {}
    for family in text_string_to_metric_families(body.decode()):
        for sample in family.samples:
            if sample.name == name:
                found[_key(sample)] = sample.value
    return found


def _key(sample: Sample) -> Labels:
    return tuple(sorted(sample.labels.items()))


def _types(metrics: ControllerMetrics) -> dict[str, str]:
    body, _ = metrics.render()
    return {f.name: f.type for f in text_string_to_metric_families(body.decode())}


def test_every_metric_is_exported_with_its_type() -> None:
    metrics = ControllerMetrics()
    metrics.observe_detection_latency(0.01, "Pod")
    metrics.watch_restarted("Pod", "expired")
    metrics.synced("Pod", 1.0)
    metrics.set_revision("abc", "git")
    metrics.events_processed("Pod")
    metrics.tracked_objects("Pod", 1)
    metrics.observe_store_write(0.01)
    metrics.alert_outcome("slack", "sent")
    metrics.set_skipped_kinds([("PyTorchJob", "not-served")])
    assert _types(metrics) == {
        "kubedrift_open_findings": "gauge",
        "kubedrift_detection_latency_seconds": "histogram",
        "kubedrift_watch_restarts": "counter",
        "kubedrift_last_sync_timestamp_seconds": "gauge",
        "kubedrift_desired_revision_info": "gauge",
        "kubedrift_events_processed": "counter",
        "kubedrift_tracked_objects": "gauge",
        "kubedrift_store_write_duration_seconds": "histogram",
        "kubedrift_alerts": "counter",
        "kubedrift_leader": "gauge",
        "kubedrift_store_errors": "counter",
        "kubedrift_degraded": "gauge",
        "kubedrift_desired_stale": "gauge",
        "kubedrift_skipped_kinds": "gauge",
    }


def test_open_findings_always_show_the_complete_picture() -> None:
    metrics = ControllerMetrics()
    metrics.set_open_findings({("node", "high"): 3, ("object", "low"): 2})
    got = _samples(metrics, "kubedrift_open_findings")
    assert len(got) == len(CATEGORIES) * len(SEVERITIES) == 15
    assert got[(("category", "node"), ("severity", "high"))] == 3
    assert got[(("category", "object"), ("severity", "low"))] == 2
    assert sum(got.values()) == 5


def test_open_findings_drop_a_category_that_is_gone() -> None:
    metrics = ControllerMetrics()
    metrics.set_open_findings({("backup", "high"): 1, ("node", "high"): 3})
    metrics.set_open_findings({("object", "medium"): 1})
    got = _samples(metrics, "kubedrift_open_findings")
    assert (("category", "backup"), ("severity", "high")) not in got
    assert got[(("category", "node"), ("severity", "high"))] == 0
    assert sum(got.values()) == 1


def test_a_fresh_instance_exports_zeros_not_nothing() -> None:
    got = _samples(ControllerMetrics(), "kubedrift_open_findings")
    assert len(got) == 15
    assert set(got.values()) == {0.0}
    assert _samples(ControllerMetrics(), "kubedrift_leader") == {(): 0.0}


def test_two_instances_do_not_share_series() -> None:
    first, second = ControllerMetrics(), ControllerMetrics()
    first.events_processed("Node", 5)
    assert _samples(first, "kubedrift_events_processed_total") == {(("kind", "Node"),): 5}
    assert _samples(second, "kubedrift_events_processed_total") == {}


def test_detection_latency_buckets_span_5ms_to_30s() -> None:
    metrics = ControllerMetrics()
    for seconds in (0.004, 0.2, 45.0):
        metrics.observe_detection_latency(seconds, "Deployment")
    buckets = _samples(metrics, "kubedrift_detection_latency_seconds_bucket")
    bounds = {dict(k)["le"]: v for k, v in buckets.items()}
    assert DETECTION_BUCKETS[0] == 0.005
    assert DETECTION_BUCKETS[-1] == 30.0
    assert bounds["0.005"] == 1
    assert bounds["0.25"] == 2
    assert bounds["30.0"] == 2
    assert bounds["+Inf"] == 3
    count = _samples(metrics, "kubedrift_detection_latency_seconds_count")
    assert count == {(("kind", "Deployment"),): 3}


def test_counters_accumulate_per_label_set() -> None:
    metrics = ControllerMetrics()
    metrics.watch_restarted("Pod", "expired")
    metrics.watch_restarted("Pod", "expired")
    metrics.watch_restarted("Node", "error")
    metrics.events_processed("Pod", 10)
    metrics.events_processed("Pod")
    metrics.alert_outcome("alertmanager", "sent", 4)
    metrics.alert_outcome("alertmanager", "failed")
    assert _samples(metrics, "kubedrift_watch_restarts_total") == {
        (("kind", "Pod"), ("reason", "expired")): 2,
        (("kind", "Node"), ("reason", "error")): 1,
    }
    assert _samples(metrics, "kubedrift_events_processed_total") == {(("kind", "Pod"),): 11}
    assert _samples(metrics, "kubedrift_alerts_total") == {
        (("outcome", "sent"), ("sink", "alertmanager")): 4,
        (("outcome", "failed"), ("sink", "alertmanager")): 1,
    }


def test_gauges_hold_the_last_value() -> None:
    metrics = ControllerMetrics()
    metrics.synced("Node", 1_700_000_000.5)
    metrics.tracked_objects("Node", 12)
    metrics.tracked_objects("Node", 10)
    metrics.set_leader(True)
    assert _samples(metrics, "kubedrift_last_sync_timestamp_seconds") == {
        (("kind", "Node"),): 1_700_000_000.5
    }
    assert _samples(metrics, "kubedrift_tracked_objects") == {(("kind", "Node"),): 10}
    assert _samples(metrics, "kubedrift_leader") == {(): 1}
    metrics.set_leader(False)
    assert _samples(metrics, "kubedrift_leader") == {(): 0}


def test_only_the_current_revision_is_present() -> None:
    metrics = ControllerMetrics()
    metrics.set_revision("1111111", "git")
    metrics.set_revision("2222222", "git")
    assert _samples(metrics, "kubedrift_desired_revision_info") == {
        (("revision", "2222222"), ("source", "git")): 1
    }
    metrics.set_revision(None, "folder")
    assert _samples(metrics, "kubedrift_desired_revision_info") == {
        (("revision", ""), ("source", "folder")): 1
    }


def test_store_writes_are_timed() -> None:
    metrics = ControllerMetrics()
    metrics.observe_store_write(0.02)
    metrics.observe_store_write(0.04)
    assert _samples(metrics, "kubedrift_store_write_duration_seconds_count") == {(): 2}
    assert _samples(metrics, "kubedrift_store_write_duration_seconds_sum") == {(): 0.06}


def test_render_returns_the_text_format_content_type() -> None:
    body, content_type = ControllerMetrics().render()
    assert content_type == "text/plain; version=0.0.4; charset=utf-8"
    assert body.startswith(b"# HELP ")


def test_negative_counts_are_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        ControllerMetrics().set_open_findings({("node", "high"): -1})


def test_trouble_metrics_start_at_zero_and_follow_what_they_are_told() -> None:
    metrics = ControllerMetrics()
    assert _samples(metrics, "kubedrift_store_errors_total") == {(): 0.0}
    assert _samples(metrics, "kubedrift_desired_stale") == {(): 0.0}
    degraded = _samples(metrics, "kubedrift_degraded")
    assert degraded == {(("reason", r),): 0.0 for r in ("cluster", "store", "task")}
    metrics.store_error()
    metrics.store_error()
    metrics.set_degraded("store", True)
    metrics.set_desired_stale(True)
    assert _samples(metrics, "kubedrift_store_errors_total") == {(): 2.0}
    assert _samples(metrics, "kubedrift_degraded")[(("reason", "store"),)] == 1.0
    assert _samples(metrics, "kubedrift_desired_stale") == {(): 1.0}
    metrics.set_skipped_kinds([("PyTorchJob", "not-served"), ("Workload", "forbidden")])
    metrics.set_skipped_kinds([("Workload", "forbidden")])
    assert _samples(metrics, "kubedrift_skipped_kinds") == {
        (("kind", "Workload"), ("reason", "forbidden")): 1.0
    }


def test_revision_source_label_never_shows_git_credentials() -> None:
    """Regression (issue 12.3): a token in a `--desired` URL appeared in a label."""
    metrics = ControllerMetrics()
    source = "https://deploy:s3cr3t@git.example.com/org/repo.git@main,./local"

    metrics.set_revision("abc", source)

    text = metrics.render()[0].decode()
    assert "s3cr3t" not in text
    assert "deploy" not in text
    assert 'source="https://***@git.example.com/org/repo.git@main,./local"' in text


class _Owner:
    """Stands for a tracker: the controller keys what it reported by the tracker object."""


def test_watch_restarts_are_counted_by_reason_and_per_tracker() -> None:
    """Issue 17.3: the `reason` label said `error` for every restart, 410s included."""
    import weakref
    from types import SimpleNamespace

    from kubedrift.controller.run import Controller

    holder = SimpleNamespace(metrics=ControllerMetrics())
    reported: weakref.WeakKeyDictionary[object, dict[str, int]] = weakref.WeakKeyDictionary()
    first = _Owner()
    Controller._restarts(holder, first, "Pod", {"expired": 2, "error": 1}, reported)  # type: ignore[arg-type]
    Controller._restarts(holder, first, "Pod", {"expired": 3, "error": 1}, reported)  # type: ignore[arg-type]
    again = _Owner()  # a new tracker after a reload counts from zero again
    Controller._restarts(holder, again, "Pod", {"error": 1}, reported)  # type: ignore[arg-type]
    samples = _samples(holder.metrics, "kubedrift_watch_restarts_total")
    assert samples[(("kind", "Pod"), ("reason", "expired"))] == 3
    assert samples[(("kind", "Pod"), ("reason", "error"))] == 2
