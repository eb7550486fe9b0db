"""Dependency audit: pip-audit over the installed dependency set, or a clear, fast skip.

`make audit` (run by `make lint`) calls this. pip-audit asks its vulnerability source
(PyPI's JSON API) about every installed distribution. On a machine whose network reaches
only a package mirror, that source is unreachable or knows none of the installed
versions; then the audit is skipped with one line saying why, instead of failing or
hanging: the whole run is bounded by `TIMEOUT` seconds. Exit codes: 0 clean or skipped,
1 a known vulnerability (pip-audit's own listing is printed).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

TIMEOUT = 90
PER_REQUEST_TIMEOUT = 5


def main() -> int:
    """Run the audit and return the exit code described above."""
    program = shutil.which("pip-audit", path=str(Path(sys.executable).parent))
    if program is None:
        return skip("pip-audit is not installed (pip install -e '.[test]')")
    argv = [program, "--format", "json", "--progress-spinner", "off", "--skip-editable",
            "--timeout", str(PER_REQUEST_TIMEOUT)]  # fmt: skip
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=TIMEOUT, check=False)
    except subprocess.TimeoutExpired:
        return skip(f"the vulnerability source did not answer within {TIMEOUT} s")
    try:
        report = json.loads(done.stdout)
    except json.JSONDecodeError:
        first = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return skip(f"pip-audit could not reach its vulnerability source ({first[:160]})")
    return verdict(report["dependencies"], done.stdout)


def verdict(dependencies: list[dict[str, object]], raw: str) -> int:
    """0 / 1 from pip-audit's JSON report; a skip when no dependency could be checked."""
    audited = [d for d in dependencies if "skip_reason" not in d]
    vulnerable = [d for d in audited if d.get("vulns")]
    if not audited:
        return skip(
            f"the vulnerability source knows none of the {len(dependencies)} installed "
            "versions (only a package mirror is reachable?)"
        )
    if vulnerable:
        for dep in vulnerable:
            ids = ", ".join(str(v["id"]) for v in dep["vulns"])  # type: ignore[attr-defined]
            print(f"audit: {dep['name']} {dep['version']}: {ids}")
        return 1
    skipped = len(dependencies) - len(audited)
    print(f"audit: no known vulnerabilities in {len(audited)} packages ({skipped} not checked)")
    return 0


def skip(reason: str) -> int:
    """Say why the audit did not run; a skip is not a failure."""
    print(f"audit: skipped: {reason}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
