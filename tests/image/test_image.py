"""The OCI image `make image` builds, run for real with buildah (chroot isolation).

The archive dist/kubedrift-<version>.oci.tar is made by `make image` (scripts/build-image.sh;
`make test` builds it before the tests). Each test pulls it into a throwaway buildah store
and runs it: `--version`, `scan` of the bundled example, and the controller exactly as the
chart's Deployment runs it — the same arguments (read from `helm template`), a
ServiceAccount token and CA at /var/run/secrets/kubernetes.io/serviceaccount, in-cluster
configuration from KUBERNETES_SERVICE_HOST/PORT — against the real test apiserver.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from deploy.test_manifests import apply, call, run
from kubedrift import __version__
from kubedrift.cluster.connection import Connection
from kubedrift.cluster.discovery import Discovery
from support.apiserver import ApiServer, free_port

ROOT = Path(__file__).resolve().parents[2]
ARCHIVE = ROOT / "dist" / f"kubedrift-{__version__}.oci.tar"
SBOM = ROOT / "dist" / f"kubedrift-{__version__}.sbom.json"
CACHE = Path(os.environ.get("KUBEDRIFT_CACHE", Path.home() / ".cache" / "kubedrift"))
HELM = CACHE / "tools" / "bin" / "helm"
NAMESPACE = "kubedrift-system"

pytestmark = pytest.mark.skipif(
    shutil.which("buildah") is None or not ARCHIVE.is_file(),
    reason=f"no buildah or no {ARCHIVE.name} (run `make image`)",
)


class Image:
    """The archive pulled into a buildah store of its own."""

    def __init__(self, store: Path) -> None:
        self.flags = ["--storage-driver", "vfs", "--root", str(store / "root"),
                      "--runroot", str(store / "run")]  # fmt: skip
        self.ctr = self.buildah("from", "--quiet", f"oci-archive:{ARCHIVE}").stdout.strip()
        inspected = json.loads(self.buildah("inspect", self.ctr).stdout)
        self.config: dict[str, Any] = inspected["OCIv1"]["config"]

    def buildah(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["buildah", *self.flags, *args], capture_output=True, text=True,
                              check=True, timeout=120)  # fmt: skip

    def argv(self, *args: str, env: dict[str, str] | None = None,
             volumes: tuple[str, ...] = ()) -> list[str]:  # fmt: skip
        """`buildah run` of the entry point with `args`, as the image's user."""
        cmd = ["buildah", *self.flags, "run", "--isolation", "chroot",
               "--user", self.config["User"]]  # fmt: skip
        for name, value in (env or {}).items():
            cmd += ["--env", f"{name}={value}"]
        for volume in volumes:
            cmd += ["--volume", volume]
        return [*cmd, self.ctr, "--", *self.config["Entrypoint"], *args]

    def close(self) -> None:
        self.buildah("rm", self.ctr)


@pytest.fixture(scope="module")
def image(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Image]:
    img = Image(tmp_path_factory.mktemp("buildah"))
    yield img
    img.close()


def test_the_image_is_non_root_labelled_and_small(image: Image) -> None:
    assert image.config["User"] == "65532:65532"
    assert image.config["Entrypoint"] == ["/opt/kubedrift/bin/kubedrift"]
    labels = image.config["Labels"]
    assert labels["org.opencontainers.image.version"] == __version__
    assert labels["org.opencontainers.image.title"] == "kubedrift"
    assert ARCHIVE.stat().st_size < 150 * 2**20


def test_the_sbom_lists_debian_and_python_packages() -> None:
    sbom = json.loads(SBOM.read_text())
    debian = {p["name"] for p in sbom["debian"]}
    python = {p["name"].lower(): p["version"] for p in sbom["python"]}
    assert {"python3", "git", "ca-certificates"} <= debian
    assert python["kubedrift"] == __version__
    assert {"lightkube", "httpx2", "fastapi"} <= set(python)


def test_kubedrift_version_runs_in_the_image(image: Image) -> None:
    argv = image.argv("--version")
    done = subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"kubedrift {__version__}\n"


def test_scan_of_the_bundled_example_runs_in_the_image(image: Image) -> None:
    example = "/usr/share/kubedrift/examples/gpu-platform"
    done = subprocess.run(
        image.argv("scan", "--desired", f"{example}/desired", "--live", f"{example}/live.json",
                   "-o", "json"),
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr  # drift found
    assert json.loads(done.stdout)["summary"]["findings"] > 0


# -- the controller as the chart's Deployment runs it ---------------------------------------


def _deployment(port: int) -> dict[str, Any]:
    out = subprocess.run(
        [str(HELM), "template", "kubedrift", str(ROOT / "charts" / "kubedrift"),
         "--namespace", NAMESPACE, "--set", f"controller.port={port}"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    docs = [d for d in yaml.safe_load_all(out) if d]
    return {"docs": docs, "deployment": next(d for d in docs if d["kind"] == "Deployment")}


def _install_account(apiserver: ApiServer, docs: list[dict[str, Any]], folder: Path) -> None:
    """Apply the chart's account and roles for real; its token and the CA into `folder`."""
    wanted = ("ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding")

    async def go(conn: Connection) -> None:
        discovery = Discovery(conn)
        ns = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}}
        for doc in [ns, *(d for d in docs if d["kind"] in wanted)]:
            status, answer = await apply(conn, discovery, doc, dry_run=False)
            assert status in (200, 201), answer
        path = f"/api/v1/namespaces/{NAMESPACE}/serviceaccounts/kubedrift-controller/token"
        status, body = await call(conn, "POST", path, {"spec": {"expirationSeconds": 900}})
        assert status == 201, body
        (folder / "token").write_text(json.loads(body)["status"]["token"])

    run(go, apiserver.kubeconfig)
    shutil.copy(apiserver.ca_file, folder / "ca.crt")
    (folder / "namespace").write_text(NAMESPACE)


def _expand(value: str, env: dict[str, str]) -> str:
    """$(VAR) as the kubelet expands it in args."""
    return re.sub(r"\$\((\w+)\)", lambda m: env.get(m.group(1), m.group(0)), value)


def _entry_pid(session: int) -> int:
    """The image's entry point process in a session (chroot isolation shares our PIDs).

    Its forked children (the desired-state worker) have the same command line: the one
    whose parent is not among them is the entry point.
    """
    found: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            cmdline = (stat.parent / "cmdline").read_bytes()
        except OSError:
            continue
        argv = cmdline.split(b"\0")
        # python3 running the entry point script, not buildah-chroot-exec (whose arguments
        # are the same command line)
        entry = [b"/opt/kubedrift/bin/python3", b"/opt/kubedrift/bin/kubedrift"]
        if int(fields[3]) == session and argv[:2] == entry:
            found[int(stat.parent.name)] = int(fields[1])
    (root,) = (pid for pid, parent in found.items() if parent not in found)
    return root


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:
            return resp.status, resp.read().decode()
    except OSError:
        return 0, ""


def test_the_controller_runs_in_the_image_as_the_deployment_would(
    image: Image, apiserver: ApiServer, tmp_path: Path
) -> None:
    port = free_port()
    rendered = _deployment(port)
    pod = rendered["deployment"]["spec"]["template"]["spec"]
    (ctr,) = pod["containers"]
    account = tmp_path / "serviceaccount"
    account.mkdir()
    _install_account(apiserver, rendered["docs"], account)
    host, api_port = apiserver.url.removeprefix("https://").rsplit(":", 1)
    env = {"POD_NAME": "kubedrift-controller-0", "POD_NAMESPACE": NAMESPACE,
           "KUBERNETES_SERVICE_HOST": host, "KUBERNETES_SERVICE_PORT": api_port}  # fmt: skip
    assert {e["name"] for e in ctr["env"]} == {"POD_NAME", "POD_NAMESPACE"}
    args = [_expand(a, env) for a in ctr["args"]]
    store = tmp_path / "store"
    store.mkdir(mode=0o777)
    scratch = tmp_path / "tmp"
    scratch.mkdir(mode=0o1777)
    store.chmod(0o777)
    scratch.chmod(0o1777)
    # The kubelet mounts the token at /var/run/secrets/...; Debian's /var/run is a link to
    # /run, which the runtime resolves inside the root filesystem (runc's securejoin), so
    # the mount lands on /run/secrets/... — buildah does not resolve it: give it resolved.
    volumes = (f"{account}:/run/secrets/kubernetes.io/serviceaccount:ro",
               f"{store}:/var/lib/kubedrift", f"{scratch}:/tmp")  # fmt: skip
    proc = subprocess.Popen(image.argv(*args, env=env, volumes=volumes),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)  # fmt: skip
    try:
        deadline = time.monotonic() + 90
        metrics = ""
        while time.monotonic() < deadline and proc.poll() is None:
            ready, _ = _get(f"http://127.0.0.1:{port}/readyz")
            _, metrics = _get(f"http://127.0.0.1:{port}/metrics")
            if ready == 200 and re.search(r"^kubedrift_leader(\{[^}]*\})? 1\.0$", metrics, re.M):
                break
            time.sleep(0.5)
        assert proc.poll() is None, "the controller exited"
        assert re.search(r"^kubedrift_leader(\{[^}]*\})? 1\.0$", metrics, re.M), metrics[-2000:]
        lease = apiserver.get(f"/apis/coordination.k8s.io/v1/namespaces/{NAMESPACE}"
                              "/leases/kubedrift-controller")  # fmt: skip
        assert lease[0] == 200
        assert json.loads(lease[1])["spec"]["holderIdentity"] == "kubedrift-controller-0"
    except AssertionError:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        raise AssertionError(proc.communicate(timeout=60)[0][-4000:]) from None
    # SIGTERM to kubedrift itself, as the runtime stops the pod (buildah would SIGKILL it).
    os.kill(_entry_pid(proc.pid), signal.SIGTERM)
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0, out[-3000:]
    assert (store / "timeline.db").exists()


@pytest.mark.skipif(shutil.which("skopeo") is None, reason="no skopeo")
def test_skopeo_copies_the_archive_as_the_readme_says(tmp_path: Path) -> None:
    # README: `skopeo copy oci-archive:… docker://registry/…`; no registry here, so the same
    # copy to a local OCI layout, then the copy is inspected as a registry image would be.
    target = f"oci:{tmp_path / 'layout'}:kubedrift:{__version__}"
    subprocess.run(["skopeo", "copy", "--quiet", f"oci-archive:{ARCHIVE}", target],
                   check=True, capture_output=True, timeout=300)  # fmt: skip
    shown = subprocess.run(["skopeo", "inspect", target], check=True, capture_output=True,
                           text=True, timeout=60)  # fmt: skip
    info = json.loads(shown.stdout)
    assert info["Labels"]["org.opencontainers.image.version"] == __version__
    assert info["Architecture"] == "amd64"


def test_a_git_source_is_read_in_the_image(image: Image, tmp_path: Path) -> None:
    # The image's git (perl's modules removed) fetches and checks out a revision.
    repo = tmp_path / "gitops"
    shutil.copytree(ROOT / "examples" / "gpu-platform" / "desired", repo / "clusters" / "prod")
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "desired"], check=True)
    revision = subprocess.run([*git, "rev-parse", "HEAD"], capture_output=True, text=True,
                              check=True).stdout.strip()  # fmt: skip
    # owned by the image's user, or git refuses it (safe.directory)
    subprocess.run(["chown", "-R", "65532:65532", str(repo)], check=True)
    live = "/usr/share/kubedrift/examples/gpu-platform/live.json"
    spec = "file:///srv/gitops//clusters/prod@main"
    volumes = (f"{repo}:/srv/gitops:ro",)
    argv = image.argv("scan", "--desired", spec, "--live", live, "-o", "json", volumes=volumes)
    done = subprocess.run(argv, capture_output=True, text=True, timeout=180, check=False)
    assert done.returncode == 2, done.stderr
    report = json.loads(done.stdout)
    assert report["summary"]["findings"] > 0
    assert revision in {f.get("revision") for f in report["findings"]}


def test_the_unpacked_image_is_under_150_mb(image: Image) -> None:
    # du counts each hardlinked file once, as the layer tar stores it once.
    root = image.buildah("mount", image.ctr).stdout.strip()
    try:
        done = subprocess.run(["du", "-sxk", root], capture_output=True, text=True, check=True)
    finally:
        image.buildah("umount", image.ctr)
    size_kib = int(done.stdout.split()[0])
    assert size_kib < 150 * 1024, f"{size_kib / 1024:.0f} MiB unpacked"


def _in_image(image: Image, *argv: str) -> subprocess.CompletedProcess[str]:
    cmd = ["buildah", *image.flags, "run", "--isolation", "chroot", "--user",
           image.config["User"], image.ctr, "--", *argv]  # fmt: skip
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)


def test_git_keeps_what_kubedrift_runs_after_the_size_cuts(image: Image) -> None:
    # HTTPS fetches go through git-remote-https: present, and answering as remote-curl.
    https = _in_image(image, "git", "remote-https")
    assert "not a git command" not in https.stderr
    assert "remote-curl" in https.stderr, https.stderr
    # upload-pack (file:// fetches) is a builtin reached through git-core's symlinks
    upload = _in_image(image, "git", "upload-pack", "/nonexistent")
    assert "does not appear to be a git repository" in upload.stderr, upload.stderr
    assert _in_image(image, "sh", "-c", "command -v perl").returncode != 0  # removed
