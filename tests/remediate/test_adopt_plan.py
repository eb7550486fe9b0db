"""Where each finding is adopted (remediate/adopt.py, remediate/kustomize_site.py): plain
files, Kustomize patches (strategic merge and JSON 6902), bases, the kustomization's own
`replicas:`, and every refusal with its reason. Files are read from a dict (pure).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from kubedrift.model import MISSING, Category, Finding, ObjectRef, Severity, SourceLocation
from kubedrift.remediate.adopt import Adoption, plan_adoption

IMAGE = "/spec/template/spec/containers/name=app/image"
ENV = "/spec/template/spec/containers/name=app/env/name=MODE/value"

DEPLOYMENT = """\
# base
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 1
  template:
    spec:
      containers:
      - name: app
        image: nginx:1.19  # base image
        env:
        - name: MODE
          value: prod
"""
SMP = """\
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
"""
JSON6902 = "# prod runs more\n- op: replace\n  path: /spec/replicas\n  value: 3\n"
OVERLAY = """\
namePrefix: prod-
resources: [../../base]
patchesStrategicMerge: [image.yaml]
patches:
  - path: replicas.yaml
    target: {kind: Deployment, name: web}
"""
FILES = {
    "k/base/kustomization.yaml": "resources: [deployment.yaml]\n",
    "k/base/deployment.yaml": DEPLOYMENT,
    "k/prod/kustomization.yaml": OVERLAY.replace("../../base", "../base"),
    "k/prod/image.yaml": SMP,
    "k/prod/replicas.yaml": JSON6902,
}


def reader(files: dict[str, str]) -> Any:
    def read(path: Path) -> str:
        try:
            return files[path.as_posix()]
        except KeyError:
            raise FileNotFoundError(2, "No such file", str(path)) from None

    return read


def finding(
    path: str,
    live: Any,
    *,
    rule: str = "field-changed",
    kind: str = "Deployment",
    name: str = "prod-web",
    file: str = "k/prod/kustomization.yaml",
    document: int | None = None,
    category: Category = Category.OBJECT,
) -> Finding:
    api = "apps/v1" if kind == "Deployment" else "v1"
    return Finding(
        category=category,
        severity=Severity.MEDIUM,
        object=ObjectRef(api, kind, "default", name),
        path=path,
        desired="d",
        live=live,
        rule=rule,
        message="m",
        source=SourceLocation(file, None, document),
    )


def rendered(image: str = "nginx:1.20", replicas: int = 3) -> dict[str, Any]:
    obj = yaml.safe_load(DEPLOYMENT)
    obj["metadata"].update(name="prod-web", namespace="default")
    obj["spec"]["replicas"] = replicas
    obj["spec"]["template"]["spec"]["containers"][0]["image"] = image
    return dict(obj)


def live(image: str = "nginx:1.21", replicas: int = 4, mode: str = "debug") -> dict[str, Any]:
    obj = rendered(image, replicas)
    obj["spec"]["template"]["spec"]["containers"][0]["env"][0]["value"] = mode
    return obj


def plan(findings: list[Finding], files: dict[str, str] = FILES, **kw: Any) -> Adoption:
    return plan_adoption(findings, [rendered()], [kw.get("live_obj", live())], reader(files))


def new_text(adoption: Adoption, path: str) -> str:
    (edit,) = [e for e in adoption.files if e.path.as_posix() == path]
    return edit.after


def test_a_field_set_by_a_strategic_merge_patch_is_edited_in_the_patch() -> None:
    adoption = plan([finding(IMAGE, "nginx:1.21")])
    assert not adoption.refused
    assert new_text(adoption, "k/prod/image.yaml") == SMP.replace("1.20  #", "1.21  #")
    assert [e.path.as_posix() for e in adoption.files] == ["k/prod/image.yaml"]


def test_a_field_set_by_a_json6902_patch_gets_its_value_edited() -> None:
    adoption = plan([finding("/spec/replicas", 4)])
    assert new_text(adoption, "k/prod/replicas.yaml") == JSON6902.replace("3", "4")


def test_a_json6902_operation_on_a_parent_is_edited_inside_its_value() -> None:
    patch = (
        "- op: replace\n  path: /spec/template/spec/containers/0\n"
        "  value:\n    name: app\n    image: nginx:1.20\n"
    )
    files = {**FILES, "k/prod/replicas.yaml": patch}
    adoption = plan([finding(IMAGE, "nginx:1.21")], files)
    # the JSON 6902 patch runs after the strategic-merge one (`patches` after
    # `patchesStrategicMerge`), so its value decides and is the one edited
    assert new_text(adoption, "k/prod/replicas.yaml") == patch.replace("1.20", "1.21")


def test_a_field_only_the_base_sets_is_edited_in_the_base() -> None:
    adoption = plan([finding(ENV, "debug")])
    assert new_text(adoption, "k/base/deployment.yaml") == DEPLOYMENT.replace(
        "value: prod", "value: debug"
    )


def test_a_field_added_live_goes_to_the_overlay_patch_of_the_object() -> None:
    path = "/spec/template/spec/containers/name=app/env/name=NEW"
    obj = live()
    obj["spec"]["template"]["spec"]["containers"][0]["env"].append({"name": "NEW", "value": "1"})
    adoption = plan([finding(path, MISSING, rule="field-added")], live_obj=obj)
    text = new_text(adoption, "k/prod/image.yaml")
    assert text == SMP + "          env:\n            - name: NEW\n              value: '1'\n"


def test_the_kustomization_replicas_field_is_edited_there() -> None:
    files = {
        **FILES,
        "k/prod/kustomization.yaml": (
            "resources: [../base]\nreplicas:\n  - name: web\n    count: 3  # prod\n"
        ),
    }
    adoption = plan([finding("/spec/replicas", 4, name="web")], files)
    assert new_text(adoption, "k/prod/kustomization.yaml").endswith("    count: 4  # prod\n")


def test_a_removal_is_made_in_every_file_that_sets_the_field() -> None:
    base = DEPLOYMENT.replace("        image:", "        imagePullPolicy: Always\n        image:")
    patch = SMP + "          imagePullPolicy: Always\n"
    files = {**FILES, "k/base/deployment.yaml": base, "k/prod/image.yaml": patch}
    path = "/spec/template/spec/containers/name=app/imagePullPolicy"
    adoption = plan([finding(path, MISSING, rule="field-missing")], files)
    assert new_text(adoption, "k/base/deployment.yaml") == DEPLOYMENT
    assert new_text(adoption, "k/prod/image.yaml") == SMP


@pytest.mark.parametrize(
    ("kustomization", "path", "reason"),
    [
        ("resources: [../base]\nimages:\n  - name: nginx\n    newTag: '1.20'\n", IMAGE,
         "rewrites images (`images:`) and no entry's name and newTag give the live image"),
        ("resources: [../base]\ncommonLabels: {team: ml}\n", "/metadata/labels/team",
         "set by `commonLabels` in k/prod/kustomization.yaml"),
        ("resources: [../base]\npatches:\n  - patch: |\n      - op: replace\n"
         "        path: /spec/replicas\n        value: 3\n    target: {kind: Deployment}\n",
         "/spec/replicas", "set by an inline patch in kustomization.yaml"),
    ],
)  # fmt: skip
def test_fields_kustomize_transforms_are_refused_with_the_reason(
    kustomization: str, path: str, reason: str
) -> None:
    files = {**FILES, "k/prod/kustomization.yaml": kustomization}
    adoption = plan([finding(path, "x", name="web")], files)
    assert not adoption.files
    (refused,) = adoption.refused
    assert reason in refused.reason


def test_a_generated_config_map_is_refused() -> None:
    files = {
        **FILES,
        "k/prod/kustomization.yaml": ("configMapGenerator:\n  - name: cfg\n    literals: [a=b]\n"),
    }
    f = finding("/data/a", "c", kind="ConfigMap", name="cfg-5k8dm7t9h2")
    (refused,) = plan([f], files).refused
    expected = "generated by configMapGenerator in k/prod/kustomization.yaml"
    assert refused.reason.startswith(expected)


SECRET_LIVE = "c3VwZXJzZWNyZXQ="


@pytest.mark.parametrize(
    ("f", "reason"),
    [
        (finding("/data/password", "sha256:abc", kind="Secret", name="db", file="s.yaml"),
         "a Secret: its live value is never written into Git"),
        (finding("/spec/replicas", 2, file="charts/app/Chart.yaml"),
         "rendered by helm template: the value comes from a template"),
        (finding("kernel", "6.1", category=Category.NODE, file="p.yaml"),
         "a node finding: nothing in Git declares it"),
        (finding("", MISSING, rule="object-missing", file="a.yaml"),
         "adopting would delete it from Git"),
        (finding("/spec/replicas", 2, file="app.json"), "app.json is not a YAML file"),
        (finding("/spec/x", 2, rule="field-not-served", file="a.yaml"), "not drift"),
    ],
)  # fmt: skip
def test_refusals_name_the_reason(f: Finding, reason: str) -> None:
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db",
              "namespace": "default"}, "data": {"password": SECRET_LIVE}}  # fmt: skip
    adoption = plan_adoption([f], [], [secret, live()], reader({"s.yaml": "", "a.yaml": ""}))
    assert not adoption.files
    (refused,) = adoption.refused
    assert reason in refused.reason
    assert SECRET_LIVE not in refused.reason


def test_the_live_objects_own_value_is_written_not_the_normalised_one() -> None:
    text = "apiVersion: v1\nkind: LimitRange\nmetadata:\n  name: l\nspec:\n  max: 1Gi\n"
    obj = {"apiVersion": "v1", "kind": "LimitRange", "metadata": {"name": "l",
           "namespace": "default"}, "spec": {"max": "2Gi"}}  # fmt: skip
    f = finding("/spec/max", 2147483648, kind="LimitRange", name="l", file="l.yaml", document=1)
    adoption = plan_adoption([f], [obj], [obj], reader({"l.yaml": text}))
    assert adoption.files[0].after == text.replace("1Gi", "2Gi")


IMAGES = "namePrefix: prod-\nresources: [../base]\nimages:\n- name: nginx\n  newTag: '1.20'  # x\n"


def test_an_images_entry_gets_the_live_tag_when_the_name_is_kept() -> None:
    files = {**FILES, "k/prod/kustomization.yaml": IMAGES}
    adoption = plan([finding(IMAGE, "nginx:1.21")], files)
    assert new_text(adoption, "k/prod/kustomization.yaml") == IMAGES.replace("1.20", "1.21")


def test_an_images_entry_is_not_edited_when_the_live_image_has_another_name() -> None:
    files = {**FILES, "k/prod/kustomization.yaml": IMAGES}
    adoption = plan([finding(IMAGE, "other/nginx:1.21")], files, live_obj=live("other/nginx:1.21"))
    (refused,) = adoption.refused
    assert "rewrites images (`images:`)" in refused.reason
