"""Keyed lists: which lists are matched by key, and the key of each element."""

from __future__ import annotations

from typing import Any

import pytest

from kubedrift.diff.merge_keys import ListKind, item_keys, keyed_lists, list_key
from kubedrift.diff.pointers import render


@pytest.mark.parametrize(
    ("name", "items", "rendered"),
    [
        ("containers", [{"name": "a"}], ["name=a"]),
        ("env", [{"name": "A", "value": "1"}], ["name=A"]),
        ("volumeMounts", [{"name": "v", "mountPath": "/x"}], ["mountPath=/x"]),
        ("ports", [{"containerPort": 80}], ["containerPort=80,protocol=TCP"]),
        ("ports", [{"port": 53, "protocol": "UDP"}], ["port=53,protocol=UDP"]),
        (
            "tolerations",
            [{"key": "k", "effect": "NoSchedule"}],
            ["key=k,operator=Equal,effect=NoSchedule"],
        ),
        ("tolerations", [{"operator": "Exists"}], ["operator=Exists"]),
        ("hostAliases", [{"ip": "10.0.0.1"}], ["ip=10.0.0.1"]),
        ("imagePullSecrets", [{"name": "regcred"}], ["name=regcred"]),
        ("addresses", [{"ip": "10.0.0.2"}], ["ip=10.0.0.2"]),
    ],
)
def test_element_keys(name: str, items: list[Any], rendered: list[str]) -> None:
    found = keyed_lists(name, items, items)
    assert found is not None
    spec, (keys, _) = found
    assert [list_key(spec, k).render() for k in keys] == rendered


@pytest.mark.parametrize(
    ("name", "items"),
    [
        ("command", [{"name": "a"}]),  # not a keyed list
        ("containers", [{"image": "x"}]),  # key field missing
        ("containers", ["a", "b"]),  # not objects
        ("env", [{"name": "A"}, {"name": "A"}]),  # duplicate keys: compared as atomic
        (0, [{"name": "a"}]),
    ],
)
def test_atomic_fallback(name: Any, items: list[Any]) -> None:
    assert keyed_lists(name, items, items) is None


def test_merge_and_set_lists() -> None:
    merge = keyed_lists("containers", [{"name": "a"}], [])
    assert merge is not None
    assert merge[0].kind is ListKind.MERGE
    service = keyed_lists("ports", [{"port": 80}], [{"port": 80, "protocol": "TCP"}])
    assert service is not None
    assert service[0].kind is ListKind.SET
    tolerations = keyed_lists("tolerations", [], [{"key": "k"}])
    assert tolerations is not None
    assert tolerations[0].kind is ListKind.SET


def test_unhashable_key_falls_back_to_atomic() -> None:
    found = keyed_lists("containers", [{"name": {"x": 1}}], [])
    assert found is None


def test_item_keys_fill_default_protocol() -> None:
    spec_and_keys = keyed_lists(
        "ports", [{"containerPort": 80}], [{"containerPort": 80, "protocol": "TCP"}]
    )
    assert spec_and_keys is not None
    spec, (desired, live) = spec_and_keys
    assert desired == live == [(80, "TCP")]
    assert (
        item_keys(spec, [{"containerPort": 80}, {"containerPort": 80, "protocol": "TCP"}]) is None
    )
    assert render(("ports", list_key(spec, desired[0]))) == "/ports/containerPort=80,protocol=TCP"
