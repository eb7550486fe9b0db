"""Desired objects held packed (issue 18.4): a zlib preset dictionary per kind.

What a diff decodes is the very object desired state holds — the packing only changes how
many bytes it takes between diffs — and thousands of objects of one kind share one
dictionary, so each costs a fraction of its JSON encoding.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from kubedrift.cluster.discovery import ApiResource
from kubedrift.controller import desired as desired_state

CONFIGMAPS = ApiResource("", "v1", "ConfigMap", "configmaps", True)


def _objects(count: int) -> list[dict[str, object]]:
    return [
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {
                "name": f"serving-{i:05d}",
                "namespace": f"team-{i % 4}",
                "labels": {"app.kubernetes.io/name": "vllm", "team": f"t{i % 3}"},
            },
            "data": {"max_model_len": str(4096 * (1 + i % 3)), "dtype": "bfloat16"},
        }
        for i in range(count)
    ]


def test_packed_objects_decode_to_what_desired_holds(tmp_path: Path) -> None:
    objects = _objects(500)
    (tmp_path / "all.json").write_text(json.dumps({"kind": "List", "items": objects}))
    state = desired_state.load((str(tmp_path),), None)
    resolved = desired_state.resolve(state, {("", "ConfigMap"): CONFIGMAPS}, "default")
    kind = resolved.kinds[("", "ConfigMap")]
    assert kind.packer is not None
    for obj in objects:
        meta = obj["metadata"]
        assert isinstance(meta, dict)
        key = ("", "ConfigMap", meta["namespace"], meta["name"])
        assert kind.get(key) == obj
    packed = sum(len(v) for v in kind.objects.values())
    plain = sum(len(json.dumps(o, separators=(",", ":"))) for o in objects)
    assert packed * 3 < plain  # ~0.15 KB each against ~0.25 KB of JSON here, less in life
    assert kind.get(("", "ConfigMap", "team-0", "absent")) is None


def test_key_strings_are_shared(tmp_path: Path) -> None:
    """The kind and namespace strings of every key are one object each (interned)."""
    (tmp_path / "all.json").write_text(json.dumps({"kind": "List", "items": _objects(40)}))
    state = desired_state.load((str(tmp_path),), None)
    resolved = desired_state.resolve(state, {("", "ConfigMap"): CONFIGMAPS}, "default")
    keys = list(resolved.kinds[("", "ConfigMap")].objects)
    assert len({id(k[1]) for k in keys}) == 1
    assert len({id(k[2]) for k in keys}) == 4
    assert all(k[3] is sys.intern(k[3]) for k in keys)
