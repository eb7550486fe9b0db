"""The `sarif` format: SARIF 2.1.0 for code-scanning dashboards.

One rule per distinct `finding.rule`; one result per finding, located by a logical location
`Kind/namespace/name#path` (kubedrift does not yet know the manifest file and line, so there is
no physical location). `partialFingerprints` hash `finding.identity()`, so a dashboard tracks
the same drift across scans.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

import msgspec

from kubedrift import __version__
from kubedrift.model import Finding, Report, Severity

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_VERSION = "2.1.0"
FINGERPRINT = "kubedriftIdentity/v1"

LEVELS = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.INFO: "note",
}
_PROPERTY_KEYS = ("category", "severity", "object", "desired", "live", "manager", "changed_at",
                  "revision", "impact", "details")  # fmt: skip
_WORD_BREAK = re.compile(r"[._/-]+")


def render_sarif(report: Report) -> str:
    """The SARIF log as JSON with a 2-space indent and a trailing newline."""
    encoded = msgspec.json.encode(sarif_log(report))
    return msgspec.json.format(encoded, indent=2).decode() + "\n"


def sarif_log(report: Report) -> dict[str, Any]:
    """The SARIF log as plain data: one run of the kubedrift driver."""
    rules = list(dict.fromkeys(f.rule for f in report.findings))
    index = {rule: i for i, rule in enumerate(rules)}
    run: dict[str, Any] = {
        "tool": {"driver": _driver(rules)},
        "results": [_result(f, index[f.rule]) for f in report.findings],
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


def _result(finding: Finding, rule_index: int) -> dict[str, Any]:
    location = {
        "name": finding.path or str(finding.object),
        "fullyQualifiedName": fully_qualified_name(finding),
        "kind": "resource",
    }
    doc = finding.to_json()
    return {
        "ruleId": finding.rule,
        "ruleIndex": rule_index,
        "level": LEVELS[finding.severity],
        "message": {"text": finding.message},
        "locations": [{"logicalLocations": [location]}],
        "partialFingerprints": {FINGERPRINT: fingerprint(finding)},
        "properties": {k: doc[k] for k in _PROPERTY_KEYS if k in doc},
    }
