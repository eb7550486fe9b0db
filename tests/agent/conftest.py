"""Fixtures for agent tests: a fake host root built in a temporary folder."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

MakeHost = Callable[..., Path]


@pytest.fixture
def make_host(tmp_path: Path) -> MakeHost:
    """Write `{host path: text or bytes}` and `{host path: link target}` under a new root."""
    counter = iter(range(1000))

    def make(files: Mapping[str, str | bytes], links: Mapping[str, str] | None = None) -> Path:
        root = tmp_path / f"host{next(counter)}"
        root.mkdir()
        for host_path, content in files.items():
            path = root / host_path.lstrip("/")
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content)
        for host_path, target in (links or {}).items():
            path = root / host_path.lstrip("/")
            path.parent.mkdir(parents=True, exist_ok=True)
            path.symlink_to(target)
        return root

    return make
