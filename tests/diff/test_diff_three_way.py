"""Three-way: a field we set before and removed from desired, still live, is drift.

Regression tests for both records of "we set it": the last-applied annotation (client-side
apply) and the `Apply` entry of our applier in managedFields (server-side apply).
"""

from __future__ import annotations

import copy
from typing import Any

from diff.diff_builders import container_fields, deployment, entry, served
from kubedrift.diff import DiffOptions, diff_object
from kubedrift.model import MISSING, Finding


def rules_and_paths(findings: list[Finding]) -> list[tuple[str, str]]:
    return [(f.rule, f.path) for f in findings]


def pod_spec(obj: dict[str, Any]) -> dict[str, Any]:
    spec: dict[str, Any] = obj["spec"]["template"]["spec"]
    return spec


def test_label_removed_from_desired_after_client_side_apply() -> None:
    before = deployment()
    before["metadata"]["labels"]["team"] = "ml"
    live = served(before, last_applied=before)
    desired = deployment()
    found = diff_object(desired, live)
    assert rules_and_paths(found) == [("field-removed-from-desired", "/metadata/labels/team")]
    assert (found[0].desired, found[0].live) == (MISSING, "ml")
    assert found[0].message == '/metadata/labels/team: removed from desired but still live ("ml")'


def test_keyed_item_removed_from_desired() -> None:
    before = deployment()
    live = served(before, last_applied=before)
    desired = deployment()
    pod_spec(desired)["containers"][0]["env"].pop()
    assert rules_and_paths(diff_object(desired, live)) == [
        ("field-removed-from-desired", "/spec/template/spec/containers/name=trainer/env/name=B")
    ]


def test_whole_list_and_block_removed_from_desired() -> None:
    before = deployment()
    pod_spec(before)["containers"][0]["args"] = ["--fast"]
    pod_spec(before)["nodeSelector"] = {"pool": "h100"}
    live = served(before, last_applied=before)
    assert rules_and_paths(diff_object(deployment(), live)) == [
        ("field-removed-from-desired", "/spec/template/spec/containers/name=trainer/args"),
        ("field-removed-from-desired", "/spec/template/spec/nodeSelector/pool"),
    ]


def test_no_removal_when_live_already_lost_it_or_desired_still_has_it() -> None:
    before = deployment()
    before["metadata"]["labels"]["team"] = "ml"
    live = served(deployment(), last_applied=before)  # label already gone from live
    assert diff_object(deployment(), live) == []
    live = served(before, last_applied=before)
    assert diff_object(before, live) == []


def test_kubectl_quirks_in_last_applied_are_not_removals() -> None:
    # kubectl records `annotations: {}` and the namespace it applied to.
    desired = deployment()
    del desired["metadata"]["namespace"]
    live = served(deployment(), last_applied=deployment())
    assert diff_object(desired, live) == []


def test_unparsable_last_applied_is_ignored() -> None:
    live = served(deployment())
    live["metadata"]["annotations"] = {"kubectl.kubernetes.io/last-applied-configuration": "{oops"}
    assert diff_object(deployment(), live) == []


def test_field_removed_after_server_side_apply() -> None:
    applied = {
        "f:metadata": {"f:labels": {"f:app": {}, "f:team": {}}},
        "f:spec": {
            "f:replicas": {},
            "f:template": {
                "f:spec": {
                    "f:containers": {
                        'k:{"name":"trainer"}': {".": {}, "f:name": {}, "f:image": {}, "f:args": {}}
                    }
                }
            },
        },
    }
    before = deployment()
    before["metadata"]["labels"]["team"] = "ml"
    pod_spec(before)["containers"][0]["args"] = ["--fast"]
    live = served(before, managed=[entry("argocd-controller", applied, operation="Apply")])
    found = diff_object(deployment(), live)
    assert rules_and_paths(found) == [
        ("field-removed-from-desired", "/metadata/labels/team"),
        ("field-removed-from-desired", "/spec/template/spec/containers/name=trainer/args"),
    ]
    assert found[0].manager == "argocd-controller"


def test_keyed_element_removed_after_server_side_apply() -> None:
    applied: dict[str, Any] = {
        "f:spec": {
            "f:template": {
                "f:spec": {
                    "f:containers": {
                        'k:{"name":"trainer"}': {".": {}, "f:name": {}},
                        'k:{"name":"sidecar"}': {".": {}, "f:name": {}, "f:image": {}},
                    }
                }
            }
        }
    }
    before = deployment()
    pod_spec(before)["containers"].append({"name": "sidecar", "image": "envoy"})
    live = served(before, managed=[entry("kubectl", applied, operation="Apply")])
    assert rules_and_paths(diff_object(deployment(), live)) == [
        ("field-removed-from-desired", "/spec/template/spec/containers/name=sidecar")
    ]


def test_update_entries_are_not_a_record_of_what_we_set() -> None:
    # An Update manager owns the defaults filled on its request too: never a removal.
    live = served(
        deployment(),
        managed=[entry("kubectl-client-side-apply", {"f:spec": {"f:progressDeadlineSeconds": {}}})],
    )
    assert diff_object(deployment(), live) == []


def test_other_appliers_are_not_ours() -> None:
    applied: dict[str, Any] = {"f:metadata": {"f:labels": {"f:team": {}}}}
    before = deployment()
    before["metadata"]["labels"]["team"] = "ml"
    live = served(before, managed=[entry("istio-operator", applied, operation="Apply")])
    assert diff_object(deployment(), live) == []
    options = DiffOptions(applier_managers=frozenset({"istio-*"}))
    assert rules_and_paths(diff_object(deployment(), live, options)) == [
        ("field-removed-from-desired", "/metadata/labels/team")
    ]


def test_two_way_finding_wins_over_three_way_on_the_same_path() -> None:
    before = deployment()
    pod_spec(before)["tolerations"] = [
        {"key": "a", "operator": "Exists"},
        {"key": "b", "operator": "Exists"},
    ]
    live = served(before, last_applied=before)
    desired = copy.deepcopy(before)
    pod_spec(desired)["tolerations"].pop()
    assert rules_and_paths(diff_object(desired, live)) == [
        ("list-item-extra", "/spec/template/spec/tolerations/key=b,operator=Exists")
    ]


def test_attribution_of_a_hand_edit() -> None:
    desired = deployment()
    live = served(
        desired,
        managed=[
            entry(
                "kubectl-client-side-apply",
                container_fields("f:image"),
                time="2026-01-01T00:00:00Z",
            ),
            entry("kubectl-edit", container_fields("f:image"), time="2026-02-01T00:00:00Z"),
        ],
    )
    pod_spec(live)["containers"][0]["image"] = "ghcr.io/acme/trainer:hotfix"
    (found,) = diff_object(desired, live, DiffOptions(revision="4f1c2e0"))
    assert (found.manager, found.changed_at, found.revision) == (
        "kubectl-edit",
        "2026-02-01T00:00:00Z",
        "4f1c2e0",
    )
