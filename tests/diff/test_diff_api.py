"""The public API of `kubedrift.diff` and the shape of its findings."""

from __future__ import annotations

import json

import kubedrift.diff
from diff.diff_builders import deployment, served
from kubedrift.diff import DEFAULT_OPTIONS, DiffOptions, diff_object


def test_public_api() -> None:
    assert set(kubedrift.diff.__all__) == {
        "BUILTIN_TRUSTED_RULES",
        "CLUSTER_SCOPED_KINDS",
        "DEFAULT_APPLIER_MANAGERS",
        "DEFAULT_OPTIONS",
        "ClusterScoped",
        "DiffOptions",
        "IgnoreRule",
        "LabelSelector",
        "ListKey",
        "Path",
        "Requirement",
        "Rule",
        "Selector",
        "TrustedRule",
        "compile_ignore_rules",
        "compile_trusted_rules",
        "diff_object",
        "diff_objects",
        "normalize_object",
        "pair_objects",
        "parse_quantity",
        "render",
    }


def test_options_are_frozen_with_documented_defaults() -> None:
    options = DiffOptions()
    assert options.ignore_rules == ()
    assert [r.name for r in options.trusted_rules] == [
        "autoscaler-replicas",
        "aggregated-clusterrole-rules",
        "vpa-pod-resources",
        "gpu-operator-node-labels",
        "kubectl-rollout-restart",
    ]
    assert options.revision is None
    assert {"kubectl", "argocd-controller", "kustomize-controller"} <= options.applier_managers
    assert len(options.secret_hash_key) == 32
    assert DEFAULT_OPTIONS.secret_hash_key == options.secret_hash_key  # one key per process


def test_finding_json_shape() -> None:
    desired = deployment()
    live = served(desired)
    live["spec"]["template"]["spec"]["containers"][0]["image"] = "ghcr.io/acme/trainer:0.9"
    (finding,) = diff_object(desired, live, DiffOptions(revision="4f1c2e0"))
    assert json.loads(json.dumps(finding.to_json())) == {
        "category": "object",
        "severity": "high",
        "object": {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "namespace": "ml",
            "name": "trainer",
        },
        "path": "/spec/template/spec/containers/name=trainer/image",
        "desired": "ghcr.io/acme/trainer:1.0",
        "live": "ghcr.io/acme/trainer:0.9",
        "rule": "field-changed",
        "message": (
            "/spec/template/spec/containers/name=trainer/image: "
            'desired "ghcr.io/acme/trainer:1.0", live "ghcr.io/acme/trainer:0.9"'
        ),
        "revision": "4f1c2e0",
    }


def test_long_values_are_shortened_in_messages() -> None:
    desired = deployment()
    desired["metadata"]["annotations"] = {"note": "x" * 500}
    (finding,) = diff_object(desired, served(deployment()))
    assert len(finding.message) < 150
    assert finding.message.endswith("…, absent live")
    assert finding.desired == "x" * 500
