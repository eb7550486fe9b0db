"""The dashboard's pure parts: side-by-side rows, chart geometry, parameters, listen checks."""

from __future__ import annotations

import pytest

from kubedrift.api.actions import planned_action
from kubedrift.api.auth import AuthMode, bearer_token, check_listen
from kubedrift.api.charts import heat_level
from kubedrift.api.diffview import ABSENT, DiffRow, side_by_side
from kubedrift.api.params import finding_query
from kubedrift.api.recent import Recent
from kubedrift.model import MISSING, InputError, Severity
from kubedrift.store.browse import Status
from store.builders import finding, node_finding


@pytest.mark.parametrize(
    ("desired", "live", "rows"),
    [
        ("500", "5000", [DiffRow('"500"', '"5000"', "changed")]),
        (MISSING, 3, [DiffRow(ABSENT, "3", "changed")]),
        (
            {"a": 1, "b": 2},
            {"a": 1, "b": 3, "c": 4},
            [
                DiffRow("{", "{", "same"),
                DiffRow('  "a": 1,', '  "a": 1,', "same"),
                DiffRow('  "b": 2', '  "b": 3,', "changed"),
                DiffRow(None, '  "c": 4', "added"),
                DiffRow("}", "}", "same"),
            ],
        ),
    ],
)
def test_side_by_side_pairs_lines(desired: object, live: object, rows: list[DiffRow]) -> None:
    assert side_by_side(desired, live) == rows


@pytest.mark.parametrize(
    ("nodes", "most", "level"), [(0, 9, 0), (1, 100, 1), (9, 9, 5), (5, 10, 2)]
)
def test_heat_levels(nodes: int, most: int, level: int) -> None:
    assert heat_level(nodes, most) == level


def test_parameters_become_one_query() -> None:
    query = finding_query(severity=["high,critical", "low"], status="ALL", q="  gpu ", limit="10")
    assert query.severities == {Severity.HIGH, Severity.CRITICAL, Severity.LOW}
    assert (query.status, query.text, query.limit) == (Status.ALL, "gpu", 10)
    assert finding_query(namespace="", kind="").namespace is None
    with pytest.raises(InputError, match="cursor 'x'"):
        finding_query(cursor="x")


@pytest.mark.parametrize(
    ("host", "allowed"),
    [("127.0.0.1", True), ("::1", True), ("localhost", True), ("127.0.0.5", True),
     ("0.0.0.0", False), ("::", False), ("10.0.0.1", False), ("example.com", False)],
)  # fmt: skip
def test_auth_none_only_on_loopback(host: str, allowed: bool) -> None:
    check_listen(AuthMode.KUBERNETES, host)
    if allowed:
        check_listen(AuthMode.NONE, host)
    else:
        with pytest.raises(InputError, match="--auth none"):
            check_listen(AuthMode.NONE, host)


@pytest.mark.parametrize(
    ("header", "token"),
    [(None, None), ("", None), ("Bearer abc", "abc"), ("bearer  abc ", "abc"),
     ("Basic dXNlcg==", None), ("Bearer", None), ("Bearer ", None)],
)  # fmt: skip
def test_bearer_token(header: str | None, token: str | None) -> None:
    assert bearer_token(header) == token


def test_recent_remembers_for_its_ttl_only() -> None:
    now = [0.0]
    loads: list[int] = []
    recent = Recent(ttl=10, clock=lambda: now[0])

    def load() -> int:
        loads.append(1)
        return len(loads)

    assert recent.get("k", load) == 1
    now[0] = 9.9
    assert recent.get("k", load) == 1
    now[0] = 10.1
    assert recent.get("k", load) == 2


def test_planned_actions_of_stored_findings() -> None:
    revert = planned_action(finding(rule="field-changed", desired=4, live=2))
    assert (revert["action"], revert["patch"]["spec"]) == ("revert", {"replicas": 4})
    container = planned_action(
        finding(
            rule="field-changed",
            path="/spec/template/spec/containers/name=app/image",
            desired="llm:v2",
            live="llm:v1",
        )
    )
    assert container["patch"]["spec"]["template"]["spec"]["containers"] == [
        {"name": "app", "image": "llm:v2"}
    ]
    adopt = planned_action(finding(rule="field-added", desired=MISSING, live=3))
    assert adopt["action"] == "adopt"
    node = planned_action(node_finding("gpu-1", "a100"))
    assert node["action"] == "none"
    assert node["patch"] is None
