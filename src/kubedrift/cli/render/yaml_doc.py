"""The `yaml` format: the JSON document of the output contract, written as block YAML."""

from __future__ import annotations

from typing import Any

import yaml

from kubedrift.model import Report


class _Dumper(yaml.CSafeDumper):
    """Safe dumper that never writes anchors: a value shared by two findings is written twice."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _represent_str(dumper: _Dumper, data: str) -> yaml.Node:
    # Multi-line text (a config file in a ConfigMap) reads best as a literal block; PyYAML
    # falls back to a quoted scalar by itself when a block cannot hold the text exactly.
    style = "|" if "\n" in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_Dumper.add_representer(str, _represent_str)


def dump_yaml(data: Any) -> str:
    """Block-style YAML of plain JSON data, keys in their given order, no aliases."""
    text: str = yaml.dump(
        data,
        Dumper=_Dumper,
        sort_keys=False,
        default_flow_style=False,
        allow_unicode=True,
        width=1_000_000,
    )
    return text


def render_yaml(report: Report) -> str:
    """The same document as the `json` format, as YAML."""
    return dump_yaml(report.to_json())
