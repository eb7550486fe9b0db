"""The feature table: values on a hand-made history, and no leakage from after the cutoff."""

from __future__ import annotations

import math
import random
from dataclasses import replace
from datetime import timedelta

import pytest

from kubedrift.predict.features import FEATURES, HistoryIndex, feature_table, labels
from kubedrift.predict.window import Episode, Window
from kubedrift.simulate.history import HistorySpec, generate_history
from predict.builders import MONDAY, ep, node, obj

DAY = timedelta(days=1)
A, B, N1, N2 = obj("a"), obj("b"), node("n1"), node("n2")


def history() -> list[Episode]:
    return [
        ep(A, 0),
        ep(A, 7),
        ep(A, 14, hours=None),
        ep(B, 13, manager="load-scaler", path="/spec/template"),
        ep(N1, 12, pool="h100", rule="peer-mismatch", category="node", manager=None),
        ep(N2, 13.5, pool="h100", rule="peer-mismatch", category="node", manager=None),
    ]


def row(rows: list, entity: object):  # type: ignore[no-untyped-def,type-arg]
    return next(r for r in rows if r.entity == entity)


def test_values_on_a_hand_made_history() -> None:
    window = Window.censored(MONDAY + timedelta(days=14.5), history())
    rows = feature_table(window, DAY)
    assert [r.entity for r in rows] == sorted([A, B, N1, N2])
    a = row(rows, A)
    assert round(math.expm1(a.value("onsets_7d"))) == 1  # day 14 only (day 7 is 7.5 days ago)
    assert round(math.expm1(a.value("onsets_28d"))) == 3
    assert a.value("open_now") == 1.0
    assert a.value("human_share") == 1.0
    assert a.value("seasonal_rate") == 0.0  # drifts Monday 00:00; the next 24 h start at noon
    assert a.likely_paths == (("/spec/replicas", 1.0),)
    b = row(rows, B)
    assert (b.value("controller_share"), b.value("human_share")) == (1.0, 0.0)
    n1 = row(rows, N1)
    assert n1.pool == "h100"
    assert n1.value("unprofiled_pool") == 1.0
    assert n1.value("group_onsets_7d") == 1.0  # 2 onsets in a pool of 2 known nodes
    assert 0.0 < n1.value("hazard") < 1.0


def test_seasonal_rate_counts_onsets_at_the_hours_ahead() -> None:
    """Sunday 21:36: the next 24 h hold Monday 00:00, when `a` drifted both weeks."""
    window = Window.censored(MONDAY + timedelta(days=13.9), history())
    a = row(feature_table(window, DAY), A)
    assert a.value("seasonal_rate") == pytest.approx(2 / 13.9 * 7)
    assert row(feature_table(window, timedelta(days=7)), A).value("seasonal_rate") == 0.0


def test_an_entity_first_seen_after_the_cutoff_is_not_a_row() -> None:
    window = Window.censored(MONDAY + timedelta(days=12.5), history())
    assert {r.entity for r in feature_table(window, DAY)} == {A, N1}


def test_labels_are_onsets_within_the_horizon_only() -> None:
    window = Window.censored(MONDAY + timedelta(days=20), history())
    assert labels(window, MONDAY + timedelta(days=13), DAY) == {B, N2}  # [13, 14): not A at 14
    assert labels(window, MONDAY + timedelta(days=13.5), DAY) == {A, N2}
    with pytest.raises(ValueError, match="beyond the window"):
        labels(window, MONDAY + timedelta(days=19.5), DAY)


def _simulated() -> list[Episode]:
    spec = HistorySpec(seed=5, weeks=4, objects_per_team=8, nodes_per_pool=6)
    out = []
    for e in generate_history(spec):
        f = e.finding
        entity = obj(f.object.name, f.object.namespace or "", f.object.kind)
        if f.object.kind == "Node":
            entity = node(f.object.name)
        pool = dict(f.details).get("pool")
        out.append(
            Episode(
                entity,
                f.path,
                f.rule,
                f.category.value,
                pool,
                f.manager,
                e.first_seen,
                e.resolved_at,
            )
        )
    return out


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_records_after_the_cutoff_cannot_change_features(seed: int) -> None:
    """Shuffle, drop, move and add records after the cutoff: the table is the same."""
    episodes = _simulated()
    end = max(e.first_seen for e in episodes) + DAY
    cutoff = episodes[0].first_seen + timedelta(days=16)
    before = HistoryIndex(Window.censored(end, episodes)).table(cutoff, DAY)
    rng = random.Random(seed)
    perturbed = [e for e in episodes if e.first_seen < cutoff]
    perturbed = [
        replace(e, resolved_at=None) if e.resolved_at and e.resolved_at >= cutoff else e
        for e in perturbed
    ]
    later = [e for e in episodes if e.first_seen >= cutoff and rng.random() < 0.5]
    later += [
        replace(e, manager="kubectl-edit", first_seen=cutoff + DAY * rng.random()) for e in later
    ]
    rng.shuffle(perturbed)
    after = HistoryIndex(Window.censored(end + DAY, perturbed + later)).table(cutoff, DAY)
    assert after == before
    assert before == feature_table(Window.censored(cutoff, episodes), DAY)


def test_the_index_refuses_a_cutoff_past_its_window() -> None:
    window = Window.censored(MONDAY + timedelta(days=14.5), history())
    with pytest.raises(ValueError, match="after the window"):
        HistoryIndex(window).table(MONDAY + timedelta(days=15), DAY)


def test_every_feature_has_a_value() -> None:
    window = Window.censored(MONDAY + timedelta(days=14.5), history())
    assert all(len(r.values) == len(FEATURES) for r in feature_table(window, DAY))


def test_one_index_for_many_cutoffs_and_horizons_gives_the_rows_of_fresh_ones() -> None:
    """The index keeps what rows share (per cutoff, per entity's past) between tables of
    different horizons and cutoffs: each table equals the one a fresh index builds."""
    episodes = _simulated()
    window = Window.censored(max(e.first_seen for e in episodes), episodes)
    shared = HistoryIndex(window)
    start = min(e.first_seen for e in episodes)
    cutoffs = [start + timedelta(days=d, hours=5) for d in (9, 20, 9, 25)]
    for cutoff in cutoffs:
        for horizon in (DAY, 7 * DAY, DAY):
            fresh = HistoryIndex(window).table(cutoff, horizon)
            assert shared.table(cutoff, horizon) == fresh
            assert len({r.values for r in fresh}) > 1
