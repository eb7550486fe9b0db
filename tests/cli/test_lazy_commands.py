"""Commands load only what they use (issue 18.5), and the lazy-loading seam holds.

`kubedrift.cli.lazy` is the one place that calls typer's non-public
`get_command_from_info`: these tests fail loudly when typer changes it, when a help line
in `LAZY` drifts from the command's docstring, or when a light command starts importing
the web or database stack again.
"""

from __future__ import annotations

import inspect
import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kubedrift import __version__
from kubedrift.cli.lazy import LAZY, load
from kubedrift.cli.main import app
from support.imports import probe_imports

ROOT = Path(__file__).resolve().parents[2]
OBJ = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a", "namespace": "d"}}


def heavy_imports(*argv: str, cwd: Path | None = None) -> tuple[int, list[str], str]:
    """Run the real entry point; the exit code, the heavy packages it imported, stdout."""
    env = {k: v for k, v in os.environ.items() if k != "KUBECONFIG"}
    env["HOME"] = str(cwd or ROOT)  # no ~/.kube/config: a kubeconfig is read with lightkube
    done = probe_imports(argv, cwd=cwd, env=env)
    return done.code, done.heavy, done.stdout


@pytest.mark.parametrize("name", sorted(LAZY))
def test_each_lazy_help_line_is_the_commands_own(name: str) -> None:
    spec = LAZY[name]
    command = load(name)
    doc = inspect.getdoc(command.callback) or ""
    assert doc.splitlines()[0] == spec.help
    assert command.name == name


def test_help_lists_every_command_without_importing_them(tmp_path: Path) -> None:
    code, heavy, out = heavy_imports("--help", cwd=tmp_path)
    assert code == 0
    for name in ("scan", "diff", "version", *LAZY):
        assert f" {name} " in out, name
    assert heavy == []  # click's plain help: no rich


def test_version_imports_nothing_heavy(tmp_path: Path) -> None:
    code, heavy, out = heavy_imports("version", cwd=tmp_path)
    assert (code, out) == (0, f"kubedrift {__version__}\n")
    assert heavy == []


def _files(folder: Path, desired_text: str, name: str = "desired.json") -> tuple[Path, Path]:
    desired, live = folder / name, folder / "live.json"
    desired.write_text(desired_text)
    live.write_text(json.dumps({**OBJ, "data": {"k": "2"}}))
    return desired, live


def test_diff_as_json_imports_no_web_database_terminal_cluster_or_yaml_stack(
    tmp_path: Path,
) -> None:
    desired, live = _files(tmp_path, json.dumps({**OBJ, "data": {"k": "1"}}))
    # in a folder with no default store: with one, diff reads its suppressions (SQLAlchemy)
    code, heavy, out = heavy_imports("diff", str(desired), str(live), "-o", "json", cwd=tmp_path)
    assert code == 2  # drift
    assert json.loads(out)["summary"]["findings"] == 1
    assert heavy == []


def test_diff_of_a_yaml_file_imports_pyyaml_and_nothing_else_heavy(tmp_path: Path) -> None:
    text = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: d}\ndata: {k: '1'}\n"
    desired, live = _files(tmp_path, text, "desired.yaml")
    code, heavy, out = heavy_imports("diff", str(desired), str(live), "-o", "json", cwd=tmp_path)
    assert code == 2
    assert json.loads(out)["summary"]["findings"] == 1
    assert heavy == ["yaml"]


def test_a_bad_option_value_is_still_typers_one_line_error(tmp_path: Path) -> None:
    desired, live = _files(tmp_path, json.dumps(OBJ))
    code, heavy, _ = heavy_imports("diff", str(desired), str(live), "-o", "jsn", cwd=tmp_path)
    assert code == 1
    assert "pydantic" in heavy  # typer's own adapter words the error (cli/coercion_seam.py)


@pytest.mark.parametrize("name", sorted(LAZY))
def test_each_lazy_command_answers_help(name: str) -> None:
    result = CliRunner().invoke(app, [name, "--help"])
    assert result.exit_code == 0, result.output
    assert LAZY[name].help.split(":")[0].rstrip(".") in " ".join(result.output.split())


def test_a_typo_still_suggests_the_command() -> None:
    result = CliRunner().invoke(app, ["histroy"])
    assert result.exit_code != 0
    assert "history" in result.output
