"""Output formats of a `Report`: `render(report, Format.JSON, color=False)` returns the text.

    table     for people at a terminal (rich; colour optional)      table.py
    wide      the table with nothing cut (kubectl's `-o wide`)      table.py
    json      the `kubedrift/v1` document, the contract for scripts  json_doc.py
    yaml      the same document as YAML                              yaml_doc.py
    markdown  audit report / pull-request comment                    markdown.py
    sarif     SARIF 2.1.0 for code-scanning dashboards               sarif.py
    junit     JUnit XML for CI test reports                          junit.py

Renderers show what findings hold and add nothing: secret values were hashed upstream.
Each renderer module is imported when its format is asked for: `-o json` never imports rich
or the XML writer (start-up time is part of the product, issue 18.5).
"""

from __future__ import annotations

import enum
import importlib
from collections.abc import Callable

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


_DOCUMENTS: dict[Format, tuple[str, str]] = {
    Format.JSON: ("json_doc", "render_json"),
    Format.YAML: ("yaml_doc", "render_yaml"),
    Format.MARKDOWN: ("markdown", "render_markdown"),
    Format.SARIF: ("sarif", "render_sarif"),
    Format.JUNIT: ("junit", "render_junit"),
}


def render(report: Report, fmt: Format, *, color: bool, width: int | None = None) -> str:
    """`report` as text in `fmt`; `color` and `width` matter to the table only."""
    if fmt in (Format.TABLE, Format.WIDE):
        from kubedrift.cli.render.table import render_table

        return render_table(report, color=color, width=width, wide=fmt is Format.WIDE)
    module, name = _DOCUMENTS[fmt]
    renderer: Callable[[Report], str] = getattr(
        importlib.import_module(f"kubedrift.cli.render.{module}"), name
    )
    return renderer(report)
