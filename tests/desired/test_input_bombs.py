"""Resource bombs in desired/live files are refused quickly, with one line, in bounded memory."""

from __future__ import annotations

import gzip
import time
from pathlib import Path

import pytest

from kubedrift.desired import documents
from kubedrift.desired.documents import read_documents, read_objects
from kubedrift.model import InputError

# 359 bytes that expand to 9**9 (387 million) values wherever walked: "billion laughs".
ALIAS_BOMB = "\n".join(
    [
        'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
        *(
            f"{chr(98 + i)}: &{chr(98 + i)} [" + ",".join([f"*{chr(97 + i)}"] * 9) + "]"
            for i in range(8)
        ),
    ]
)


def refused(path: Path) -> InputError:
    start = time.monotonic()
    with pytest.raises(InputError) as caught:
        read_objects(path)
    # a refusal takes milliseconds; the bomb walked takes minutes: a bound far from both
    # (not a speed budget, which a loaded machine could miss; issue 17.5)
    assert time.monotonic() - start < 30
    assert "\n" not in str(caught.value)
    return caught.value


def test_yaml_alias_bomb_is_refused(tmp_path: Path) -> None:
    """Regression (issue 12.5): the value was serialised whole for the error message."""
    path = tmp_path / "bomb.yaml"
    path.write_text(ALIAS_BOMB)

    error = refused(path)

    assert "alias" in error.message
    assert error.where == f"{path}, document 1"


def test_a_few_aliases_are_fine(tmp_path: Path) -> None:
    path = tmp_path / "cm.yaml"
    path.write_text(
        "apiVersion: v1\nkind: List\nitems:\n"
        "- {apiVersion: v1, kind: ConfigMap, metadata: {name: a, labels: &l {x: y}}}\n"
        "- {apiVersion: v1, kind: ConfigMap, metadata: {name: b, labels: *l}}\n"
    )

    assert [o.ref.name for o in read_objects(path)] == ["a", "b"]


def test_gzip_bomb_is_refused_before_it_is_decompressed_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(documents, "MAX_DECOMPRESSED", 4 * 1024 * 1024)
    monkeypatch.setattr(documents, "MAX_GZIP_RATIO", 10)
    path = tmp_path / "live.json.gz"
    path.write_bytes(gzip.compress(b" " * (64 * 1024 * 1024), compresslevel=9))

    error = refused(path)

    assert "decompresses to more than 4,194,304 bytes" in error.message


def test_ordinary_gzip_is_read(tmp_path: Path) -> None:
    path = tmp_path / "live.json.gz"
    path.write_bytes(gzip.compress(b'{"apiVersion":"v1","kind":"List","items":[]}'))

    assert read_documents(path)[0].body["items"] == []


@pytest.mark.parametrize(
    ("name", "text"),
    [("deep.json", "[" * 50_000 + "]" * 50_000), ("deep.yaml", "[" * 50_000 + "]" * 50_000)],
)
def test_deep_nesting_is_refused(tmp_path: Path, name: str, text: str) -> None:
    path = tmp_path / name
    path.write_text(text)

    assert "nested deeper" in refused(path).message or "invalid" in refused(path).message


def test_duplicate_yaml_keys_are_refused_as_kubectl_does(tmp_path: Path) -> None:
    path = tmp_path / "dup.yaml"
    path.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata:\n  k: 1\n  k: 2\n")

    error = refused(path)

    assert "mapping key 'k' already defined" in error.message
    assert "line 6" in error.message


def test_integer_too_long_for_python_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: " + "9" * 5000)

    assert "integer too large" in refused(path).message


def test_error_message_quotes_a_bounded_value(tmp_path: Path) -> None:
    path = tmp_path / "list.yaml"
    path.write_text("- " + "x" * 100_000)

    assert len(str(refused(path))) < 300
