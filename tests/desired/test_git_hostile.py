"""Hostile Git specs against real git: option injection, transports, hooks, symlinks, secrets.

Each attack tries to create a marker file; the marker must never exist, and the spec must
fail with a one-line InputError. Some tests call `checkout` with a `GitSpec` the parser
would refuse, to prove git itself is told to refuse too (defence in depth).
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from kubedrift.desired import load_desired
from kubedrift.desired.git import GitSpec, checkout, parse_git_spec, worktree_state
from kubedrift.desired.gitsafe import check_revision, credentials_env, redact
from kubedrift.model import InputError

Git = Callable[..., str]

CM = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  v: '1'\n"


@pytest.fixture
def repo(tmp_path: Path, git: Git) -> Path:
    path = tmp_path / "repo"
    (path / "manifests").mkdir(parents=True)
    git("init", "-q", "-b", "main", path, cwd=tmp_path)
    (path / "manifests" / "cm.yaml").write_text(CM)
    git("add", "-A", cwd=path)
    git("commit", "-q", "-m", "first", cwd=path)
    return path


@pytest.fixture
def marker(tmp_path: Path) -> Path:
    return tmp_path / "PWNED"


def fails_cleanly(spec: str) -> InputError:
    with pytest.raises(InputError) as caught:
        load_desired([spec])
    assert "\n" not in str(caught.value)
    return caught.value


@pytest.mark.parametrize("form", ["file://{repo}@{rev}", "{repo}@{rev}", "file://{repo}//m@{rev}"])
@pytest.mark.parametrize(
    "rev",
    [
        "--upload-pack=touch {marker};git-upload-pack",
        "-uprintf>{marker}",
        "--config=core.sshCommand=touch {marker}",
        "main --upload-pack=touch {marker}",
    ],
)
def test_revision_cannot_become_a_git_option(repo: Path, marker: Path, form: str, rev: str) -> None:
    spec = form.format(repo=repo, rev=rev.format(marker=marker))

    error = fails_cleanly(spec)

    assert "invalid revision" in error.message
    assert not marker.exists()


@pytest.mark.parametrize(
    "rev", ["main", "v1.2", "feature/gpu-pool", "refs/pull/1/head", "0123abc", "a" * 40, "HEAD"]
)
def test_ordinary_revisions_are_accepted(rev: str) -> None:
    assert check_revision(rev, "spec") == rev


@pytest.mark.parametrize(
    "rev", ["", "-x", "a..b", "a@{1}", "x.lock", ".hidden", "a//b", "a/", "a.", "@", "a b", "a:b"]
)
def test_check_ref_format_rules_refuse(rev: str) -> None:
    with pytest.raises(InputError, match="invalid revision"):
        check_revision(rev, "spec")


def test_ext_transport_is_refused_by_git_itself(tmp_path: Path, marker: Path) -> None:
    spec = GitSpec(url=f"ext::sh -c touch% {marker}", rev=None, subdir="", repo="ext")

    with pytest.raises(InputError), checkout(spec, where="ext"):
        pass
    assert not marker.exists()
    assert parse_git_spec(f"ext::sh -c touch% {marker}@main") is None  # not a Git spec at all


@pytest.mark.parametrize(
    "url",
    [
        "ssh://-oProxyCommand=touch%20{marker}/repo",
        "ssh://git@-oProxyCommand=touch%20{marker}/repo",
        "--upload-pack=touch {marker}",
    ],
)
def test_url_that_reads_as_an_option_is_refused(url: str, marker: Path) -> None:
    text = url.format(marker=marker)
    if "://" in text:
        with pytest.raises(InputError, match="'-'"):
            parse_git_spec(text + "@main")
    # Given straight to git (past the parser), it is still never an option.
    with pytest.raises(InputError), checkout(GitSpec(text, "main", "", "x"), where="x"):
        pass
    assert not marker.exists()


def test_hooks_from_the_users_config_never_run(
    repo: Path, marker: Path, tmp_path: Path, git: Git
) -> None:
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    for name in ("post-checkout", "reference-transaction", "post-index-change"):
        hook = hooks / name
        hook.write_text(f"#!/bin/sh\ntouch {marker}\n")
        hook.chmod(0o755)
    git("config", "--global", "core.hooksPath", hooks, cwd=tmp_path)

    assert [o.ref.name for o in load_desired([f"file://{repo}@main"]).objects] == ["settings"]
    assert not marker.exists()


def test_submodule_with_an_ext_url_is_never_fetched(
    repo: Path, marker: Path, tmp_path: Path, git: Git
) -> None:
    git("config", "--global", "submodule.recurse", "true", cwd=tmp_path)
    git("config", "--global", "protocol.ext.allow", "always", cwd=tmp_path)
    (repo / ".gitmodules").write_text(
        f'[submodule "evil"]\n\tpath = evil\n\turl = ext::sh -c touch% {marker}\n'
    )
    head = git("rev-parse", "HEAD", cwd=repo)
    git("update-index", "--add", "--cacheinfo", f"160000,{head},evil", cwd=repo)
    git("add", ".gitmodules", cwd=repo)
    git("commit", "-q", "-m", "submodule", cwd=repo)

    assert [o.ref.name for o in load_desired([f"file://{repo}@main"]).objects] == ["settings"]
    assert not marker.exists()


def test_fsmonitor_of_a_local_repository_never_runs(repo: Path, marker: Path, git: Git) -> None:
    script = repo.parent / "fsmonitor.sh"
    script.write_text(f"#!/bin/sh\ntouch {marker}\n")
    script.chmod(0o755)
    git("config", "core.fsmonitor", script, cwd=repo)
    subprocess.run(["git", "status"], cwd=repo, capture_output=True, check=False)
    assert marker.exists(), "this git runs core.fsmonitor: the test proves something"
    marker.unlink()

    assert worktree_state(repo / "manifests").revision is not None
    load_desired([f"{repo}@main"])
    assert not marker.exists()


def test_symlink_out_of_the_repository_is_refused(repo: Path, tmp_path: Path, git: Git) -> None:
    secret = tmp_path / "admin.yaml"
    secret.write_text(CM.replace("settings", "stolen").replace("'1'", "'TOPSECRET'"))
    (repo / "manifests" / "evil.yaml").symlink_to(secret)
    git("add", "-A", cwd=repo)
    git("commit", "-q", "-m", "link", cwd=repo)

    error = fails_cleanly(f"file://{repo}@main")

    assert "symlink points out of the repository" in error.message
    assert error.where is not None
    assert error.where.endswith(":manifests/evil.yaml")
    assert "TOPSECRET" not in str(error)


def test_symlink_inside_the_repository_is_read(repo: Path, git: Git) -> None:
    (repo / "manifests" / "alias.yml").symlink_to("cm.yaml")
    (repo / "manifests" / "cm.yaml").rename(repo / "cm.yaml.txt")
    (repo / "manifests" / "alias.yml").unlink()
    (repo / "manifests" / "alias.yml").symlink_to("../cm.yaml.txt")
    git("add", "-A", cwd=repo)
    git("commit", "-q", "-m", "link", cwd=repo)

    assert [o.ref.name for o in load_desired([f"file://{repo}@main"]).objects] == ["settings"]


def test_credentials_in_a_url_never_reach_an_error(repo: Path) -> None:
    spec = "https://deploy:s3cr3t-token@127.0.0.1:9/org/repo.git@main"

    error = fails_cleanly(spec)

    assert "s3cr3t" not in str(error)
    assert "https://***@127.0.0.1:9" in str(error)
    assert parse_git_spec(spec) == GitSpec(
        "https://deploy:s3cr3t-token@127.0.0.1:9/org/repo.git",
        "main",
        "",
        "https://***@127.0.0.1:9/org/repo.git",
    )


def test_sources_and_locations_are_redacted(repo: Path) -> None:
    spec = f"file://tok3n@{repo}//manifests@main"  # a file URL with userinfo, read for real

    desired = load_desired([spec])

    assert desired.sources == (f"file://***@{repo}//manifests@main",)
    assert "tok3n" not in str(desired.objects[0].location)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("https://user:pw@host/x", "https://***@host/x"),
        ("fetch https://ghp_abc@github.com/o/r failed", "fetch https://***@github.com/o/r failed"),
        ("git@github.com:org/repo.git", "git@github.com:org/repo.git"),
        ("no url here", "no url here"),
    ],
)
def test_redact(text: str, expected: str) -> None:
    assert redact(text) == expected


def test_token_from_env_answers_gits_prompt_through_askpass(tmp_path: Path, git: Git) -> None:
    """Real git asks the helper for credentials; the helper file holds no secret."""
    token_file = tmp_path / "token"
    token_file.write_text("file-token-123\n")
    for environ, password in (
        ({"KUBEDRIFT_GIT_TOKEN": "env-token-456"}, "env-token-456"),
        ({"KUBEDRIFT_GIT_TOKEN_FILE": str(token_file)}, "file-token-123"),
    ):
        with credentials_env(environ) as env:
            helper = Path(env["GIT_ASKPASS"])
            assert helper.stat().st_mode & 0o077 == 0
            assert helper.parent.stat().st_mode & 0o077 == 0
            assert password not in helper.read_text()
            done = subprocess.run(
                ["git", "credential", "fill"],
                input="protocol=https\nhost=git.example.com\n\n",
                env={**env, **environ, "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
                capture_output=True,
                text=True,
                check=True,
            )
        assert "username=x-access-token" in done.stdout
        assert f"password={password}" in done.stdout
        assert not helper.exists()


def test_ssh_key_needs_known_hosts_and_checks_them(tmp_path: Path) -> None:
    with (
        pytest.raises(InputError, match="KNOWN_HOSTS"),
        credentials_env({"KUBEDRIFT_GIT_SSH_KEY_FILE": "/k"}),
    ):
        pass
    environ = {"KUBEDRIFT_GIT_SSH_KEY_FILE": "/keys/id x", "KUBEDRIFT_GIT_KNOWN_HOSTS_FILE": "/kh"}
    with credentials_env(environ) as env:
        command = env["GIT_SSH_COMMAND"]
    assert "StrictHostKeyChecking=yes" in command
    assert "'/keys/id x'" in command
    assert "UserKnownHostsFile=/kh" in command
