"""One declaration per shared option (issue 17.2): every command spells it the same way.

Each option that `kubedrift.cli.options` declares is compared with every command that takes
an option of that name: its flags and its help must be one of the module's declarations for
that name, so a command that declares `--selector` (or `--store`, `-n`, …) with a help of its
own fails here. `-l` is the label selector in every command (kubectl's `-l, --selector`), and
the commands that scan take the same scan inputs.
"""

from __future__ import annotations

import functools
import typing
from collections.abc import Iterator
from typing import Any

import pytest
import typer.main
from typer.models import OptionInfo

from kubedrift.cli import options
from kubedrift.cli.lazy import LAZY, load
from kubedrift.cli.main import app

EXCEPTIONS = {
    # (command, option): why it is not a shared option there
    ("agent", "--namespace"): "where the agent publishes its facts, not a scan namespace",
    ("suppress", "--namespace"): "a suppression's selector, not a filter or a scan input",
    ("simulate", "--nodes"): "how many nodes to generate",
    ("simulate", "--store"): "must be named: generated history never goes to the default store",
}
"""Options that share a name with a shared option but mean something else."""

SCAN_INPUTS = {
    "--desired",
    "--namespace",
    "--all-namespaces",
    "--selector",
    "--config",
    "--kubeconfig",
    "--context",
    "--in-cluster",
    "--nodes",
    "--workloads",
    "--pool-label",
    "--disable-rule",
    "--allow-empty",
    "--agent-namespace",
    "--store",
}
"""What `scan` reads (issue 14.1: `plan` takes the same inputs as `scan`), `--live` aside."""


def declarations() -> Iterator[tuple[str, OptionInfo]]:
    """Each `Annotated[..., typer.Option(...)]` of the options module, by name."""
    for name in dir(options):
        value = getattr(options, name)
        if typing.get_origin(value) is typing.Annotated:
            infos = [a for a in typing.get_args(value)[1:] if isinstance(a, OptionInfo)]
            if infos:
                yield name, infos[0]


def flags(decls: tuple[str, ...] | list[str]) -> frozenset[str]:
    """`("--color/--no-color", "-o")` as the set of every flag it makes."""
    return frozenset(f for decl in decls for f in decl.split("/"))


def long_name(all_flags: frozenset[str]) -> str:
    return min(f for f in all_flags if f.startswith("--") and not f.startswith("--no-"))


def shared() -> dict[str, list[tuple[frozenset[str], str]]]:
    """Long option name → each declaration's (flags, help)."""
    out: dict[str, list[tuple[frozenset[str], str]]] = {}
    for name, info in declarations():
        # in `Annotated`, typer reads a first positional string (`default`) as a flag
        first = [info.default] if isinstance(info.default, str) else []
        decl_flags = flags([*first, *(info.param_decls or ())])
        assert decl_flags, f"{name}: a shared option names its flags explicitly"
        out.setdefault(long_name(decl_flags), []).append((decl_flags, info.help or ""))
    return out


@functools.cache
def commands() -> dict[str, Any]:
    group = typer.main.get_command(app)
    found: dict[str, Any] = dict(group.commands)  # type: ignore[attr-defined]
    found.update({name: load(name) for name in LAZY})
    return found


def option_params(command: Any) -> Iterator[tuple[frozenset[str], Any]]:
    for param in command.params:
        if param.param_type_name == "option":
            yield flags([*param.opts, *param.secondary_opts]), param


def test_the_module_declares_the_options_every_scanning_command_shares() -> None:
    assert SCAN_INPUTS | {"--live", "--output", "--color"} <= set(shared())


@pytest.mark.parametrize("name", sorted(["scan", "diff", "version", *LAZY]))
def test_each_shared_option_has_the_one_declared_help_and_flags(name: str) -> None:
    declared = shared()
    for param_flags, param in option_params(commands()[name]):
        long = long_name(param_flags) if any(f.startswith("--") for f in param_flags) else ""
        if long not in declared or (name, long) in EXCEPTIONS:
            continue
        allowed = declared[long]
        assert (param_flags, param.help or "") in allowed, (
            f"`{name} {long}` is declared on its own ({sorted(param_flags)}: {param.help!r}); "
            f"use one of cli/options.py's: {allowed}"
        )


def test_the_same_option_reads_the_same_in_every_commands_help() -> None:
    """What a user sees: `--selector`'s help line is the same in each command's --help."""
    seen: dict[str, set[str]] = {}
    for _name, command in commands().items():
        for param_flags, param in option_params(command):
            if "--selector" in param_flags or "--live" in param_flags:
                seen.setdefault(long_name(param_flags), set()).add(param.help)
    assert seen.keys() == {"--selector", "--live"}
    assert all(len(helps) == 1 for helps in seen.values()), seen


def test_dash_l_is_the_label_selector_in_every_command() -> None:
    """kubectl's `-l` is `--selector` ("Selector (label query) to filter on"); `plan` and
    `apply` once gave it to `--live`, so `plan -l app=x` read a file named app=x."""
    for name, command in commands().items():
        for param_flags, _ in option_params(command):
            if "-l" in param_flags:
                assert "--selector" in param_flags, (name, sorted(param_flags))


@pytest.mark.parametrize("name", ["scan", "plan", "apply", "report"])
def test_the_scanning_commands_take_the_scan_inputs(name: str) -> None:
    taken = {long_name(f) for f, _ in option_params(commands()[name]) if long_name(f)}
    assert taken >= SCAN_INPUTS, SCAN_INPUTS - taken
    if name != "apply":  # apply acts on the cluster it reads: a saved plan covers snapshots
        assert "--live" in taken
