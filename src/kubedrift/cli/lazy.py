"""Subcommands imported only when they run: the seam between kubedrift and typer's internals.

`kubedrift diff -o json` should cost what diffing costs, not the import of uvicorn, FastAPI,
SQLAlchemy and Alembic that `watch` and `history` need (issue 18.5: a one-object `diff` took
0.79 s, 1,068 modules). So the commands other than `scan`, `diff` and `version` are named
in `LAZY` with the module that defines them and their one-line help; `LazyGroup` lists them
in `--help` from that table and imports a module only when its command is resolved (to run
it, show its own `--help`, or complete its options). This follows click's documented
pattern for lazily loading subcommands ("Advanced Groups and Context Defaults: Lazily
Loading Subcommands", click.palletsprojects.com).

typer builds click commands from functions with `typer.main.get_command_from_info`, which is
not a public API: this module is the one place that calls it, and
tests/cli/test_lazy_commands.py fails loudly if typer changes it, or if a help line here no
longer matches the command's docstring.
"""

from __future__ import annotations

import contextlib
import difflib
import importlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from typer.core import TyperCommand, TyperGroup
from typer.main import get_command_from_info
from typer.models import CommandInfo


@dataclass(frozen=True, slots=True)
class LazyCommand:
    """Where a subcommand's function lives, and its one-line help for the command list."""

    module: str
    function: str
    help: str


LAZY: dict[str, LazyCommand] = {
    "simulate": LazyCommand(
        "kubedrift.cli.simulate",
        "simulate",
        "Generate a deterministic GPU fleet with chosen drifts (for demos, tests, benchmarks).",
    ),
    "agent": LazyCommand(
        "kubedrift.cli.agent",
        "agent",
        "Collect this node's kernel, package, config-file and GPU facts and publish them.",
    ),
    "watch": LazyCommand(
        "kubedrift.cli.watch",
        "watch",
        "Watch the cluster continuously: drift as it happens, a timeline, metrics, alerts.",
    ),
    "history": LazyCommand(
        "kubedrift.cli.history",
        "history",
        "Open and past drift episodes from the timeline store the watcher records.",
    ),
    "timeline": LazyCommand(
        "kubedrift.cli.timeline",
        "timeline",
        "Drift statistics over a window: opened, resolved, open, time to resolve, and a chart.",
    ),
    "suppress": LazyCommand(
        "kubedrift.cli.suppress",
        "suppress",
        "Suppress a finding with a reason and an end date (or --list, --delete ID).",
    ),
    "plan": LazyCommand(
        "kubedrift.cli.remediate",
        "plan",
        "Show, for each finding, the action that would resolve it (changes nothing).",
    ),
    "apply": LazyCommand(
        "kubedrift.cli.remediate",
        "apply",
        "Carry out a plan: revert drifted fields, cordon or drain drifted nodes, all recorded.",
    ),
    "serve": LazyCommand(
        "kubedrift.cli.serve",
        "serve",
        "Serve the read-only web dashboard and JSON API of a timeline store.",
    ),
    "report": LazyCommand(
        "kubedrift.cli.report",
        "report",
        "Write an HTML (or PDF) drift report with charts, from a scan and/or the timeline store.",
    ),
    "adopt": LazyCommand(
        "kubedrift.cli.adopt",
        "adopt",
        "Write live values of chosen findings into the Git files they came from (a commit).",
    ),
    "predict": LazyCommand(
        "kubedrift.cli.predict",
        "predict",
        "Rank objects and nodes by their risk of drifting within the horizon, with reasons.",
    ),
}
"""Each lazy command: its module, its function, and the first line of its docstring."""


class LazyGroup(TyperGroup):
    """A typer group whose `LAZY` commands are imported on first use."""

    _listing = False

    def list_commands(self, ctx: Any) -> list[str]:
        """The eager commands, then the lazy ones in `LAZY` order."""
        eager = super().list_commands(ctx)
        return [*eager, *(name for name in LAZY if name not in eager)]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        """The command; a lazy one is imported now, unless only its help line is wanted."""
        command = super().get_command(ctx, cmd_name)
        if command is not None or cmd_name not in LAZY:
            return command
        if self._listing:  # the command list in --help needs only the one-line help
            line = LAZY[cmd_name].help
            return TyperCommand(cmd_name, help=line, short_help=line)
        command = load(cmd_name, rich_markup_mode=self.rich_markup_mode)
        self.add_command(command, cmd_name)
        return command

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        """As typer's, whose "Did you mean" suggestions know the lazy commands too."""
        try:
            return super().resolve_command(ctx, args)
        except Exception as err:
            message = getattr(err, "message", None)
            if isinstance(message, str) and args and "Did you mean" not in message:
                close = difflib.get_close_matches(args[0], self.list_commands(ctx))
                if close:
                    names = ", ".join(repr(name) for name in close)
                    err.message = f"{message.rstrip('.')}. Did you mean {names}?"  # type: ignore[attr-defined]
            raise

    def format_help(self, ctx: Any, formatter: Any) -> None:
        """The group's help; lazy commands are listed from `LAZY`, not imported."""
        with self._only_listing():
            super().format_help(ctx, formatter)

    @contextlib.contextmanager
    def _only_listing(self) -> Iterator[None]:
        self._listing = True
        try:
            yield
        finally:
            self._listing = False


def load(name: str, *, rich_markup_mode: Any = "rich") -> Any:
    """The click command for the lazy subcommand `name` (its module is imported now)."""
    spec = LAZY[name]
    function: Callable[..., Any] = getattr(importlib.import_module(spec.module), spec.function)
    return get_command_from_info(
        CommandInfo(name=name, callback=function),
        pretty_exceptions_short=True,
        rich_markup_mode=rich_markup_mode,
    )
