"""Every object finding says where its desired document came from, in every format.

Issue 10.8: JSON `source: {file, line, document, revision}`, SARIF `physicalLocation` that
GitHub code scanning accepts (repository-relative `artifactLocation.uri`,
`region.startLine`), JUnit `file`/`line`, Markdown "Declared in". Driven through the CLI.
"""

from __future__ import annotations

import json
import os
import subprocess
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from kubedrift.cli.main import app

APP = """\
# The serving stack.
apiVersion: v1
kind: ConfigMap
metadata: {name: model, namespace: ml}
data: {batch: "32"}
---

# the tokenizer settings
apiVersion: v1
kind: ConfigMap
metadata: {name: tokenizer, namespace: ml}
data: {vocab: "128256"}
"""
LIST = """\
apiVersion: v1
kind: List
items:
  - apiVersion: v1
    kind: ConfigMap
    metadata: {name: first, namespace: ml}
    data: {a: "1"}
  - apiVersion: v1
    kind: ConfigMap
    metadata: {name: second, namespace: ml}
    data: {b: "2"}
"""
# Live differs from every desired object in one value.
LIVE = {
    "apiVersion": "v1",
    "kind": "List",
    "items": [
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": name, "namespace": "ml"},
            "data": {key: "changed"},
        }
        for name, key in [
            ("model", "batch"),
            ("tokenizer", "vocab"),
            ("first", "a"),
            ("second", "b"),
        ]
    ],
}
# name → (file, line, document, item)
EXPECTED = {
    "model": ("deploy/app.yaml", 2, 1, None),
    "tokenizer": ("deploy/app.yaml", 9, 2, None),
    "first": ("deploy/list.yaml", 4, 1, 0),
    "second": ("deploy/list.yaml", 8, 1, 1),
}


@pytest.fixture
def workdir(tmp_path: Path) -> Iterator[Path]:
    """A checkout with `deploy/` and a live snapshot; the working directory is its root."""
    (tmp_path / "deploy").mkdir()
    (tmp_path / "deploy" / "app.yaml").write_text(APP)
    (tmp_path / "deploy" / "list.yaml").write_text(LIST)
    (tmp_path / "live.json").write_text(json.dumps(LIVE))
    before = Path.cwd()
    os.chdir(tmp_path)
    try:
        yield tmp_path
    finally:
        os.chdir(before)


def run(*args: str) -> str:
    result = CliRunner().invoke(app, list(args), standalone_mode=False)
    if result.exception is not None:
        raise result.exception
    assert result.return_value == 2, result.stderr
    return result.stdout


def scan(fmt: str, desired: str = "deploy") -> str:
    return run("scan", "-d", desired, "--live", "live.json", "-o", fmt, "--no-color")


def test_json_findings_carry_file_line_document_and_item(workdir: Path) -> None:
    findings = json.loads(scan("json"))["findings"]
    assert len(findings) == 4
    for finding in findings:
        file, line, document, item = EXPECTED[finding["object"]["name"]]
        source = finding["source"]
        assert (source["file"], source["line"], source["document"]) == (file, line, document)
        assert source.get("item") == item
        assert source["revision"] is None  # not in a Git work tree


def test_the_line_is_where_the_object_starts_in_the_file(workdir: Path) -> None:
    for finding in json.loads(scan("json"))["findings"]:
        source = finding["source"]
        text = (workdir / source["file"]).read_text().splitlines()
        assert text[source["line"] - 1].lstrip(" -").startswith("apiVersion:")


def test_sarif_physical_locations_are_what_github_code_scanning_accepts(workdir: Path) -> None:
    results = json.loads(scan("sarif"))["runs"][0]["results"]
    assert len(results) == 4
    for result in results:
        (location,) = result["locations"]
        physical = location["physicalLocation"]
        uri = physical["artifactLocation"]["uri"]
        assert uri
        assert not uri.startswith(("/", "..", "file:")), uri
        assert physical["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
        assert (workdir / uri).is_file()
        assert physical["region"]["startLine"] >= 1
        name = location["logicalLocations"][0]["fullyQualifiedName"].split("/")[2].split("#")[0]
        assert (uri, physical["region"]["startLine"]) == EXPECTED[name][:2]


def test_sarif_relative_paths_also_for_an_absolute_desired_path(workdir: Path) -> None:
    results = json.loads(scan("sarif", str(workdir / "deploy")))["runs"][0]["results"]
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results}
    assert uris == {"deploy/app.yaml", "deploy/list.yaml"}


def test_junit_testcases_carry_file_and_line(workdir: Path) -> None:
    root = ET.fromstring(scan("junit"))
    cases = {c.get("name", "").split("/")[-1]: c for c in root.iter("testcase")}
    for name, (file, line, _, _) in EXPECTED.items():
        assert (cases[name].get("file"), cases[name].get("line")) == (file, str(line))
        failure = cases[name].find("failure")
        assert failure is not None
        assert failure.text is not None
        assert failure.text.startswith(f"declared at {file}:{line}")


def test_markdown_and_table_say_where_each_object_was_declared(workdir: Path) -> None:
    markdown = scan("markdown")
    table = scan("table")
    for file, line, document, _ in EXPECTED.values():
        assert f"Declared in `{file}:{line}` (document {document}" in markdown
        assert f"{file}:{line}" in table


def git(repo: Path, *args: str) -> str:
    argv = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.com", *args]
    return subprocess.run(argv, check=True, capture_output=True, text=True).stdout.strip()


def test_a_git_source_cites_the_path_in_the_repository_and_its_commit(workdir: Path) -> None:
    repo = workdir / "gitops"
    (repo / "clusters" / "prod").mkdir(parents=True)
    (repo / "clusters" / "prod" / "app.yaml").write_text(APP)
    git(repo, "init", "-q")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "prod")
    sha = git(repo, "rev-parse", "HEAD")
    url = f"{repo.as_uri()}//clusters/prod@{sha[:10]}"
    findings: list[dict[str, Any]] = json.loads(scan("json", url))["findings"]
    sources = {f["object"]["name"]: f["source"] for f in findings}
    assert sources["model"] == {
        "file": "clusters/prod/app.yaml",
        "line": 2,
        "document": 1,
        "revision": sha,
    }
    sarif = json.loads(scan("sarif", url))["runs"][0]["results"]
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in sarif}
    assert uris == {"clusters/prod/app.yaml"}
