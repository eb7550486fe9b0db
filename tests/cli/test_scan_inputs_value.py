"""One scan-inputs value (issue 17.2): the scanning commands take `ScanInputs`, built once.

- `scan`, `report`, `plan`, `apply` and `adopt` receive the shared options as one
  `inputs: ScanInputs` (cli/scan_inputs.py `scan_command`);
- no module of the CLI builds a `ScanRequest` or a `ScanInputs` on its own: a command that
  did would read inputs the others do not (as `report` once left the store's suppressions
  out), so this fails the moment one does;
- every option reaches the value, and every field of the value reaches the engine's request.
"""

from __future__ import annotations

import ast
import dataclasses
import inspect
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

import kubedrift.cli
from kubedrift.cli.scan_inputs import SHARED, ScanInputs, scan_command
from kubedrift.cli.scan_request import scan_request

from .test_shared_options import commands

CLI = Path(kubedrift.cli.__file__).parent
SCANNING = ["scan", "report", "plan", "apply", "adopt"]
BUILDERS = {
    # what is built: the one module allowed to build it
    "ScanRequest": "scan_request.py",
    "ScanInputs": "scan_inputs.py",
    "scan_inputs": "scan_inputs.py",
}


def calls(tree: ast.AST) -> set[str]:
    """Names of what `tree` calls: `f(...)` and `module.f(...)` alike."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name):
                found.add(func.id)
            elif isinstance(func, ast.Attribute):
                found.add(func.attr)
    return found


def test_no_cli_module_builds_a_scan_request_or_the_inputs_on_its_own() -> None:
    offenders = []
    for module in sorted(CLI.rglob("*.py")):
        called = calls(ast.parse(module.read_text(), str(module)))
        for name, owner in BUILDERS.items():
            if name in called and module.name != owner:
                offenders.append(f"{module.relative_to(CLI)} calls {name}(...)")
    assert not offenders, "build it with @scan_command and inputs.request(): " + str(offenders)


def test_the_check_sees_a_command_that_builds_its_own_request() -> None:
    """The check above is not blind: a command written the old way is caught."""
    old_way = "def plan(desired):\n    return ScanRequest(desired=tuple(desired or ()))\n"
    assert "ScanRequest" in calls(ast.parse(old_way))
    qualified = "def plan(d):\n    return engine.ScanRequest(desired=d)\n"
    assert "ScanRequest" in calls(ast.parse(qualified))


@pytest.mark.parametrize("name", SCANNING)
def test_each_scanning_command_takes_the_one_value(name: str) -> None:
    callback = commands()[name].callback
    own = inspect.signature(inspect.unwrap(callback), eval_str=True)
    assert own.parameters["inputs"].annotation is ScanInputs, name
    shown = inspect.signature(callback).parameters
    assert "inputs" not in shown
    assert {"--selector", "--kubeconfig", "--store"} <= {
        opt for p in commands()[name].params for opt in p.opts
    }
    assert {"selector", "kubeconfig", "namespace", "store"} <= shown.keys()


def test_every_option_has_a_field_and_every_field_an_option() -> None:
    fields = {f.name for f in dataclasses.fields(ScanInputs)}
    options = {"disabled_rules" if n == "disable_rule" else n for n in SHARED}
    assert fields == options


CHANGED: dict[str, Any] = {
    "desired": ("a.yaml",),
    "live": (Path("live.json"),),
    "kubeconfig": Path("kc"),
    "context": "other",
    "in_cluster": True,
    "namespace": "ml",
    "all_namespaces": True,
    "selector": "app=x",
    "config": Path("kubedrift.yaml"),
    "nodes": False,
    "workloads": False,
    "pool_label": "pool",
    "disabled_rules": ("gfd-labels-stale",),
    "allow_empty": True,
    "agent_namespace": "agents",
}


@pytest.mark.parametrize("field", sorted(CHANGED))
def test_each_field_reaches_the_engines_request(field: str, tmp_path: Path) -> None:
    """A field the conversion forgot would leave the request as the default's."""
    store = str(tmp_path / "absent.db")  # no suppressions, nothing created
    base = ScanInputs(store=store)
    changed = dataclasses.replace(base, **{field: CHANGED[field]})
    assert scan_request(changed) != scan_request(base), field
    assert not Path(store).exists()


def test_the_options_become_the_value_through_typer() -> None:
    """A command decorated as the five are: what it receives for given flags."""
    got: list[ScanInputs] = []
    app = typer.Typer()

    @app.command()
    @scan_command(omit={"live"}, pinned={"nodes": False})
    def probe(inputs: ScanInputs, extra: int = 0) -> int:
        got.append(inputs)
        return extra

    args = ["-d", "a", "-d", "b", "-n", "ml", "-l", "app=x", "--disable-rule", "r1"]
    done = CliRunner().invoke(app, [*args, "--no-workloads", "--extra", "3", "--store", "s.db"])
    assert done.exit_code == 0, done.output
    assert got == [
        ScanInputs(
            desired=("a", "b"),
            namespace="ml",
            selector="app=x",
            disabled_rules=("r1",),
            nodes=False,
            workloads=False,
            store="s.db",
        )
    ]
    refused = CliRunner().invoke(app, ["--live", "x.json"])
    assert refused.exit_code == 2
    assert "No such option: --live" in refused.output


def test_a_command_without_inputs_or_with_an_unknown_option_is_refused() -> None:
    with pytest.raises(TypeError, match="takes no `inputs` parameter"):
        scan_command()(lambda other: 0)
    with pytest.raises(TypeError, match="not a shared scan option"):
        scan_command(omit={"--live"})
