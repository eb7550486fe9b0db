"""Output formats of a `Report`: `render(report, Format.JSON, color=False)` returns the text.

    table     for people at a terminal (rich; colour optional)      table.py
    wide      the table with nothing cut (kubectl's `-o wide`)      table.py
    json      the `kubedrift/v1` document, the contract for scripts  json_doc.py
    yaml      the same document as YAML                              yaml_doc.py
    markdown  audit report / pull-request comment                    markdown.py
    sarif     SARIF 2.1.0 for code-scanning dashboards               sarif.py
    junit     JUnit XML for CI test reports                          junit.py

Renderers show what findings hold and add nothing: secret values were hashed upstream.
"""

from __future__ import annotations

import enum
from collections.abc import Callable

from kubedrift.cli.render.json_doc import render_json
from kubedrift.cli.render.junit import render_junit
from kubedrift.cli.render.markdown import render_markdown
from kubedrift.cli.render.sarif import render_sarif
from kubedrift.cli.render.table import render_table
from kubedrift.cli.render.yaml_doc import render_yaml
from kubedrift.model import Report

__all__ = ["Format", "render"]


class Format(enum.Enum):
    """An output format, named as `-o/--output` spells it."""

    TABLE = "table"
    WIDE = "wide"
    JSON = "json"
    YAML = "yaml"
    MARKDOWN = "markdown"
    SARIF = "sarif"
    JUNIT = "junit"


_DOCUMENTS: dict[Format, Callable[[Report], str]] = {
    Format.JSON: render_json,
    Format.YAML: render_yaml,
    Format.MARKDOWN: render_markdown,
    Format.SARIF: render_sarif,
    Format.JUNIT: render_junit,
}


def render(report: Report, fmt: Format, *, color: bool, width: int | None = None) -> str:
    """`report` as text in `fmt`; `color` and `width` matter to the table only."""
    if fmt is Format.TABLE:
        return render_table(report, color=color, width=width)
    if fmt is Format.WIDE:
        return render_table(report, color=color, width=width, wide=True)
    return _DOCUMENTS[fmt](report)
