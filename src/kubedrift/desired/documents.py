"""Manifest documents: YAML and JSON files parsed into validated objects that know their source.

A file holds documents (a YAML stream separated by `---`, or one JSON value); a document
is one object, or a `List` whose items are objects (`kind: List`, or `DeploymentList` and
friends as `kubectl get -o json` writes them, whose items lack apiVersion and kind: those
are filled in from the list). Every object carries its `Location` so errors and findings
can name the file, the document and the item.

Parsing follows the measured costs (docs/DESIGN.md, "Performance facts"): YAML through
libyaml's `CSafeLoader`, JSON through msgspec, the garbage collector paused meanwhile.
YAML timestamps stay strings, as Kubernetes' own YAML decoding keeps them.

Bounds on hostile input, each refused with a one-line error:

- YAML aliases: a few hundred bytes of nested anchors (a "billion laughs" document) load
  cheaply, as shared references, but expand to gigabytes wherever the value is walked,
  encoded or printed. A document whose expanded size passes `MAX_ALIAS_EXPANSION` nodes
  (and ten times its own node count) is refused, as Kubernetes' YAML decoder refuses
  "excessive aliasing" since CVE-2019-11253.
- Duplicate keys in a YAML mapping are refused: the YAML spec forbids them and kubectl's
  strict decoding rejects them, while PyYAML silently keeps the last one (pyyaml issue
  #165), so the value read could differ from the value applied.
- `.gz` files are decompressed as a stream and stopped past `MAX_DECOMPRESSED` bytes or
  `MAX_GZIP_RATIO` times their compressed size, whichever is larger.
- Nesting deeper than `MAX_DEPTH` (JSON or YAML) is refused before anything recurses.
"""

from __future__ import annotations

import gzip
import io
import os
import re
import reprlib
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec

from kubedrift.model import InputError, ObjectRef, ref_of
from kubedrift.model.gcpause import gc_paused

YAML_SUFFIXES = frozenset({".yaml", ".yml"})
JSON_SUFFIXES = frozenset({".json"})
MANIFEST_SUFFIXES = YAML_SUFFIXES | JSON_SUFFIXES

_CONFIG_KIND = ("kubedrift.io", "KubedriftConfig")
"""The one kind that needs no metadata.name: a config file is not an object of the cluster."""

_JSON_DECODER = msgspec.json.Decoder()
_BYTE_OFFSET = re.compile(r"\s*\(byte (\d+)\)$")

MAX_ALIAS_EXPANSION = 1_000_000
MAX_DECOMPRESSED = 64 * 1024 * 1024
MAX_GZIP_RATIO = 200
MAX_DEPTH = 1000
_CHUNK = 1024 * 1024
_REPR = reprlib.Repr()
_REPR.maxstring = _REPR.maxother = 40


@dataclass(frozen=True, slots=True)
class Location:
    """Where an object came from: a file (or rendered output), its document, its List item.

    `document` counts from 1 in a YAML stream, empty documents included, and is None for
    JSON; `item` is the 0-based index in a List's `items`, None outside a List. `line` is
    the 1-based line the object starts on in the file (None for rendered output, whose
    lines are no file's). `file` is the file as a code-scanning report cites it — the path
    inside the repository for a Git source — when it differs from `path`. Neither takes
    part in equality: they say more about the same place.
    """

    path: str
    document: int | None = None
    item: int | None = None
    line: int | None = field(default=None, compare=False)
    file: str | None = field(default=None, compare=False)

    def __str__(self) -> str:
        parts = [self.path]
        if self.document is not None:
            parts.append(f"document {self.document}")
        if self.item is not None:
            parts.append(f"items[{self.item}]")
        return ", ".join(parts)


@dataclass(frozen=True, slots=True)
class SourcedObject:
    """One Kubernetes object (a plain decoded mapping, never mutated) and where it came from.

    `revision` is the Git commit the object was read at, when known.
    `namespace_defaulted` says the namespace was not in the file but given by the caller,
    so a caller that learns the kind is cluster-scoped can drop it again.
    """

    obj: dict[str, Any]
    location: Location
    revision: str | None = None
    namespace_defaulted: bool = False

    @property
    def ref(self) -> ObjectRef:
        """The object's identity (apiVersion, kind, namespace, name)."""
        return ref_of(self.obj)


@dataclass(frozen=True, slots=True)
class Document:
    """One parsed, non-empty document of a file and its 1-based index (None for JSON).

    `line` is where its content starts; `item_lines` where each item of a List starts.
    """

    index: int | None
    body: Any
    line: int | None = None
    item_lines: tuple[int, ...] = ()


def parse_yaml(data: bytes | str, path: str) -> list[Document]:
    """Parse a YAML stream; empty documents are skipped but still counted (see
    `desired/yaml_loader.py`, which imports PyYAML: only a YAML input needs it)."""
    from kubedrift.desired import yaml_loader

    return yaml_loader.parse_yaml(data, path)


def check_shape(body: Any, where: str, *, aliases: bool) -> None:
    """Refuse excessive nesting, and (when the text has anchors) excessive aliasing."""
    if not isinstance(body, dict | list):
        return
    sizes: dict[int, int] = {}
    try:
        expanded = _expanded_size(body, sizes, 0)
    except _TooDeep as exc:
        raise InputError(exc.message, where=where) from None
    if aliases and expanded > max(MAX_ALIAS_EXPANSION, 10 * len(sizes)):
        raise InputError(
            f"YAML aliases expand to more than {MAX_ALIAS_EXPANSION:,} values "
            "(an alias bomb?); write the values out or use fewer aliases",
            where=where,
        )


def _expanded_size(node: Any, sizes: dict[int, int], depth: int) -> int:
    """Values under `node` counted as if every alias were copied; shared nodes memoised."""
    if depth > MAX_DEPTH:
        raise _TooDeep
    known = sizes.get(id(node))
    if known is not None:
        return known
    children = node.values() if isinstance(node, dict) else node
    total = 1
    for child in children:
        if isinstance(child, dict | list):
            total += _expanded_size(child, sizes, depth + 1)
        else:
            total += 1
    sizes[id(node)] = total
    return total


class _TooDeep(InputError):
    def __init__(self) -> None:
        super().__init__(f"nested deeper than {MAX_DEPTH} levels")


def parse_json(data: bytes, path: str) -> list[Document]:
    """Parse one JSON value (msgspec, collector paused)."""
    try:
        with gc_paused():
            body = _JSON_DECODER.decode(data)
    except (msgspec.DecodeError, UnicodeDecodeError) as exc:
        raise InputError(_json_message(exc, data), where=path) from None
    except RecursionError:
        raise InputError(
            f"invalid JSON: nested deeper than {MAX_DEPTH} levels", where=path
        ) from None
    if not decoder_bounds_depth():  # asked each time: the recursion limit can change
        check_shape(body, path, aliases=False)
    return [Document(None, body, value_line(data))]


def decoder_bounds_depth() -> bool:
    """Whether msgspec itself refuses JSON nested deeper than `MAX_DEPTH`.

    It guards its recursion with the interpreter's recursion limit (a `RecursionError`,
    refused above with the same message), 1,000 by default: then a decoded JSON value is
    never deeper than `MAX_DEPTH`, and walking all of it again (`check_shape`: 2.9 million
    values in a 150,000-pod snapshot, over a second) can prove nothing more. A raised
    recursion limit, or a Python whose C recursion bound is higher, keeps the walk.
    """
    nested = b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1)
    try:
        _JSON_DECODER.decode(nested)
    except RecursionError:
        return True
    return False


def read_documents(path: Path, display: str | None = None) -> list[Document]:
    """Read a `.yaml`, `.yml` or `.json` file (optionally gzipped, `.json.gz`).

    `display` is how errors name the file (default: the path as given).
    """
    where = display or str(path)
    suffix, compressed = _suffix(path)
    if suffix not in MANIFEST_SUFFIXES:
        raise InputError(
            f"unknown file type {suffix or '(no extension)'!r}: expected .yaml, .yml or .json",
            where=where,
        )
    data = _read_bytes(path, where, compressed=compressed)
    return parse_json(data, where) if suffix in JSON_SUFFIXES else parse_yaml(data, where)


def read_json_bytes(path: Path, where: str) -> bytes | None:
    """The bytes of a `.json` or `.json.gz` file (decompressed, bounded as above); None
    for a file of another type, which `read_documents` reads or refuses."""
    suffix, compressed = _suffix(path)
    if suffix not in JSON_SUFFIXES:
        return None
    return _read_bytes(path, where, compressed=compressed)


def value_line(data: bytes) -> int:
    """The 1-based line a JSON document's value starts on (leading blank lines skipped)."""
    start = len(data) - len(data.lstrip())
    return data.count(b"\n", 0, start) + 1


def read_objects(
    path: Path,
    display: str | None = None,
    *,
    revision: str | None = None,
    file: str | None = None,
) -> list[SourcedObject]:
    """Read a file and return its objects, Lists flattened, each validated.

    `file` is how a code-scanning report cites the file, when not as `display`.
    """
    where = display or str(path)
    return objects_of(read_documents(path, where), where, revision=revision, file=file)


def objects_of(
    documents: list[Document],
    path: str,
    *,
    revision: str | None = None,
    file: str | None = None,
    lines: bool = True,
) -> list[SourcedObject]:
    """Flatten and validate the documents of one file (or of a program's output, whose
    line numbers are no file's: `lines=False`)."""
    out: list[SourcedObject] = []
    for doc in documents:
        line = doc.line if lines else None
        location = Location(path, doc.index, line=line, file=file)
        if _is_list(doc.body):
            out.extend(_list_items(doc.body, location, doc.item_lines if lines else (), revision))
            continue
        check_object(doc.body, location)
        out.append(SourcedObject(doc.body, location, revision))
    return out


def check_object(body: Any, location: Location) -> None:
    """Raise InputError unless `body` is a mapping with apiVersion, kind and metadata.name."""
    if _looks_valid(body):
        return
    if not isinstance(body, dict):
        raise InputError(
            f"expected a Kubernetes object (a mapping), found {_type_name(body)}",
            where=str(location),
        )
    _require_string(body.get("kind"), "kind", location)
    _require_string(body.get("apiVersion"), "apiVersion", location, body["kind"])
    meta = body.get("metadata")
    if meta is not None and not isinstance(meta, dict):
        raise InputError(
            f"metadata must be a mapping, found {_type_name(meta)}", where=str(location)
        )
    meta = meta or {}
    namespace = meta.get("namespace")
    if namespace is not None and not isinstance(namespace, str):
        raise InputError("metadata.namespace must be a string", where=str(location))
    if (body["apiVersion"].rpartition("/")[0], body["kind"]) != _CONFIG_KIND:
        _check_name(meta, location, body["kind"])


def _looks_valid(body: Any) -> bool:
    """The common case, checked fast (snapshots hold tens of thousands of objects)."""
    if type(body) is not dict:
        return False
    meta = body.get("metadata")
    if type(meta) is not dict:
        return False
    name, namespace = meta.get("name"), meta.get("namespace")
    return (
        _non_empty_str(body.get("kind"))
        and _non_empty_str(body.get("apiVersion"))
        and _non_empty_str(name)
        and (namespace is None or type(namespace) is str)
    )


def _non_empty_str(value: Any) -> bool:
    return type(value) is str and value != ""


def _check_name(meta: dict[str, Any], location: Location, kind: str) -> None:
    name = meta.get("name")
    if name is None and meta.get("generateName"):
        raise InputError(
            "has metadata.generateName but no metadata.name: the server would give it a new "
            "random name on every create, so it cannot be paired with a live object; "
            "give it a fixed metadata.name",
            where=str(location),
        )
    _require_string(name, "metadata.name", location, kind)


def _require_string(value: Any, key: str, location: Location, kind: Any = None) -> None:
    where = str(location)
    if value is None or value == "":
        hint = f" ({kind})" if isinstance(kind, str) and kind else ""
        raise InputError(f"missing {key}{hint}", where=where)
    if not isinstance(value, str):
        raise InputError(f"{key} must be a string, found {_type_name(value)}", where=where)


def _is_list(body: Any) -> bool:
    """`kind: List`, or any `<Kind>List` that has `items` (a CRD kind may end in "List")."""
    if not isinstance(body, dict):
        return False
    kind = body.get("kind")
    return isinstance(kind, str) and kind.endswith("List") and "items" in body


def _list_items(
    body: dict[str, Any], location: Location, lines: tuple[int, ...], revision: str | None
) -> Iterator[SourcedObject]:
    items = body.get("items")
    if items is None:
        return
    if not isinstance(items, list):
        raise InputError(f"items must be a list, found {_type_name(items)}", where=str(location))
    item_kind = body["kind"][: -len("List")]
    api_version = body.get("apiVersion")
    for index, item in enumerate(items):
        line = lines[index] if index < len(lines) else location.line
        item_location = Location(location.path, location.document, index, line, location.file)
        if item_kind and isinstance(item, dict):
            # `kubectl get deployments -o json` items carry neither; they are the list's.
            item.setdefault("kind", item_kind)
            if api_version:
                item.setdefault("apiVersion", api_version)
        check_object(item, item_location)
        yield SourcedObject(item, item_location, revision)


def _suffix(path: Path) -> tuple[str, bool]:
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        return (suffixes[-2] if len(suffixes) > 1 else ""), True
    return (suffixes[-1] if suffixes else ""), False


def _read_bytes(path: Path, where: str, *, compressed: bool) -> bytes:
    try:
        data = _read_regular(path, where)
        return _gunzip(data, where) if compressed else data
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", where=where) from None
    except (gzip.BadGzipFile, EOFError) as exc:
        raise InputError(f"not a valid gzip file: {exc}", where=where) from None


def _read_regular(path: Path, where: str) -> bytes:
    """The bytes of a regular file; a FIFO or device is refused, never waited on."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | os.O_NOCTTY)
    with os.fdopen(fd, "rb") as f:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise InputError("not a regular file", where=where)
        return f.read()


def _gunzip(data: bytes, where: str) -> bytes:
    """Decompress, stopping past the bound (see the module docstring)."""
    limit = max(MAX_DECOMPRESSED, MAX_GZIP_RATIO * len(data))
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=io.BytesIO(data)) as stream:
        while chunk := stream.read(_CHUNK):
            out.write(chunk)
            if out.tell() > limit:
                raise InputError(
                    f"decompresses to more than {limit:,} bytes (a gzip bomb?)", where=where
                )
    return out.getvalue()


def _json_message(exc: Exception, data: bytes) -> str:
    if isinstance(exc, UnicodeDecodeError):
        return f"invalid JSON: not UTF-8 text (byte {exc.start})"
    text = str(exc).removeprefix("JSON is malformed: ")
    if "UTF-8" in text:  # msgspec >= 0.19 reports bad UTF-8 as a DecodeError, no offset
        return _utf8_message(data)
    match = _BYTE_OFFSET.search(text)
    if match is None:
        return f"invalid JSON: {text}"
    offset = int(match.group(1))
    line = data.count(b"\n", 0, offset) + 1
    column = offset - (data.rfind(b"\n", 0, offset) + 1) + 1
    return f"invalid JSON at line {line} column {column}: {text[: match.start()]}"


def _utf8_message(data: bytes) -> str:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return f"invalid JSON: not UTF-8 text (byte {exc.start})"
    return "invalid JSON: not UTF-8 text"


def _type_name(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing"
    return f"{type(value).__name__} {_REPR.repr(value)}"[:60]  # bounded: never the whole value
