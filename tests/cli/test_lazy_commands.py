"""Commands load only what they use (issue 18.5), and the lazy-loading seam holds.

`kubedrift.cli.lazy` is the one place that calls typer's non-public
`get_command_from_info`: these tests fail loudly when typer changes it, when a help line
in `LAZY` drifts from the command's docstring, or when a light command starts importing
the web or database stack again.
"""

from __future__ import annotations

import inspect
import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kubedrift.cli.lazy import LAZY, load
from kubedrift.cli.main import app

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("fastapi", "starlette", "uvicorn", "sqlalchemy", "alembic", "rich", "psycopg")
PROBE = """
import atexit, json, sys
heavy = {heavy!r}
atexit.register(lambda: sys.stderr.write(
    "MODULES " + json.dumps(sorted({{m.split(".")[0] for m in sys.modules}} & set(heavy))) + "\\n"
))
sys.argv = ["kubedrift", *{argv!r}]
from kubedrift.cli.main import run
run()
"""


def heavy_imports(*argv: str) -> tuple[int, list[str], str]:
    """Run the real entry point; the exit code, the heavy packages it imported, stdout."""
    code = PROBE.format(heavy=HEAVY, argv=list(argv))
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=120
    )
    (line,) = [x for x in done.stderr.splitlines() if x.startswith("MODULES ")]
    return done.returncode, json.loads(line.removeprefix("MODULES ")), done.stdout


@pytest.mark.parametrize("name", sorted(LAZY))
def test_each_lazy_help_line_is_the_commands_own(name: str) -> None:
    spec = LAZY[name]
    command = load(name)
    doc = inspect.getdoc(command.callback) or ""
    assert doc.splitlines()[0] == spec.help
    assert command.name == name


def test_help_lists_every_command_without_importing_them() -> None:
    code, heavy, out = heavy_imports("--help")
    assert code == 0
    for name in ("scan", "diff", "version", *LAZY):
        assert f" {name} " in out, name
    assert "rich" in heavy  # typer formats --help with rich
    assert set(heavy) == {"rich"}, heavy


def test_diff_as_json_imports_no_web_database_or_terminal_stack(tmp_path: Path) -> None:
    obj = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a", "namespace": "d"}}
    desired, live = tmp_path / "desired.json", tmp_path / "live.json"
    desired.write_text(json.dumps({**obj, "data": {"k": "1"}}))
    live.write_text(json.dumps({**obj, "data": {"k": "2"}}))
    code, heavy, out = heavy_imports("diff", str(desired), str(live), "-o", "json")
    assert code == 2  # drift
    assert json.loads(out)["summary"]["findings"] == 1
    assert heavy == []


@pytest.mark.parametrize("name", sorted(LAZY))
def test_each_lazy_command_answers_help(name: str) -> None:
    result = CliRunner().invoke(app, [name, "--help"])
    assert result.exit_code == 0, result.output
    assert LAZY[name].help.split(":")[0].rstrip(".") in " ".join(result.output.split())


def test_a_typo_still_suggests_the_command() -> None:
    result = CliRunner().invoke(app, ["histroy"])
    assert result.exit_code != 0
    assert "history" in result.output
