"""Configuration: sinks from URLs and CLI specs, the policy's checks, URL redaction."""

from __future__ import annotations

import pytest

import kubedrift.alerts
from kubedrift.alerts import (
    AlertPolicy,
    Sink,
    SinkKind,
    parse_severity,
    parse_sink_spec,
    redact_url,
    sink_from_url,
    sinks_from_options,
)
from kubedrift.alerts.errors import scrub
from kubedrift.model import InputError, Severity

from .helpers import SLACK_URL


def test_public_api_is_pinned() -> None:
    assert set(kubedrift.alerts.__all__) == {
        "SCHEMA",
        "Alert",
        "AlertDispatcher",
        "AlertError",
        "AlertEvent",
        "AlertPolicy",
        "AlertStats",
        "AlertStatus",
        "Sink",
        "SinkKind",
        "SinkStats",
        "action_alert",
        "alerts_from_delta",
        "fingerprint",
        "parse_severity",
        "parse_sink_spec",
        "redact_url",
        "sink_from_url",
        "sinks_from_options",
    }


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://am:9093", "http://am:9093/api/v2/alerts"),
        ("http://am:9093/", "http://am:9093/api/v2/alerts"),
        ("https://proxy/alertmanager/", "https://proxy/alertmanager/api/v2/alerts"),
        ("http://am:9093/api/v2/alerts", "http://am:9093/api/v2/alerts"),
    ],
)
def test_alertmanager_url_gets_the_api_path(url: str, expected: str) -> None:
    assert sink_from_url("alertmanager", url).url == expected


def test_webhook_and_slack_urls_are_kept_as_given() -> None:
    assert sink_from_url(SinkKind.SLACK, SLACK_URL).url == SLACK_URL
    assert sink_from_url("webhook", "https://h.example/x?token=1").url.endswith("?token=1")


@pytest.mark.parametrize("url", ["ftp://h/x", "hooks.slack.com/services/T/B/tok", "http:///x"])
def test_bad_urls_are_input_errors_that_hide_the_path(url: str) -> None:
    with pytest.raises(InputError) as err:
        sink_from_url("slack", url)
    assert "services" not in str(err.value)
    assert "slack sink" in str(err.value)


def test_a_malformed_port_is_an_input_error() -> None:
    with pytest.raises(InputError, match="not a valid URL"):
        sink_from_url("webhook", "http://h:99999999/tok")


def test_sink_repr_shows_only_the_origin() -> None:
    sink = sink_from_url("slack", SLACK_URL, "high")
    assert "XXXXsecret" not in repr(sink)
    assert repr(sink) == "Sink(slack, https://hooks.slack.example, min_severity=high)"
    assert sink.target == "https://hooks.slack.example"


def test_spec_with_and_without_severity() -> None:
    assert parse_sink_spec(f"slack/high={SLACK_URL}") == Sink(
        SinkKind.SLACK, SLACK_URL, Severity.HIGH
    )
    assert parse_sink_spec("webhook=http://h/x", "medium").min_severity is Severity.MEDIUM
    with pytest.raises(InputError, match="KIND"):
        parse_sink_spec(SLACK_URL.replace("https://", ""))
    with pytest.raises(InputError, match="unknown alert sink 'pager'"):
        parse_sink_spec("pager=http://h/x")


def test_sinks_from_cli_options_share_the_minimum_severity() -> None:
    sinks = sinks_from_options(
        webhooks=["http://a/x"], slack=[SLACK_URL], alertmanagers=["http://am:9093"],
        min_severity="critical",
    )  # fmt: skip
    assert [s.kind for s in sinks] == [SinkKind.WEBHOOK, SinkKind.SLACK, SinkKind.ALERTMANAGER]
    assert {s.min_severity for s in sinks} == {Severity.CRITICAL}


def test_parse_severity() -> None:
    assert parse_severity(" HIGH ") is Severity.HIGH
    assert parse_severity(Severity.INFO) is Severity.INFO
    with pytest.raises(InputError, match=r"expected info\|low\|medium\|high\|critical"):
        parse_severity("urgent")


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (SLACK_URL, "https://hooks.slack.example"),
        ("http://user:pw@am.example:9093/api", "http://am.example:9093"),
        ("http://[::1]:8080/x?token=1", "http://[::1]:8080"),
        ("not a url", "<invalid URL>"),
        ("http://h:bad/x", "<invalid URL>"),
    ],
)
def test_redact_url(url: str, shown: str) -> None:
    assert redact_url(url) == shown


def test_scrub_removes_the_url_and_its_path() -> None:
    text = f"error at {SLACK_URL} (path /services/T000/B000/XXXXsecretTOKENxxxx)"
    scrubbed = scrub(text, SLACK_URL)
    assert "XXXXsecret" not in scrubbed
    assert scrubbed.count("https://hooks.slack.example") == 2


@pytest.mark.parametrize(
    "changes",
    [
        {"max_batch": 0},
        {"burst": 0},
        {"rate_per_minute": 0},
        {"max_attempts": 0},
        {"group_wait": -1},
        {"backoff_initial": 2, "backoff_max": 1},
        {"resend_interval": 60, "firing_ttl": 30},
    ],
)
def test_policy_rejects_nonsense(changes: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="AlertPolicy"):
        AlertPolicy(**changes)  # type: ignore[arg-type]


def test_policy_defaults_are_documented_values() -> None:
    p = AlertPolicy()
    assert (p.group_wait, p.rate_per_minute, p.max_attempts, p.resend_interval) == (2, 30, 5, 60)
    assert p.resends
    assert not p.notify_changes
    assert not AlertPolicy(resend_interval=0).resends
