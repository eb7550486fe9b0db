"""`kubedrift.predict.source` on SQLite and PostgreSQL: windows read in SQL, no leakage.

The leakage test records real scans (`record_scan`), takes the feature table at a cutoff,
then records more scans after it — resolving episodes, changing the values and the field
manager of open ones (which rewrites `findings.manager`), opening new episodes and bringing
old ones back — and checks that the table at the same cutoff is unchanged.
"""

from __future__ import annotations

import json
from datetime import timedelta

from typer.testing import CliRunner

from kubedrift.cli.main import app
from kubedrift.predict.features import feature_table
from kubedrift.predict.source import last_recorded, read_window, whole_history
from kubedrift.predict.window import Entity, Episode, Window
from kubedrift.simulate.history import HistorySpec, generate_history
from kubedrift.simulate.timeline import write_history
from kubedrift.store import SqlStore
from store.builders import at, finding, node_finding

DAY = timedelta(days=1)
A = finding("trainer")
B = finding("server", path="/spec/template/spec/containers/0/image", manager="load-scaler")
N = node_finding("gpu-1", "h100")
CUTOFF = at(60 * 24 * 3)


def _scans_before(store: SqlStore) -> None:
    store.record_scan("prod", [A, N], at=at(0))
    store.record_scan("prod", [N], at=at(60 * 24))  # A resolves
    store.record_scan("prod", [A, B, N], at=at(60 * 48))  # A's second episode, B opens


def _scans_after(store: SqlStore) -> None:
    changed = finding("server", path=B.path, live="v2", manager="kubectl-edit")
    store.record_scan("prod", [changed, N], at=CUTOFF + timedelta(minutes=5))  # A resolves
    store.record_scan("prod", [finding("new")], at=CUTOFF + DAY)  # B and N resolve
    store.record_scan("prod", [A, N], at=CUTOFF + 2 * DAY)


def test_later_scans_cannot_change_the_features(sql_url: str) -> None:
    with SqlStore.open(sql_url) as store:
        _scans_before(store)
        window = read_window(store, cutoff=CUTOFF)
        before = feature_table(window, DAY)
        _scans_after(store)
        again = read_window(store, cutoff=CUTOFF)
        assert again == window
        assert feature_table(again, DAY) == before
        server = next(e for e in again.episodes if e.entity.name == "server")
        assert server.manager == "load-scaler"  # the opening manager, not the rewritten one
        assert server.resolved_at is None  # resolved after the cutoff: still open then
        assert len(read_window(store, cutoff=CUTOFF + 3 * DAY).episodes) == 7  # new, A and N again


def test_a_window_holds_exactly_the_episodes_before_its_cutoff(sql_url: str) -> None:
    spec = HistorySpec(seed=3, weeks=3, objects_per_team=6, nodes_per_pool=5)
    simulated = generate_history(spec)
    cutoff = spec.start + timedelta(days=10, hours=7)
    with SqlStore.open(sql_url) as store:
        write_history(store, spec)
        window = read_window(store, cutoff=cutoff)
        assert last_recorded(store) == spec.end
        assert whole_history(store).cutoff == spec.end + timedelta(seconds=1)
    expected = Window.censored(cutoff, [_episode(e) for e in simulated])
    assert sorted(window.episodes, key=_order) == sorted(expected.episodes, key=_order)


def test_an_empty_store_gives_an_empty_window(sql_url: str) -> None:
    with SqlStore.open(sql_url) as store:
        assert read_window(store, cutoff=CUTOFF).episodes == ()
        assert last_recorded(store) is None
        assert whole_history(store).episodes == ()


def _order(e: Episode) -> tuple[object, ...]:
    return (e.first_seen, e.entity, e.path, e.rule)


def _episode(e: object) -> Episode:
    f = e.finding  # type: ignore[attr-defined]
    ref = f.object
    return Episode(
        Entity("sim", ref.group, ref.kind, ref.namespace or "", ref.name),
        f.path,
        f.rule,
        f.category.value,
        dict(f.details).get("pool"),
        f.manager,
        e.first_seen,  # type: ignore[attr-defined]
        e.resolved_at,  # type: ignore[attr-defined]
    )


def test_the_predict_command_on_the_store(sql_url: str) -> None:
    """`kubedrift simulate --history` then `kubedrift predict`, on SQLite and PostgreSQL."""
    runner = CliRunner()
    sim = ["simulate", "--history", "4", "--seed", "9", "--store", sql_url]
    assert runner.invoke(app, sim).exit_code == 0
    result = runner.invoke(app, ["predict", "--store", sql_url, "--top", "3", "-o", "json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["model"] == "logistic-regression"
    assert len(doc["predictions"]) == 3
    backtest = runner.invoke(app, ["predict", "--store", sql_url, "--backtest", "-o", "json"])
    assert backtest.exit_code == 0, backtest.output
    assert set(json.loads(backtest.stdout)["backtest"]["baselines"]) >= {"recent-repeats", "random"}
