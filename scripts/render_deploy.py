#!/usr/bin/env python3
"""Write deploy/ (kustomize) from the Helm chart, so the two never disagree.

    python scripts/render_deploy.py [--helm PATH] [--check] [--out DIR]

`helm template kubedrift charts/kubedrift -n kubedrift-system -f ci/kustomize-values.yaml`
is split by the template each document came from, and written to the file of deploy/ that
holds it. The namespace and kustomization files stay hand-written. With `--check`, nothing
is written: exit 1 and the names of the files that differ when deploy/ is out of date
(tests/deploy/test_chart.py runs it).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHART = ROOT / "charts" / "kubedrift"
VALUES = CHART / "ci" / "kustomize-values.yaml"
NAMESPACE = "kubedrift-system"
HEADER = (
    "# Generated from charts/kubedrift by `make deploy-manifests` (values: charts/kubedrift/ci/\n"
    "# kustomize-values.yaml). Edit the chart, not this file: tests/deploy/test_chart.py checks.\n"
)
# template → deploy file; the agent's template is split: its DaemonSet alone in a file.
FILES = {
    "serviceaccount.yaml": "controller/serviceaccount.yaml",
    "reader.yaml": "controller/reader.yaml",
    "viewer.yaml": "controller/viewer.yaml",
    "leader-election.yaml": "controller/leader-election.yaml",
    "deployment.yaml": "controller/deployment.yaml",
    "service.yaml": "controller/service.yaml",
    "agent.yaml": "agent/rbac.yaml",
    "agent.yaml:DaemonSet": "agent/daemonset.yaml",
    "remediation.yaml": "remediation/remediator.yaml",
}


def helm_binary(given: str | None) -> str:
    """The helm to run: --helm, $HELM, the one scripts/ensure-helm.sh installs, or PATH's."""
    cache = Path(os.environ.get("KUBEDRIFT_CACHE", Path.home() / ".cache" / "kubedrift"))
    for candidate in (given, os.environ.get("HELM"), str(cache / "tools" / "bin" / "helm")):
        if candidate and Path(candidate).is_file():
            return candidate
    found = shutil.which("helm")
    if not found:
        sys.exit("render_deploy: no helm (run scripts/ensure-helm.sh)")
    return found


def render(helm: str) -> dict[str, str]:
    """deploy/ file → its text, from `helm template`."""
    out = subprocess.run(
        [helm, "template", "kubedrift", str(CHART), "--namespace", NAMESPACE, "-f", str(VALUES)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    files: dict[str, list[str]] = {}
    for chunk in out.split("\n---\n"):
        lines = chunk.strip("\n").removeprefix("---\n").splitlines()
        if not lines or not lines[0].startswith("# Source: "):
            continue
        template = lines[0].rsplit("/", 1)[1]
        body = "\n".join(lines[1:]).strip("\n")
        kind = next((ln.split(":", 1)[1].strip() for ln in lines if ln.startswith("kind:")), "")
        name = FILES.get(f"{template}:{kind}") or FILES.get(template)
        if name is None:
            sys.exit(f"render_deploy: {template} has no file in deploy/ (add it to FILES)")
        files.setdefault(name, []).append(body)
    return {name: HEADER + "\n---\n".join(docs) + "\n" for name, docs in files.items()}


def main() -> int:
    """Write or check deploy/."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--helm")
    parser.add_argument("--check", action="store_true")
    parser.add_argument("--out", type=Path, default=ROOT / "deploy")
    args = parser.parse_args()
    rendered = render(helm_binary(args.helm))
    stale = [n for n, text in sorted(rendered.items()) if _read(args.out / n) != text]
    if args.check:
        for name in stale:
            print(f"deploy/{name} differs from the chart: run `make deploy-manifests`")
        return 1 if stale else 0
    for name in stale:
        (args.out / name).parent.mkdir(parents=True, exist_ok=True)
        (args.out / name).write_text(rendered[name])
        print(f"wrote deploy/{name}")
    return 0


def _read(path: Path) -> str | None:
    return path.read_text() if path.is_file() else None


if __name__ == "__main__":
    sys.exit(main())
