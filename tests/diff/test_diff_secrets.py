"""Secret values never leave the process: findings show keyed hashes, never values."""

from __future__ import annotations

import base64
import json
from typing import Any

from diff.diff_builders import entry
from kubedrift.diff import DiffOptions, compile_ignore_rules, diff_object, diff_objects
from kubedrift.diff.secrets import keyed_hash
from kubedrift.model import MISSING, Finding

OLD, NEW, GONE = "hunter2-old-password", "s3cret-new-password", "removed-token-value"
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def secret(
    data: dict[str, str] | None = None, string_data: dict[str, str] | None = None
) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "db", "namespace": "ml"},
        "type": "Opaque",
    }
    if data is not None:
        obj["data"] = data
    if string_data is not None:
        obj["stringData"] = string_data
    return obj


def live_secret(data: dict[str, str], last_applied: dict[str, Any] | None = None) -> dict[str, Any]:
    live = secret(data)
    if last_applied is not None:
        live["metadata"]["annotations"] = {LAST_APPLIED: json.dumps(last_applied)}
    return live


def assert_never_shown(findings: list[Finding], *values: str) -> None:
    text = (
        repr(findings)
        + json.dumps([f.to_json() for f in findings])
        + "".join(f.message for f in findings)
    )
    for value in values:
        for form in (value, b64(value)):
            assert form not in text, f"{form!r} leaked"


def test_string_data_in_desired_matches_base64_data_live() -> None:
    assert (
        diff_object(secret(string_data={"password": OLD}), live_secret({"password": b64(OLD)}))
        == []
    )
    # stringData wins over data for the same key, as the apiserver merges them
    desired = secret({"password": b64("ignored")}, {"password": OLD})
    assert diff_object(desired, live_secret({"password": b64(OLD)})) == []


def test_changed_value_shows_keyed_hashes_only() -> None:
    key = b"fixed-key-for-this-test"
    live = live_secret({"password": b64(OLD)}, last_applied=secret({"password": b64(OLD)}))
    found = diff_object(
        secret(string_data={"password": NEW}), live, DiffOptions(secret_hash_key=key)
    )
    (finding,) = found
    assert (finding.rule, finding.path, finding.severity.value) == (
        "field-changed",
        "/data/password",
        "high",
    )
    assert finding.desired == keyed_hash(NEW.encode(), key)
    assert finding.live == keyed_hash(OLD.encode(), key)
    assert finding.desired.startswith("sha256:")
    assert len(finding.desired) == len("sha256:") + 12
    assert_never_shown(found, OLD, NEW)


def test_hash_key_is_random_per_process_unless_given() -> None:
    value = b"v"
    assert keyed_hash(value, b"k1") != keyed_hash(value, b"k2")
    assert keyed_hash(value, b"k1") == keyed_hash(value, b"k1")
    assert "secret_hash_key" not in repr(DiffOptions())


def test_missing_key_and_key_removed_from_desired() -> None:
    before = secret({"password": b64(OLD), "token": b64(GONE)})
    live = live_secret({"password": b64(OLD), "token": b64(GONE)}, last_applied=before)
    desired = secret({"password": b64(OLD), "ca.crt": b64(NEW)})
    found = diff_object(desired, live)
    assert [(f.rule, f.path) for f in found] == [
        ("field-missing", "/data/ca.crt"),
        ("field-removed-from-desired", "/data/token"),
    ]
    assert found[0].live is MISSING
    assert found[1].desired is MISSING
    assert_never_shown(found, OLD, NEW, GONE)


def test_key_removed_after_server_side_apply_is_masked() -> None:
    live = live_secret({"password": b64(OLD), "token": b64(GONE)})
    live["metadata"]["managedFields"] = [
        entry("kubedrift", {"f:data": {"f:password": {}, "f:token": {}}}, operation="Apply")
    ]
    found = diff_object(secret({"password": b64(OLD)}), live)
    assert [(f.rule, f.path) for f in found] == [("field-removed-from-desired", "/data/token")]
    assert_never_shown(found, OLD, GONE)


def test_last_applied_of_a_secret_is_never_compared_or_shown() -> None:
    # The annotation holds the old value in clear; a desired file exported from live has it too.
    annotation = json.dumps(secret({"password": b64(GONE)}))
    desired = secret({"password": b64(NEW)})
    desired["metadata"]["annotations"] = {LAST_APPLIED: "stale " + GONE}
    live = live_secret({"password": b64(OLD)})
    live["metadata"]["annotations"] = {LAST_APPLIED: annotation, "team": "ml"}
    found = diff_objects([desired], [live])
    assert [f.path for f in found] == ["/data/password"]
    assert_never_shown(found, OLD, NEW, GONE)


def test_object_missing_secret_shows_no_value() -> None:
    found = diff_object(secret({"password": b64(NEW)}), None)
    assert [(f.rule, f.path, f.desired, f.live) for f in found] == [
        ("object-missing", "", "present", MISSING)
    ]
    assert_never_shown(found, NEW)


def test_ignore_rules_apply_to_secret_keys() -> None:
    rules = compile_ignore_rules([{"kind": "Secret", "jsonPointers": ["/data/password"]}])
    found = diff_object(
        secret({"password": b64(NEW)}),
        live_secret({"password": b64(OLD)}),
        DiffOptions(ignore_rules=rules),
    )
    assert found == []
    rules = compile_ignore_rules([{"kind": "Secret", "jsonPointers": ["/stringData/*"]}])
    found = diff_object(
        secret(string_data={"password": NEW}),
        live_secret({"password": b64(OLD)}),
        DiffOptions(ignore_rules=rules),
    )
    assert found == []


def test_other_fields_of_a_secret_are_compared_normally() -> None:
    desired = secret({"password": b64(OLD)})
    desired["type"] = "kubernetes.io/tls"
    found = diff_object(desired, live_secret({"password": b64(OLD)}))
    assert [(f.path, f.desired, f.live) for f in found] == [
        ("/type", "kubernetes.io/tls", "Opaque")
    ]


def test_empty_and_null_secret_values_match() -> None:
    assert diff_object(secret({"empty": ""}), live_secret({})) == []
    live = secret()
    live["data"] = {"empty": None}
    assert diff_object(secret({"empty": ""}), live) == []


def test_masked_values_in_findings_are_plain_strings_that_encoders_accept() -> None:
    """Issue 10.1: msgspec and PyYAML's safe dumper refuse the `Masked` str subclass."""
    findings = diff_object(secret({"a": b64(NEW)}), live_secret({"a": b64(OLD)}))
    (finding,) = findings
    assert type(finding.desired) is str
    assert type(finding.live) is str
