"""`kubedrift adopt` end to end on snapshots: the real command in a real Git work tree.

Each test builds a repository from the golden `manifests.yaml`, a live snapshot with hand
edits (image, replicas, an env value, a ConfigMap key), and runs the installed command as
a user would. The commit's diff must be exactly those fields (`golden/commit.diff`), the
next scan against the new HEAD clean; `--diff` must print the same change and write
nothing; a dirty tree, a Secret, a Helm chart and bad input are refused with one line.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
KUBEDRIFT = ROOT / ".venv" / "bin" / "kubedrift"
GOLDEN = Path(__file__).parent / "golden"
CONTAINER = ("spec", "template", "spec", "containers")
needs_kubectl = pytest.mark.skipif(shutil.which("kubectl") is None, reason="no kubectl on PATH")


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(KUBEDRIFT), *args], capture_output=True, text=True, check=False, timeout=120, cwd=cwd
    )


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, check=True, timeout=60
    )
    return done.stdout


def make_repo(root: Path, files: dict[str, str]) -> Path:
    repo = root / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "user.name", "Test")
    git(repo, "config", "user.email", "test@example.com")
    for name, text in files.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(text)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "desired state")
    return repo


def hand_edited(objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The live side: desired with the hand edits, namespaces filled in."""
    out: list[dict[str, Any]] = json.loads(json.dumps(objects))
    for obj in out:
        obj["metadata"].setdefault("namespace", "default")
        if obj["kind"] == "Deployment":
            obj["spec"]["replicas"] = 3
            app = obj["spec"]["template"]["spec"]["containers"][0]
            app["image"] = "registry.example.com/trainer:1.1"
            app["env"][0]["value"] = "debug"
        elif obj["metadata"]["name"] == "trainer-settings":
            obj["data"]["mode"] = "staging"
    return out


def flatten(documents: list[Any]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for doc in documents:
        out += doc["items"] if doc.get("kind") == "List" else [doc]
    return out


@pytest.fixture
def drifted(tmp_path: Path) -> tuple[Path, Path]:
    """(repo, live snapshot): the golden manifests in Git, four fields edited live."""
    text = (GOLDEN / "manifests.yaml").read_text()
    repo = make_repo(tmp_path, {"deploy/app.yaml": text, "README.md": "docs\n"})
    live = tmp_path / "live.json"
    objects = hand_edited(flatten(list(yaml.safe_load_all(text))))
    live.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": objects}))
    return repo, live


def test_adopt_commits_exactly_the_drifted_fields_and_the_next_scan_is_clean(
    drifted: tuple[Path, Path],
) -> None:
    repo, live = drifted
    first = git(repo, "rev-parse", "HEAD").strip()
    # Relative paths, from the folder above: git runs in the work tree, so the files it is
    # given must not be relative to the caller's folder (a bug the first version had).
    done = run("adopt", "--desired", "repo/deploy", "--live", live.name, "--all", cwd=repo.parent)
    assert done.returncode == 0, done.stderr
    branch = git(repo, "rev-parse", "--abbrev-ref", "HEAD").strip()
    assert branch.startswith("kubedrift/adopt-")
    assert f"on branch {branch}" in done.stdout
    assert git(repo, "rev-parse", "HEAD~1").strip() == first
    assert git(repo, "diff", "HEAD~1", "HEAD") == (GOLDEN / "commit.diff").read_text()
    assert git(repo, "status", "--porcelain") == ""
    subject, _, body = git(repo, "log", "-1", "--format=%B").partition("\n")
    assert subject == "kubedrift adopt: 4 live value(s) into Git"
    for path in ("/spec/replicas", "/data/mode", "name=MODE/value", "name=app/image"):
        assert path in body
    scan = run("scan", "--desired", f"{repo / 'deploy'}@HEAD", "--live", str(live), "-o", "json")
    assert scan.returncode == 0, scan.stdout
    assert json.loads(scan.stdout)["findings"] == []


def test_diff_prints_the_change_and_writes_nothing(drifted: tuple[Path, Path]) -> None:
    repo, live = drifted
    before = (repo / "deploy" / "app.yaml").read_bytes()
    head = git(repo, "rev-parse", "HEAD")
    done = run("adopt", "-d", str(repo / "deploy"), "--live", str(live), "--all", "--diff")
    assert done.returncode == 0, done.stderr
    assert done.stdout == (GOLDEN / "adopt.diff").read_text()
    assert (repo / "deploy" / "app.yaml").read_bytes() == before
    assert git(repo, "rev-parse", "HEAD") == head
    assert git(repo, "branch", "--list").split() == ["*", "main"]


def test_selectors_choose_the_findings(drifted: tuple[Path, Path]) -> None:
    repo, live = drifted
    args = ("adopt", "-d", str(repo / "deploy"), "--live", str(live), "--diff")
    only = run(*args, "--path", "/spec/replicas")
    assert only.returncode == 0, only.stderr
    changed = [line for line in only.stdout.splitlines() if line[:1] in "+-"]
    assert changed == [
        "--- a/deploy/app.yaml",
        "+++ b/deploy/app.yaml",
        "-  replicas: 2  # two is enough for the nightly run",
        "+  replicas: 3  # two is enough for the nightly run",
    ]
    rule = run(*args, "--rule", "field-changed", "-l", "app=trainer")
    assert "+  replicas: 3" in rule.stdout
    assert "mode: staging" not in rule.stdout  # the ConfigMap has no app=trainer label
    kind = run(*args, "--kind", "ConfigMap")
    assert "+  mode: staging" in kind.stdout
    assert "replicas" not in kind.stdout
    plan = json.loads(run("plan", "-d", str(repo / "deploy"), "--live", str(live)).stdout)
    image = next(a["id"] for a in plan["actions"] if a["finding"]["path"].endswith("/image"))
    by_id = run(*args, "--finding", image)
    added = [line for line in by_id.stdout.splitlines() if line[:1] == "+" and line[:3] != "+++"]
    image_line = "image: 'registry.example.com/trainer:1.1'   # pinned, see RUNBOOK.md"
    assert added == [f"+          {image_line}"]


def test_a_dirty_work_tree_is_refused_unless_allowed(drifted: tuple[Path, Path]) -> None:
    repo, live = drifted
    (repo / "notes.txt").write_text("work in progress\n")
    args = ("adopt", "-d", str(repo / "deploy"), "--live", str(live), "--all")
    refused = run(*args)
    assert refused.returncode == 1
    assert refused.stderr == (
        f"kubedrift: error: {repo}: the work tree has uncommitted changes: "
        "commit or stash them, or pass --allow-dirty\n"
    )
    allowed = run(*args, "--allow-dirty", "--branch", "adopt/by-hand")
    assert allowed.returncode == 0, allowed.stderr
    assert git(repo, "rev-parse", "--abbrev-ref", "HEAD").strip() == "adopt/by-hand"
    assert git(repo, "show", "--name-only", "--format=", "HEAD").split() == ["deploy/app.yaml"]
    assert git(repo, "status", "--porcelain") == "?? notes.txt\n"


def test_a_secret_is_never_adopted_and_its_value_never_shown(tmp_path: Path) -> None:
    desired_b64, live_b64 = "cHJvZA==", "aGFja2VkLXBhc3N3b3Jk"  # "prod", "hacked-password"
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db"}}
    repo = make_repo(tmp_path, {"s.yaml": yaml.safe_dump({**secret, "data": {"pw": desired_b64}})})
    live_obj = {**secret, "metadata": {"name": "db", "namespace": "default"}}
    live = tmp_path / "live.json"
    live.write_text(json.dumps({"kind": "List", "apiVersion": "v1",
                                "items": [{**live_obj, "data": {"pw": live_b64}}]}))  # fmt: skip
    before = (repo / "s.yaml").read_text()
    for choose in (("--all",), ("--kind", "Secret")):
        done = run("adopt", "-d", str(repo), "--live", str(live), *choose)
        assert done.returncode == 1
        lines = done.stderr.splitlines()
        assert "a Secret: its live value is never written into Git" in lines[0]
        assert lines[1] == "kubedrift: error: nothing adopted: 1 finding(s) cannot be"
        assert live_b64 not in done.stderr + done.stdout
        assert "hacked" not in done.stderr + done.stdout
    assert (repo / "s.yaml").read_text() == before
    assert git(repo, "branch", "--list").split() == ["*", "main"]


def test_a_helm_value_is_adopted_and_a_templated_field_refused(tmp_path: Path) -> None:
    helm = Path.home() / ".cache" / "kubedrift" / "tools" / "bin" / "helm"
    if not helm.is_file():
        pytest.skip("no real helm (scripts/ensure-helm.sh)")
    cm = (
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n"
        '  mode: {{ .Values.mode | quote }}\n  level: {{ printf "%s-x" .Values.level }}\n'
    )
    values = "# chart defaults\nmode: prod  # prod | dev\nlevel: info\n"
    repo = make_repo(tmp_path, {"chart/Chart.yaml": "apiVersion: v2\nname: app\nversion: 0.1.0\n",
                                "chart/values.yaml": values,
                                "chart/templates/cm.yaml": cm})  # fmt: skip
    live = tmp_path / "live.json"
    item = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c",
            "namespace": "default"}, "data": {"mode": "dev", "level": "debug-x"}}  # fmt: skip
    live.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": [item]}))
    env = {"PATH": f"{helm.parent}:/usr/bin:/bin", "HOME": str(tmp_path)}

    def kubedrift(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(KUBEDRIFT), *args], capture_output=True, text=True,
                              check=False, timeout=120, env=env)  # fmt: skip

    done = kubedrift("adopt", "-d", str(repo / "chart"), "--live", str(live), "--all")
    assert done.returncode == 0, done.stderr
    (refusal,) = done.stderr.splitlines()
    assert "/data/level: rendered by helm template" in refusal
    assert "no single value renders it" in refusal
    assert git(repo, "show", "--format=", "HEAD").endswith(
        "-mode: prod  # prod | dev\n+mode: dev   # prod | dev\n level: info\n"
    )
    scan = kubedrift("scan", "-d", f"{repo / 'chart'}@HEAD", "--live", str(live), "-o", "json")
    assert [f["path"] for f in json.loads(scan.stdout)["findings"]] == ["/data/level"]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ((), "choose findings: --finding ID, --rule, --path, --kind, -l or --all"),
        (("--finding", "0000000000"), "no current finding has id 0000000000"),
        (("--all", "--branch", "-evil"), "invalid revision '-evil'"),
        (("--all", "--branch", "main"), "branch 'main' already exists"),
    ],
)
def test_bad_input_is_one_line_and_exit_1(
    drifted: tuple[Path, Path], extra: tuple[str, ...], message: str
) -> None:
    repo, live = drifted
    done = run("adopt", "-d", str(repo / "deploy"), "--live", str(live), *extra)
    assert done.returncode == 1
    assert len(done.stderr.splitlines()) == 1, done.stderr
    assert done.stderr.startswith("kubedrift: error: ")
    assert message in done.stderr
    assert "Traceback" not in done.stderr
    assert git(repo, "status", "--porcelain") == ""
    assert git(repo, "rev-parse", "--abbrev-ref", "HEAD").strip() == "main"


def test_a_source_that_is_no_local_work_tree_is_refused(tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "a.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n")
    for desired, message in (
        (str(plain), f"kubedrift: error: {plain}: is not inside a Git work tree\n"),
        ("https://example.com/x.git", "adopt needs a folder or file of a local Git work tree"),
    ):
        done = run("adopt", "-d", desired, "--live", str(plain / "a.yaml"), "--all")
        assert done.returncode == 1
        assert message in done.stderr
        assert len(done.stderr.splitlines()) == 1


KUSTOMIZE_FILES = {
    "base/kustomization.yaml": "resources:\n  - deployment.yaml\n  - configmap.yaml\n",
    "base/deployment.yaml": """\
# The web tier
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 1
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: app
        image: nginx:1.19  # base image
        env:
        - name: MODE
          value: prod   # keep prod
""",
    "base/configmap.yaml": """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: web-config
data:
  level: info  # log level
""",
    "overlays/prod/kustomization.yaml": """\
namespace: default
namePrefix: prod-
resources:
  - ../../base
patches:
  - path: image-patch.yaml
  - path: replicas-patch.yaml
    target:
      kind: Deployment
      name: web
""",
    "overlays/prod/image-patch.yaml": """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      containers:
        - name: app
          image: nginx:1.20  # prod pins 1.20
""",
    "overlays/prod/replicas-patch.yaml":
        "# prod runs more\n- op: replace\n  path: /spec/replicas\n  value: 3\n",
}  # fmt: skip


@needs_kubectl
def test_kustomize_patches_and_bases_are_edited_where_the_field_comes_from(
    tmp_path: Path,
) -> None:
    repo = make_repo(tmp_path, KUSTOMIZE_FILES)
    overlay = repo / "overlays" / "prod"
    rendered = subprocess.run(
        ["kubectl", "kustomize", str(overlay)], capture_output=True, text=True, check=True
    ).stdout
    objects = list(yaml.safe_load_all(rendered))
    for obj in objects:
        if obj["kind"] == "Deployment":
            obj["spec"]["replicas"] = 5
            app = obj["spec"]["template"]["spec"]["containers"][0]
            app["image"], app["env"][0]["value"] = "nginx:1.21", "debug"
        else:
            obj["data"]["level"] = "debug"
    live = tmp_path / "live.json"
    live.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": objects}))
    done = run("adopt", "-d", str(overlay), "--live", str(live), "--all")
    assert done.returncode == 0, done.stderr
    assert git(repo, "diff", "HEAD~1", "HEAD") == (GOLDEN / "kustomize.diff").read_text()
    scan = run("scan", "--desired", f"{overlay}@HEAD", "--live", str(live), "-o", "json")
    assert scan.returncode == 0, scan.stdout


def test_dash_l_is_the_label_selector_only() -> None:
    """The first version gave `-l` to both `--live` and `--selector` (click kept one)."""
    from kubedrift.cli.lazy import load

    command = load("adopt")
    owners = [p.name for p in command.params if "-l" in getattr(p, "opts", [])]
    assert owners == ["selector"]
