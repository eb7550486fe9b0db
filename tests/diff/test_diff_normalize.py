"""Canonical values: each normalization step on its own."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from kubedrift.diff.canonical import scalars_equal, yaml_string
from kubedrift.diff.normalize import is_absent, is_vacuous, normalize_object
from kubedrift.model import MISSING


@pytest.mark.parametrize(
    ("value", "vacuous"),
    [
        (None, True),
        (MISSING, True),
        ("", True),
        (False, True),
        (0, True),
        (0.0, True),
        ([], True),
        ({}, True),
        ({"a": {}, "b": None, "c": ""}, True),
        ({"a": {"b": []}}, True),
        ("x", False),
        (True, False),
        (1, False),
        ([None], False),  # a list with an element is a value
        ({"a": 1}, False),
    ],
)
def test_is_vacuous(value: Any, vacuous: bool) -> None:
    assert is_vacuous(value) is vacuous


@pytest.mark.parametrize(
    ("value", "absent"),
    [(None, True), (MISSING, True), ("", True), ([], True), ({}, True), (0, False), (False, False)],
)
def test_is_absent_keeps_zero_and_false(value: Any, absent: bool) -> None:
    assert is_absent(value) is absent


@pytest.mark.parametrize(
    ("desired", "live", "key", "parent", "equal"),
    [
        # quantities, by parent map or by field
        ("1000m", "1", "cpu", "limits", True),
        (1, "1", "cpu", "requests", True),
        ("1Gi", "1024Mi", "memory", "requests", True),
        ("30Gi", "30720Mi", "storage", "requests", True),
        ("1Gi", "1G", "memory", "limits", False),
        ("500Mi", "524288000", "sizeLimit", "emptyDir", True),
        ("1", "1000m", "divisor", "resourceFieldRef", True),
        ("1000m", "1", "cpu", "spec", False),  # not a quantity field: text compared
        # int-or-string ports
        ("8080", 8080, "containerPort", 0, True),
        (80, "80", "targetPort", "spec", True),
        ("http", "http", "port", "httpGet", True),
        ("8080", 8080, "replicas", "spec", False),
        # YAML scalars in string maps and env values
        (True, "true", "enabled", "labels", True),
        (2, "2", "replicas", "annotations", True),
        (1.5, "1.5", "ratio", "nodeSelector", True),
        (True, "true", "value", 0, True),
        (True, "true", "enabled", "spec", False),  # Kubernetes coerces nothing elsewhere
        (True, 1, "x", "spec", False),
        (False, 0, "x", "spec", False),
        # numbers as numbers
        (1, 1.0, "x", "spec", True),
        ("a", "b", "x", "spec", False),
    ],
)
def test_scalars_equal(desired: Any, live: Any, key: object, parent: object, equal: bool) -> None:
    assert scalars_equal(desired, live, key, parent) is equal


@pytest.mark.parametrize(
    ("value", "text"), [(True, "true"), (False, "false"), (2, "2"), (1.5, "1.5"), ("x", "x")]
)
def test_yaml_string(value: Any, text: str) -> None:
    assert yaml_string(value) == text


def test_normalize_object_canonical_copy() -> None:
    obj = {
        "metadata": {"labels": {"enabled": True}, "annotations": {}},
        "spec": {
            "containers": [
                {
                    "name": "a",
                    "args": [],
                    "ports": [{"containerPort": "80"}],
                    "resources": {"limits": {"cpu": "1000m", "memory": "1024Mi"}},
                    "stdin": False,
                }
            ],
            "tolerations": [{"key": "k", "effect": "NoSchedule", "value": ""}],
            "volumes": [{"name": "", "emptyDir": {}}],
        },
    }
    original = copy.deepcopy(obj)
    assert normalize_object(obj) == {
        "metadata": {"labels": {"enabled": "true"}},
        "spec": {
            "containers": [
                {
                    "name": "a",
                    "ports": [{"containerPort": 80}],
                    "resources": {"limits": {"cpu": "1", "memory": "1073741824"}},
                }
            ],
            "tolerations": [{"key": "k", "effect": "NoSchedule", "value": ""}],  # key fields stay
            "volumes": [{"name": ""}],
        },
    }
    assert obj == original  # never mutated


def test_normalize_object_is_idempotent_on_an_example() -> None:
    obj = {"spec": {"resources": {"requests": {"cpu": 0.5}}, "env": [{"name": "X", "value": 3}]}}
    once = normalize_object(obj)
    assert normalize_object(once) == once
