"""The YAML half of reading manifests: libyaml's safe loader as Kubernetes reads YAML.

Imported by `documents.parse_yaml` on the first YAML input only: PyYAML is not needed to
read JSON, and `kubedrift diff` of JSON files should not pay for importing it (start-up
time, issue 18.5). See `desired/documents.py` for the rules every input follows.
"""

from __future__ import annotations

from typing import Any

import yaml

from kubedrift.desired.documents import MAX_DEPTH, Document, check_shape
from kubedrift.model import InputError
from kubedrift.model.gcpause import gc_paused

_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"


class _Loader(yaml.CSafeLoader):
    """libyaml's safe loader, minus the timestamp resolver (Kubernetes keeps them strings)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        """A mapping; a key given twice is an error, as kubectl makes it."""
        seen: set[Any] = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=deep)
            if isinstance(key, str | int | bool | float) and key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"mapping key {key!r} already defined", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)

    def construct_yaml_int(self, node: yaml.ScalarNode) -> int:
        """An integer; one too long for Python to convert is an error, not a crash."""
        try:
            return super().construct_yaml_int(node)
        except ValueError as exc:
            raise yaml.constructor.ConstructorError(
                None, None, f"integer too large ({exc})".split(";")[0], node.start_mark
            ) from None


_Loader.add_constructor("tag:yaml.org,2002:int", _Loader.construct_yaml_int)


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != _TIMESTAMP_TAG]
    for first, resolvers in yaml.CSafeLoader.yaml_implicit_resolvers.items()
}


def parse_yaml(data: bytes | str, path: str) -> list[Document]:
    """Parse a YAML stream; empty documents are skipped but still counted.

    Each document is composed into a node tree and then constructed, which is what
    `yaml.load_all` does inside; the nodes give the line each document (and each item of a
    List) starts on, at no extra parse.
    """
    documents: list[Document] = []
    count = 0
    anchors = b"&" in data if isinstance(data, bytes) else "&" in data
    loader = _Loader(data)
    try:
        with gc_paused():
            while loader.check_node():
                node = loader.get_node()
                body = None if node is None else loader.construct_document(node)
                count += 1
                check_shape(body, f"{path}, document {count}", aliases=anchors)
                if node is not None and body is not None:
                    documents.append(Document(count, body, *_lines(node)))
    except yaml.YAMLError as exc:
        raise InputError(_yaml_message(exc), where=f"{path}, document {count + 1}") from None
    except RecursionError:
        raise InputError(
            f"nested deeper than {MAX_DEPTH} levels", where=f"{path}, document {count + 1}"
        ) from None
    finally:
        loader.dispose()
    return documents


def _lines(node: yaml.Node) -> tuple[int, tuple[int, ...]]:
    """The 1-based line a document starts on, and those of its `items` when it has any."""
    items: tuple[int, ...] = ()
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if key.value == "items" and isinstance(value, yaml.SequenceNode):
                items = tuple(item.start_mark.line + 1 for item in value.value)
    return node.start_mark.line + 1, items


def _yaml_message(exc: yaml.YAMLError) -> str:
    if isinstance(exc, yaml.MarkedYAMLError) and exc.problem_mark is not None:
        mark = exc.problem_mark
        context = f" ({exc.context})" if exc.context else ""
        at = f"line {mark.line + 1} column {mark.column + 1}"
        return f"invalid YAML at {at}: {exc.problem}{context}"
    first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return f"invalid YAML: {first_line}"
