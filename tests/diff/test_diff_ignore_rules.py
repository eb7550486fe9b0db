"""Ignore rules: validation of the raw config, and their effect on both sides."""

from __future__ import annotations

from typing import Any

import pytest

from diff.diff_builders import deployment, served
from kubedrift.diff import DiffOptions, compile_ignore_rules, diff_object
from kubedrift.diff.selectors import LabelSelector, Requirement, Selector
from kubedrift.model import InputError


def drifted() -> tuple[dict[str, Any], dict[str, Any]]:
    """A desired Deployment and a live one with image, replicas and env changed."""
    desired = deployment()
    live = served(desired)
    live["spec"]["replicas"] = 5
    container = live["spec"]["template"]["spec"]["containers"][0]
    container["image"] = "other:2"
    container["env"][0]["value"] = "x"
    return desired, live


def found_paths(raw_rules: list[dict[str, Any]]) -> list[str]:
    desired, live = drifted()
    options = DiffOptions(ignore_rules=compile_ignore_rules(raw_rules))
    return [f.path for f in diff_object(desired, live, options)]


ALL = [
    "/spec/replicas",
    "/spec/template/spec/containers/name=trainer/image",
    "/spec/template/spec/containers/name=trainer/env/name=A/value",
]


@pytest.mark.parametrize(
    ("rule", "remaining"),
    [
        ({"jsonPointers": ["/spec/replicas"]}, ALL[1:]),
        ({"group": "apps", "kind": "Deployment", "jsonPointers": ["/spec/replicas"]}, ALL[1:]),
        ({"group": "", "jsonPointers": ["/spec/replicas"]}, ALL),  # core group only
        ({"group": "*", "jsonPointers": ["/spec/replicas"]}, ALL[1:]),
        ({"kind": "StatefulSet", "jsonPointers": ["/spec/replicas"]}, ALL),
        (
            {
                "kind": "Deploy*",
                "namespace": "m?",
                "name": "train*",
                "jsonPointers": ["/spec/replicas"],
            },
            ALL[1:],
        ),
        ({"name": "other", "jsonPointers": ["/spec/replicas"]}, ALL),
        (
            {
                "labelSelector": {"matchLabels": {"app": "trainer"}},
                "jsonPointers": ["/spec/replicas"],
            },
            ALL[1:],
        ),
        ({"labelSelector": {"matchLabels": {"app": "x"}}, "jsonPointers": ["/spec/replicas"]}, ALL),
        ({"jsonPointers": ["/spec/template/spec/containers/*/image"]}, [ALL[0], ALL[2]]),
        ({"jsonPointers": ["/spec/template/spec/containers/name=trainer/image"]}, [ALL[0], ALL[2]]),
        (
            {"jsonPointers": ["/spec/template/spec/containers/0/image"]},
            [ALL[0], ALL[2]],
        ),  # Argo CD style
        ({"jsonPointers": ["/spec/template/spec/containers/1/image"]}, ALL),
        ({"jsonPointers": ["/spec/template/spec/containers/*/env"]}, ALL[:2]),
        ({"jsonPointers": ["/spec/template"]}, ALL[:1]),
        (
            {"jsonPointers": ["/does/not/exist", "/spec/template/spec/volumes/0"]},
            ALL,
        ),  # not an error
        ({"jsonPointers": [""]}, []),  # the whole object
    ],
)
def test_ignore_rules_prune_both_sides(rule: dict[str, Any], remaining: list[str]) -> None:
    assert found_paths([rule]) == remaining


def test_several_rules_combine() -> None:
    rules: list[dict[str, Any]] = [
        {"jsonPointers": ["/spec/replicas"]},
        {"kind": "Deployment", "jsonPointers": ["/spec/template/spec/containers/*/env"]},
    ]
    assert found_paths(rules) == [ALL[1]]


def test_whole_object_rule_also_covers_its_absence() -> None:
    options = DiffOptions(
        ignore_rules=compile_ignore_rules([{"name": "trainer", "jsonPointers": [""]}])
    )
    assert diff_object(deployment(), None, options) == []
    assert [f.rule for f in diff_object(deployment(), None)] == ["object-missing"]


def test_glob_segments_match_label_keys() -> None:
    desired = deployment()
    desired["metadata"]["labels"].update({"example.com/a": "1", "example.com/b": "2", "keep": "3"})
    live = served(deployment())
    rules = compile_ignore_rules([{"jsonPointers": ["/metadata/labels/example.com~1*"]}])
    found = diff_object(desired, live, DiffOptions(ignore_rules=rules))
    assert [f.path for f in found] == ["/metadata/labels/keep"]


def test_compiled_form() -> None:
    (rule,) = compile_ignore_rules(
        [
            {
                "group": "apps",
                "kind": "Deployment",
                "labelSelector": {
                    "matchLabels": {"a": "b"},
                    "matchExpressions": [{"key": "tier", "operator": "In", "values": ["gpu"]}],
                },
                "jsonPointers": ["/spec/replicas", "/metadata/annotations/a~1b"],
                "reason": "scaled by the batch scheduler",
            }
        ]
    )
    assert rule.selector == Selector(
        group="apps",
        kind="Deployment",
        labels=LabelSelector((("a", "b"),), (Requirement("tier", "In", ("gpu",)),)),
    )
    assert rule.pointers == (("spec", "replicas"), ("metadata", "annotations", "a/b"))
    assert rule.reason == "scaled by the batch scheduler"
    with pytest.raises(AttributeError):
        rule.reason = "x"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("not a mapping", "a rule must be a mapping"),
        ({}, "'jsonPointers' must be a non-empty list"),
        ({"jsonPointers": []}, "'jsonPointers' must be a non-empty list"),
        ({"jsonPointers": "/spec/replicas"}, "'jsonPointers' must be a non-empty list"),
        ({"jsonPointers": ["spec/replicas"]}, "must start with '/'"),
        ({"jsonPointers": ["/spec/a~2"]}, "not a valid escape"),
        ({"jsonPointers": ["/spec//replicas"]}, "empty segment"),
        ({"jsonPointers": [3]}, "must be a string"),
        ({"jsonPointers": ["/a"], "kind": 3}, "'kind' must be a string"),
        ({"jsonPointers": ["/a"], "jqPathExpressions": [".a"]}, "unknown key.*jqPathExpressions"),
        ({"jsonPointers": ["/a"], "labelSelector": "app=x"}, "'labelSelector' must be a mapping"),
        (
            {"jsonPointers": ["/a"], "labelSelector": {"matchLabels": {"a": 1}}},
            "'matchLabels' must map",
        ),
        (
            {
                "jsonPointers": ["/a"],
                "labelSelector": {"matchExpressions": [{"key": "a", "operator": "Near"}]},
            },
            "operator must be one of",
        ),
        (
            {
                "jsonPointers": ["/a"],
                "labelSelector": {"matchExpressions": [{"key": "a", "operator": "In"}]},
            },
            "needs at least one value",
        ),
        (
            {
                "jsonPointers": ["/a"],
                "labelSelector": {
                    "matchExpressions": [{"key": "a", "operator": "Exists", "values": ["x"]}]
                },
            },
            "takes no values",
        ),
        ({"jsonPointers": ["/a"], "reason": 5}, "'reason' must be a string"),
    ],
)
def test_validation_errors_name_the_rule(raw: Any, message: str) -> None:
    with pytest.raises(InputError, match=message) as excinfo:
        compile_ignore_rules([{"jsonPointers": ["/ok"]}, raw])
    assert excinfo.value.where == "ignore rule #2"
    assert str(excinfo.value).startswith("ignore rule #2: ")


def test_rules_must_be_a_list() -> None:
    with pytest.raises(InputError, match="ignore rules must be a list"):
        compile_ignore_rules({"jsonPointers": ["/a"]})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("expression", "labels", "matches"),
    [
        (Requirement("tier", "In", ("gpu", "cpu")), {"tier": "gpu"}, True),
        (Requirement("tier", "In", ("gpu",)), {}, False),
        (Requirement("tier", "NotIn", ("gpu",)), {}, True),
        (Requirement("tier", "NotIn", ("gpu",)), {"tier": "gpu"}, False),
        (Requirement("tier", "Exists"), {"tier": ""}, True),
        (Requirement("tier", "DoesNotExist"), {"tier": ""}, False),
    ],
)
def test_label_selector_requirements(
    expression: Requirement, labels: dict[str, str], matches: bool
) -> None:
    assert expression.matches(labels) is matches


def test_ignore_rules_also_cover_three_way_removals() -> None:
    before = deployment()
    before["metadata"]["labels"]["team"] = "ml"
    live = served(before, last_applied=before)
    assert [f.path for f in diff_object(deployment(), live)] == ["/metadata/labels/team"]
    rules = compile_ignore_rules([{"jsonPointers": ["/metadata/labels/team"]}])
    assert diff_object(deployment(), live, DiffOptions(ignore_rules=rules)) == []
