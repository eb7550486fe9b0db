"""The HTML report printed to PDF by Debian's headless `chromium`, when it is installed.

Chromium prints the very page a browser shows (`--print-to-pdf`), so the PDF needs no second
layout engine; the page's print styles drop the filters and keep charts whole. Chromium is
run with the network cut (`--host-resolver-rules` maps every name to nothing, on top of the
page's CSP) and, as root, without its sandbox, which needs a user namespace it cannot have.
`KUBEDRIFT_CHROMIUM` names another binary. Without one the PDF is refused with one line:
the HTML report is the portable format, and PDF is an extra.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from kubedrift.model import InputError

TIMEOUT = 180.0
CANDIDATES = ("chromium", "chromium-browser", "google-chrome")


def chromium_binary() -> str | None:
    """The Chromium to print with: `KUBEDRIFT_CHROMIUM`, else the first on PATH."""
    named = os.environ.get("KUBEDRIFT_CHROMIUM")
    if named:
        return named if shutil.which(named) else None
    return next((found for c in CANDIDATES if (found := shutil.which(c))), None)


def chromium_args(binary: str, page: Path) -> list[str]:
    """The command line that loads `page` offline, headless (the caller adds its action)."""
    args = [binary, "--headless", "--disable-gpu", "--no-first-run", "--disable-extensions"]
    args += ["--host-resolver-rules=MAP * ~NOTFOUND", "--proxy-server=127.0.0.1:9"]
    if os.geteuid() == 0:
        args.append("--no-sandbox")
    return args


def print_pdf(html: str, out: Path) -> bytes:
    """The PDF of the HTML report (an `InputError` naming `out` when it cannot be made)."""
    binary = chromium_binary()
    if binary is None:
        raise InputError(
            "a PDF needs Chromium (Debian: apt-get install chromium); write .html instead",
            where=str(out),
        )
    with tempfile.TemporaryDirectory(prefix="kubedrift-report-") as folder:
        page, pdf = Path(folder) / "report.html", Path(folder) / "report.pdf"
        page.write_text(html, encoding="utf-8")
        args = chromium_args(binary, page)
        args += ["--no-pdf-header-footer", f"--print-to-pdf={pdf}", page.as_uri()]
        try:
            done = subprocess.run(args, capture_output=True, timeout=TIMEOUT, check=False)
        except subprocess.TimeoutExpired:
            raise InputError(
                f"chromium did not print within {TIMEOUT:.0f} s", where=str(out)
            ) from None
        data = pdf.read_bytes() if pdf.is_file() else b""
    if not data.startswith(b"%PDF"):
        tail = done.stderr.decode(errors="replace").strip().splitlines()[-1:] or ["no output"]
        raise InputError(f"chromium could not print the report: {tail[0]}", where=str(out))
    return data
