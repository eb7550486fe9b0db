"""`kubedrift apply` skips a suppressed finding, against the real apiserver (RBAC on).

The hand-edited Deployment of `test_remediate_apiserver` drifts in its image and an env
var; the image drift is suppressed with `kubedrift suppress`. `plan` gives it action
`none`; `apply --yes` reverts the env var only and leaves the image as the hand edit set
it; asking for the suppressed finding by id says why nothing ran.
"""

from __future__ import annotations

import importlib.util
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType

from support.apiserver import ApiServer


def _remedy() -> ModuleType:
    """The plan/apply test module, for its Deployment fixture and helpers (loaded by path:
    with pytest's importlib import mode, test modules are not importable by name)."""
    path = Path(__file__).with_name("test_remediate_apiserver.py")
    spec = importlib.util.spec_from_file_location("kubedrift_remedy_helpers", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_helpers = _remedy()
ENV, IMAGE, get, run = _helpers.ENV, _helpers.IMAGE, _helpers.get, _helpers.run
drifted = _helpers.drifted  # the fixture, bound here so pytest finds it


def test_apply_skips_a_suppressed_finding(
    apiserver: ApiServer,
    drifted: tuple[str, Path],
    tmp_path: Path,
) -> None:
    name, desired = drifted
    kc = apiserver.kubeconfig
    store = str(tmp_path / "timeline.db")
    until = (datetime.now(UTC) + timedelta(days=7)).date().isoformat()
    added = run(
        "suppress", "--kind", "Deployment", "--name", name, "--path", IMAGE,
        "--reason", "image canary", "--until", until, "--store", store,
    )  # fmt: skip
    assert added.returncode == 0, added.stderr

    base = ["--desired", str(desired), "--kubeconfig", str(kc), "--store", store]
    planned = run("plan", *base, "-o", "json")
    assert planned.returncode == 0, planned.stderr
    actions = {a["finding"]["path"]: a for a in json.loads(planned.stdout)["actions"]
               if a["object"]["name"] == name}  # fmt: skip
    assert actions[IMAGE]["action"] == "none"
    assert actions[IMAGE]["reason"] == f"suppressed until {until}: image canary"
    assert actions[ENV]["action"] == "revert"

    asked = run("apply", *base, "--yes", "--finding", actions[IMAGE]["id"], "-o", "json")
    assert asked.returncode == 0, asked.stderr
    assert f"skipped {actions[IMAGE]['id']} (Deployment/default/{name})" in asked.stderr
    assert "suppressed until" in asked.stderr
    assert json.loads(asked.stdout)["outcomes"] == []

    done = run("apply", *base, "--yes", "--kind", "Deployment", "-o", "json")
    assert done.returncode == 0, done.stderr
    [outcome] = [o for o in json.loads(done.stdout)["outcomes"] if o["object"]["name"] == name]
    assert outcome["paths"] == [ENV]
    container = get(kc, name)["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == "nginx:1.20"  # suppressed: left as the hand edit set it
    assert container["env"] == [{"name": "MODE", "value": "prod"}]  # reverted
