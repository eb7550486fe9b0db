"""Rendering Kustomize overlays and Helm charts to plain manifests with their own programs.

kubedrift never reimplements either: a kustomization is built by `kustomize build DIR`
when kustomize is on PATH, else by `kubectl kustomize DIR` (built in since kubectl 1.14);
a chart by `helm template RELEASE DIR`. The output is one YAML stream, parsed like a file
and named `DIR (kustomize)` or `DIR (helm template)` in locations.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from kubedrift.desired.documents import Document, parse_yaml
from kubedrift.desired.tools import DEFAULT_TIMEOUT, run, which
from kubedrift.model import InputError

KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
CHART_FILE = "Chart.yaml"


@dataclass(frozen=True, slots=True)
class RenderOptions:
    """How charts and kustomizations are rendered.

    `release_name` defaults to the chart folder's name; `helm_values` are passed as
    `-f FILE` in order; `namespace` (set from the caller's default namespace) is passed as
    `helm template --namespace`. `timeout` bounds every program run, Git included.
    """

    release_name: str | None = None
    helm_values: tuple[Path, ...] = ()
    namespace: str | None = None
    timeout: float = DEFAULT_TIMEOUT


def kustomization_file(folder: Path) -> Path | None:
    """The kustomization file of a folder, or None when it has none."""
    for name in KUSTOMIZATION_FILES:
        candidate = folder / name
        if candidate.is_file():
            return candidate
    return None


def is_chart(folder: Path) -> bool:
    """Whether a folder is a Helm chart (holds `Chart.yaml`)."""
    return (folder / CHART_FILE).is_file()


def kustomize(folder: Path, display: str, options: RenderOptions) -> list[Document]:
    """Build a kustomization folder and parse its output."""
    program = which("kustomize", "kubectl")
    if program is None:
        raise InputError(
            "contains kustomization.yaml but neither kustomize nor kubectl is on PATH",
            where=display,
        )
    verb = ["build"] if Path(program).name == "kustomize" else ["kustomize"]
    out = run([program, *verb, folder], where=display, timeout=options.timeout)
    return parse_yaml(out, f"{display} (kustomize)")


def helm_template(folder: Path, display: str, options: RenderOptions) -> list[Document]:
    """Render a chart folder with `helm template` and parse its output."""
    program = which("helm")
    if program is None:
        raise InputError("contains Chart.yaml but helm is not on PATH", where=display)
    release = options.release_name or folder.resolve().name
    args: list[str | Path] = [program, "template"]
    # `--opt=value` binds each value to its flag, and `--` ends the options (cobra's
    # pflag stops at it), so no release, folder or file name is ever read as a flag.
    args += [f"--values={values}" for values in options.helm_values]
    if options.namespace:
        args.append(f"--namespace={options.namespace}")
    args += ["--", release, folder]
    out = run(args, where=display, timeout=options.timeout)
    return parse_yaml(out, f"{display} (helm template)")
