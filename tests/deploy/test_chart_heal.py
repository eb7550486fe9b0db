"""charts/kubedrift `controller.heal`: the `watch --heal` arguments, and apply only with the
remediation role (the real helm, as tests/deploy/test_chart.py runs it)."""

from __future__ import annotations

import pytest

from deploy.test_chart import CHART, HELM, NAMESPACE, container, helm, template

pytestmark = pytest.mark.skipif(not HELM.is_file(), reason=f"no real helm at {HELM}")
CONTROLLER = "kubedrift-controller"


def heal_args(*sets: str) -> list[str]:
    args = container(template(*sets), "Deployment", CONTROLLER)["args"]
    return [str(a) for a in args[args.index("--heal") :]] if "--heal" in args else []


def test_heal_is_off_by_default() -> None:
    assert heal_args() == []


def test_a_dry_run_needs_no_write_rights() -> None:
    assert heal_args("--set", "controller.heal.enabled=true") == [
        "--heal", "--heal-max-per-minute", "10"
    ]  # fmt: skip


def test_apply_heals_only_where_the_remediation_role_lets_it() -> None:
    args = heal_args(
        "--set", "controller.heal.enabled=true", "--set", "controller.heal.mode=apply",
        "--set", "remediation.enabled=true", "--set", "remediation.namespaces={ml,serving}",
        "--set", "controller.heal.kinds={Deployment}", "--set", "controller.heal.maxPerMinute=4",
    )  # fmt: skip
    assert args == [
        "--heal", "--heal-mode", "apply", "--heal-namespace", "ml", "--heal-namespace",
        "serving", "--heal-kind", "Deployment", "--heal-max-per-minute", "4",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("sets", "error"),
    [
        (["controller.heal.mode=apply"], "controller.heal.mode apply needs remediation.enabled"),
        (["controller.heal.mode=bogus"], 'controller.heal.mode: "bogus" is not dry-run or apply'),
    ],
)
def test_bad_heal_values_fail_the_render(sets: list[str], error: str) -> None:
    args = ["--set", "controller.heal.enabled=true"]
    for item in sets:
        args += ["--set", item]
    done = helm("template", "kubedrift", CHART, "--namespace", NAMESPACE, *args, ok=False)
    assert done.returncode != 0
    assert error in done.stderr
