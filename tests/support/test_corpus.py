"""Without ../shared the corpus tests skip with the reason; under CI they fail instead."""

from __future__ import annotations

from pathlib import Path

import pytest

from support.corpus import require_corpus


def test_a_missing_corpus_skips_with_the_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("KUBEDRIFT_REQUIRE_CORPUS", raising=False)
    with pytest.raises(pytest.skip.Exception, match="not found: the peers' corpus"):
        require_corpus(tmp_path / "absent")


def test_a_missing_corpus_fails_where_it_is_required(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KUBEDRIFT_REQUIRE_CORPUS", "1")
    with pytest.raises(pytest.fail.Exception, match="KUBEDRIFT_REQUIRE_CORPUS is set"):
        require_corpus(tmp_path / "absent")


def test_a_present_corpus_is_returned(tmp_path: Path) -> None:
    assert require_corpus(tmp_path) == tmp_path
