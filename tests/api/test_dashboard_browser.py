"""The dashboard in Debian's headless chromium, over a store written by a real `watch` run.

A simulated GPU fleet (some nodes drifted) is registered on a private apiserver, a
ConfigMap and a Secret are applied and then changed by hand; `kubedrift watch` records the
drift; `kubedrift serve` shows the store. Each page must load with no console error, no
uncaught exception and no browser-logged error (a CSP violation or a failed resource would
be one); the figures and chart bars must be the store's; the filters must change the list;
a finding's page must show its desired and live values side by side; a heat-map cell must
list its nodes. Screenshots go to build/test-artifacts/dashboard/.
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import json
import os
import signal
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from api.serving import KUBEDRIFT, get, kubedrift_serve
from controller.probing import wait_for
from kubedrift.api.reportview import standalone
from kubedrift.cluster.connection import ClusterTarget
from kubedrift.cluster.writes import register
from kubedrift.model import Category, Severity
from kubedrift.report import Period, build_report, read_history
from kubedrift.report.charts import CHART_ORDER, draw_all
from kubedrift.simulate import build_fleet, default_fleet_spec
from kubedrift.store import HistoryFilter, SqlStore, StoreError
from kubedrift.store.browse import FindingQuery
from kubedrift.store.readonly import open_existing
from support.apiserver import ADMIN_TOKEN, ApiServer, free_port
from support.browser import Browser, Page, chromium_binary

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(os.environ.get("KUBEDRIFT_ARTIFACTS", ROOT / "build" / "test-artifacts"))
NS = "dash"
CLUSTER = "dash-e2e"
SECRET_BEFORE, SECRET_AFTER = "alpha-s3cret-value", "bravo-s3cret-value"
DESIRED = f"""\
apiVersion: v1
kind: ConfigMap
metadata: {{name: trainer-config, namespace: {NS}}}
data: {{checkpoint_every: "500", nccl_debug: WARN}}
---
apiVersion: v1
kind: Secret
metadata: {{name: hub-token, namespace: {NS}}}
data: {{token: {base64.b64encode(SECRET_BEFORE.encode()).decode()}}}
"""


def kubectl(server: ApiServer, *args: str) -> str:
    argv = ["kubectl", f"--kubeconfig={server.kubeconfig}", *args]
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    if done.returncode:
        raise AssertionError(f"kubectl {' '.join(args)}: {done.stderr}")
    return done.stdout


def _recorded(db: Path) -> bool:
    """The hand edits and some node drift are in the store."""
    try:
        with open_existing(str(db)) as store:
            found = store.open_findings(HistoryFilter(cluster=CLUSTER))
    except StoreError:  # not created, or not migrated yet
        return False
    paths = {s.finding.path for s in found}
    nodes = any(s.finding.category is Category.NODE and s.pool for s in found)
    return nodes and {"/data/checkpoint_every", "/data/token"} <= paths


@pytest.fixture(scope="module")
def store_path(private_server: ApiServer, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite store filled by `kubedrift watch` against the private apiserver."""
    folder = tmp_path_factory.mktemp("dashboard")
    spec = default_fleet_spec(24, seed=11, drift_rate=0.2)
    fleet = build_fleet(dataclasses.replace(spec, now=datetime.now(UTC)))
    asyncio.run(register(ClusterTarget(kubeconfig=private_server.kubeconfig), list(fleet.nodes)))
    (folder / "desired").mkdir()
    (folder / "desired" / "app.yaml").write_text(DESIRED)
    kubectl(private_server, "create", "namespace", NS)
    kubectl(private_server, "apply", "-f", str(folder / "desired" / "app.yaml"))
    kubectl(private_server, "patch", "configmap", "trainer-config", "-n", NS,
            "-p", '{"data": {"checkpoint_every": "5000"}}')  # fmt: skip
    after = base64.b64encode(SECRET_AFTER.encode()).decode()
    kubectl(private_server, "patch", "secret", "hub-token", "-n", NS,
            "-p", json.dumps({"data": {"token": after}}))  # fmt: skip
    db = folder / "timeline.db"
    port = free_port()
    argv = [
        str(KUBEDRIFT), "watch", "--kubeconfig", str(private_server.kubeconfig),
        "--desired", str(folder / "desired"), "--cluster", CLUSTER, "--store", str(db),
        "--listen", f"127.0.0.1:{port}", "--webhook-listen", "",
    ]  # fmt: skip
    with (folder / "watch.log").open("w") as log:
        proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_for("the watcher's findings", lambda: _recorded(db), timeout=120)
        _the_watcher_serves_the_api(f"http://127.0.0.1:{port}")
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0, (folder / "watch.log").read_text()
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    return db


def _the_watcher_serves_the_api(base: str) -> None:
    """`watch` serves the dashboard and API beside its probes, behind TokenReview: the
    test bed's admin token (system:masters) may read, no token may not; probes stay open."""
    assert get(base + "/healthz")[0] == 200
    assert get(base + "/metrics")[0] == 200
    assert get(base + "/api/v1/findings")[0] == 401
    status, _, body = get(base + "/api/v1/findings?q=checkpoint", ADMIN_TOKEN)
    assert status == 200, body
    assert "trainer-config" in body
    assert get(base + "/", ADMIN_TOKEN)[0] == 200


@pytest.fixture(scope="module")
def base(store_path: Path) -> Iterator[str]:
    log = store_path.parent / "serve.log"
    with kubedrift_serve(str(store_path), log, "--auth", "none") as url:
        # The server draws the report's charts in the background from start-up (seconds
        # on a loaded machine); the overview says so until they are there. The pages are
        # then timed by the browser's 30 s load wait.
        deadline = time.monotonic() + 300
        while True:
            with urllib.request.urlopen(url + "/", timeout=60) as first:
                assert first.status == 200
                if b'id="charts-preparing"' not in first.read():
                    break
            assert time.monotonic() < deadline, "report charts not drawn in 300 s"
            time.sleep(0.5)
        yield url


@pytest.fixture(scope="module")
def page() -> Iterator[Page]:
    binary = chromium_binary()
    if binary is None:
        pytest.fail("chromium not found: apt-get install chromium (scripts/ensure-chromium.sh)")
    with Browser(binary) as opened:
        yield opened


def _visit(page: Page, url: str, shot: str) -> None:
    page.goto(url)
    page.screenshot(ARTIFACTS / "dashboard" / f"{shot}.png")
    assert page.problems == [], page.problems
    assert page.evaluate("document.querySelector('h1') !== null")


def _text(page: Page, selector: str) -> str:
    return str(page.evaluate(f"document.querySelector({json.dumps(selector)}).textContent"))


def test_overview_shows_the_stores_figures(page: Page, base: str, store_path: Path) -> None:
    _visit(page, base + "/", "overview")
    with open_existing(str(store_path)) as store:
        found = store.open_findings()
    assert int(_text(page, "#open-total")) == len(found)
    counts = page.evaluate(
        "[...document.querySelectorAll('#severities a')]"
        ".map(a => [a.dataset.severity, Number(a.dataset.value)])"
    )
    expected = [[s.value, sum(f.finding.severity is s for f in found)]
                for s in reversed(Severity)]  # fmt: skip
    assert counts == expected
    assert page.evaluate("document.querySelectorAll('#days tr').length") == 15


def _served_period(page: Page) -> Period:
    def moment(name: str) -> datetime:
        text = str(page.evaluate(f"document.querySelector('#report-period').dataset.{name}"))
        return datetime.fromisoformat(text.replace(" ", "T").replace("Z", "+00:00"))

    return Period(moment("since"), moment("until"))


def test_overview_shows_the_reports_charts(page: Page, base: str, store_path: Path) -> None:
    """The overview's charts are `kubedrift report`'s, drawn from the store for the period
    the page names; each loads as an image (no console error), and its numbers are the
    store's."""
    _visit(page, base + "/", "overview-charts")
    images = page.evaluate(
        "[...document.querySelectorAll('#report img')].map(i =>"
        " [i.dataset.key, i.getAttribute('src'), i.complete && i.naturalWidth > 0, i.alt])"
    )
    assert [key for key, *_ in images] == [key for key, _ in CHART_ORDER]
    assert all(loaded for _, _, loaded, _ in images), images
    period = _served_period(page)
    with open_existing(str(store_path)) as store:
        history = read_history(store, period, HistoryFilter())
    data = build_report(scan=None, history=history, now=period.until)
    expected = {key: standalone(svg) for key, _, svg in draw_all(data.charts)}
    for key, src, _, _ in images:
        status, headers, body = get(base + src)
        assert status == 200
        assert headers["content-type"].startswith("image/svg+xml")
        assert body == expected[key], key  # the report's own chart, byte for byte
    opened = sum(period.holds(e.first_seen) for e in history.current)
    alt = {key: text for key, _, _, text in images}["new-vs-resolved"]
    assert f"new: total {opened:,}" in alt
    assert opened > 0
    assert int(_text(page, "#report-summary [data-key=new]")) == opened


def test_filters_and_search_change_the_list(page: Page, base: str, store_path: Path) -> None:
    _visit(page, base + "/findings", "findings")
    everything = page.evaluate("document.querySelectorAll('#findings tbody tr').length")
    # the menu submits itself on change (static/app.js): no button press
    page.wait_for_navigation(
        "const s = document.querySelector('#filter-category'); s.value = 'node';"
        "s.dispatchEvent(new Event('change', {bubbles: true}));"
    )
    assert page.problems == []
    page.screenshot(ARTIFACTS / "dashboard" / "findings-nodes.png")
    assert "category=node" in page.evaluate("location.search")
    with SqlStore.open(str(store_path)) as store:
        nodes = store.browse().page(FindingQuery(category="node", limit=500)).total
    assert _text(page, "#count").startswith(f"{nodes} finding")
    kinds = page.evaluate(
        "[...document.querySelectorAll('#findings tbody tr td:nth-child(2)')]"
        ".map(td => td.textContent.trim().split(' ')[0])"
    )
    assert set(kinds) == {"Node"}
    assert len(kinds) < everything
    page.wait_for_navigation(
        "document.querySelector('#q').value = 'checkpoint';"
        "document.querySelector('#filter-category').value = '';"
        "document.querySelector('#filters').requestSubmit();"
    )
    assert page.problems == []
    rows = page.evaluate(
        "[...document.querySelectorAll('#findings tbody tr')].map(r => r.textContent)"
    )
    assert len(rows) == 1
    assert "trainer-config" in rows[0]


def test_a_findings_page_shows_the_right_diff(page: Page, base: str, store_path: Path) -> None:
    with SqlStore.open(str(store_path)) as store:
        (episode,) = store.browse().page(FindingQuery(text="checkpoint_every")).items
    _visit(page, f"{base}/findings/{episode.id}", "finding")
    rows = page.evaluate(
        "[...document.querySelectorAll('#diff tbody tr')]"
        ".map(r => [r.className, ...[...r.querySelectorAll('td')].map(td => td.textContent)])"
    )
    assert rows == [["changed", '"500"', '"5000"']]
    assert "kubectl-patch" in _text(page, "#attribution")
    assert "revert" in _text(page, "#action")
    assert "episode 1" in _text(page, "#timeline")


def test_secret_values_never_reach_a_page_or_the_api(
    page: Page, base: str, store_path: Path
) -> None:
    with SqlStore.open(str(store_path)) as store:
        (episode,) = store.browse().page(FindingQuery(kind="Secret")).items
    _visit(page, f"{base}/findings/{episode.id}", "secret-finding")
    html = str(page.evaluate("document.documentElement.outerHTML"))
    api = get(f"{base}/api/v1/findings/{episode.id}")[2] + get(f"{base}/api/v1/findings")[2]
    for value in (SECRET_BEFORE, SECRET_AFTER):
        encoded = base64.b64encode(value.encode()).decode()
        for text in (html, api):
            assert value not in text
            assert encoded not in text


def test_a_heat_map_cell_lists_its_nodes(page: Page, base: str, store_path: Path) -> None:
    _visit(page, base + "/fleet", "fleet")
    cell = page.evaluate(
        "(() => { const a = document.querySelector('#heatmap a');"
        " return [a.dataset.pool, a.dataset.fact, Number(a.textContent)]; })()"
    )
    page.wait_for_navigation("document.querySelector('#heatmap a').click()")
    assert page.problems == []
    page.screenshot(ARTIFACTS / "dashboard" / "fleet-cell.png")
    shown = page.evaluate(
        "[...document.querySelectorAll('#nodes tbody tr td:first-child')].map(td => td.textContent)"
    )
    with SqlStore.open(str(store_path)) as store:
        nodes = store.browse().fleet_nodes(None, cell[0], cell[1])
    assert shown == [e.finding.object.name for e in nodes]
    assert len({e.finding.object.name for e in nodes}) == cell[2]


def test_the_cluster_selector_keeps_to_one_cluster(page: Page, base: str) -> None:
    _visit(page, base + "/findings", "cluster-all")
    page.wait_for_navigation(
        f"const s = document.querySelector('#cluster'); s.value = '{CLUSTER}';"
        "s.dispatchEvent(new Event('change', {bubbles: true}));"
    )
    assert page.problems == []
    assert f"cluster={CLUSTER}" in page.evaluate("location.search")
    assert page.evaluate("document.querySelector('#cluster').value") == CLUSTER
