"""The peers' test data in `../shared/corpus`, beside the checkout.

A clone without `../shared` skips the corpus-based tests with the reason, rather than
failing collection; CI sets `KUBEDRIFT_REQUIRE_CORPUS=1` (`.ci/run`), where a missing corpus
is a failure, so the tests can never be skipped there unnoticed.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
CORPUS = SHARED / "corpus"


def require_corpus(path: Path = CORPUS, *, module_level: bool = False) -> Path:
    """`path` when it exists; else skip (or fail, when `KUBEDRIFT_REQUIRE_CORPUS` is set)."""
    if path.exists():
        return path
    reason = f"{path} not found: the peers' corpus lives in ../shared beside the checkout"
    if os.environ.get("KUBEDRIFT_REQUIRE_CORPUS"):
        pytest.fail(f"{reason} (KUBEDRIFT_REQUIRE_CORPUS is set)", pytrace=False)
    pytest.skip(reason, allow_module_level=module_level)
