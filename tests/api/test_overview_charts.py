"""The overview's report charts: cached per store revision, and a clear notice without the
`report` extra (matplotlib), driven through the real `kubedrift serve`."""

from __future__ import annotations

from pathlib import Path

import pytest

from api.serving import get, kubedrift_serve
from kubedrift.api.reportview import ChartCache, standalone
from kubedrift.store import SqlStore
from store.builders import at, finding


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_charts_are_computed_once_per_store_revision(tmp_path: Path) -> None:
    clock = Clock()
    with SqlStore.open(str(tmp_path / "timeline.db")) as store:
        store.record_scan("prod-a", [finding("trainer")], at=at(0))
        cache = ChartCache(store, fresh=60, clock=clock, now=lambda: at(60))
        first = cache.get(None)
        clock.now = 3600.0
        assert cache.get(None) is first  # same revision: reused however old
        store.record_scan("prod-a", [finding("trainer"), finding("web")], at=at(30))
        clock.now = 3610.0
        second = cache.get(None)  # a write since, and older than `fresh`: computed again
        assert second is not first
        assert second.revision != first.revision
        store.record_scan("prod-a", [finding("web")], at=at(40))
        clock.now = 3620.0
        assert cache.get(None) is second  # written again, but only 10 s old: reused
        assert cache.get("prod-a") is not second  # each cluster its own


def test_a_chart_is_a_standalone_svg_document() -> None:
    bare = '<svg viewBox="0 0 540 60" role="img"><text>x</text></svg>'
    assert standalone(bare).startswith('<svg xmlns="http://www.w3.org/2000/svg" viewBox')
    assert standalone(standalone(bare)) == standalone(bare)


@pytest.fixture
def no_matplotlib(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`kubedrift serve` as installed without the `report` extra: `import matplotlib` fails."""
    shadow = tmp_path / "shadow"
    shadow.mkdir()
    (shadow / "matplotlib.py").write_text("raise ImportError('No module named matplotlib')\n")
    monkeypatch.setenv("PYTHONPATH", str(shadow))


@pytest.mark.usefixtures("no_matplotlib")
def test_without_the_report_extra_the_overview_says_so(tmp_path: Path) -> None:
    db = tmp_path / "timeline.db"
    with SqlStore.open(str(db)) as store:
        store.record_scan("prod-a", [finding("trainer")], at=at(0))
    with kubedrift_serve(str(db), tmp_path / "serve.log", "--auth", "none") as base:
        status, _, page = get(base + "/")
        assert status == 200
        assert 'id="charts-missing"' in page
        assert "pip install &#39;kubedrift[report]&#39;" in page
        assert "<img" not in page
        assert 'id="open-total">1<' in page  # the rest of the overview is there
        status, _, body = get(base + "/charts/top-objects.svg")
        assert status == 404
        assert "kubedrift[report]" in body
