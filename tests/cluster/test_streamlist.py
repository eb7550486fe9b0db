"""The streaming List reader (issue 18.2): the items msgspec decodes from the whole file, in
order, across window boundaries, and `NotStreamable` for anything else, so callers read
the file whole and give its usual messages."""

from __future__ import annotations

import json
import tracemalloc
from pathlib import Path
from typing import Any

import msgspec
import pytest

from kubedrift.cluster.streamlist import WINDOW, NotStreamable, stream_list

TRICKY = [
    "}",
    "{[",
    '"}, {"',
    "\\",
    '\\"}',
    "\n        },\n        {",
    "ünï çødé 日本語 🚀",
    "\u2028\u2029",
    "",
]


def item(i: int, **extra: Any) -> dict[str, Any]:
    """A ConfigMap whose data holds strings with brackets, quotes, escapes and unicode."""
    data = {f"k{j}": f"{s}{i}" for j, s in enumerate(TRICKY)}
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": f"cm-{i}", "namespace": "ns", "labels": {"i": str(i)}},
        "data": data,
        "nested": [{"a": [{"b": {"c": [i, None, True, 1.5e3, -0.25]}}]}, {}],
        **extra,
    }


def a_list(items: list[Any], **head: Any) -> dict[str, Any]:
    return {"apiVersion": "v1", "items": items, "kind": "List", "metadata": {}, **head}


def write(tmp_path: Path, body: Any, indent: int | None = 4, name: str = "live.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(body, indent=indent, ensure_ascii=indent is None))
    return path


def read(path: Path, window: int = WINDOW) -> list[dict[str, Any]]:
    return list(stream_list(path, window=window))


@pytest.mark.parametrize("indent", [4, 2, None], ids=["kubectl", "indent-2", "compact"])
@pytest.mark.parametrize("window", [1, 7, 100, 4096, WINDOW])
def test_items_are_those_of_the_whole_decode_at_any_window(
    tmp_path: Path, indent: int | None, window: int
) -> None:
    path = write(tmp_path, a_list([item(i) for i in range(60)]), indent)
    expected = msgspec.json.decode(path.read_bytes())["items"]
    assert read(path, window) == expected


def test_escaped_unicode_and_surrogate_pairs(tmp_path: Path) -> None:
    path = tmp_path / "live.json"
    text = (
        '{"items": [ {"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a"},'
        '"data":{"e":"\\u00e9\\ud83d\\ude80\\"\\\\\\/\\b\\f\\n\\r\\t"}}\t,\r\n'
        '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"b"}}], "kind": "List"}'
    )
    path.write_text(text)
    for window in (1, 5, 1000):
        got = read(path, window)
        assert got == msgspec.json.decode(text.encode())["items"]
        assert got[0]["data"]["e"] == 'é🚀"\\/\b\f\n\r\t'


def test_a_closing_line_that_is_not_the_item_s_end_is_not_taken_for_it(tmp_path: Path) -> None:
    """Hand-written layout: a nested object closes at the item's own indentation."""
    text = (
        '{"kind": "List", "items": [\n  {"apiVersion": "v1", "kind": "ConfigMap", "data": {\n'
        '  }, "metadata": {"name": "a"}\n  },\n  {"apiVersion": "v1", "kind": "ConfigMap",\n'
        '  "metadata": {"name": "b"}}\n]}'
    )
    path = tmp_path / "live.json"
    path.write_text(text)
    for window in (3, 40, 1000):
        assert read(path, window) == msgspec.json.decode(text.encode())["items"]


def test_deep_nesting_is_read_and_too_deep_is_not_streamed(tmp_path: Path) -> None:
    deep: Any = "leaf"
    for _ in range(300):
        deep = {"d": [deep]}
    path = write(tmp_path, a_list([item(0, deep=deep), item(1)]))
    assert read(path, 64)[0]["deep"] == deep
    too_deep = tmp_path / "deep.json"
    nested = "[" * 1200 + "]" * 1200
    too_deep.write_text(
        '{"kind": "List", "items": [{"apiVersion": "v1", "kind": "ConfigMap", '
        f'"metadata": {{"name": "a"}}, "x": {nested}}}]}}'
    )
    with pytest.raises(NotStreamable):
        read(too_deep)


@pytest.mark.parametrize(
    "text",
    [
        '{"apiVersion": "v1", "items": [], "kind": "List", "metadata": {}}',
        '  {"items":[ \n ],"kind":"List"}  \n',
        '{"apiVersion": "v1", "kind": "DeploymentList", "items": []}',
    ],
)
def test_an_empty_list_has_no_items(tmp_path: Path, text: str) -> None:
    path = tmp_path / "live.json"
    path.write_text(text)
    assert read(path) == []


def test_every_truncation_is_refused(tmp_path: Path) -> None:
    text = json.dumps(a_list([item(0), item(1)]), indent=4)
    for cut in range(len(text) - 1):
        stripped = text[:cut].rstrip()
        if stripped == text.rstrip():
            continue
        path = tmp_path / "cut.json"
        path.write_text(text[:cut])
        with pytest.raises(NotStreamable):
            read(path, 16)


@pytest.mark.parametrize(
    "body",
    [
        "",
        "[]",
        "null",
        '"List"',
        "{}",
        '{"kind": "List", "items": [1, 2]}',
        '{"kind": "List", "items": [[]]}',
        '{"kind": "List", "items": {"a": 1}}',
        '{"kind": "List", "items": null}',
        '{"kind": "List", "items": [{"apiVersion": "v1", "kind": "ConfigMap"}]}',
        '{"kind": "List", "items": [{"apiVersion": "v1", "kind": "A", "metadata": {"name": 1}}]}',
        '{"kind": "ConfigMapList", "items": [{"metadata": {"name": "a"}}]}',
        '{"kind": "ConfigMap", "items": []}',
        '{"items": []}',
        '{"kind": "List", "items": [], "items": []}',
        '{"kind": "List", "kind": "List", "items": []}',
        '{"spec": {}, "kind": "List", "items": []}',
        '{"kind": "List", "items": []} {}',
        '{"kind": "List", "items": [],}',
        '{"kind":"List","items":[{"apiVersion":"v1","kind":"A","metadata":{"name":"a"}},]}',
        '{"kind": "List" "items": []}',
        '{"kind": "List", "items": [] ',
        '\ufeff{"kind": "List", "items": []}',
        '{"kind":"List","items":[{"apiVersion":"v1","kind":"A","metadata":{"name":"\xff"}}]}',
    ],
)
def test_anything_but_a_plain_list_is_not_streamed(tmp_path: Path, body: str) -> None:
    path = tmp_path / "live.json"
    path.write_bytes(body.encode("latin-1") if "\xff" in body else body.encode())
    with pytest.raises(NotStreamable):
        read(path, 8)


def test_a_folder_or_missing_file_is_not_streamed(tmp_path: Path) -> None:
    with pytest.raises(NotStreamable):
        read(tmp_path)
    with pytest.raises(NotStreamable):
        read(tmp_path / "absent.json")


def test_memory_is_bounded_by_the_window_not_the_file(tmp_path: Path) -> None:
    """3,000 items (~3 MB) read in 64 KiB windows: the peak is a window's worth, never
    the file (the whole decode would hold every item)."""
    path = write(tmp_path, a_list([item(i) for i in range(3000)]))
    size = path.stat().st_size
    assert size > 2_000_000
    tracemalloc.start()
    try:
        count = sum(1 for _ in stream_list(path, window=64 * 1024))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 3000
    assert peak < 1_000_000, peak


def test_a_huge_single_item_is_read_whole_with_memory_bounded_by_its_size(
    tmp_path: Path,
) -> None:
    big = item(0, blob=["x" * 1000] * 4000)  # ~4 MB in one item
    path = write(tmp_path, a_list([item(1), big, item(2)]))
    tracemalloc.start()
    try:
        got = [o["metadata"]["name"] for o in stream_list(path, window=4096)]
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert got == ["cm-1", "cm-0", "cm-2"]
    assert peak < 8 * path.stat().st_size, peak


def test_a_file_smaller_than_a_window_gets_a_buffer_of_its_size(tmp_path: Path) -> None:
    """A one-object `diff` must not write 16 MiB of zeroes (start-up, issue 18.5)."""
    path = write(tmp_path, a_list([item(1), item(2)]))
    tracemalloc.start()
    try:
        got = [o["metadata"]["name"] for o in stream_list(path)]
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert got == ["cm-1", "cm-2"]
    assert peak < WINDOW // 16, peak
