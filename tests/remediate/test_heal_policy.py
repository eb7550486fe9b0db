"""Self-heal policy (pure): what may be healed, fights counted per field, the `heal:` block."""

from __future__ import annotations

from pathlib import Path

import pytest

from kubedrift.desired import load_config
from kubedrift.desired.heal import DEFAULT_HEAL_RULES, HealSettings, parse_heal
from kubedrift.model import Category, Finding, InputError, ObjectRef, Severity
from kubedrift.remediate.heal import (
    DEFAULT_TRUSTED_MANAGERS,
    FightBook,
    HealMode,
    HealPolicy,
    RefusalBook,
    action_finding,
    field_key,
    fight_finding,
    refusal,
)


def drift(
    *,
    kind: str = "Deployment",
    namespace: str | None = "ml",
    rule: str = "field-changed",
    manager: str | None = "kubectl-edit",
    path: str = "/spec/replicas",
) -> Finding:
    group = "apps/v1" if kind == "Deployment" else "v1"
    return Finding(
        category=Category.OBJECT,
        severity=Severity.MEDIUM,
        object=ObjectRef(group, kind, namespace, "trainer"),
        path=path,
        desired=2,
        live=5,
        rule=rule,
        message="changed",
        manager=manager,
    )


KCM = "kube-controller-manager"
TRUSTED = "/spec/replicas is owned by %s, a trusted controller"


@pytest.mark.parametrize(
    ("policy", "finding", "reason"),
    [
        (HealPolicy(), drift(), None),
        (HealPolicy(), drift(rule="field-added"), "rule field-added is not healed"),
        (HealPolicy(), drift(rule="object-missing"), "rule object-missing is not healed"),
        (HealPolicy(rules=("object-missing",)), drift(rule="object-missing"), None),
        (HealPolicy(namespaces=("ml-*",)), drift(), "namespace ml is not healed"),
        (HealPolicy(namespaces=("ml*",)), drift(), None),
        (HealPolicy(namespaces=("ml",)), drift(namespace=None), "namespace (cluster) is not"
         " healed"),
        (HealPolicy(kinds=("ConfigMap",)), drift(), "kind Deployment is not healed"),
        (HealPolicy(kinds=("ConfigMap",)), drift(kind="ConfigMap"), None),
        (HealPolicy(), drift(manager=KCM), TRUSTED % KCM),
        (HealPolicy(), drift(manager="karpenter"), TRUSTED % "karpenter"),
        (HealPolicy(), drift(manager="gpu-operator"), TRUSTED % "gpu-operator"),
        (HealPolicy(), drift(manager="manager"), TRUSTED % "manager"),
        (HealPolicy(trusted_managers=()), drift(manager="manager"), None),
        (HealPolicy(), drift(manager="unknown"), None),
        (HealPolicy(), drift(manager=None), None),
    ],
)  # fmt: skip
def test_refusal(policy: HealPolicy, finding: Finding, reason: str | None) -> None:
    assert refusal(policy, finding) == reason


def test_the_policy_takes_each_given_setting_and_adds_trusted_managers() -> None:
    settings = HealSettings(
        namespaces=("ml-*",), max_per_minute=3, trusted_managers=("my-op",), fight_rounds=5
    )
    policy = HealPolicy.of(HealMode.APPLY, settings)
    assert policy.mode is HealMode.APPLY
    assert policy.namespaces == ("ml-*",)
    assert policy.kinds == ()
    assert policy.rules == DEFAULT_HEAL_RULES
    assert (policy.max_per_minute, policy.fight_rounds, policy.fight_window) == (3, 5, 600.0)
    assert policy.trusted_managers == (*DEFAULT_TRUSTED_MANAGERS, "my-op")
    assert refusal(policy, drift(namespace="ml-a", manager="my-op")) is not None


def test_later_settings_win_key_by_key_and_trust_adds_up() -> None:
    first = HealSettings(namespaces=("a",), kinds=("Deployment",), trusted_managers=("x",))
    later = HealSettings(namespaces=("b",), max_per_minute=7, trusted_managers=("y",))
    merged = first.merged(later)
    assert merged.namespaces == ("b",)
    assert merged.kinds == ("Deployment",)
    assert merged.max_per_minute == 7
    assert merged.trusted_managers == ("x", "y")


KEY = field_key(drift())


OBJ = KEY[:4]


def revert(book: FightBook, at: float, rv: str) -> None:
    """A revert accepted as `rv`, whose own watch event then comes by."""
    book.reverted(KEY, at, rv)
    book.observed(OBJ, rv)


def test_a_fight_stops_on_the_third_undone_revert() -> None:
    book = FightBook(rounds=3, window=600)
    assert book.drifted(KEY, 0.0, "fighter") is None  # the first drift: nothing reverted yet
    for round_ in (1, 2):
        revert(book, round_ * 10.0, f"rv{round_}")
        assert book.drifted(KEY, round_ * 10.0 + 1, "fighter") is None
    revert(book, 30.0, "rv3")
    fight = book.drifted(KEY, 31.0, "fighter")
    assert fight is not None
    assert (fight.manager, fight.rounds) == ("fighter", 3)
    assert book.drifted(KEY, 40.0, "fighter") is fight  # it stays stopped
    book.settled(KEY)  # the drift resolved: healing may resume
    assert book.stopped(KEY) is None


def test_a_drift_seen_without_a_revert_of_ours_between_is_no_round() -> None:
    book = FightBook(rounds=2, window=600)
    revert(book, 0.0, "5")
    assert book.drifted(KEY, 1.0, "x") is None  # round 1
    assert book.drifted(KEY, 2.0, "x") is None  # the same drift seen again: not a round
    assert book.drifted(KEY, 3.0, "x") is None


def test_events_older_than_the_revert_never_count() -> None:
    """The write's answer can come before older events of the object: until the write's own
    event (its resourceVersion) has come by, a drift is old news, not an undo."""
    book = FightBook(rounds=1, window=600)
    book.reverted(KEY, 0.0, "7")
    book.observed(OBJ, "6")
    assert book.drifted(KEY, 1.0, "x") is None  # the event of "6" was still on its way
    book.observed(OBJ, "7")
    assert book.drifted(KEY, 2.0, "x") is not None


def test_a_later_event_stands_for_the_writes_own_when_events_were_coalesced() -> None:
    """Under load the controller evaluates an object once per burst of events: the write's
    own event ("7") is passed over and the first seen is the undo ("9"). Regression: the undo
    did not count, and kubedrift reverted once more than its rounds."""
    book = FightBook(rounds=1, window=600)
    book.reverted(KEY, 0.0, "7")
    book.observed(OBJ, "9")
    assert book.drifted(KEY, 1.0, "x") is not None
    opaque = FightBook(rounds=1, window=600)  # not integers: only the same version counts
    opaque.reverted(KEY, 0.0, "b7")
    opaque.observed(OBJ, "c9")
    assert opaque.drifted(KEY, 1.0, "x") is None


def test_the_writes_own_event_may_come_before_its_answer() -> None:
    book = FightBook(rounds=1, window=600)
    book.writing(OBJ)
    book.observed(OBJ, "7")  # the write's event, then its answer
    book.reverted(KEY, 0.0, "7")
    book.written(OBJ)
    assert book.drifted(KEY, 1.0, "x") is not None


def test_undone_reverts_outside_the_window_do_not_add_up() -> None:
    book = FightBook(rounds=2, window=60)
    revert(book, 0.0, "1")
    assert book.drifted(KEY, 1.0, "x") is None
    revert(book, 100.0, "2")
    assert book.drifted(KEY, 101.0, "x") is None  # the first undo is 100 s old
    revert(book, 110.0, "3")
    assert book.drifted(KEY, 111.0, "x") is not None
    late = FightBook(rounds=1, window=60)
    late.reverted(KEY, 0.0)  # resourceVersion unknown: counts without waiting for the event
    assert late.drifted(KEY, 61.0, "x") is None  # a revert that held a window long stood


def test_the_fight_finding_names_the_competitor() -> None:
    book = FightBook(rounds=1, window=600)
    revert(book, 0.0, "9")
    fight = book.drifted(KEY, 1.0, "hpa-like")
    assert fight is not None
    found = fight_finding(drift(manager="hpa-like"), fight)
    assert (found.rule, found.manager, found.severity) == ("heal-fight", "hpa-like", Severity.HIGH)
    assert found.identity()[:5] == drift().identity()[:5]
    assert "hpa-like set /spec/replicas back after each of 1 reverts" in found.message


@pytest.mark.parametrize(
    ("mode", "result", "message"),
    [
        (HealMode.APPLY, "applied", "self-heal reverted /spec/replicas to desired"),
        (HealMode.DRY_RUN, "planned", "self-heal (dry run) would revert /spec/replicas to desired"),
        (HealMode.APPLY, "forbidden", "self-heal could not revert /spec/replicas: forbidden: no"),
    ],
)
def test_action_findings(mode: HealMode, result: str, message: str) -> None:
    found = action_finding(drift(), mode=mode, result=result, message="no")
    assert found.message == message
    assert dict(found.details) == {
        "drift_rule": "field-changed",
        "mode": mode.value,
        "result": result,
    }


def test_heal_findings_keep_the_drifts_field_and_where_it_came_from() -> None:
    """Both self-heal findings (one helper builds them) name the drift's field, values,
    revision and source file, and carry neither its impact nor its suppression."""
    import dataclasses

    from kubedrift.model import SourceLocation

    source = SourceLocation(file="apps/trainer.yaml", line=7)
    original = dataclasses.replace(drift(), revision="41", changed_at="2026-12-03T10:00:00Z")
    original = dataclasses.replace(original, source=source)
    book = FightBook(rounds=1, window=600)
    revert(book, 0.0, "9")
    fight = book.drifted(KEY, 1.0, "hpa-like")
    assert fight is not None
    fought = fight_finding(original, fight)
    acted = action_finding(original, mode=HealMode.APPLY, result="applied", message="")
    for found in (fought, acted):
        kept = (found.object, found.path, found.desired, found.live, found.revision)
        assert kept == (original.object, "/spec/replicas", 2, 5, "41")
        assert (found.source, found.impact, found.suppression) == (source, None, None)
    assert (fought.changed_at, acted.changed_at) == ("2026-12-03T10:00:00Z", None)
    assert (acted.category, acted.severity, acted.manager) == (
        Category.OBJECT,
        Severity.MEDIUM,
        "kubectl-edit",
    )


@pytest.mark.parametrize(
    ("raw", "error"),
    [
        ([], "heal must be a mapping, not list"),
        ({"namespace": ["a"]}, "heal: unknown key 'namespace'"),
        ({"rules": ["field-added"]}, "heal.rules: 'field-added' cannot be healed"),
        ({"kinds": "Deployment"}, "heal.kinds must be a list of non-empty strings"),
        ({"maxPerMinute": 0}, "heal.maxPerMinute must be a whole number of at least 1, not 0"),
        ({"fightRounds": True}, "heal.fightRounds must be a whole number of at least 1, not True"),
    ],
)
def test_bad_heal_blocks(raw: object, error: str) -> None:
    with pytest.raises(ValueError, match="^" + error.replace("(", r"\(")):
        parse_heal(raw)


def test_a_config_files_heal_block_is_read_and_checked(tmp_path: Path) -> None:
    good = tmp_path / "good.yaml"
    good.write_text(
        "apiVersion: kubedrift.io/v1alpha1\nkind: KubedriftConfig\n"
        "heal: {namespaces: [ml-*], kinds: [Deployment], maxPerMinute: 4, fightWindowSeconds: 60}\n"
    )
    settings = load_config(good).heal
    assert settings == HealSettings(
        namespaces=("ml-*",), kinds=("Deployment",), max_per_minute=4, fight_window=60
    )
    bad = tmp_path / "bad.yaml"
    bad.write_text("apiVersion: kubedrift.io/v1alpha1\nkind: KubedriftConfig\nheal: {rate: 4}\n")
    with pytest.raises(InputError) as err:
        load_config(bad)
    assert str(bad) in str(err.value)
    assert "heal: unknown key 'rate'" in str(err.value)


def test_a_refusal_is_news_once_per_object_and_reason_until_cleared() -> None:
    """Regression: every retry of a heal refused by RBAC alerted again (one alert per
    backoff step, forever). Now only the first refusal, or one for a new reason, is news."""
    book = RefusalBook()
    trainer, other = ("", "ConfigMap", "ml", "trainer"), ("", "ConfigMap", "ml", "other")
    denied = 'configmaps "trainer" is forbidden: User "sa" cannot patch resource'
    assert book.refused(trainer, denied)
    assert not book.refused(trainer, denied)  # the retry: same object, same reason
    assert not book.refused(trainer, denied)
    assert book.refused(other, denied)  # another object is news of its own
    assert book.refused(trainer, "admission webhook denied the request")  # a new reason
    assert book.refused(trainer, denied)  # … and back again is a change too
    assert len(book) == 2
    book.cleared(trainer)  # healed, or its drift ended
    assert book.refused(trainer, denied)
    assert not book.refused(other, denied)
