"""Label selectors as `kubectl -l` writes them, parsed to `LabelSelector` (issue 10.10)."""

from __future__ import annotations

import pytest

from kubedrift.diff.selectors import parse_selector_text

LABELS = {"app": "llm", "tier": "serving", "example.com/gpu": "h100"}


@pytest.mark.parametrize(
    ("text", "matches"),
    [
        ("app=llm", True),
        ("app==llm", True),
        ("app!=llm", False),
        ("team!=ml", True),  # != also matches a missing key, as in Kubernetes
        ("app=llm,tier=cache", False),
        ("tier in (cache, serving)", True),
        ("tier notin (serving)", False),
        ("example.com/gpu", True),
        ("!spot", True),
        ("!app", False),
        ("app=llm, example.com/gpu in (h100,a100), !spot", True),
        ("app=", False),  # an empty value: only objects whose label is ""
    ],
)
def test_kubectl_selector_syntax(text: str, matches: bool) -> None:
    assert parse_selector_text(text).matches(LABELS) is matches


@pytest.mark.parametrize("text", ["", ",", "app in (llm", "a=b=c", "/work/live.json", "-x", "a b"])
def test_bad_selectors_raise(text: str) -> None:
    with pytest.raises(ValueError, match="not a label selector"):
        parse_selector_text(text)
