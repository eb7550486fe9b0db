"""A real etcd + kube-apiserver (+ kube-controller-manager) on loopback, for tests and benchmarks.

The binaries come from `scripts/build-kube.sh` (Debian's kubernetes source package, v1.20.2);
etcd is Debian's `etcd-server`. Everything runs on free loopback ports in a temporary
directory, with token authentication and RBAC on, and is stopped (whole process groups)
by `stop()`, so no process outlives the test session.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

KUBE_VERSION = "v1.20.2"
DEFAULT_BIN = Path.home() / ".cache" / "kubedrift" / f"kube-{KUBE_VERSION}" / "bin"
ADMIN_TOKEN = "kubedrift-test-admin-token"  # a throwaway credential of the test bed


def kube_bin_dir() -> Path:
    """Where the built kube binaries are (`KUBEDRIFT_KUBE_BIN` overrides)."""
    return Path(os.environ.get("KUBEDRIFT_KUBE_BIN", DEFAULT_BIN))


def missing_binaries() -> list[str]:
    """Names of the binaries the test bed needs and cannot find."""
    bin_dir = kube_bin_dir()
    names = ("kube-apiserver", "kube-controller-manager")
    missing = [n for n in names if not (bin_dir / n).exists()]
    if shutil.which("etcd") is None:
        missing.append("etcd")
    return missing


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class ApiServer:
    """A running test control plane; `kubeconfig` holds an admin (system:masters) token."""

    workdir: Path
    url: str = ""
    kubeconfig: Path = field(default_factory=Path)
    token_file: Path = field(default_factory=Path)
    ca_file: Path = field(default_factory=Path)
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    etcd_url: str = ""

    # -- lifecycle -------------------------------------------------------------------------

    def start(self, *, controller_manager: bool = True, timeout: float = 60.0) -> ApiServer:
        """Start etcd, the apiserver and (optionally) the controller-manager; wait until ready."""
        self._write_credentials()
        self.start_etcd()
        self.start_apiserver(timeout=timeout)
        if controller_manager:
            self._start_controller_manager()
        return self

    def stop(self) -> None:
        """Stop every process (SIGTERM to the group, then SIGKILL) and remove the workdir."""
        for name in reversed(list(self.procs)):
            self._stop_proc(name)
        shutil.rmtree(self.workdir, ignore_errors=True)

    def start_etcd(self) -> None:
        """Start etcd on fresh loopback ports (data survives an apiserver restart)."""
        client, peer = free_port(), free_port()
        self.etcd_url = f"http://127.0.0.1:{client}"
        self._spawn(
            "etcd",
            [
                "etcd",
                "--name=default",
                f"--data-dir={self.workdir / 'etcd'}",
                f"--listen-client-urls={self.etcd_url}",
                f"--advertise-client-urls={self.etcd_url}",
                f"--listen-peer-urls=http://127.0.0.1:{peer}",
                f"--initial-advertise-peer-urls=http://127.0.0.1:{peer}",
                f"--initial-cluster=default=http://127.0.0.1:{peer}",
                "--unsafe-no-fsync",
                "--logger=zap",
                "--log-level=error",
            ],
        )

    def start_apiserver(self, *, timeout: float = 60.0, port: int | None = None) -> None:
        """Start kube-apiserver (again, on the same port if given) and wait for readiness."""
        port = port or free_port()
        self.url = f"https://127.0.0.1:{port}"
        self._spawn("kube-apiserver", self._apiserver_args(port))
        self._wait_ready(timeout)
        self._write_kubeconfig()

    def stop_apiserver(self) -> int:
        """Stop only the apiserver (to test reconnects); returns its port for a restart."""
        self._stop_proc("kube-apiserver")
        return int(self.url.rsplit(":", 1)[1])

    # -- requests --------------------------------------------------------------------------

    def get(self, path: str, *, token: str = ADMIN_TOKEN) -> tuple[int, bytes]:
        """A raw authenticated GET, for readiness checks and assertions."""
        request = urllib.request.Request(
            self.url + path, headers={"Authorization": f"Bearer {token}"}
        )
        context = ssl.create_default_context(cafile=str(self.ca_file))
        try:
            with urllib.request.urlopen(request, context=context, timeout=5) as resp:
                return int(resp.status), bytes(resp.read())
        except urllib.error.HTTPError as err:
            with err:  # the error holds the response and its socket
                return int(err.code), bytes(err.read())

    def add_token(self, token: str, user: str, groups: tuple[str, ...] = ()) -> None:
        """Register one more static token (takes effect at the next apiserver start)."""
        with self.token_file.open("a") as f:
            f.write(f'{token},{user},{user},"{",".join(groups)}"\n')

    def kubeconfig_for(self, token: str, path: Path) -> Path:
        """Write a kubeconfig for `token` (e.g. a user bound to a narrow ClusterRole)."""
        path.write_text(_kubeconfig(self.url, self.ca_file, token))
        path.chmod(0o600)  # as kubectl writes it; helm warns about a readable one
        return path

    # -- internals -------------------------------------------------------------------------

    def _apiserver_args(self, port: int) -> list[str]:
        w = self.workdir
        return [
            str(kube_bin_dir() / "kube-apiserver"),
            f"--etcd-servers={self.etcd_url}",
            "--bind-address=127.0.0.1",
            "--advertise-address=127.0.0.1",
            f"--secure-port={port}",
            "--insecure-port=0",
            f"--cert-dir={w / 'certs'}",
            f"--token-auth-file={self.token_file}",
            "--authorization-mode=RBAC",
            "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
            f"--service-account-key-file={w / 'sa.pub'}",
            f"--service-account-signing-key-file={w / 'sa.key'}",
            "--api-audiences=https://kubernetes.default.svc.cluster.local",
            "--service-cluster-ip-range=10.96.0.0/16",
            "--allow-privileged=true",
            "--enable-priority-and-fairness=false",
            "--profiling=false",
            "--v=0",
        ]

    def _start_controller_manager(self) -> None:
        self._spawn(
            "kube-controller-manager",
            [
                str(kube_bin_dir() / "kube-controller-manager"),
                f"--kubeconfig={self.kubeconfig}",
                "--leader-elect=false",
                "--port=0",
                "--secure-port=0",
                "--controllers=*,-nodeipam,-nodelifecycle,-cloud-node-lifecycle,-attachdetach",
                f"--service-account-private-key-file={self.workdir / 'sa.key'}",
                f"--root-ca-file={self.ca_file}",
                "--use-service-account-credentials=false",
                "--v=0",
            ],
        )

    def _write_credentials(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        key = self.workdir / "sa.key"
        subprocess.run(
            ["openssl", "genrsa", "-out", str(key), "2048"], check=True, capture_output=True
        )
        subprocess.run(
            ["openssl", "rsa", "-in", str(key), "-pubout", "-out", str(self.workdir / "sa.pub")],
            check=True,
            capture_output=True,
        )
        self.token_file = self.workdir / "tokens.csv"
        self.token_file.write_text(f'{ADMIN_TOKEN},admin,admin,"system:masters"\n')
        self.ca_file = self.workdir / "certs" / "apiserver.crt"
        self.kubeconfig = self.workdir / "kubeconfig"

    def _write_kubeconfig(self) -> None:
        self.kubeconfig.write_text(_kubeconfig(self.url, self.ca_file, ADMIN_TOKEN))
        self.kubeconfig.chmod(0o600)  # as kubectl writes it; helm warns about a readable one

    def _spawn(self, name: str, argv: list[str]) -> None:
        log = (self.workdir / f"{name}.log").open("ab")
        self.procs[name] = subprocess.Popen(
            argv, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        log.close()

    def _stop_proc(self, name: str) -> None:
        proc = self.procs.pop(name, None)
        if proc is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self._raise_if_exited()
            if self.ca_file.exists() and self._ready():
                return
            time.sleep(0.2)
        raise TimeoutError(f"kube-apiserver not ready after {timeout}s; see {self.workdir}")

    def _ready(self) -> bool:
        try:
            status, _ = self.get("/readyz")
            if status != 200:
                return False
            status, _ = self.get("/api/v1/namespaces/default")
            return status == 200
        except (OSError, ssl.SSLError):
            return False

    def _raise_if_exited(self) -> None:
        for name, proc in self.procs.items():
            if proc.poll() is not None:
                tail = (self.workdir / f"{name}.log").read_text(errors="replace")[-2000:]
                raise RuntimeError(f"{name} exited with {proc.returncode}:\n{tail}")


def _kubeconfig(url: str, ca_file: Path, token: str) -> str:
    return f"""apiVersion: v1
kind: Config
clusters:
- name: kubedrift-test
  cluster:
    server: {url}
    certificate-authority: {ca_file}
contexts:
- name: kubedrift-test
  context:
    cluster: kubedrift-test
    user: admin
    namespace: default
current-context: kubedrift-test
users:
- name: admin
  user:
    token: {token}
"""


def start_apiserver(*, controller_manager: bool = True) -> ApiServer:
    """Start a fresh control plane in a new temporary directory."""
    workdir = Path(tempfile.mkdtemp(prefix="kubedrift-apiserver-"))
    server = ApiServer(workdir=workdir)
    try:
        return server.start(controller_manager=controller_manager)
    except BaseException:
        server.stop()
        raise
