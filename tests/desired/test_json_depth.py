"""JSON nesting bound: msgspec's own recursion guard, or the walk where that guard is looser."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from kubedrift.desired.documents import MAX_DEPTH, read_documents
from kubedrift.model import InputError


@pytest.fixture
def high_recursion_limit() -> Iterator[None]:
    before = sys.getrecursionlimit()
    sys.setrecursionlimit(MAX_DEPTH * 5)
    yield
    sys.setrecursionlimit(before)


def _nested(tmp_path: Path, depth: int) -> Path:
    path = tmp_path / "deep.json"
    path.write_text('{"a":' * depth + "1" + "}" * depth)
    return path


def test_json_nested_past_the_bound_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="nested deeper than"):
        read_documents(_nested(tmp_path, MAX_DEPTH + 5))


@pytest.mark.usefixtures("high_recursion_limit")
def test_json_nested_past_the_bound_is_refused_with_a_raised_recursion_limit(
    tmp_path: Path,
) -> None:
    """msgspec then decodes it; the walk, skipped only where msgspec bounds depth, refuses it."""
    with pytest.raises(InputError, match=f"nested deeper than {MAX_DEPTH} levels"):
        read_documents(_nested(tmp_path, MAX_DEPTH + 200))


def test_json_within_the_bound_is_read(tmp_path: Path) -> None:
    assert read_documents(_nested(tmp_path, 50))[0].body["a"]["a"]
