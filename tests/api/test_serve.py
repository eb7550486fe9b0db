"""`kubedrift serve` end to end on a SQLite store: the JSON API, its errors and its headers.

The server is the real command in its own process; the store is written by `SqlStore` as
the watcher writes it. PostgreSQL runs the same queries in tests/store/test_browse.py.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

from api.serving import KUBEDRIFT, get, get_json, kubedrift_serve
from kubedrift.model import Impact, Severity
from kubedrift.store import SqlStore
from store.builders import at, finding, node_finding

SECRET_HASH = "sha256:0a1b2c3d4e5f"


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A server over a store with two clusters, a resolved episode and node drift."""
    folder = tmp_path_factory.mktemp("serve")
    db = folder / "timeline.db"
    with SqlStore.open(str(db)) as store:
        a = [
            finding("trainer", namespace="ml", desired=4, live=2, severity=Severity.HIGH),
            finding(
                "llm",
                namespace="ml",
                severity=Severity.CRITICAL,
                impact=Impact(8, 120.0, ("PyTorchJob/ml/llm",)),
            ),
            finding(
                "creds",
                kind="Secret",
                namespace="ml",
                path="/data/token",
                desired=SECRET_HASH,
                live="sha256:ffeeddccbbaa",
            ),
            node_finding("gpu-1", "a100"),
            node_finding("gpu-2", "a100"),
        ]
        store.record_scan("prod-a", a, at=at(0))
        store.record_scan("prod-a", [f for f in a if f.object.name != "llm"], at=at(30))
        store.record_scan("prod-b", [finding(f"app-{i}", namespace="batch") for i in range(60)],
                          at=at(1))  # fmt: skip
    with kubedrift_serve(str(db), folder / "serve.log", "--auth", "none") as url:
        yield url


def test_every_body_names_the_schema(base: str) -> None:
    for path in ("findings", "findings/1", "timeline", "stats", "fleet", "clusters"):
        status, body = get_json(f"{base}/api/v1/{path}")
        assert status == 200, (path, body)
        assert body["schema"] == "kubedrift/v1", path


def test_findings_filters_and_search(base: str) -> None:
    def names(query: str) -> set[str]:
        status, body = get_json(f"{base}/api/v1/findings?{query}")
        assert status == 200, body
        return {e["finding"]["object"]["name"] for e in body["findings"]}

    assert names("cluster=prod-a") == {"trainer", "creds", "gpu-1", "gpu-2"}
    assert names("cluster=prod-a&status=resolved") == {"llm"}
    assert names("cluster=prod-a&severity=high,critical&status=all") == {
        "trainer", "llm", "gpu-1", "gpu-2"}  # fmt: skip
    assert names("pool=a100") == {"gpu-1", "gpu-2"}
    assert names("kind=Secret") == {"creds"}
    assert names("category=node&cluster=prod-a") == {"gpu-1", "gpu-2"}
    assert names("rule=pool-majority") == {"gpu-1", "gpu-2"}
    assert names("namespace=batch&q=APP-5") == {"app-5"} | {f"app-5{i}" for i in range(10)}


def test_pages_follow_the_cursor_to_the_end(base: str) -> None:
    ids: list[int] = []
    url = f"{base}/api/v1/findings?cluster=prod-b&limit=25"
    while url:
        status, body = get_json(url)
        assert status == 200
        assert body["total"] == 60
        ids += [e["id"] for e in body["findings"]]
        cursor = body["next_cursor"]
        url = f"{base}/api/v1/findings?cluster=prod-b&limit=25&cursor={cursor}" if cursor else ""
    assert len(ids) == len(set(ids)) == 60
    assert ids == sorted(ids, reverse=True)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("limit=501", "limit '501': a whole number, 1 to 500"),
        ("limit=abc", "limit 'abc'"),
        ("severity=urgent", "severity 'urgent': use one of"),
        ("status=maybe", "status 'maybe': use one of"),
        ("category=pods", "category 'pods'"),
        ("cursor=-1", "cursor '-1'"),
        ("q=" + "x" * 201, "q: at most 200 characters"),
    ],
)
def test_a_bad_parameter_is_a_one_line_400(base: str, query: str, message: str) -> None:
    status, body = get_json(f"{base}/api/v1/findings?{query}")
    assert status == 400
    assert message in body["error"]
    assert "\n" not in body["error"]


def test_one_finding_with_history_and_planned_action(base: str) -> None:
    status, page = get_json(f"{base}/api/v1/findings?q=trainer")
    (trainer,) = page["findings"]
    status, body = get_json(f"{base}/api/v1/findings/{trainer['id']}")
    assert status == 200
    assert body["finding"]["finding"]["desired"] == 4
    assert body["finding"]["finding"]["live"] == 2
    assert [c["live"] for c in body["changes"]] == [2]
    assert [e["id"] for e in body["episodes"]] == [trainer["id"]]
    assert body["action"]["action"] == "none"  # rule value-changed: nothing automatic
    assert get_json(f"{base}/api/v1/findings/99999")[0] == 404
    assert get_json(f"{base}/api/v1/findings/abc")[0] == 400


def test_a_revertible_finding_shows_the_revert_body(tmp_path: Path) -> None:
    """field-changed on a Deployment: the plan's revert, with only the drifted field."""
    db = tmp_path / "t.db"
    with SqlStore.open(str(db)) as store:
        store.record_scan("c", [finding(rule="field-changed", desired=4, live=2)], at=at(0))
    with kubedrift_serve(str(db), tmp_path / "log", "--auth", "none") as url:
        _status, body = get_json(f"{url}/api/v1/findings/1")
    assert body["action"]["action"] == "revert"
    assert body["action"]["patch"]["spec"] == {"replicas": 4}


def test_stats_fleet_clusters_and_timeline(base: str) -> None:
    _, stats = get_json(f"{base}/api/v1/stats?cluster=prod-a&days=366")
    assert stats["overview"]["open_by_severity"]["high"] == 3
    assert stats["overview"]["gpus_at_risk"] == 0  # the GPU finding was resolved
    assert stats["episodes"]["resolved"] == 1
    assert stats["episodes"]["time_to_resolve"]["mean_seconds"] == 30 * 60
    _, fleet = get_json(f"{base}/api/v1/fleet?pool=a100&fact=" + quote(
        "nvidia.com/cuda.driver-version.full"))  # fmt: skip
    assert fleet["cells"] == [
        {"pool": "a100", "fact": "nvidia.com/cuda.driver-version.full", "nodes": 2}]  # fmt: skip
    assert [n["finding"]["object"]["name"] for n in fleet["nodes"]] == ["gpu-1", "gpu-2"]
    _, clusters = get_json(f"{base}/api/v1/clusters")
    assert [(c["name"], c["open"]) for c in clusters["clusters"]] == [("prod-a", 4), ("prod-b", 60)]
    _, timeline = get_json(f"{base}/api/v1/timeline?days=3")
    assert len(timeline["days"]) == 3


def test_openapi_describes_every_route_and_the_bearer_scheme(base: str) -> None:
    status, spec = get_json(f"{base}/api/v1/openapi.json")
    assert status == 200
    paths = set(spec["paths"])
    for route in ("findings", "findings/{finding_id}", "timeline", "stats", "fleet", "clusters"):
        assert f"/api/v1/{route}" in paths
    assert not any(not p.startswith("/api/v1/") for p in paths), paths
    params = {p["name"] for p in spec["paths"]["/api/v1/findings"]["get"]["parameters"]}
    assert {"cluster", "namespace", "kind", "pool", "severity", "category", "rule", "status",
            "q", "cursor", "limit"} <= params  # fmt: skip
    assert spec["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"


def test_security_headers_and_read_only_methods(base: str) -> None:
    for path in ("/", "/findings", "/api/v1/findings", "/static/app.js"):
        status, headers, _ = get(base + path)
        assert status == 200
        lower = {k.lower(): v for k, v in headers.items()}
        csp = lower["content-security-policy"]
        assert "script-src 'self'" in csp
        assert "unsafe-inline" not in csp
        assert "frame-ancestors 'none'" in csp
        assert lower["x-content-type-options"] == "nosniff"
        assert lower["x-frame-options"] == "DENY"
        assert lower["referrer-policy"] == "no-referrer"
    for method in ("POST", "PUT", "DELETE", "PATCH"):
        assert get(base + "/api/v1/findings", method=method)[0] == 405
        assert get(base + "/findings", method=method)[0] == 405


def test_pages_render_and_never_show_more_than_the_store_holds(base: str) -> None:
    status, _, html = get(base + "/findings?kind=Secret")
    assert status == 200
    assert "creds" in html
    status, _, page = get(base + "/findings/3")
    assert status == 200
    assert SECRET_HASH in page  # the keyed hash the diff stored, never a value
    assert "<script>" not in page.replace('<script src="/static/app.js" defer></script>', "")


def _serve_fails(*args: str) -> str:
    """Run `kubedrift serve ARGS`, which must exit 1 at once; its one stderr line."""
    done = subprocess.run(
        [str(KUBEDRIFT), "serve", *args], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    (line,) = done.stderr.strip().splitlines()
    return line


def test_auth_none_is_refused_off_loopback(tmp_path: Path) -> None:
    db = tmp_path / "t.db"
    SqlStore.open(str(db)).close()
    for listen in ("0.0.0.0:8080", "10.1.2.3:8080", "[::]:8080"):
        line = _serve_fails("--store", str(db), "--auth", "none", "--listen", listen)
        assert "--auth none" in line
        assert "127.0.0.1" in line


def test_serve_never_creates_a_store(tmp_path: Path) -> None:
    missing = tmp_path / "nope.db"
    line = _serve_fails("--store", str(missing), "--auth", "none")
    assert "no timeline store here" in line
    assert not missing.exists()


def test_a_bad_listen_address_is_one_line(tmp_path: Path) -> None:
    assert "--listen" in _serve_fails("--store", str(tmp_path / "x.db"), "--listen", "8080")


def test_watch_refuses_auth_none_off_loopback() -> None:
    done = subprocess.run(
        [str(KUBEDRIFT), "watch", "--auth", "none", "--listen", "0.0.0.0:8080"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 1, done.stderr
    (line,) = done.stderr.strip().splitlines()
    assert "--auth none" in line


def test_stats_keep_the_schema_of_the_row_by_row_statistics(base: str) -> None:
    """`/api/v1/stats` is added up in SQL now (store/stats_sql.py): the same document as
    `stats_json` of `timeline_stats` gives (values: tests/store/test_stats_sql.py)."""
    from datetime import UTC, datetime

    from kubedrift.api.documents import stats_json
    from kubedrift.store.stats import timeline_stats

    def shape(value: object) -> object:
        if isinstance(value, dict):
            return {k: shape(v) for k, v in value.items()}
        return type(value).__name__ if value is not None else "null"

    _, stats = get_json(f"{base}/api/v1/stats?cluster=prod-b&days=366")
    assert list(stats) == ["schema", "window_days", "overview", "episodes"]
    old = stats_json(timeline_stats([], datetime.now(UTC)))
    assert list(stats["episodes"]) == list(old)
    assert stats["episodes"]["open"] == 60
    assert stats["episodes"]["time_to_resolve"] == old["time_to_resolve"]  # none resolved
    assert shape(stats["episodes"]["open_age"]) == {
        "count": "int",
        "mean_seconds": "float",
        "median_seconds": "float",
        "longest_seconds": "float",
    }
