"""Editing one document of a YAML file in place: every other byte of the file stays as it was.

`kubedrift adopt` writes live values into the files people maintain, so a change must read
as a person's edit: comments, key order, quoting and indentation kept, other documents of
the stream untouched. Three steps:

1. **Cut**: the file is split into its documents at the parser's own document events
   (PyYAML `DocumentStartEvent` marks), so `---` lines, comments between documents and
   documents that are not edited never go through a dumper. Document numbers count as
   `desired/documents.py` counts them (1-based, empty documents included).
2. **Round trip**: the document is loaded with ruamel.yaml's round-trip loader, which keeps
   comments, key order and scalar quoting (`preserve_quotes`; "Overview" and "Details" of
   yaml.dev/doc/ruamel.yaml), edited, and dumped with the indentation that reproduces the
   unedited document best (ruamel keeps one mapping/sequence indentation per dump, not
   the file's own per line, so the candidates are tried and compared).
3. **Transfer**: only the lines the edit changed in ruamel's output are carried over into
   the original text (a line diff of the unedited dump against the edited dump, anchored on
   lines the original shares with the unedited dump). Whatever ruamel would have
   reformatted elsewhere (a comment's column, a flow list) is not touched.

The result is parsed again and must equal the intended document, or the edit is refused
(`EditError`) rather than written.
"""

from __future__ import annotations

import difflib
import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import yaml
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError as RuamelError
from ruamel.yaml.scalarstring import DoubleQuotedScalarString, ScalarString

from kubedrift.model import MISSING
from kubedrift.remediate.plan import parse_key

_INDENTS = ((2, 2, 0), (2, 4, 2), (4, 4, 0), (4, 6, 2), (2, 3, 1), (4, 4, 2))
"""(mapping, sequence, dash offset) candidates: kubectl's style, the Helm/Kustomize docs'
style, and their 4-space forms."""


class EditError(Exception):
    """Why a document cannot be edited safely (the message is the reason, one line)."""


@dataclass(frozen=True, slots=True)
class Change:
    """Set `value` at `path` (unescaped JSON pointer segments), or remove it (`MISSING`).

    A segment `name=app` names the element of a list whose key fields have those values;
    a number names a position in a list without keys.
    """

    path: tuple[str, ...]
    value: Any


def edit_document(
    text: str, document: int | None, item: int | None, changes: Sequence[Change]
) -> str:
    """`text` with `changes` made in its `document` (1-based; None: the only one) and, in
    a List, its `item`; raise EditError when that cannot be done without other changes."""
    spans = document_spans(text)
    index = (document or 1) - 1
    if not 0 <= index < len(spans):
        raise EditError(f"has no document {index + 1}")
    start, end = spans[index]
    body = text[start:end]
    new_body = edit_body(body, item, changes)
    return text[:start] + new_body + text[end:]


def document_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) character offsets of each document's body, after its `---` line."""
    starts: list[int] = []
    try:
        for event in yaml.parse(text, Loader=yaml.CSafeLoader):
            if isinstance(event, yaml.DocumentStartEvent):
                explicit = bool(event.explicit) and event.end_mark is not None
                end = event.end_mark.index if event.end_mark is not None else 0
                starts.append(end if explicit else _implicit_start(starts))
    except yaml.YAMLError as exc:
        raise EditError(f"is not valid YAML ({str(exc).splitlines()[0]})") from None
    ends = [_line_start(text, s) for s in _next_markers(text, starts)]
    return list(zip(starts, ends, strict=True))


def _implicit_start(starts: list[int]) -> int:
    # Only the first document can start without `---`; it owns the file's head comments.
    return 0 if not starts else starts[-1]


def _next_markers(text: str, starts: list[int]) -> Iterator[int]:
    """Where each document ends: at the next document's `---` (its line), or the file's end."""
    for following in starts[1:]:
        yield text.rfind("---", 0, following)
    yield len(text)


def _line_start(text: str, offset: int) -> int:
    return offset if offset >= len(text) else text.rfind("\n", 0, offset) + 1


def edit_body(body: str, item: int | None, changes: Sequence[Change]) -> str:
    """One document's text with `changes` made (see the module docstring)."""
    loader = _yaml()
    try:
        data = loader.load(body)
    except RuamelError as exc:
        raise EditError(f"is not valid YAML ({str(exc).splitlines()[0]})") from None
    indent = _best_indent(body, data)
    before = _dump(data, indent)
    target = _item(data, item)
    for change in in_order(changes):
        apply_change(target, change)
    result = transfer(body, before, _dump(data, indent))
    if _read_as_kubernetes(result) != _expected(body, item, changes):
        raise EditError("cannot be edited without reformatting it; edit it by hand")
    return result


def in_order(changes: Sequence[Change]) -> list[Change]:
    """Removals of list positions last and from the highest position down, so that removing
    one element does not move the next one a change names."""

    def key(change: Change) -> tuple[int, int]:
        last = change.path[-1] if change.path else ""
        if change.value is MISSING and last.isdigit():
            return 1, -int(last)
        return 0, 0

    return sorted(changes, key=key)


def _read_as_kubernetes(text: str) -> Any:
    """The document as a YAML 1.1 reader (PyYAML, like Kubernetes' go-yaml) reads it."""
    try:
        return yaml.load(text, Loader=yaml.CSafeLoader)
    except yaml.YAMLError:
        return _Unreadable()


def _expected(body: str, item: int | None, changes: Sequence[Change]) -> Any:
    """What the edited document must read as: the original, as a YAML 1.1 reader reads
    it, with the changes made. (Comparing with ruamel's YAML 1.2 reading would miss a
    string such as `on` that 1.1 reads as a boolean.)"""
    plain = _read_as_kubernetes(body)
    for change in in_order(changes):
        apply_change(_item(plain, item), change)
    return plain


class _Unreadable:
    """Equal to nothing: a text that does not parse never passes the check."""

    def __eq__(self, other: object) -> bool:
        return False

    __hash__ = None  # type: ignore[assignment]


def _yaml(indent: tuple[int, int, int] = (2, 2, 0)) -> YAML:
    rt = YAML(typ="rt")
    rt.preserve_quotes = True
    rt.width = 4096  # never fold a long line that was one line
    mapping, sequence, offset = indent
    rt.indent(mapping=mapping, sequence=sequence, offset=offset)
    return rt


def _dump(data: Any, indent: tuple[int, int, int]) -> str:
    out = io.StringIO()
    _yaml(indent).dump(data, out)
    return out.getvalue()


def _best_indent(body: str, data: Any) -> tuple[int, int, int]:
    """The indentation whose dump of the unedited document differs from it the least."""
    lines = body.splitlines(keepends=True)

    def distance(indent: tuple[int, int, int]) -> int:
        dumped = _dump(data, indent).splitlines(keepends=True)
        return -int(difflib.SequenceMatcher(a=lines, b=dumped, autojunk=False).ratio() * 10_000)

    return min(_INDENTS, key=distance)


def _item(data: Any, item: int | None) -> Any:
    if item is None:
        return data
    items = data.get("items") if isinstance(data, dict) else None
    if not isinstance(items, list) or not 0 <= item < len(items):
        raise EditError(f"has no items[{item}]")
    return items[item]


# --- changing the loaded document ---------------------------------------------------------


def apply_change(root: Any, change: Change) -> None:
    """Make one change in a round-trip document, creating mappings on the way to a new field."""
    if not change.path:
        raise EditError("cannot replace a whole object")
    create = change.value is not MISSING
    parent = root
    for i, segment in enumerate(change.path[:-1]):
        parent = _child(parent, segment, create=create, next_segment=change.path[i + 1])
        if parent is None:
            return  # removing something desired does not hold: nothing to do
    last = change.path[-1]
    if create:
        _set(parent, last, change.value)
    else:
        _remove(parent, last)


def _child(node: Any, segment: str, *, create: bool, next_segment: str) -> Any:
    if isinstance(node, list):
        index = _position(node, segment)
        if index is not None:
            return node[index]
        if not create:
            return None
        node.append(_new_element(segment))
        return node[-1]
    if not isinstance(node, dict):
        raise EditError(f"cannot descend into a {type(node).__name__} at {segment!r}")
    if segment not in node:
        if not create:
            return None
        node[segment] = CommentedSeq() if _is_key(next_segment) else CommentedMap()
    return node[segment]


def _set(parent: Any, segment: str, value: Any) -> None:
    if isinstance(parent, list):
        index = _position(parent, segment)
        if index is None:
            parent.append(_plain(value))
        elif isinstance(parent[index], dict) and isinstance(value, dict):
            _update(parent[index], value)
        else:
            parent[index] = _styled(parent[index], value)
        return
    if not isinstance(parent, dict):
        raise EditError(f"cannot set {segment!r} inside a {type(parent).__name__}")
    if segment in parent and isinstance(parent[segment], dict) and isinstance(value, dict):
        _update(parent[segment], value)
        return
    parent[segment] = _styled(parent.get(segment), value) if segment in parent else _plain(value)


def _update(node: dict[str, Any], value: dict[str, Any]) -> None:
    """Make a mapping equal `value` key by key, so untouched keys keep their comments."""
    for key in [k for k in node if k not in value]:
        del node[key]
    for key, new in value.items():
        if key in node and node[key] == new:
            continue
        _set(node, key, new)


def _remove(parent: Any, segment: str) -> None:
    if isinstance(parent, list):
        index = _position(parent, segment)
        if index is not None:
            del parent[index]
    elif isinstance(parent, dict) and segment in parent:
        del parent[segment]


def _position(items: list[Any], segment: str) -> int | None:
    """The index a segment names in a list: a position, or the element with those keys."""
    if segment.isdigit():
        index = int(segment)
        return index if index < len(items) else None
    keys = parse_key(segment) if _is_key(segment) else None
    if keys is None:
        return next((i for i, v in enumerate(items) if _text(v) == segment), None)
    for i, element in enumerate(items):
        if isinstance(element, dict) and all(_text(element.get(k)) == v for k, v in keys.items()):
            return i
    return None


def _is_key(segment: str) -> bool:
    try:
        parse_key(segment)
    except LookupError:
        return False
    return True


def _text(value: Any) -> str | None:
    if isinstance(value, bool):
        return "true" if value else "false"
    return None if value is None else str(value)


def _new_element(segment: str) -> CommentedMap:
    """A new list element holding its key fields (numbers stay numbers: ports)."""
    element = CommentedMap()
    for key, value in parse_key(segment).items():
        element[key] = int(value) if value.isdigit() else value
    return element


def _styled(old: Any, new: Any) -> Any:
    """`new` written with the quoting of the value it replaces, when both are strings."""
    if isinstance(old, ScalarString) and isinstance(new, str):
        return type(old)(new)
    return _plain(new)


def _plain(value: Any) -> Any:
    """A JSON value as round-trip nodes, so a new mapping or list is dumped in block style;
    a string a YAML 1.1 reader would take for something else is quoted."""
    if isinstance(value, str) and not isinstance(value, ScalarString) and _ambiguous(value):
        return DoubleQuotedScalarString(value)
    if isinstance(value, dict):
        out = CommentedMap()
        for key, item in value.items():
            out[key] = _plain(item)
        return out
    if isinstance(value, list):
        return CommentedSeq(_plain(item) for item in value)
    return value


_YAML12 = YAML(typ="safe", pure=True)
_GO_YAML_BOOLS = frozenset({"y", "Y", "n", "N"})
"""Booleans to go-yaml v2 (`resolve.go`, vendored by Kubernetes as sigs.k8s.io/yaml's
goyaml.v2) that PyYAML's YAML 1.1 resolver leaves as strings."""


def _ambiguous(text: str) -> bool:
    """Whether plain `text` reads as another value in YAML 1.1, which Kubernetes' go-yaml
    v2 speaks: `on`, `yes`, `y` are booleans there, `0755` an octal number (ruamel.yaml,
    a YAML 1.2 writer, leaves some of them unquoted)."""
    if text in _GO_YAML_BOOLS:
        return True
    if "\n" in text:
        return False
    try:
        if yaml.load(text, Loader=yaml.CSafeLoader) == text:
            return False
        # What YAML 1.2 reads as another value too, ruamel quotes itself (in its own style).
        return bool(_YAML12.load(text) == text)
    except (yaml.YAMLError, RuamelError):
        return False  # not a plain scalar at all: ruamel quotes it itself


# --- carrying the edit over into the original text ------------------------------------------


def transfer(original: str, before: str, after: str) -> str:
    """`original` with the line changes that turn `before` into `after`.

    `before` is ruamel's dump of the unedited document, which may differ from `original`
    in places the edit does not touch (another indentation of some lists, a comment's
    column); each changed region is located in `original` through the lines around it
    that both share (compared without their indentation), and its new lines are shifted by
    the indentation the original has there.
    """
    orig, old, new = (t.splitlines(keepends=True) for t in (original, before, after))
    mapping = _line_map(orig, old)
    out = list(orig)
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    for tag, j1, j2, k1, k2 in reversed(matcher.get_opcodes()):
        if tag == "equal":
            continue
        start = 0 if j1 == 0 else mapping.get(j1 - 1, -2) + 1
        stop = len(orig) if j2 == len(old) else mapping.get(j2, -1)
        if start < 0 or stop < start:
            raise EditError("cannot be edited without reformatting it; edit it by hand")
        out[start:stop] = [_shift(line, _delta(orig, old, mapping, j1, i)) for i, line in
                           enumerate(new[k1:k2])]  # fmt: skip
    return "".join(out)


def _delta(orig: list[str], old: list[str], mapping: dict[int, int], j1: int, i: int) -> int:
    """How much deeper the original indents the line at `j1 + i` of the dump (or the line
    before an insertion) than the dump does."""
    for j in (j1 + i, j1 - 1, j1):
        if j in mapping and 0 <= j < len(old):
            return _indent(orig[mapping[j]]) - _indent(old[j])
    return 0


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _shift(line: str, delta: int) -> str:
    if delta > 0:
        return " " * delta + line
    if delta < 0 and line[:-delta].strip(" ") == "":
        return line[-delta:]
    return line


def _line_map(orig: list[str], old: list[str]) -> dict[int, int]:
    """Line `j` of `old` → the line of `orig` it is, for the lines both share (indentation
    aside)."""
    mapping: dict[int, int] = {}
    bare_old, bare_orig = [t.strip() for t in old], [t.strip() for t in orig]
    matcher = difflib.SequenceMatcher(a=bare_old, b=bare_orig, autojunk=False)
    for block in matcher.get_matching_blocks():
        for n in range(block.size):
            mapping[block.a + n] = block.b + n
    return mapping
