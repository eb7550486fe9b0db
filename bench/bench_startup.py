"""Start-up benchmark (issue 18.5): `kubedrift --help`, `version` and a one-object `diff -o json`.

    python bench/bench_startup.py            # 7 runs of each, medians
    python bench/bench_startup.py --runs 15

Every command is a fresh process, started with `os.posix_spawn` and reaped with `os.wait4`,
so each figure is that process's own: wall time from spawn to exit, CPU time (user + system)
and peak RSS (`ru_maxrss`). Each is compared with the floor measured in the same run,
interleaved with the commands: `python3 -c pass` of the same interpreter (what any Python
command costs before it imports anything). Also printed: how many modules each command
imports, which heavy packages are among them (FastAPI, uvicorn, SQLAlchemy, Alembic, rich,
pydantic, lightkube, httpx/httpx2, asyncio, PyYAML), and the load average.

The children run without `PYTHONDONTWRITEBYTECODE` (which this environment sets): a user's
installed kubedrift has its bytecode compiled, and without it every run would compile every
module again. One untimed run of each command first writes that bytecode.

Target: each kubedrift command ≤ 150 ms wall, importing none of the heavy packages (the
`diff` here reads JSON, so it needs no YAML loader either). No timing is asserted in tests;
tests/cli/test_lazy_commands.py checks the imports.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from support.imports import probe_imports

TARGET_SECONDS = 0.150


@dataclass(frozen=True, slots=True)
class Run:
    """One process: wall and CPU seconds, peak RSS in MiB."""

    wall: float
    cpu: float
    rss_mib: float


def child_env() -> dict[str, str]:
    """The environment of every child: bytecode written and used, no kubeconfig to read."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env.pop("KUBECONFIG", None)
    return env


def spawn(argv: list[str], cwd: str, env: dict[str, str]) -> Run:
    """Run `argv` once, its output discarded; its own wall, CPU and peak RSS (wait4)."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    here = os.getcwd()
    try:
        os.chdir(cwd)
        actions = [
            (os.POSIX_SPAWN_DUP2, devnull, 1),
            (os.POSIX_SPAWN_DUP2, devnull, 2),
        ]
        start = time.perf_counter()
        pid = os.posix_spawn(argv[0], argv, env, file_actions=actions)
        _, _, usage = os.wait4(pid, 0)
        wall = time.perf_counter() - start
    finally:
        os.chdir(here)
        os.close(devnull)
    return Run(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024)


def modules(python: str, args: list[str], cwd: str, env: dict[str, str]) -> tuple[int, str]:
    """How many modules `kubedrift ARGS` imports, and which heavy packages among them."""
    done = probe_imports(args, cwd=cwd, env=env, python=python)
    return done.count, ",".join(done.heavy) or "none"


def median(runs: list[Run], field: str) -> float:
    values: list[float] = [getattr(r, field) for r in runs]
    return statistics.median(values)


def main() -> None:
    """Measure the floor and each command, interleaved; print medians, ratios and imports."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    runs = max(5, parser.parse_args().runs)
    python = sys.executable
    kubedrift = str(Path(python).with_name("kubedrift"))
    env = child_env()
    with tempfile.TemporaryDirectory() as tmp:
        obj = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a", "namespace": "d"}}
        desired, live = Path(tmp, "desired.json"), Path(tmp, "live.json")
        desired.write_text(json.dumps({**obj, "data": {"k": "1"}}))
        live.write_text(json.dumps({**obj, "data": {"k": "2"}}))
        commands: dict[str, list[str]] = {
            "--help": ["--help"],
            "version": ["version"],
            "diff -o json (1 object)": ["diff", str(desired), str(live), "-o", "json"],
        }
        argvs = {"python3 -c pass": [python, "-c", "pass"]}
        argvs |= {f"kubedrift {name}": [kubedrift, *args] for name, args in commands.items()}
        load_before = os.getloadavg()
        for argv in argvs.values():  # untimed: bytecode written, caches warm
            spawn(argv, tmp, env)
        measured: dict[str, list[Run]] = {name: [] for name in argvs}
        for _ in range(runs):  # interleaved, so load changes hit every command alike
            for name, argv in argvs.items():
                measured[name].append(spawn(argv, tmp, env))
        load_after = os.getloadavg()
        imports = {f"kubedrift {n}": modules(python, a, tmp, env) for n, a in commands.items()}
    floor = measured["python3 -c pass"]
    floor_wall, floor_cpu = median(floor, "wall"), median(floor, "cpu")
    print(
        f"start-up, medians of {runs} runs, bytecode written and used (PYTHONDONTWRITEBYTECODE "
        f"unset for the children); load average {load_before[0]:.2f} before, "
        f"{load_after[0]:.2f} after, on {os.cpu_count()} CPUs"
    )
    print(
        f"{'command':34} {'wall ms':>8} {'×floor':>7} {'cpu ms':>7} {'×floor':>7} "
        f"{'RSS MiB':>8} {'modules':>8}  heavy imports   target"
    )
    failed = False
    for name, results in measured.items():
        wall, cpu, rss = median(results, "wall"), median(results, "cpu"), median(results, "rss_mib")
        count, heavy = imports.get(name, (0, "-"))
        verdict = "(floor)"
        if name in imports:
            ok = wall <= TARGET_SECONDS and heavy == "none"
            failed = failed or not ok
            verdict = f"{'OK' if ok else 'FAIL'} ≤ {TARGET_SECONDS * 1000:.0f} ms"
        print(
            f"{name:34} {wall * 1000:8.1f} {wall / floor_wall:6.1f}x {cpu * 1000:7.1f} "
            f"{cpu / floor_cpu:6.1f}x {rss:8.1f} {count or '':>8}  {heavy:15} {verdict}"
        )
    status = "FAIL" if failed else "OK"
    print(f"target: every command ≤ {TARGET_SECONDS * 1000:.0f} ms wall, no heavy import: {status}")


if __name__ == "__main__":
    main()
