"""Which heavy packages a `kubedrift` command imports: the one probe behind
tests/cli/test_lazy_commands.py (which asserts it) and bench/bench_startup.py (which prints it).
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

HEAVY = (
    "fastapi",
    "starlette",
    "uvicorn",
    "sqlalchemy",
    "alembic",
    "psycopg",
    "rich",
    "pydantic",
    "pydantic_core",
    "lightkube",
    "httpx",
    "httpx2",
    "asyncio",
    "yaml",
)
"""What a command that reads files and prints JSON never needs: the web, database and
terminal stacks, typer's pydantic coercion, the cluster client, asyncio, and PyYAML (for
JSON input)."""

_PROBE = """
import atexit, json, sys
heavy = {heavy!r}
atexit.register(lambda: sys.stderr.write("MODULES " + json.dumps({{
    "count": len(sys.modules),
    "heavy": sorted({{m.split(".")[0] for m in sys.modules}} & set(heavy)),
}}) + "\\n"))
sys.argv = ["kubedrift", *{argv!r}]
from kubedrift.cli.main import run
run()
"""


@dataclass(frozen=True, slots=True)
class Imports:
    """One run of the real entry point: its exit code, output and what it imported."""

    code: int
    stdout: str
    count: int
    """Modules in `sys.modules` at exit."""
    heavy: list[str]
    """The packages of `HEAVY` among them, sorted."""


def probe_imports(
    argv: Sequence[str], *, cwd: Path | str | None, env: Mapping[str, str], python: str = ""
) -> Imports:
    """Run `kubedrift ARGV` through its entry point in a fresh interpreter."""
    code = _PROBE.format(heavy=HEAVY, argv=list(argv))
    done = subprocess.run(
        [python or sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        cwd=cwd,
        env=dict(env),
    )
    (line,) = [x for x in done.stderr.splitlines() if x.startswith("MODULES ")]
    found = json.loads(line.removeprefix("MODULES "))
    return Imports(done.returncode, done.stdout, int(found["count"]), list(found["heavy"]))
