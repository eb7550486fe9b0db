#!/usr/bin/env python3
"""Check kubedrift as a user installs it: the wheel and sdist, the floors, the extras.

    python scripts/package_check.py [--dist dist] [--work build/package-check] [STEP ...]

Steps (all by default, in this order):

- `build`:  `python -m build` writes the sdist and the wheel (built from the sdist) to dist/.
- `wheel`:  a fresh venv with only the wheel: every kubedrift module imports, `kubedrift
            --version` prints the version of `kubedrift/__init__.py`, `kubedrift scan` of the
            bundled example finds its drift (exit 2, JSON), a new SQLite store migrates and
            `kubedrift history` reads it. Then the extras `[gpu,postgres,report,predict]`: `pynvml`,
            `psycopg`, `matplotlib` and `sklearn` import (they are loaded at run time, by `importlib`, by
            SQLAlchemy's `postgresql+psycopg` dialect, by `report`), and did not before.
- `floors`: a fresh venv where every requirement of pyproject.toml, extras included, is pinned
            to its floor (`>=X` becomes `==X` in a pip constraints file), then the `wheel` and
            `extras` checks again. A floor that cannot be installed or imported fails here.

Each step prints one line per check; the first failure ends the run with exit code 1.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "gpu-platform"
EXTRAS = ("gpu", "postgres", "report", "predict")
RUNTIME_IMPORTS = {
    "gpu": "pynvml",
    "postgres": "psycopg",
    "report": "matplotlib",
    "predict": "sklearn",
}
_FLOOR = re.compile(r"^\s*([A-Za-z0-9._-]+)(\[[^\]]*\])?\s*>=\s*([0-9][^,;\s]*)\s*(?:[,;].*)?$")

IMPORT_ALL = """
import importlib, pkgutil, kubedrift
# Not __main__ (it runs the CLI) nor Alembic's env.py (it runs inside `alembic upgrade`).
skip = ("kubedrift.__main__", "kubedrift.store.migrations.env")
names = [m.name for m in pkgutil.walk_packages(kubedrift.__path__, "kubedrift.")]
names = [n for n in names if n not in skip]
for name in names:
    importlib.import_module(name)
print(len(names))
"""


class CheckError(Exception):
    """A check failed; the message says which and why."""


def say(message: str) -> None:
    """One progress line on stderr."""
    print(f"[package-check] {message}", file=sys.stderr, flush=True)


def run(
    *args: str | Path, ok: tuple[int, ...] = (0,), cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """Run a program; a return code outside `ok` is a CheckError with its output's tail."""
    argv = [str(a) for a in args]
    done = subprocess.run(argv, capture_output=True, text=True, check=False, cwd=cwd)
    if done.returncode not in ok:
        tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-15:])
        shown = " ".join(str(a).splitlines()[0] for a in args[:4])
        raise CheckError(f"{shown} … exited {done.returncode}:\n{tail}")
    return done


def version() -> str:
    """The one version, from kubedrift/__init__.py (pyproject.toml reads it from there)."""
    text = (ROOT / "src" / "kubedrift" / "__init__.py").read_text()
    found = re.search(r'^__version__ = "([^"]+)"$', text, re.M)
    if not found:
        raise CheckError("src/kubedrift/__init__.py: no __version__ line")
    return found.group(1)


def requirements() -> list[str]:
    """Every requirement of the package and of the user-facing extras."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    return [*project["dependencies"], *(r for extra in EXTRAS for r in extras[extra])]


def floor_constraints(reqs: list[str]) -> list[str]:
    """`name>=X` → `name==X`; a requirement without a floor is an error (floors are checked)."""
    pins = []
    for req in reqs:
        found = _FLOOR.match(req)
        if not found:
            raise CheckError(f"pyproject.toml: {req!r} has no `>=` floor")
        pins.append(f"{found.group(1)}=={found.group(3)}")
    return pins


def venv(path: Path) -> Path:
    """A fresh venv at `path`; its bin folder."""
    shutil.rmtree(path, ignore_errors=True)
    run(sys.executable, "-m", "venv", path)
    return path / "bin"


def pip_install(bin_: Path, *args: str | Path) -> None:
    """pip install into a venv, quietly."""
    run(bin_ / "python", "-m", "pip", "install", "-q", "--disable-pip-version-check", *args)


def wheel_of(dist: Path) -> Path:
    """The wheel of this version in dist/."""
    wheel = dist / f"kubedrift-{version()}-py3-none-any.whl"
    if not wheel.is_file():
        raise CheckError(f"{wheel}: missing (run the build step)")
    return wheel


def step_build(dist: Path) -> None:
    """Build the sdist, then the wheel from it, and check what each holds."""
    for old in (*dist.glob("kubedrift-*.whl"), *dist.glob("kubedrift-*.tar.gz")):
        old.unlink()  # not the image archive (.oci.tar), which `make image` builds from these
    run(sys.executable, "-m", "build", "--outdir", dist, ROOT)
    sdist = dist / f"kubedrift-{version()}.tar.gz"
    listing = run("tar", "tzf", sdist).stdout.splitlines()
    top = f"kubedrift-{version()}/"
    for needed in ("pyproject.toml", "README.md", "src/kubedrift/__init__.py",
                   "src/kubedrift/store/migrations/script.py.mako"):  # fmt: skip
        if top + needed not in listing:
            raise CheckError(f"{sdist.name}: {needed} missing")
    names = run(sys.executable, "-m", "zipfile", "-l", wheel_of(dist)).stdout
    if "kubedrift/store/migrations/script.py.mako" not in names or "tests/" in names:
        raise CheckError(f"{wheel_of(dist).name}: wrong contents")
    say(f"built {sdist.name} and {wheel_of(dist).name}")


def check_kubedrift(bin_: Path, work: Path) -> None:
    """The installed kubedrift works: imports, --version, scan, a new SQLite store."""
    count = run(bin_ / "python", "-c", IMPORT_ALL, cwd=work).stdout.strip()
    say(f"  {count} kubedrift modules import")
    shown = run(bin_ / "kubedrift", "--version").stdout.strip()
    if shown != f"kubedrift {version()}":
        raise CheckError(f"kubedrift --version printed {shown!r}, not kubedrift {version()}")
    say(f"  {shown}")
    scan = run(bin_ / "kubedrift", "scan", "--desired", EXAMPLE / "desired",
               "--live", EXAMPLE / "live.json", "-o", "json", ok=(2,))  # fmt: skip
    findings = json.loads(scan.stdout)["summary"]["findings"]
    if not findings:
        raise CheckError("kubedrift scan of the example found no drift")
    say(f"  scan of the example: {findings} findings, exit 2")
    store = work / "timeline.db"
    store.unlink(missing_ok=True)
    # What `kubedrift watch` does first (Alembic migrations to head), then a read of it.
    migrate = (
        "import sys; from kubedrift.store.engine import create_store_engine, parse_url;"
        "from kubedrift.store.migrate import upgrade_to_head;"
        "upgrade_to_head(create_store_engine(parse_url(sys.argv[1])))"
    )
    run(bin_ / "python", "-c", migrate, store)
    history = run(bin_ / "kubedrift", "history", "--store", store, "-o", "json")
    json.loads(history.stdout)
    say("  a new SQLite store migrated to head and read by `kubedrift history`")


def check_extras(bin_: Path) -> None:
    """The optional modules the extras bring import."""
    for extra, module in RUNTIME_IMPORTS.items():
        run(bin_ / "python", "-c", f"import {module}")
        say(f"  [{extra}] import {module}")


def step_wheel(dist: Path, work: Path) -> None:
    """The wheel alone in a fresh venv, then with its extras."""
    bin_ = venv(work / "wheel-venv")
    pip_install(bin_, wheel_of(dist))
    say(f"fresh venv + {wheel_of(dist).name}")
    check_kubedrift(bin_, work)
    for module in RUNTIME_IMPORTS.values():  # not installed without the extras
        run(bin_ / "python", "-c", f"import {module}", ok=(1,))
    pip_install(bin_, f"{wheel_of(dist)}[{','.join(EXTRAS)}]")
    say(f"extras {', '.join(EXTRAS)}")
    check_extras(bin_)


def step_floors(dist: Path, work: Path) -> None:
    """Every requirement at its floor, in a fresh venv."""
    pins = floor_constraints(requirements())
    constraints = work / "floors.txt"
    constraints.write_text("\n".join(pins) + "\n")
    bin_ = venv(work / "floors-venv")
    pip_install(bin_, "-c", constraints, f"{wheel_of(dist)}[{','.join(EXTRAS)}]")
    say(f"fresh venv at the floors: {', '.join(pins)}")
    check_kubedrift(bin_, work)
    check_extras(bin_)


def main() -> int:
    """Run the chosen steps."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dist", type=Path, default=ROOT / "dist")
    parser.add_argument("--work", type=Path, default=ROOT / "build" / "package-check")
    parser.add_argument("steps", nargs="*", default=["build", "wheel", "floors"],
                        choices=["build", "wheel", "floors"])  # fmt: skip
    args = parser.parse_args()
    args.dist.mkdir(parents=True, exist_ok=True)
    args.work.mkdir(parents=True, exist_ok=True)
    # A clean environment: no PYTHONPATH or active venv leaking the checkout's modules in.
    for name in ("PYTHONPATH", "VIRTUAL_ENV"):
        os.environ.pop(name, None)
    os.environ["TMPDIR"] = tempfile.gettempdir()
    try:
        for step in args.steps:
            {"build": lambda: step_build(args.dist),
             "wheel": lambda: step_wheel(args.dist, args.work),
             "floors": lambda: step_floors(args.dist, args.work)}[step]()  # fmt: skip
    except CheckError as error:
        print(f"package-check: {error}", file=sys.stderr)
        return 1
    say("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
