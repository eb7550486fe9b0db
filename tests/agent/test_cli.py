"""`kubedrift agent` options, parsed the way the main app will: dry runs and usage errors."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import typer
from typer.testing import CliRunner

from kubedrift.cli.agent import agent
from kubedrift.model import InputError

from .conftest import MakeHost
from .samples import gpu_node_files, gpu_node_links

app = typer.Typer()
app.command()(agent)


def test_dry_run_prints_the_facts_as_json(make_host: MakeHost) -> None:
    root = make_host(
        {**gpu_node_files(), "/proc/sys/vm/dirty_ratio": "20\n", "/etc/crio/crio.conf": "x"},
        gpu_node_links(),
    )
    args = ["--dry-run", "--host-root", str(root), "--sysctl", "vm.dirty_ratio"]
    args += ["--file", "crio=/etc/crio/crio.conf", "--package", "zlib*"]
    result = CliRunner().invoke(app, args, env={"NODE_NAME": ""})
    assert result.exit_code == 0, result.output
    facts = json.loads(result.stdout)
    assert facts["sysctl.vm.dirty_ratio"] == "20"
    assert facts["package.zlib1g"] == "1:1.2.11.dfsg-2ubuntu9.2"
    assert "file.crio.sha256" in facts
    assert facts["os.id"] == "ubuntu"
    assert all(isinstance(v, str) for v in facts.values())


def test_publishing_needs_a_node_name(make_host: MakeHost) -> None:
    result = CliRunner().invoke(app, ["--once", "--host-root", str(make_host({}))], env={})
    assert isinstance(result.exception, InputError)
    assert "--node-name (or NODE_NAME) is required" in str(result.exception)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--interval", "0.5", "--node-name", "n"], "greater than or equal to 1"),
        (["--bogus"], "No such option: --bogus"),
        (["--dry-run", "--file", "nope"], "kubedrift: error: invalid --file 'nope'"),
    ],
)
def test_bad_options_exit_1_with_one_line(args: list[str], message: str) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "kubedrift.cli.agent", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 1
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr
