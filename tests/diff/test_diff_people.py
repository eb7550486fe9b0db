"""Issue 10, points 4-6 in the pure diff: additions by people, fields not served, attribution.

The managedFields here have the shapes a real v1.20.2 apiserver writes (see
tests/engine/test_managed_fields_apiserver.py, which checks the same rules end to end), plus
the `subresource` field of servers from 1.22 on.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from diff.diff_builders import container_fields, deployment, entry, served
from kubedrift.diff import (
    DiffOptions,
    compile_ignore_rules,
    compile_trusted_rules,
    diff_object,
)
from kubedrift.diff.managers import Role, role_of
from kubedrift.model import MISSING, Finding

Obj = dict[str, Any]
CONTAINER = "/spec/template/spec/containers/name=trainer"
APPLIED = "2026-01-01T00:00:00Z"
LATER = "2026-01-05T00:00:00Z"


def creator() -> Obj:
    """The client-side applier's entry as 1.20 writes it on create: defaults included."""
    return entry(
        "kubectl-client-side-apply",
        {
            "f:metadata": {
                "f:annotations": {
                    ".": {},
                    "f:kubectl.kubernetes.io/last-applied-configuration": {},
                },
                "f:labels": {".": {}, "f:app": {}},
            },
            "f:spec": {
                "f:replicas": {},
                "f:progressDeadlineSeconds": {},
                "f:template": {"f:spec": {"f:dnsPolicy": {}, "f:securityContext": {}}},
            },
        },
        time=APPLIED,
    )


def live_with(*people: Obj, change: Any = None) -> Obj:
    """Desired as served, after `change(live)`, with the creator's entry and `people`'s."""
    live = served(deployment(), last_applied=deployment(), managed=[creator(), *people])
    if change is not None:
        change(live)
    return live


def pod(obj: Obj) -> Obj:
    spec: Obj = obj["spec"]["template"]["spec"]
    return spec


def found(findings: list[Finding]) -> list[tuple[str, str, str | None]]:
    return [(f.rule, f.path, f.manager) for f in findings]


def add_env(live: Obj) -> None:
    pod(live)["containers"][0]["env"].append({"name": "EXTRA", "value": "1"})


def extra_env_set() -> Obj:
    fields = container_fields("f:env")
    env = fields["f:spec"]["f:template"]["f:spec"]["f:containers"]['k:{"name":"trainer"}']
    env["f:env"] = {'k:{"name":"EXTRA"}': {".": {}, "f:name": {}, "f:value": {}}}
    return fields


# -- point 5: additions ------------------------------------------------------------------------


@pytest.mark.parametrize("manager", ["kubectl-set", "kubectl-edit", "gpu-tuning-script"])
def test_an_env_var_added_by_a_person_is_drift(manager: str) -> None:
    live = live_with(entry(manager, extra_env_set(), time=LATER), change=add_env)
    findings = diff_object(deployment(), live)
    assert found(findings) == [("field-added", f"{CONTAINER}/env/name=EXTRA", manager)]
    assert (findings[0].desired, findings[0].live) == (MISSING, {"name": "EXTRA", "value": "1"})
    assert findings[0].changed_at == LATER
    assert findings[0].message.endswith('set live by hand ({"name":"EXTRA","value":"1"})')


@pytest.mark.parametrize(
    ("manager", "operation"),
    [
        ("kubectl-client-side-apply", "Update"),  # the applier (its Update owns defaults)
        ("kubectl-create", "Update"),
        ("kubectl", "Update"),  # kubectl before 1.19 wrote every command as `kubectl`
        ("kube-controller-manager", "Update"),
        ("istio-operator", "Apply"),  # another declarative tool's own fields
    ],
)
def test_authors_controllers_and_other_tools_stay_silent(manager: str, operation: str) -> None:
    live = live_with(entry(manager, extra_env_set(), operation=operation), change=add_env)
    assert diff_object(deployment(), live) == []


def test_a_client_that_wrote_desired_is_an_author_not_a_person() -> None:
    """A deploy bot created the object: it owns desired's fields and every default."""
    bot = creator()
    bot["manager"] = "deploy-bot"
    bot["fieldsV1"]["f:spec"]["f:template"]["f:spec"]["f:terminationGracePeriodSeconds"] = {}
    live = served(deployment(), managed=[bot])
    pod(live)["terminationGracePeriodSeconds"] = 30
    assert diff_object(deployment(), live) == []


def test_a_changed_default_is_default_overridden_and_the_default_itself_is_not() -> None:
    fields: dict[str, Any] = {"f:spec": {"f:progressDeadlineSeconds": {}}}
    changed = live_with(
        entry("kubectl-patch", fields),
        change=lambda o: o["spec"].update(progressDeadlineSeconds=60),
    )
    findings = diff_object(deployment(), changed)
    assert found(findings) == [
        ("default-overridden", "/spec/progressDeadlineSeconds", "kubectl-patch")
    ]
    assert (findings[0].desired, findings[0].live) == (600, 60)
    assert "desired leaves the default 600, live 60" in findings[0].message
    same = live_with(entry("kubectl-patch", fields))  # 600, the default: nothing to say
    assert diff_object(deployment(), same) == []


def test_a_person_leaf_inside_a_default_block_is_reported_leaf_by_leaf() -> None:
    fields: dict[str, Any] = {
        "f:spec": {"f:template": {"f:spec": {"f:securityContext": {"f:runAsUser": {}}}}}
    }
    live = live_with(
        entry("kubectl-edit", fields),
        change=lambda o: pod(o).update(securityContext={"runAsUser": 0}),
    )
    assert found(diff_object(deployment(), live)) == [
        ("field-added", "/spec/template/spec/securityContext/runAsUser", "kubectl-edit")
    ]


def test_ignore_and_trusted_rules_silence_additions() -> None:
    live = live_with(entry("gpu-tuning-script", extra_env_set()), change=add_env)
    ignore = compile_ignore_rules([{"kind": "Deployment", "jsonPointers": [f"{CONTAINER}/env"]}])
    assert diff_object(deployment(), live, DiffOptions(ignore_rules=ignore)) == []
    trusted = compile_trusted_rules(
        [
            {
                "controller": "tuner",
                "kind": "Deployment",
                "managers": ["gpu-tuning-*"],
                "jsonPointers": ["/spec/template"],
            }
        ]
    )
    assert diff_object(deployment(), live, DiffOptions(trusted_rules=trusted)) == []


def test_a_rollout_restart_is_an_operation_not_drift() -> None:
    restarted = {"kubectl.kubernetes.io/restartedAt": "2026-01-05T00:00:00Z"}
    annotations: dict[str, Any] = {".": {}, "f:kubectl.kubernetes.io/restartedAt": {}}
    fields = {"f:spec": {"f:template": {"f:metadata": {"f:annotations": annotations}}}}
    live = live_with(
        entry("kubectl-rollout", fields),
        change=lambda o: o["spec"]["template"]["metadata"].update(annotations=restarted),
    )
    assert diff_object(deployment(), live) == []
    live["metadata"]["managedFields"][1]["manager"] = "kubectl-patch"  # by hand: reported
    assert [f.rule for f in diff_object(deployment(), live)] == ["field-added"]


def test_a_secret_key_added_by_hand_is_named_never_shown() -> None:
    desired: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "s", "namespace": "ml"},
        "stringData": {"token": "plain-token-value"},
    }
    live = copy.deepcopy(desired)
    del live["stringData"]
    live["data"] = {"token": "cGxhaW4tdG9rZW4tdmFsdWU=", "extra": "aHVudGVyMg=="}
    live["metadata"]["managedFields"] = [
        entry("kubectl-create", {"f:data": {".": {}, "f:token": {}}}, time=APPLIED),
        entry("kubectl-patch", {"f:data": {"f:extra": {}}}, time=LATER),
    ]
    findings = diff_object(desired, live)
    assert found(findings) == [("field-added", "/data/extra", "kubectl-patch")]
    text = repr(findings) + json.dumps([f.to_json() for f in findings])
    assert "aHVudGVyMg==" not in text
    assert "hunter2" not in text
    assert str(findings[0].live).startswith("sha256:")


# -- point 4: fields the server does not keep ----------------------------------------------------


def service(**spec: Any) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "web", "namespace": "ml"},
        "spec": {"selector": {"app": "web"}, **spec},
    }


@pytest.mark.parametrize("operation", ["Update", "Apply"])
def test_a_field_the_applier_owns_and_live_lacks_was_not_served(operation: str) -> None:
    desired = service(ipFamilyPolicy="SingleStack", ipFamilies=["IPv4"])
    live = service()
    manager = "kubectl" if operation == "Apply" else "kubectl-client-side-apply"
    owned: dict[str, Any] = {
        "f:spec": {"f:ipFamilies": {}, "f:ipFamilyPolicy": {}, "f:selector": {"f:app": {}}}
    }
    live["metadata"]["managedFields"] = [entry(manager, owned, operation=operation)]
    findings = diff_object(desired, live)
    assert [(f.rule, f.path, f.severity.value, f.manager) for f in findings] == [
        ("field-not-served", "/spec/ipFamilyPolicy", "info", None),
        ("field-not-served", "/spec/ipFamilies", "info", None),
    ]
    assert findings[0].message == (
        '/spec/ipFamilyPolicy: desired "SingleStack", not kept by this apiserver (not drift)'
    )


def test_a_dropped_block_is_reported_once() -> None:
    desired = deployment()
    pod(desired)["os"] = {"name": "linux", "variant": "x"}
    live = served(deployment())
    fields: dict[str, Any] = {
        "f:spec": {"f:template": {"f:spec": {"f:os": {"f:name": {}, "f:variant": {}}}}}
    }
    live["metadata"]["managedFields"] = [entry("kubectl-client-side-apply", fields)]
    assert found(diff_object(desired, live)) == [
        ("field-not-served", "/spec/template/spec/os", None)
    ]


def test_removed_by_hand_or_never_applied_stays_missing() -> None:
    """Removal drops the field from every set; a leaf ancestor (`securityContext: {}`, as
    defaulted) owns the block, not the field a person removed below it."""
    desired = deployment()
    pod(desired)["securityContext"] = {"runAsUser": 1000}
    desired["metadata"]["labels"]["tier"] = "front"
    live = live_with()  # the creator owns f:securityContext as a leaf, and no tier label
    assert [(f.rule, f.path) for f in diff_object(desired, live)] == [
        ("field-missing", "/metadata/labels/tier"),
        ("field-missing", "/spec/template/spec/securityContext/runAsUser"),
    ]


# -- point 6: attribution ----------------------------------------------------------------------


def test_a_scale_through_the_subresource_is_credited_to_its_manager() -> None:
    """1.22+ records `kubectl scale` as manager kubectl-scale, subresource scale."""
    scale = entry("kubectl-scale", {"f:spec": {"f:replicas": {}}}, time=LATER, subresource="scale")
    live = live_with(scale, change=lambda o: o["spec"].update(replicas=5))
    (finding,) = diff_object(deployment(), live)
    assert (finding.rule, finding.manager, finding.changed_at) == (
        "field-changed",
        "kubectl-scale",
        LATER,
    )
    assert dict(finding.details) == {"subresource": "scale"}


def test_an_unrecorded_change_is_not_credited_to_the_applier() -> None:
    """1.20 keeps `spec.replicas` owned by the applier after `kubectl scale`."""
    live = live_with(change=lambda o: o["spec"].update(replicas=5))
    (finding,) = diff_object(deployment(), live)
    assert (finding.manager, finding.changed_at) == ("unknown", None)
    assert "kubectl-client-side-apply last applied 2" in dict(finding.details)["attribution"]


def test_the_applier_keeps_credit_for_what_it_applied() -> None:
    """Desired moved on since the last apply: live is the applier's own value."""
    live = live_with()
    desired = deployment(replicas=4)
    (finding,) = diff_object(desired, live)
    assert (finding.manager, finding.changed_at) == ("kubectl-client-side-apply", APPLIED)


def test_a_removal_is_unknown_with_the_evidence() -> None:
    label = entry("kubectl-label", {"f:metadata": {"f:labels": {"f:owner": {}}}}, time=LATER)
    live = live_with(label, change=lambda o: o["metadata"]["labels"].update(owner="ops"))
    desired = deployment()
    desired["metadata"]["labels"]["owner"] = "ops"
    pod(desired)["containers"][0]["env"].append({"name": "GONE", "value": "1"})
    applied = copy.deepcopy(desired)
    live["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"] = (
        json.dumps(applied)
    )
    (finding,) = diff_object(desired, live)
    assert (finding.rule, finding.manager, finding.changed_at) == (
        "list-item-missing",
        "unknown",
        None,
    )
    assert dict(finding.details) == {
        "removed": "managedFields keep no record of who removes a field",
        "removed_after": APPLIED,
        "writers_since": "kubectl-label",
    }


def test_a_field_never_applied_is_not_a_removal() -> None:
    desired = deployment()
    desired["metadata"]["labels"]["tier"] = "front"  # new in Git, not applied yet
    (finding,) = diff_object(desired, live_with())
    assert (finding.rule, finding.manager) == ("field-missing", None)
    assert dict(finding.details) == {"cause": "not applied since desired changed"}


def test_without_managed_fields_nothing_is_attributed() -> None:
    live = served(deployment(), last_applied=deployment())
    live["spec"]["replicas"] = 5
    (finding,) = diff_object(deployment(), live)
    assert (finding.manager, finding.details) == (None, ())


@pytest.mark.parametrize(
    ("manager", "operation", "role"),
    [
        ("kubectl-client-side-apply", "Update", Role.AUTHOR),
        ("kubectl", "Apply", Role.AUTHOR),
        ("kubectl-create", "Update", Role.AUTHOR),
        ("kubectl-edit", "Update", Role.PERSON),
        ("kubectl-scale", "Update", Role.PERSON),
        ("kube-controller-manager", "Update", Role.CONTROLLER),
        ("keda-operator", "Update", Role.CONTROLLER),
        ("my-script", "Update", Role.PERSON),
        ("my-operator", "Apply", Role.CONTROLLER),
        ("argocd-controller", "Apply", Role.AUTHOR),
    ],
)
def test_roles(manager: str, operation: str, role: Role) -> None:
    appliers = DiffOptions().applier_managers
    assert role_of(manager, operation, appliers, ("gpu-operator*",)) is role
