"""Rule switches and node-fact ignores of desired state's KubedriftConfigs reach fleet passes."""

from __future__ import annotations

from typing import Any, cast

from kubedrift.analysis.options import FactIgnore, NodeOptions
from kubedrift.analysis.user_controls import RuleSwitches, disable_rules
from kubedrift.cluster.connection import Connection
from kubedrift.controller.fleet import FleetOptions, FleetTracker
from kubedrift.model import Severity


async def _report(_: Any) -> None:
    return None


def _tracker(options: FleetOptions) -> FleetTracker:
    return FleetTracker(cast(Connection, object()), _report, options=options)


def test_git_controls_add_to_the_command_lines_and_it_wins() -> None:
    cli = FleetOptions(
        rules=disable_rules(["gfd-labels-stale"]),
        node_options=NodeOptions(fact_ignores=(FactIgnore(("label:example.com/rack",)),)),
    )
    tracker = _tracker(cli)
    git_rules = RuleSwitches(
        severities={"gfd-labels-stale": Severity.LOW, "mutable-image": Severity.LOW}
    )
    kernel = FactIgnore(("nodeInfo.kernelVersion",), ("h100-*",))

    tracker.use_controls(git_rules, (kernel,))

    assert tracker.options.rules.disabled == frozenset({"gfd-labels-stale"})
    assert tracker.options.rules.severities["mutable-image"] is Severity.LOW
    assert tracker.options.node_options.fact_ignores == (
        FactIgnore(("label:example.com/rack",)),
        kernel,
    )


def test_a_new_revision_without_the_config_drops_its_controls() -> None:
    tracker = _tracker(FleetOptions())
    tracker.use_controls(disable_rules(["mutable-image"]), ())
    assert tracker.options.rules.disabled == frozenset({"mutable-image"})

    tracker.use_controls(RuleSwitches(), ())

    assert tracker.options == FleetOptions()
