"""kubectl habits (issue 10.10): --version, shell completion, NO_COLOR, KUBECONFIG a:b,
--context, -l/--selector, -o wide — each driven through the command."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "gpu-platform"
KUBEDRIFT = Path(sys.executable).parent / "kubedrift"  # the console script, as installed


def kubedrift(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-m", "kubedrift", *args]
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(argv, capture_output=True, text=True, env=full_env, check=False)


def test_version_flag() -> None:
    from kubedrift import __version__

    done = kubedrift("--version")
    assert (done.returncode, done.stdout) == (0, f"kubedrift {__version__}\n")


def test_shell_completion_completes_commands_and_options() -> None:
    def complete(words: str, index: int) -> list[str]:
        env = {**os.environ, "_KUBEDRIFT_COMPLETE": "complete_bash", "COMP_WORDS": words}
        env["COMP_CWORD"] = str(index)
        done = subprocess.run(
            [str(KUBEDRIFT)], capture_output=True, text=True, env=env, check=False
        )
        assert done.returncode == 0, done.stderr
        return done.stdout.split()

    assert complete("kubedrift sc", 1) == ["scan"]
    assert "--all-namespaces" in complete("kubedrift scan --al", 2)
    assert "--selector" in complete("kubedrift diff --sel", 2)
    # The script `--show-completion` prints for bash, asked for by name: the flag itself
    # detects the calling shell (under make that is sh, which has no completion).
    script = subprocess.run(
        [str(KUBEDRIFT)],
        capture_output=True,
        text=True,
        env={**os.environ, "_KUBEDRIFT_COMPLETE": "source_bash"},
        check=False,
    )
    assert "_KUBEDRIFT_COMPLETE=complete_bash" in script.stdout


def on_a_terminal(*args: str, env: dict[str, str]) -> bytes:
    """The command's stdout as a terminal shows it (a pseudo-terminal, so isatty() holds)."""
    leader, follower = pty.openpty()
    argv = [sys.executable, "-m", "kubedrift", *args]
    full_env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"} | env
    proc = subprocess.Popen(argv, stdout=follower, stderr=subprocess.DEVNULL, env=full_env)
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # EIO: the command closed its end
            break
        if not chunk:
            break
        chunks.append(chunk)
    proc.wait(timeout=120)
    os.close(leader)
    return b"".join(chunks)


def test_no_color_is_respected_on_a_terminal() -> None:
    args = ("scan", "-d", str(EXAMPLE / "desired"), "--live", str(EXAMPLE / "live.json"))
    assert b"\x1b[" in on_a_terminal(*args, env={})
    assert b"\x1b[" not in on_a_terminal(*args, env={"NO_COLOR": "1"})
    assert b"\x1b[" in on_a_terminal(*args, "--color", env={"NO_COLOR": "1"})  # flag wins


def write_json(path: Path, data: Any) -> Path:
    path.write_text(json.dumps(data))
    return path


def kubeconfig(path: Path, current: str | None, contexts: dict[str, str]) -> Path:
    """A kubeconfig whose contexts (name → namespace) share one unreachable cluster."""
    return write_json(
        path,
        {
            "apiVersion": "v1",
            "kind": "Config",
            **({"current-context": current} if current else {}),
            "clusters": [{"name": "c", "cluster": {"server": "https://127.0.0.1:1"}}],
            "contexts": [
                {"name": n, "context": {"cluster": "c", "user": "u", "namespace": ns}}
                for n, ns in contexts.items()
            ],
            "users": [{"name": "u", "user": {"token": "t"}}],
        },
    )


CONFIGMAP = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\ndata: {a: '1'}\n"


def live_in(tmp_path: Path, namespace: str) -> Path:
    item = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "settings", "namespace": namespace},
        "data": {"a": "1"},
    }
    return write_json(tmp_path / "live.json", {"apiVersion": "v1", "kind": "List", "items": [item]})


def test_kubeconfig_list_merges_first_wins_and_context_selects(tmp_path: Path) -> None:
    """KUBECONFIG=a:b as kubectl merges it: a's current-context and a's `ctx-a` win over
    b's; b adds `ctx-b`; a missing file in the list is skipped. The namespace each context
    gives to an unnamespaced manifest shows which context was used."""
    a = kubeconfig(tmp_path / "a", "ctx-a", {"ctx-a": "team-a"})
    b = kubeconfig(tmp_path / "b", "ctx-b", {"ctx-b": "ml", "ctx-a": "never-used"})
    desired = tmp_path / "desired.yaml"
    desired.write_text(CONFIGMAP)
    live = live_in(tmp_path, "team-a")
    env = {"KUBECONFIG": os.pathsep.join([str(tmp_path / "missing"), str(a), str(b)])}
    done = kubedrift("diff", str(desired), str(live), "-o", "json", env=env)
    assert (done.returncode, json.loads(done.stdout)["findings"]) == (0, []), done.stderr
    done = kubedrift("diff", str(desired), str(live), "--context", "ctx-b", "-o", "json", env=env)
    (finding,) = json.loads(done.stdout)["findings"]
    assert finding["object"]["namespace"] == "ml"
    assert "exists in namespace team-a" in finding["message"]


SELECTED = """\
apiVersion: v1
kind: ConfigMap
metadata: {name: llm, namespace: ml, labels: {app: llm, tier: serving}}
data: {a: "1"}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: cache, namespace: ml, labels: {app: llm, tier: cache}}
data: {a: "1"}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: other, namespace: ml}
data: {a: "1"}
"""


@pytest.mark.parametrize(
    ("selector", "compared"),
    [
        ("app=llm", {"llm", "cache"}),
        ("app=llm,tier!=cache", {"llm"}),
        ("tier in (cache, batch)", {"cache"}),
        ("!app", {"other"}),
    ],
)
@pytest.mark.parametrize("command", ["scan", "diff"])
def test_selector_compares_only_matching_desired_objects(
    tmp_path: Path, selector: str, compared: set[str], command: str
) -> None:
    desired = tmp_path / "desired.yaml"
    desired.write_text(SELECTED)
    unrelated = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "u", "namespace": "x"},
    }
    live = write_json(
        tmp_path / "live.json", {"apiVersion": "v1", "kind": "List", "items": [unrelated]}
    )
    args = (
        ["scan", "-d", str(desired), "--live", str(live)]
        if command == "scan"
        else ["diff", str(desired), str(live)]
    )
    done = kubedrift(*args, "-l", selector, "-o", "json")
    report = json.loads(done.stdout)
    assert {f["object"]["name"] for f in report["findings"]} == compared  # missing: compared
    assert report["summary"]["objects_checked"] == len(compared)


def test_a_bad_selector_is_one_error_line(tmp_path: Path) -> None:
    desired = tmp_path / "desired.yaml"
    desired.write_text(SELECTED)
    done = kubedrift("diff", str(desired), str(EXAMPLE / "live.json"), "-l", "app in (llm")
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        "kubedrift: error: -l/--selector: not a label selector: 'app in (llm'"
    ]


def test_live_has_no_short_flag_any_more() -> None:
    """`-l` is kubectl's selector; `--live` is spelled out."""
    done = kubedrift("scan", "-l", str(EXAMPLE / "live.json"), "-o", "json")
    assert done.returncode == 1  # read as a selector, and a path is not one
    assert done.stderr.startswith("kubedrift: error: -l/--selector: not a label selector")


def test_wide_cuts_nothing_the_table_cuts(tmp_path: Path) -> None:
    long = "x" * 150 + "-desired-tail"
    desired = tmp_path / "desired.yaml"
    desired.write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: big, namespace: ml}\n"
        f"data: {{prompt: {long}}}\n"
    )
    live = write_json(tmp_path / "live.json", {"apiVersion": "v1", "kind": "List", "items": [
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "big", "namespace": "ml"},
         "data": {"prompt": "short"}}
    ]})  # fmt: skip
    table = kubedrift("diff", str(desired), str(live), "-o", "table")
    wide = kubedrift("diff", str(desired), str(live), "-o", "wide")
    assert (table.returncode, wide.returncode) == (2, 2)
    assert long not in table.stdout
    assert f"- {long}" in wide.stdout
    assert "desired.yaml:1" in wide.stdout
