"""The simulated drift history: reproducible, consistent, and shaped by its habits."""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict
from datetime import timedelta

from kubedrift.simulate.history import HistorySpec, generate_history

SPEC = HistorySpec(seed=11, weeks=6)


def test_same_seed_same_history_other_seed_other_history() -> None:
    assert generate_history(SPEC) == generate_history(HistorySpec(seed=11, weeks=6))
    assert generate_history(SPEC) != generate_history(HistorySpec(seed=12, weeks=6))


def test_episodes_of_one_finding_never_overlap_and_stay_in_range() -> None:
    by_key = defaultdict(list)
    for e in generate_history(SPEC):
        assert SPEC.start <= e.first_seen < SPEC.end
        assert e.resolved_at is None or e.first_seen < e.resolved_at < SPEC.end
        by_key[e.finding.identity()].append(e)
    for episodes in by_key.values():
        for earlier, later in itertools.pairwise(episodes):
            assert earlier.resolved_at is not None
            assert earlier.resolved_at <= later.first_seen


def test_the_hand_editor_works_on_friday_afternoons() -> None:
    edits = [e for e in generate_history(SPEC) if e.finding.manager == "kubectl-edit"]
    assert len(edits) >= 10
    assert all(e.first_seen.weekday() == 4 and 13 <= e.first_seen.hour < 18 for e in edits)


def test_people_rest_at_weekends_and_pools_upgrade_in_waves() -> None:
    episodes = generate_history(SPEC)
    people = [e for e in episodes if e.finding.manager in ("kubectl-label", "load-scaler")]
    weekend = sum(e.first_seen.weekday() >= 5 for e in people)
    assert weekend / len(people) < 0.1
    waves = [e for e in episodes if e.finding.path == "kernelVersion" or "driver" in e.finding.path]
    per_pool_day = Counter((dict(e.finding.details)["pool"], e.first_seen.date()) for e in waves)
    assert max(per_pool_day.values()) >= 5  # a wave: many nodes of one pool within a day


def test_nodes_of_unprofiled_pools_get_peer_findings() -> None:
    rules = {
        (dict(e.finding.details).get("pool"), e.finding.rule)
        for e in generate_history(SPEC)
        if e.finding.object.kind == "Node"
    }
    assert ("l4-infer", "peer-mismatch") in rules
    assert ("h100-train", "profile-mismatch") in rules
    assert ("h100-train", "peer-mismatch") not in rules


def test_the_spec_sets_the_span() -> None:
    assert SPEC.end - SPEC.start == timedelta(weeks=6)
    assert SPEC.end.weekday() == 0
    assert SPEC.end.hour == 0
