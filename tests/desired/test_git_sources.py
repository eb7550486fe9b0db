"""Desired state from real Git repositories made in tmp dirs: work trees, @REV, URLs, //subdirs."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from kubedrift.desired import load_desired
from kubedrift.desired.git import GitSpec, parse_git_spec
from kubedrift.model import InputError

Git = Callable[..., str]


def configmap(value: str) -> str:
    return f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  v: '{value}'\n"


@dataclass(frozen=True)
class Repo:
    path: Path
    first: str
    second: str


@pytest.fixture
def repo(tmp_path: Path, git: Git) -> Repo:
    """A repository with two commits: `manifests/cm.yaml` at v=1, then v=2 (tagged v2)."""
    path = tmp_path / "repo"
    (path / "manifests").mkdir(parents=True)
    git("init", "-q", "-b", "main", path, cwd=tmp_path)
    (path / "README.md").write_text("# platform\n")
    (path / "manifests" / "cm.yaml").write_text(configmap("1"))
    git("add", "-A", cwd=path)
    git("commit", "-q", "-m", "first", cwd=path)
    first = git("rev-parse", "HEAD", cwd=path)
    (path / "manifests" / "cm.yaml").write_text(configmap("2"))
    git("commit", "-q", "-am", "second", cwd=path)
    git("tag", "v2", cwd=path)
    return Repo(path, first, git("rev-parse", "HEAD", cwd=path))


def values(spec: str) -> list[str]:
    return [o.obj["data"]["v"] for o in load_desired([spec]).objects]


def test_work_tree_path_records_head_and_clean_state(repo: Repo) -> None:
    desired = load_desired([str(repo.path / "manifests")])

    assert desired.revision == repo.second
    assert not desired.dirty
    assert [o.obj["data"]["v"] for o in desired.objects] == ["2"]
    assert desired.objects[0].revision == repo.second


def test_uncommitted_change_marks_the_set_dirty(repo: Repo) -> None:
    (repo.path / "manifests" / "cm.yaml").write_text(configmap("3"))

    desired = load_desired([str(repo.path)])

    assert desired.revision == repo.second
    assert desired.dirty
    assert [o.obj["data"]["v"] for o in desired.objects] == ["3"]


def test_untracked_manifest_marks_the_set_dirty(repo: Repo) -> None:
    (repo.path / "manifests" / "new.yaml").write_text(
        "apiVersion: v1\nkind: Namespace\nmetadata: {name: new}\n"
    )

    assert load_desired([str(repo.path / "manifests")]).dirty


def test_dirt_elsewhere_in_the_repo_does_not_count(repo: Repo) -> None:
    (repo.path / "README.md").write_text("# changed\n")

    assert not load_desired([str(repo.path / "manifests")]).dirty


def test_local_path_at_first_commit(repo: Repo) -> None:
    desired = load_desired([f"{repo.path}@{repo.first}"])

    assert desired.revision == repo.first
    assert [o.obj["data"]["v"] for o in desired.objects] == ["1"]
    assert str(desired.objects[0].location) == (
        f"{repo.path}@{repo.first[:12]}:manifests/cm.yaml, document 1"
    )


def test_local_sub_path_at_abbreviated_sha_tag_and_branch(repo: Repo) -> None:
    assert values(f"{repo.path / 'manifests'}@{repo.first[:7]}") == ["1"]
    assert values(f"{repo.path / 'manifests' / 'cm.yaml'}@v2") == ["2"]
    assert values(f"{repo.path}@main") == ["2"]


def test_file_url_with_sub_path_and_rev(repo: Repo) -> None:
    spec = f"file://{repo.path}//manifests@{repo.first}"

    desired = load_desired([spec])

    assert desired.revision == repo.first
    assert desired.sources == (spec,)
    assert [o.obj["data"]["v"] for o in desired.objects] == ["1"]
    assert str(desired.objects[0].location) == (
        f"file://{repo.path}@{repo.first[:12]}:manifests/cm.yaml, document 1"
    )


def test_git_plus_file_url_at_tag_and_default_branch(repo: Repo) -> None:
    assert values(f"git+file://{repo.path}//manifests@v2") == ["2"]
    desired = load_desired([f"file://{repo.path}"])
    assert desired.revision == repo.second


def test_checkout_is_removed_afterwards(
    repo: Repo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))

    load_desired([f"file://{repo.path}@{repo.first}"])
    with pytest.raises(InputError):
        load_desired([f"file://{repo.path}//nowhere@{repo.first}"])

    assert list(scratch.iterdir()) == []


def test_unknown_revision_is_a_clear_error(repo: Repo) -> None:
    spec = f"file://{repo.path}@no-such-branch"

    with pytest.raises(InputError) as caught:
        load_desired([spec])

    assert str(caught.value) == (
        f"{spec}: unknown revision 'no-such-branch': not a branch, tag or commit of file://{repo.path}"
    )


def test_unreachable_url_is_a_clear_error(tmp_path: Path, git: Git) -> None:
    spec = f"file://{tmp_path}/missing.git@main"

    with pytest.raises(InputError) as caught:
        load_desired([spec])

    assert caught.value.where == spec
    assert caught.value.message.startswith(f"cannot fetch from file://{tmp_path}/missing.git: ")
    assert "does not appear to be a git repository" in caught.value.message


def test_missing_sub_path_at_revision(repo: Repo) -> None:
    with pytest.raises(InputError, match=f"'nowhere' does not exist at commit {repo.first[:12]}"):
        load_desired([f"file://{repo.path}//nowhere@{repo.first}"])


def test_sub_path_cannot_escape_the_checkout(repo: Repo) -> None:
    with pytest.raises(InputError, match="does not exist"):
        load_desired([f"file://{repo.path}//../..@{repo.first}"])


def test_rev_on_a_path_outside_git_is_an_error(tmp_path: Path, git: Git) -> None:
    folder = tmp_path / "plain"
    folder.mkdir()

    with pytest.raises(InputError, match="not inside a Git work tree"):
        load_desired([f"{folder}@main"])


def test_path_outside_git_has_no_revision(tmp_path: Path, git: Git) -> None:
    (tmp_path / "cm.yaml").write_text(configmap("1"))

    desired = load_desired([str(tmp_path / "cm.yaml")])

    assert desired.revision is None
    assert not desired.dirty


def test_sources_at_different_revisions_leave_the_set_revision_open(repo: Repo) -> None:
    (repo.path / "manifests" / "cm.yaml").write_text(configmap("1").replace("settings", "other"))
    desired = load_desired([f"{repo.path}@{repo.first}", str(repo.path)])

    assert desired.revision is None
    assert [o.revision for o in desired.objects] == [repo.first, repo.second]


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl not on PATH")
def test_kustomization_in_a_repo_is_rendered_at_the_revision(repo: Repo, git: Git) -> None:
    overlay = repo.path / "overlays" / "prod"
    overlay.mkdir(parents=True)
    (overlay / "kustomization.yaml").write_text(
        "resources: [../../manifests]\nnamePrefix: prod-\nnamespace: ml\n"
    )
    (repo.path / "manifests" / "kustomization.yaml").write_text("resources: [cm.yaml]\n")
    git("add", "-A", cwd=repo.path)
    git("commit", "-q", "-m", "overlay", cwd=repo.path)
    head = git("rev-parse", "HEAD", cwd=repo.path)

    desired = load_desired([f"file://{repo.path}//overlays/prod@main"])

    assert desired.revision == head
    assert [str(o.ref) for o in desired.objects] == ["ConfigMap/ml/prod-settings"]
    assert str(desired.objects[0].location) == (
        f"file://{repo.path}@main:overlays/prod (kustomize), document 1"
    )


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        (
            "https://github.com/org/platform.git//clusters/prod@main",
            GitSpec(
                "https://github.com/org/platform.git",
                "main",
                "clusters/prod",
                "https://github.com/org/platform.git",
            ),
        ),
        (
            "git+https://token@git.example.com/org/repo.git",
            GitSpec(
                "https://token@git.example.com/org/repo.git",
                None,
                "",
                "https://***@git.example.com/org/repo.git",
            ),
        ),
        (
            "git@github.com:org/repo.git//deploy@feature/gpu-pool",
            GitSpec(
                "git@github.com:org/repo.git",
                "feature/gpu-pool",
                "deploy",
                "git@github.com:org/repo.git",
            ),
        ),
        (
            "ssh://git@host:2222/repo@v1.2",
            GitSpec("ssh://git@host:2222/repo", "v1.2", "", "ssh://***@host:2222/repo"),
        ),
        (
            "git+file:///srv/repo//a/b/@0123abc",
            GitSpec("file:///srv/repo", "0123abc", "a/b", "file:///srv/repo"),
        ),
    ],
)
def test_url_specs_parse(spec: str, expected: GitSpec) -> None:
    assert parse_git_spec(spec) == expected


def test_plain_paths_are_not_git_specs(tmp_path: Path) -> None:
    odd = tmp_path / "name@with-at"
    odd.mkdir()

    assert parse_git_spec(str(odd)) is None
    assert parse_git_spec(str(tmp_path / "missing@main")) is None
    assert parse_git_spec("deploy/app.yaml") is None


@pytest.fixture
def bare(repo: Repo, git: Git, tmp_path: Path) -> Path:
    """A bare clone of `repo`, as a Git server or a mirror keeps it."""
    path = tmp_path / "platform.git"
    git("clone", "-q", "--bare", repo.path, path, cwd=tmp_path)
    return path


def test_a_bare_repository_path_at_rev_reads_like_its_file_url(bare: Path, repo: Repo) -> None:
    """Issue 10.9: `repo.git@rev` failed ("not inside a Git work tree") where the
    `file://` URL of the same repository worked."""
    for rev, value in ((repo.first, "1"), ("v2", "2"), ("main", "2")):
        by_path = load_desired([f"{bare}//manifests@{rev}"])
        by_url = load_desired([f"{bare.as_uri()}//manifests@{rev}"])
        assert [o.obj for o in by_path.objects] == [o.obj for o in by_url.objects]
        assert [o.obj["data"]["v"] for o in by_path.objects] == [value]
        assert by_path.revision == by_url.revision
    assert values(f"{bare}@main") == ["2"]
    assert load_desired([f"{bare}@main"]).objects[0].location.file == "manifests/cm.yaml"
