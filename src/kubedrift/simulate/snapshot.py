"""A fleet as `kubectl get ... -o json|yaml` writes it, and its ground truth beside it.

The JSON is a `v1 List` with sorted keys and four-space indentation, as kubectl prints it
(it re-encodes objects as maps, so keys come out sorted); YAML uses libyaml's dumper with
kubectl's block style. Both load back to exactly `fleet_to_list(fleet)`.
"""

from __future__ import annotations

import enum
from pathlib import Path
from typing import Any

import msgspec
import yaml

from kubedrift.simulate.fleet import Fleet


class SnapshotFormat(enum.Enum):
    """File formats of a snapshot."""

    JSON = "json"
    YAML = "yaml"

    @classmethod
    def for_path(cls, path: Path) -> SnapshotFormat:
        """YAML for `.yaml`/`.yml` files, JSON otherwise."""
        return cls.YAML if path.suffix.lower() in (".yaml", ".yml") else cls.JSON


def fleet_to_list(fleet: Fleet) -> dict[str, Any]:
    """The fleet's objects as one `v1 List` (the objects themselves, not copies)."""
    return {
        "apiVersion": "v1",
        "items": list(fleet.objects()),
        "kind": "List",
        "metadata": {"resourceVersion": ""},
    }


def encode_json(document: Any) -> bytes:
    """kubectl-style JSON: sorted keys, four-space indent, trailing newline."""
    return msgspec.json.format(msgspec.json.encode(document, order="sorted"), indent=4) + b"\n"


def encode_yaml(document: Any) -> bytes:
    """kubectl-style YAML (block style, sorted keys) through libyaml."""
    text: str = yaml.dump(
        document,
        Dumper=yaml.CSafeDumper,
        default_flow_style=False,
        sort_keys=True,
        allow_unicode=True,
        width=1 << 16,
    )
    return text.encode()


def write_snapshot(fleet: Fleet, path: Path, fmt: SnapshotFormat | None = None) -> Path:
    """Write the fleet as one List to `path` (format from the suffix unless given)."""
    fmt = fmt or SnapshotFormat.for_path(path)
    document = fleet_to_list(fleet)
    data = encode_yaml(document) if fmt is SnapshotFormat.YAML else encode_json(document)
    path.write_bytes(data)
    return path


def write_ground_truth(fleet: Fleet, path: Path) -> Path:
    """Write the injected drifts (`Fleet.ground_truth()`) as JSON to `path`."""
    path.write_bytes(encode_json(fleet.ground_truth()))
    return path
