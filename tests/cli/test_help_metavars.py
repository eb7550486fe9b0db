"""Every option's help names what one value is: a repeatable option reads `<path|url>` or
`<rule>`, never typer's rendering of its annotation (`<list[str]>`, `<list[Path]>`)."""

from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

from kubedrift.cli.lazy import LAZY
from kubedrift.cli.main import app

COMMANDS = sorted({"scan", "diff", *LAZY})


@pytest.mark.parametrize("name", COMMANDS)
def test_no_help_shows_a_python_type_as_a_metavar(name: str) -> None:
    result = CliRunner().invoke(app, [name, "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert not re.search(r"<(list|tuple|dict)\[", result.output), result.output


def test_the_repeatable_inputs_say_what_they_take() -> None:
    out = CliRunner().invoke(app, ["scan", "--help"], env={"COLUMNS": "200"}).output
    # click's plain help: `-d, --desired <path|url>`, each option followed by its metavar
    assert re.search(r"-d, --desired <path\|url>", out), out
    assert re.search(r"--live <path>", out), out
    assert re.search(r"--disable-rule <rule>", out), out
