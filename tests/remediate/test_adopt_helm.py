"""Helm values (remediate/helm_site.py): a field a template renders from exactly one value
is adopted into `values.yaml` (comments kept); anything less plain is refused with the
reason. Pure: the chart is a dict of files.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kubedrift.model import Category, Finding, ObjectRef, Severity, SourceLocation
from kubedrift.remediate.adopt import Adoption, plan_adoption

VALUES = """\
# Defaults for the app chart
replicaCount: 1  # one is enough
image:
  repository: nginx
  tag: "1.19"   # pinned
mode: prod
shared: x
prefix: prod
"""
DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}
spec:
  replicas: {{ .Values.replicaCount }}
  template:
    spec:
      containers:
        - name: app
          image: "{{ .Values.image.repository }}:{{ .Values.image.tag }}"
"""
CONFIGMAP = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-cfg
data:
  mode: {{ .Values.mode | quote }}
  a: {{ .Values.shared }}
  b: {{ .Values.shared }}
  level: {{ printf "%s-x" .Values.prefix }}
"""
CHART = {
    "chart/Chart.yaml": "apiVersion: v2\nname: app\nversion: 0.1.0\n",
    "chart/values.yaml": VALUES,
    "chart/templates/deployment.yaml": DEPLOYMENT,
    "chart/templates/cm.yaml": CONFIGMAP,
}
IMAGE = "/spec/template/spec/containers/name=app/image"


def rendered() -> list[dict[str, Any]]:
    container = {"name": "app", "image": "nginx:1.19"}
    meta = {"name": "app", "namespace": "default"}
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": meta,
        "spec": {"replicas": 1, "template": {"spec": {"containers": [container]}}},
    }
    data = {"mode": "prod", "a": "x", "b": "x", "level": "prod-x"}
    cm = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "app-cfg", "namespace": "default"},
        "data": data,
    }
    return [deployment, cm]  # fmt: skip


def finding(kind: str, name: str, path: str, desired: Any, live: Any) -> Finding:
    return Finding(
        category=Category.OBJECT,
        severity=Severity.MEDIUM,
        object=ObjectRef("apps/v1" if kind == "Deployment" else "v1", kind, "default", name),
        path=path,
        desired=desired,
        live=live,
        rule="field-changed",
        message="m",
        source=SourceLocation("chart/Chart.yaml"),
    )


def adopt(f: Finding, live: list[dict[str, Any]]) -> Adoption:
    def read(path: Path) -> str:
        try:
            return CHART[path.as_posix()]
        except KeyError:
            raise FileNotFoundError(2, "No such file", str(path)) from None

    def listing(folder: Path) -> list[Path]:
        return [Path(p) for p in CHART if p.startswith(folder.as_posix() + "/")]

    return plan_adoption([f], rendered(), live, read, listing)


def edited(**changes: Any) -> list[dict[str, Any]]:
    deployment, cm = rendered()
    if "replicas" in changes:
        deployment["spec"]["replicas"] = changes["replicas"]
    if "image" in changes:
        deployment["spec"]["template"]["spec"]["containers"][0]["image"] = changes["image"]
    cm["data"].update(changes.get("data", {}))
    return [deployment, cm]


def test_replicas_go_into_the_value_the_template_prints() -> None:
    adoption = adopt(finding("Deployment", "app", "/spec/replicas", 1, 3), edited(replicas=3))
    assert not adoption.refused
    (edit,) = adoption.files
    assert edit.path == Path("chart/values.yaml")
    assert edit.after == VALUES.replace("replicaCount: 1  #", "replicaCount: 3  #")


def test_an_image_gets_its_tag_value_when_the_repository_is_kept() -> None:
    f = finding("Deployment", "app", IMAGE, "nginx:1.19", "nginx:1.21")
    (edit,) = adopt(f, edited(image="nginx:1.21")).files
    assert edit.after == VALUES.replace('"1.19"', '"1.21"')


def test_a_config_map_key_through_a_pipeline_goes_into_its_value() -> None:
    f = finding("ConfigMap", "app-cfg", "/data/mode", "prod", "staging")
    (edit,) = adopt(f, edited(data={"mode": "staging"})).files
    assert edit.after == VALUES.replace("mode: prod", "mode: staging")


@pytest.mark.parametrize(
    ("f", "live", "reason"),
    [
        (finding("ConfigMap", "app-cfg", "/data/a", "x", "y"), edited(data={"a": "y"}),
         "from .Values.shared, which the templates use 2 times"),
        (finding("ConfigMap", "app-cfg", "/data/level", "prod-x", "dev-x"),
         edited(data={"level": "dev-x"}), "no single value renders it"),
        (finding("Deployment", "app", IMAGE, "nginx:1.19", "registry.example.com/nginx:1.19"),
         edited(image="registry.example.com/nginx:1.19"), "no single value renders it"),
    ],
)  # fmt: skip
def test_a_field_no_single_value_explains_is_refused(
    f: Finding, live: list[dict[str, Any]], reason: str
) -> None:
    adoption = adopt(f, live)
    assert not adoption.files
    (refused,) = adoption.refused
    assert refused.reason.startswith("rendered by helm template")
    assert reason in refused.reason
