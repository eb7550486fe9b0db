"""JSON pointers of findings: RFC 6901 escaping and keyed list elements addressed by key."""

from __future__ import annotations

import pytest

from kubedrift.diff.pointers import ListKey, Path, render, split, unescape

TRAINER = ListKey((("name", "trainer"),))
PORT = ListKey((("containerPort", 8080), ("protocol", "TCP")))


@pytest.mark.parametrize(
    ("path", "pointer"),
    [
        ((), ""),
        (("spec", "replicas"), "/spec/replicas"),
        (
            ("metadata", "labels", "app.kubernetes.io/name"),
            "/metadata/labels/app.kubernetes.io~1name",
        ),
        (("a~b",), "/a~0b"),
        (("spec", "containers", TRAINER, "image"), "/spec/containers/name=trainer/image"),
        (("ports", PORT), "/ports/containerPort=8080,protocol=TCP"),
        (("args", 0), "/args/0"),
        (("t", ListKey((("key", "nvidia.com/gpu"), ("value", None)))), "/t/key=nvidia.com~1gpu"),
        (("x", ListKey((("name", "a,b=c%d"),))), "/x/name=a%2Cb%3Dc%25d"),
        (("x", ListKey((("enabled", True),))), "/x/enabled=true"),
    ],
)
def test_render(path: Path, pointer: str) -> None:
    assert render(path) == pointer


@pytest.mark.parametrize(
    ("pointer", "segments"),
    [
        ("", ()),
        ("/spec/replicas", ("spec", "replicas")),
        ("/a~1b/c~0d", ("a/b", "c~d")),
        ("/~01", ("~1",)),  # ~0 first, then 1: not a slash
        ("/", ("",)),
    ],
)
def test_split(pointer: str, segments: tuple[str, ...]) -> None:
    assert split(pointer) == segments


@pytest.mark.parametrize("pointer", ["spec/replicas", "/a~2", "/a~"])
def test_split_rejects_malformed_pointers(pointer: str) -> None:
    with pytest.raises(ValueError, match=r"pointer|escape"):
        split(pointer)


def test_unescape_round_trip() -> None:
    assert unescape("a~0~1b") == "a~/b"


def test_list_key_as_dict_leaves_out_unset_fields() -> None:
    key = ListKey((("key", None), ("operator", "Exists")))
    assert key.as_dict() == {"operator": "Exists"}
    assert key.render() == "operator=Exists"
