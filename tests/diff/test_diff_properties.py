"""Properties of normalization and comparison over generated Kubernetes-like objects.

Needs `hypothesis` (test extra).
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

hypothesis = pytest.importorskip("hypothesis")

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from kubedrift.diff import diff_object, normalize_object, render  # noqa: E402
from kubedrift.diff.pointers import split  # noqa: E402
from kubedrift.diff.quantities import canonical_quantity, quantities_equal  # noqa: E402

# Field names that switch on special handling (keyed lists, quantity maps, string maps, ports).
KEYS = st.sampled_from(
    [
        "containers", "env", "ports", "volumeMounts", "tolerations", "initContainers",
        "name", "value", "key", "operator", "mountPath", "containerPort", "port", "protocol",
        "limits", "requests", "cpu", "memory", "labels", "annotations", "data",
        "replicas", "args", "enabled", "a", "b",
    ]
)  # fmt: skip
QUANTITY_TEXT = st.sampled_from(
    ["1", "1000m", "0.5", "500m", "1Gi", "1024Mi", "2", "1e3", "1k", "250m", "30Gi"]
)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-3, max_value=9000),
    st.sampled_from([0.5, 1.0, 2.5]),
    QUANTITY_TEXT,
    st.sampled_from(["", "a", "b", "TCP", "UDP", "Exists", "8080", "x/y", "~"]),
)
JSON_VALUES = st.recursive(
    SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=3),
        st.lists(st.dictionaries(KEYS, children, max_size=4), max_size=3),
        st.dictionaries(KEYS, children, max_size=5),
    ),
    max_leaves=25,
)


@st.composite
def objects(draw: st.DrawFn) -> dict[str, Any]:
    body = draw(st.dictionaries(KEYS, JSON_VALUES, max_size=5))
    return {
        "apiVersion": "example.com/v1",
        "kind": "Thing",
        "metadata": {"name": "t"},
        "spec": body,
    }


@settings(max_examples=300, deadline=None)
@given(objects())
def test_normalize_is_idempotent(obj: dict[str, Any]) -> None:
    once = normalize_object(obj)
    assert normalize_object(once) == once


@settings(max_examples=300, deadline=None)
@given(objects())
def test_an_object_never_drifts_from_itself(obj: dict[str, Any]) -> None:
    before = copy.deepcopy(obj)
    assert diff_object(obj, copy.deepcopy(obj)) == []
    assert obj == before


@settings(max_examples=300, deadline=None)
@given(objects())
def test_normalized_form_means_the_same(obj: dict[str, Any]) -> None:
    normalized = normalize_object(obj)
    assert diff_object(normalized, obj) == []
    assert diff_object(obj, normalized) == []


@given(QUANTITY_TEXT)
def test_canonical_quantity_keeps_the_value(text: str) -> None:
    assert quantities_equal(canonical_quantity(text), text)


@given(st.lists(st.text(min_size=1), max_size=5))
def test_pointer_round_trip(segments: list[str]) -> None:
    assert split(render(tuple(segments))) == tuple(segments)
