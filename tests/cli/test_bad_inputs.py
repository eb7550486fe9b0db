"""The bad-input corpus: every hostile or broken input ends in one line on stderr and exit 1.

Each case runs the real `kubedrift` program in a subprocess, with its address space
capped (`resource.setrlimit`, `MEMORY_LIMIT`) and a timeout, as a security reviewer ran
them (issue 12.8): no traceback, no hang, no memory blow-up, never exit 0 or 2, and the
one line names what is at fault. The cases run a few at a time in a thread pool (each
program start costs a second or more), then each is its own test.

Cases that need files build them in their own folder `{d}`; `{d}` in arguments is that
folder. `drop_dac` runs the program as root without the capabilities to bypass file
permissions, so "unreadable" means unreadable even in a root container.
"""

from __future__ import annotations

import ctypes
import gzip
import json
import os
import resource
import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest

KUBEDRIFT = Path(sys.executable).parent / "kubedrift"
MEMORY_LIMIT = 1024 * 1024 * 1024
TIMEOUT = 90

CM = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: x}\ndata: {k: v}\n"
LIVE = json.dumps(
    {
        "apiVersion": "v1",
        "kind": "List",
        "items": [
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": "a", "namespace": "x"},
                "data": {"k": "v"},
            }
        ],
    }
)
ALIAS_BOMB = "\n".join(
    ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    + [
        f"{chr(98 + i)}: &{chr(98 + i)} [" + ",".join([f"*{chr(97 + i)}"] * 9) + "]"
        for i in range(8)
    ]
)


def profile(expect: str) -> str:
    return (
        "apiVersion: kubedrift.io/v1alpha1\nkind: NodeProfile\nmetadata: {name: gpu}\n"
        f"spec:\n  nodeSelector: {{}}\n  expect:\n    {expect}\n"
    )


Setup = Callable[[Path], None]


@dataclass(frozen=True)
class Case:
    """One bad input: the arguments, the files it needs, and a word the error must hold."""

    id: str
    args: tuple[str, ...]
    files: dict[str, str | bytes] = field(default_factory=dict)
    expect: str | None = None
    setup: Setup | None = None
    drop_dac: bool = False
    env: dict[str, str] = field(default_factory=dict)
    absent: str | None = None  # a text the output must never hold (a secret, a marker)


def scan(*args: str) -> tuple[str, ...]:
    return ("scan", *args)


def with_live(desired: str, *args: str) -> tuple[str, ...]:
    return ("scan", "--desired", desired, *args, "--live", "{d}/live.json")


def _git_repo(d: Path, link_to: str | None = None) -> None:
    repo = d / "repo"
    (repo / "m").mkdir(parents=True)
    (repo / "m" / "cm.yaml").write_text(CM)
    if link_to:
        (repo / "m" / "evil.yaml").symlink_to(link_to)
    env = {**os.environ, "HOME": str(d), "GIT_CONFIG_NOSYSTEM": "1"}
    for argv in (
        ["init", "-q", "-b", "main"],
        ["add", "-A"],
        ["-c", "user.name=t", "-c", "user.email=t@e", "commit", "-q", "-m", "x"],
    ):
        subprocess.run(["git", *argv], cwd=repo, env=env, check=True, capture_output=True)


def _gzip_bomb(d: Path) -> None:
    with gzip.open(d / "bomb.json.gz", "wb", compresslevel=9) as f:
        zeros = b" " * (1024 * 1024)
        for _ in range(200):
            f.write(zeros)


def _unreadable_subfolder(d: Path) -> None:
    (d / "desired" / "sub").mkdir(parents=True)
    (d / "desired" / "a.yaml").write_text(CM)
    (d / "desired" / "sub" / "b.yaml").write_text(CM.replace("name: a", "name: b"))
    (d / "desired" / "sub").chmod(0)


def _unreadable_file(d: Path) -> None:
    (d / "cm.yaml").write_text(CM)
    (d / "cm.yaml").chmod(0)


def _fifo(d: Path) -> None:
    os.mkfifo(d / "pipe.yaml")


def _looping_symlinks(d: Path) -> None:
    (d / "desired").mkdir()
    (d / "desired" / "self.yaml").symlink_to("self.yaml")
    (d / "desired" / "a.yaml").symlink_to("b.yaml")
    (d / "desired" / "b.yaml").symlink_to("a.yaml")


def _huge_scalar(d: Path) -> None:
    (d / "huge.yaml").write_bytes(b"a" * (40 * 1024 * 1024))


def _live_loop(d: Path) -> None:
    (d / "snap").mkdir()
    (d / "snap" / "live.json").write_text(LIVE)
    (d / "snap" / "loop").symlink_to("..")
    (d / "snap" / "bad.yaml").symlink_to("bad.yaml")


LIST2 = json.dumps(
    {
        "apiVersion": "v1",
        "kind": "List",
        "items": [
            {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a", "namespace": "x"}}
        ]
        * 2,
    }
)

CASES: list[Case] = [
    # -- from the issue -------------------------------------------------------------------
    Case("deep-json-live", (*with_live("{d}/cm.yaml")[:-1], "{d}/deep.json"),
         {"cm.yaml": CM, "deep.json": "[" * 50_000 + "]" * 50_000}, "deep.json"),
    Case("deep-json-desired", with_live("{d}/deep.json"),
         {"live.json": LIVE, "deep.json": "[" * 50_000 + "]" * 50_000}, "nested deeper"),
    Case("deep-yaml", with_live("{d}/deep.yaml"),
         {"live.json": LIVE, "deep.yaml": "[" * 50_000 + "]" * 50_000}, "deep.yaml"),
    Case("5000-digit-int-json", with_live("{d}/big.json"),
         {"live.json": LIVE,
          "big.json": '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a"},"data":'
                      + "9" * 5000 + "}"}, "big.json"),
    Case("5000-digit-int-yaml", with_live("{d}/big.yaml"),
         {"live.json": LIVE, "big.yaml": CM + "spec: " + "9" * 5000 + "\n"}, "integer too large"),
    Case("unreadable-subfolder", with_live("{d}/desired"), {"live.json": LIVE},
         "sub", setup=_unreadable_subfolder, drop_dac=True),
    Case("unreadable-file", with_live("{d}/cm.yaml"), {"live.json": LIVE}, "cm.yaml",
         setup=_unreadable_file, drop_dac=True),
    Case("binary-kubeconfig", scan("--desired", "{d}/cm.yaml", "--kubeconfig", "{d}/kc"),
         {"cm.yaml": CM, "kc": bytes(range(256)) * 8}, "kc"),
    Case("kubeconfig-a-list", scan("--desired", "{d}/cm.yaml", "--kubeconfig", "{d}/kc"),
         {"cm.yaml": CM, "kc": "- a\n- b\n"}, "kc"),
    Case("kubeconfig-missing", scan("--desired", "{d}/cm.yaml", "--kubeconfig", "{d}/none"),
         {"cm.yaml": CM}, "none"),
    Case("kubeconfig-a-folder", scan("--desired", "{d}/cm.yaml", "--kubeconfig", "{d}"),
         {"cm.yaml": CM}),
    Case("postgres-without-driver", ("history", "--store", "postgresql://u:pw9@127.0.0.1:1/db"),
         {"psycopg/__init__.py": "raise ImportError('no pq wrapper available')\n"},
         "psycopg", env={"PYTHONPATH": "{d}"}, absent="pw9"),
    Case("unwritable-out", ("simulate", "--nodes", "10", "--out", "{d}/ro/fleet.json"),
         {"ro/.keep": ""}, "fleet.json", setup=lambda d: (d / "ro").chmod(0o500), drop_dac=True),
    Case("out-in-missing-folder", ("simulate", "--nodes", "10", "--out", "{d}/no/such/f.json"),
         {}, "f.json"),
    Case("out-is-a-folder", ("simulate", "--nodes", "10", "--out", "{d}"), {}),
    Case("git-symlink-out-of-repo", with_live("file://{d}/repo@main"), {"live.json": LIVE},
         "symlink points out of the repository", setup=lambda d: _git_repo(d, "/etc/passwd"),
         absent="root:"),
    Case("empty-desired-file", with_live("{d}/empty.yaml"), {"live.json": LIVE, "empty.yaml": ""},
         "empty.yaml"),
    Case("looping-symlinks", with_live("{d}/desired"), {"live.json": LIVE}, "symlink",
         setup=_looping_symlinks),
    Case("duplicate-objects-in-snapshot", (*with_live("{d}/cm.yaml")[:-1], "{d}/dup.json"),
         {"cm.yaml": CM, "dup.json": LIST2}, "dup.json"),
    Case("duplicate-yaml-keys", with_live("{d}/dup.yaml"),
         {"live.json": LIVE, "dup.yaml": CM + "data: {k: w}\n"}, "already defined"),
    Case("agent-host-root-missing", ("agent", "--dry-run", "--host-root", "{d}/nonexistent"),
         {}, "nonexistent"),
    Case("agent-sysctl-traversal", ("agent", "--dry-run", "--host-root", "{d}",
                                    "--sysctl", "../../../etc/passwd"),
         {"etc/passwd": "root:SECRET\n"}, "invalid sysctl name", absent="SECRET"),
    Case("agent-sysctl-dots", ("agent", "--dry-run", "--host-root", "{d}", "--sysctl", ".."),
         {}, "invalid sysctl name"),
    # -- flags and usage ------------------------------------------------------------------
    Case("unknown-flag", with_live("{d}/cm.yaml", "--bogus"), {"cm.yaml": CM}, "--bogus"),
    Case("unknown-command", ("frobnicate",), {}, "frobnicate"),
    Case("bad-output-format", with_live("{d}/cm.yaml", "-o", "xml"), {"cm.yaml": CM}, "xml"),
    Case("bad-fail-on", with_live("{d}/cm.yaml", "--fail-on", "extreme"), {"cm.yaml": CM},
         "extreme"),
    Case("flag-without-value", ("scan", "--desired"), {}, "--desired"),
    Case("simulate-too-many-nodes", ("simulate", "--nodes", "100000", "--out", "{d}/f.json"),
         {}, "--nodes"),
    Case("simulate-nodes-not-a-number", ("simulate", "--nodes", "many"), {}, "--nodes"),
    Case("simulate-nowhere", ("simulate", "--nodes", "10"), {}, "--out"),
    Case("simulate-drift-rate", ("simulate", "--drift-rate", "2", "--out", "{d}/f.json"), {},
         "--drift-rate"),
    Case("watch-bad-listen", ("watch", "--listen", "nope", "--store", "{d}/t.db"), {}, "nope"),
    Case("watch-negative-interval", ("watch", "--desired-interval", "-1", "--store", "{d}/t.db"),
         {}, "--desired-interval"),
    Case("watch-bad-log-level", ("watch", "--log-level", "loud", "--store", "{d}/t.db"), {},
         "loud"),
    Case("agent-bad-file-spec", ("agent", "--dry-run", "--host-root", "{d}", "--file", "nope"),
         {}, "nope"),
    Case("agent-relative-file", ("agent", "--dry-run", "--host-root", "{d}", "--file", "a=etc/x"),
         {}, "absolute"),
    Case("agent-duplicate-file-id", ("agent", "--dry-run", "--host-root", "{d}", "--file",
                                     "a=/x", "--file", "a=/y"), {}, "twice"),
    Case("agent-publish-without-node", ("agent", "--host-root", "{d}"), {}, "--node-name",
         env={"NODE_NAME": ""}),
    # -- files that are not what they claim -----------------------------------------------
    Case("missing-desired", with_live("{d}/none.yaml"), {"live.json": LIVE}, "none.yaml"),
    Case("missing-live", scan("--desired", "{d}/cm.yaml", "--live", "{d}/none.json"),
         {"cm.yaml": CM}, "none.json"),
    Case("unknown-suffix", with_live("{d}/cm.txt"), {"live.json": LIVE, "cm.txt": CM}, "cm.txt"),
    Case("live-dev-null", scan("--desired", "{d}/cm.yaml", "--live", "/dev/null"),
         {"cm.yaml": CM}, "/dev/null"),
    Case("desired-fifo", with_live("{d}/pipe.yaml"), {"live.json": LIVE}, "pipe.yaml",
         setup=_fifo),
    Case("non-utf8-yaml", with_live("{d}/l1.yaml"),
         {"live.json": LIVE, "l1.yaml": CM.encode().replace(b"v}", b"\xe9\xff}")}, "l1.yaml"),
    Case("non-utf8-json", scan("--desired", "{d}/cm.yaml", "--live", "{d}/l1.json"),
         {"cm.yaml": CM, "l1.json": LIVE.encode().replace(b'"v"', b'"\xff\xfe"')}, "UTF-8"),
    Case("nul-bytes-yaml", with_live("{d}/nul.yaml"),
         {"live.json": LIVE, "nul.yaml": CM.encode().replace(b"data", b"da\x00ta")}, "nul.yaml"),
    Case("nul-bytes-json", scan("--desired", "{d}/cm.yaml", "--live", "{d}/nul.json"),
         {"cm.yaml": CM, "nul.json": b"\x00" * 64}, "nul.json"),
    Case("utf16-yaml", with_live("{d}/u16.yaml"),
         {"live.json": LIVE, "u16.yaml": "kind: [".encode("utf-16")}, "u16.yaml"),
    Case("tabs-yaml", with_live("{d}/tab.yaml"),
         {"live.json": LIVE, "tab.yaml": "a:\n\tb: c\n"}, "tab.yaml"),
    Case("truncated-json", scan("--desired", "{d}/cm.yaml", "--live", "{d}/t.json"),
         {"cm.yaml": CM, "t.json": LIVE[:40]}, "t.json"),
    Case("json-number", scan("--desired", "{d}/cm.yaml", "--live", "{d}/n.json"),
         {"cm.yaml": CM, "n.json": "42"}, "n.json"),
    Case("json-nan", scan("--desired", "{d}/cm.yaml", "--live", "{d}/n.json"),
         {"cm.yaml": CM, "n.json": '{"a": NaN}'}, "n.json"),
    Case("bad-gzip", scan("--desired", "{d}/cm.yaml", "--live", "{d}/x.json.gz"),
         {"cm.yaml": CM, "x.json.gz": b"not gzip at all"}, "gzip"),
    Case("truncated-gzip", scan("--desired", "{d}/cm.yaml", "--live", "{d}/x.json.gz"),
         {"cm.yaml": CM, "x.json.gz": gzip.compress(LIVE.encode())[:30]}, "x.json.gz"),
    Case("gzip-bomb", scan("--desired", "{d}/cm.yaml", "--live", "{d}/bomb.json.gz"),
         {"cm.yaml": CM}, "gzip bomb", setup=_gzip_bomb),
    Case("yaml-alias-bomb-desired", with_live("{d}/bomb.yaml"),
         {"live.json": LIVE, "bomb.yaml": ALIAS_BOMB}, "alias"),
    Case("yaml-alias-bomb-live", scan("--desired", "{d}/cm.yaml", "--live", "{d}/bomb.yaml"),
         {"cm.yaml": CM, "bomb.yaml": ALIAS_BOMB}, "alias"),
    Case("huge-scalar-file", with_live("{d}/huge.yaml"), {"live.json": LIVE}, "huge.yaml",
         setup=_huge_scalar),
    Case("live-folder-with-loops", scan("--desired", "{d}/cm.yaml", "--live", "{d}/snap"),
         {"cm.yaml": CM}, "bad.yaml", setup=_live_loop),
    Case("name-too-long", with_live("{d}/" + "x" * 300 + ".yaml"), {"live.json": LIVE},
         "too long"),
    Case("newline-in-path", with_live("{d}/no\nsuch.yaml"), {"live.json": LIVE}, "such.yaml"),
    # -- documents of the wrong shape -----------------------------------------------------
    Case("scalar-document", with_live("{d}/s.yaml"), {"live.json": LIVE, "s.yaml": "hello\n"},
         "s.yaml, document 1"),
    Case("list-document", with_live("{d}/l.yaml"), {"live.json": LIVE, "l.yaml": "- 1\n- 2\n"},
         "mapping"),
    Case("missing-kind", with_live("{d}/k.yaml"),
         {"live.json": LIVE, "k.yaml": "apiVersion: v1\nmetadata: {name: a}\n"}, "kind"),
    Case("missing-apiversion", with_live("{d}/k.yaml"),
         {"live.json": LIVE, "k.yaml": "kind: ConfigMap\nmetadata: {name: a}\n"}, "apiVersion"),
    Case("metadata-a-list", with_live("{d}/k.yaml"),
         {"live.json": LIVE, "k.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: [a]\n"},
         "metadata"),
    Case("name-a-number", with_live("{d}/k.yaml"),
         {"live.json": LIVE, "k.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: 7}\n"},
         "metadata.name"),
    Case("name-with-newline", with_live("{d}/k.yaml"),
         {"live.json": LIVE, "k.yaml": CM + "---\n" + CM.replace("name: a", 'name: "a"')
          + "---\n" + CM.replace("name: a", 'name: "a\\nb"').replace("a, namespace", "a2, ns")},
         "k.yaml"),
    Case("namespace-a-mapping", with_live("{d}/k.yaml"),
         {"live.json": LIVE,
          "k.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: {x: 1}}\n"},
         "namespace"),
    Case("items-not-a-list", scan("--desired", "{d}/cm.yaml", "--live", "{d}/i.json"),
         {"cm.yaml": CM, "i.json": '{"apiVersion":"v1","kind":"List","items":{"a":1}}'}, "items"),
    Case("generate-name-only", with_live("{d}/g.yaml"),
         {"live.json": LIVE,
          "g.yaml": "apiVersion: v1\nkind: Pod\nmetadata: {generateName: job-}\n"},
         "generateName"),
    Case("duplicate-desired-objects", with_live("{d}/a.yaml", "--desired", "{d}/b.yaml"),
         {"live.json": LIVE, "a.yaml": CM, "b.yaml": CM}, "defined twice"),
    Case("unknown-kubedrift-kind", with_live("{d}/k.yaml"),
         {"live.json": LIVE, "k.yaml": "apiVersion: kubedrift.io/v1alpha1\nkind: Thing\n"
                                       "metadata: {name: a}\n"}, "Thing"),
    # -- NodeProfiles and config ----------------------------------------------------------
    Case("profile-backreference-regex", with_live("{d}/p.yaml"),
         {"live.json": LIVE, "p.yaml": profile('label:a: {regex: "(a)\\\\1"}')}, "regex"),
    Case("profile-bad-regex", with_live("{d}/p.yaml"),
         {"live.json": LIVE, "p.yaml": profile('label:a: {regex: "(unclosed"}')}, "regex"),
    Case("profile-huge-quantity", with_live("{d}/p.yaml"),
         {"live.json": LIVE, "p.yaml": profile('capacity:memory: "1e100000000"')}, "out of range"),
    Case("profile-bad-version-range", with_live("{d}/p.yaml"),
         {"live.json": LIVE, "p.yaml": profile('label:a: {version: ">>1"}')}, "p.yaml"),
    Case("profile-unknown-matcher", with_live("{d}/p.yaml"),
         {"live.json": LIVE, "p.yaml": profile("label:a: {like: x}")}, "like"),
    Case("profile-bad-selector", with_live("{d}/p.yaml"),
         {"live.json": LIVE,
          "p.yaml": profile("label:a: b").replace("nodeSelector: {}",
                                                  "nodeSelector: {matchExpressions: [{key: a, "
                                                  "operator: Near}]}")}, "p.yaml"),
    Case("config-missing", with_live("{d}/cm.yaml", "--config", "{d}/none.yaml"), {"cm.yaml": CM},
         "none.yaml"),
    Case("config-binary", with_live("{d}/cm.yaml", "--config", "{d}/c.yaml"),
         {"cm.yaml": CM, "c.yaml": bytes(range(256))}, "c.yaml"),
    Case("config-wrong-kind", with_live("{d}/cm.yaml", "--config", "{d}/c.yaml"),
         {"cm.yaml": CM, "c.yaml": CM}, "c.yaml"),
    # -- Git ------------------------------------------------------------------------------
    Case("git-rev-option-injection",
         with_live("file://{d}/repo@--upload-pack=touch {d}/PWNED;git-upload-pack"),
         {"live.json": LIVE}, "invalid revision", setup=_git_repo),
    Case("git-local-rev-injection", with_live("{d}/repo@-uecho"), {"live.json": LIVE},
         "invalid revision", setup=_git_repo),
    Case("git-unknown-revision", with_live("file://{d}/repo@nope"), {"live.json": LIVE},
         "nope", setup=_git_repo),
    Case("git-missing-subdir", with_live("file://{d}/repo//nothere@main"), {"live.json": LIVE},
         "nothere", setup=_git_repo),
    Case("git-subdir-escape", with_live("file://{d}/repo//../..@main"), {"live.json": LIVE},
         setup=_git_repo),
    Case("git-credentials-unreachable",
         with_live("https://deploy:tok3n-9@127.0.0.1:9/org/repo.git@main"), {"live.json": LIVE},
         "127.0.0.1", absent="tok3n"),
    Case("git-ext-transport", with_live("ext::sh -c touch% {d}/PWNED"), {"live.json": LIVE},
         "no such"),
    Case("git-ssh-option-host", with_live("ssh://-oProxyCommand=touch%20{d}/PWNED/x@main"),
         {"live.json": LIVE}, "'-'"),
    Case("git-rev-outside-git", with_live("{d}/plain@main"), {"live.json": LIVE, "plain/a": ""},
         "Git"),
    # -- stores and time windows ----------------------------------------------------------
    Case("store-not-sqlite", ("history", "--store", "{d}/x.db"), {"x.db": b"\x00garbage" * 100},
         "x.db"),
    Case("store-a-folder", ("history", "--store", "{d}"), {}),
    Case("store-unsupported-url", ("history", "--store", "mysql://u:p4ss@h/db"), {},
         "unsupported", absent="p4ss"),
    Case("store-unreachable-postgres", ("history", "--store", "postgresql://u:p4ss@127.0.0.1:1/d"),
         {}, "127.0.0.1", absent="p4ss"),
    Case("history-bad-since", ("history", "--store", "{d}/t.db", "--since", "yesterdayish"), {},
         "yesterdayish"),
    Case("history-future-window", ("history", "--store", "{d}/t.db", "--since", "2030-01-01",
                                   "--until", "2020-01-01"), {}),
    Case("history-bad-id", ("history", "--store", "{d}/t.db", "--id", "abc"), {}, "--id"),
    Case("timeline-bad-since", ("timeline", "--store", "{d}/t.db", "--since", "-5x"), {}, "-5x"),
    Case("timeline-huge-since", ("timeline", "--store", "{d}/t.db", "--since", "9" * 5000 + "d"),
         {}),
    Case("timeline-bad-severity", ("timeline", "--store", "{d}/t.db", "--severity", "meh"), {},
         "meh"),
    # -- diff -----------------------------------------------------------------------------
    Case("diff-missing", ("diff", "{d}/a.yaml", "{d}/b.yaml"), {}, "a.yaml"),
    Case("diff-binary", ("diff", "{d}/a.yaml", "{d}/b.yaml"),
         {"a.yaml": CM, "b.yaml": bytes(range(256)) * 4}, "b.yaml"),
    Case("diff-one-argument", ("diff", "{d}/a.yaml"), {"a.yaml": CM}),
]  # fmt: skip


# -- running --------------------------------------------------------------------------------

_PR_CAPBSET_DROP = 24
_CAP_DAC_OVERRIDE, _CAP_DAC_READ_SEARCH = 1, 2


def _limits(drop_dac: bool) -> Callable[[], None]:
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
        if drop_dac and os.geteuid() == 0:
            # Root keeps uid 0 but loses the capabilities that ignore file modes: at exec,
            # its permitted set is the bounding set (capabilities(7)).
            libc = ctypes.CDLL(None, use_errno=True)
            for cap in (_CAP_DAC_OVERRIDE, _CAP_DAC_READ_SEARCH):
                if libc.prctl(_PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
                    raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")

    return apply


@dataclass(frozen=True)
class Outcome:
    code: int | None
    stdout: str
    stderr: str
    folder: Path


def _prepare(case: Case, root: Path) -> Path:
    d = root / case.id
    d.mkdir()
    (d / "home").mkdir()
    for rel, content in case.files.items():
        path = d / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
    if case.setup is not None:
        case.setup(d)
    return d


def _run(case: Case, root: Path) -> Outcome:
    d = _prepare(case, root)
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(d / "home"),
        "KUBECONFIG": str(d / "home" / "no-kubeconfig"),
        "NO_COLOR": "1",
        "GIT_CONFIG_NOSYSTEM": "1",
        **{k: v.format(d=d) for k, v in case.env.items()},
    }
    argv = [str(KUBEDRIFT), *(a.format(d=d) for a in case.args)]
    try:
        done = subprocess.run(
            argv,
            capture_output=True,
            text=True,
            errors="replace",
            env=env,
            cwd=d,
            timeout=TIMEOUT,
            preexec_fn=_limits(case.drop_dac),
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        return Outcome(None, "", f"timed out after {exc.timeout} s", d)
    return Outcome(done.returncode, done.stdout, done.stderr, d)


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Outcome]:
    root = tmp_path_factory.mktemp("bad-inputs")
    root.chmod(0o755)
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = pool.map(lambda case: (case.id, _run(case, root)), CASES)
        return dict(results)


def test_case_ids_are_unique() -> None:
    ids = [case.id for case in CASES]
    assert len(ids) == len(set(ids))


@pytest.mark.timeout(1800)  # the first case runs the whole corpus (module fixture)
@pytest.mark.parametrize(
    "case",
    CASES,
    ids=[case.id for case in CASES],
)
def test_bad_input_is_one_line_and_exit_1(case: Case, outcomes: dict[str, Outcome]) -> None:
    outcome = outcomes[case.id]
    stderr = outcome.stderr
    shown = f"exit {outcome.code}, stderr: {stderr[-2000:]!r}"
    assert "Traceback" not in stderr, shown
    assert outcome.code == 1, shown
    assert stderr.endswith("\n"), shown
    assert stderr.count("\n") == 1, shown
    assert stderr.startswith("kubedrift: error: "), shown
    if case.expect is not None:
        assert case.expect.format(d=outcome.folder) in stderr, shown
    if case.absent is not None:
        assert case.absent not in stderr + outcome.stdout, shown
    assert not (outcome.folder / "PWNED").exists(), "an injected command ran"
