"""The `sarif` format: SARIF 2.1.0 for code-scanning dashboards.

One rule per distinct `finding.rule`; one result per finding, located by a logical location
`Kind/namespace/name#path` and, for an object finding read from a manifest, by a physical
location: the manifest's path relative to the working directory (the repository root in CI)
and the line its document starts on. GitHub code scanning needs exactly that — a non-empty,
repository-relative `artifactLocation.uri` and `region.startLine` — and shows a result without
a physical location nowhere ("SARIF support for code scanning", GitHub docs). An absolute path
outside the working directory is written as a `file://` URI with no `uriBaseId`, since
resolving it against the source root would name another file (SARIF 2.1.0 §3.4.4).
`partialFingerprints` hash `finding.identity()`, so a dashboard tracks the same drift across
scans. A suppressed finding stays a result and carries SARIF's own `suppressions` array
(§3.27.23): one `{"kind": "external", "status": "accepted", "justification": reason}`, the
suppression living outside the scanned artifact (the store or a KubedriftConfig). Viewers
such as GitHub code scanning show such a result as suppressed/closed instead of open.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote

import msgspec

from kubedrift import __version__
from kubedrift.model import Finding, Report, Severity, SourceLocation
from kubedrift.model.suppression import Suppression

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_VERSION = "2.1.0"
FINGERPRINT = "kubedriftIdentity/v1"
SRCROOT = "%SRCROOT%"

LEVELS = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.INFO: "note",
}
_PROPERTY_KEYS = ("id", "status", "category", "severity", "object", "desired", "live", "manager",
                  "changed_at",
                  "revision", "impact", "details", "source")  # fmt: skip
_WORD_BREAK = re.compile(r"[._/-]+")


def render_sarif(report: Report) -> str:
    """The SARIF log as JSON with a 2-space indent and a trailing newline."""
    encoded = msgspec.json.encode(sarif_log(report))
    return msgspec.json.format(encoded, indent=2).decode() + "\n"


def sarif_log(report: Report, root: Path | None = None) -> dict[str, Any]:
    """The SARIF log as plain data: one run of the kubedrift driver.

    `root` is what manifest paths are made relative to (default: the working directory).
    """
    rules = list(dict.fromkeys(f.rule for f in report.findings))
    index = {rule: i for i, rule in enumerate(rules)}
    base = (root or Path.cwd()).resolve()
    run: dict[str, Any] = {
        "tool": {"driver": _driver(rules)},
        "results": [_result(f, index[f.rule], base) for f in report.findings],
    }
    properties = {"revision": report.revision, "live_source": report.live_source}
    run["properties"] = {k: v for k, v in properties.items() if v is not None}
    return {"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": [run]}


def fully_qualified_name(finding: Finding) -> str:
    """`Deployment/ml/trainer#/spec/replicas`; the object alone when the path is empty."""
    return f"{finding.object}#{finding.path}" if finding.path else str(finding.object)


def fingerprint(finding: Finding) -> str:
    """A stable hash of the finding's identity (object, path, rule)."""
    joined = "\x1f".join(finding.identity())
    return hashlib.sha256(joined.encode()).hexdigest()


def _driver(rules: list[str]) -> dict[str, Any]:
    return {
        "name": "kubedrift",
        "version": __version__,
        "semanticVersion": __version__,
        "rules": [_rule(rule) for rule in rules],
    }


def _rule(rule: str) -> dict[str, Any]:
    words = _WORD_BREAK.sub(" ", rule).strip()
    return {"id": rule, "shortDescription": {"text": words.capitalize() or rule}}


def artifact_location(file: str, root: Path) -> dict[str, str]:
    """`{"uri": "deploy/app.yaml", "uriBaseId": "%SRCROOT%"}`: relative to `root` when the
    file is under it, else an absolute `file://` URI; percent-encoded, as a URI must be."""
    absolute = (root / file).resolve()  # `root / "/abs"` is "/abs"
    try:
        relative = absolute.relative_to(root)
    except ValueError:  # outside the working directory: "../x.yaml" or another tree
        return {"uri": absolute.as_uri()}
    return {"uri": quote(PurePosixPath(*relative.parts).as_posix(), safe="/"), "uriBaseId": SRCROOT}


def physical_location(source: SourceLocation, root: Path) -> dict[str, Any]:
    """The manifest file and the line the object's document starts on (when known)."""
    out: dict[str, Any] = {"artifactLocation": artifact_location(source.file, root)}
    if source.line is not None:
        out["region"] = {"startLine": source.line}
    return out


def _result(finding: Finding, rule_index: int, root: Path) -> dict[str, Any]:
    logical = {
        "name": finding.path or str(finding.object),
        "fullyQualifiedName": fully_qualified_name(finding),
        "kind": "resource",
    }
    location: dict[str, Any] = {"logicalLocations": [logical]}
    if finding.source is not None:
        location = {"physicalLocation": physical_location(finding.source, root), **location}
    doc = finding.to_json()
    result = {
        "ruleId": finding.rule,
        "ruleIndex": rule_index,
        "level": LEVELS[finding.severity],
        "message": {"text": finding.message},
        "locations": [location],
        "partialFingerprints": {FINGERPRINT: fingerprint(finding)},
        "properties": {k: doc[k] for k in _PROPERTY_KEYS if k in doc},
    }
    if finding.suppression is not None:
        result["suppressions"] = [_suppression(finding.suppression)]
    return result


def _suppression(suppression: Suppression) -> dict[str, Any]:
    """A SARIF suppression object: accepted, external, the reason as its justification."""
    extra = {"until": suppression.until.isoformat(), "by": suppression.by}
    if suppression.source:
        extra["source"] = suppression.source
    return {
        "kind": "external",
        "status": "accepted",
        "justification": suppression.reason,
        "properties": extra,
    }
