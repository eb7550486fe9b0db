"""The `junit` format: JUnit XML for CI test reports (GitLab, Jenkins, GitHub test reporters).

One testsuite `kubedrift`; one testcase per drifted object (a Node for node findings) with one
`<failure>` that lists every finding of the object, one line each. A single failure per
testcase is on purpose: Jenkins reads only a testcase's first `<failure>`, and GitLab turns
repeated elements into an array it shows raw. With no findings there is one passing testcase.
A testcase of an object read from a manifest carries `file` and `line` attributes (as pytest
writes them; GitLab links a test report to `file`), and its failure text starts with where the
object was declared. Suppressed findings are listed too, marked: an object whose findings
are all suppressed is a `<skipped>` testcase whose message is the suppression (CI shows it
as skipped, not passed, and not failed).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from kubedrift.cli.render.groups import by_object
from kubedrift.cli.render.values import changed_text, has_values, plural, scalar_text, shorten
from kubedrift.model import Finding, ObjectRef, Report, SourceLocation

SUITE = "kubedrift"
MAX_VALUE = 200
# Characters XML 1.0 forbids, or that would drive a terminal reading the file.
_NOT_XML = re.compile("[^\t\n\x20-\x7e\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def render_junit(report: Report) -> str:
    """The JUnit XML document, indented, with an XML declaration and a trailing newline."""
    suite = ET.Element("testsuite", name=SUITE)
    _properties(suite, report)
    objects = by_object(report.findings)
    skipped = 0
    for ref, findings in objects.items():
        skipped += _case(suite, ref, findings)
    if not objects:
        ET.SubElement(suite, "testcase", name="no drift", classname=SUITE, time="0")
    failures = str(len(objects) - skipped)
    counts = {"tests": str(max(len(objects), 1)), "failures": failures}
    suite.attrib.update({**counts, "errors": "0", "skipped": str(skipped), "time": "0"})
    root = ET.Element(
        "testsuites", {"name": SUITE, **counts, "errors": "0", "skipped": str(skipped), "time": "0"}
    )
    root.append(suite)
    ET.indent(root)
    body = ET.tostring(root, encoding="unicode")
    return f'<?xml version="1.0" encoding="UTF-8"?>\n{body}\n'


def xml_text(value: str) -> str:
    """`value` with every character XML 1.0 cannot hold spelled out as `\\uXXXX`."""
    return _NOT_XML.sub(lambda m: f"\\u{ord(m.group()):04x}", value)


def _properties(suite: ET.Element, report: Report) -> None:
    found = [("revision", report.revision), ("live_source", report.live_source)]
    pairs = [(k, v) for k, v in found if v]
    if pairs:
        props = ET.SubElement(suite, "properties")
        for key, value in pairs:
            ET.SubElement(props, "property", name=key, value=xml_text(value))


def _case(suite: ET.Element, ref: ObjectRef, findings: list[Finding]) -> int:
    """One testcase; 1 when it is skipped (every finding suppressed), else 0."""
    case = ET.SubElement(
        suite, "testcase", name=xml_text(str(ref)), classname=f"{SUITE}.{xml_text(ref.kind)}"
    )
    source = next((f.source for f in findings if f.source is not None), None)
    if source is not None:
        case.set("file", xml_text(source.file))
        if source.line is not None:
            case.set("line", str(source.line))
    case.set("time", "0")
    active = [f for f in findings if f.suppression is None]
    lines = [_line(f) for f in findings]
    if source is not None:
        lines.insert(0, f"declared at {declared(source)}")
    if not active:
        label = findings[0].suppression.label() if findings[0].suppression else ""
        skipped = ET.SubElement(case, "skipped", message=xml_text(label))
        skipped.text = xml_text("\n".join(lines))
        return 1
    failure = ET.SubElement(case, "failure", message=xml_text(_message(active)))
    failure.set("type", xml_text(active[0].rule))
    failure.text = xml_text("\n".join(lines))
    return 0


def declared(source: SourceLocation) -> str:
    """`deploy/app.yaml:12 (document 2, revision 4f1c2e0a9b1d)`."""
    extra = []
    if source.document is not None:
        extra.append(f"document {source.document}")
    if source.item is not None:
        extra.append(f"items[{source.item}]")
    if source.revision:
        extra.append(f"revision {source.revision[:12]}")
    return f"{source} ({', '.join(extra)})" if extra else str(source)


def _message(findings: list[Finding]) -> str:
    first = findings[0].message
    if len(findings) == 1:
        return first
    worst = max(f.severity for f in findings).value
    return f"{plural(len(findings), 'finding')}, worst {worst}: {first}"


def _line(finding: Finding) -> str:
    """`[high] /spec/replicas: 4 → 8 — message (rule …; changed by …)`."""
    head = f"[{finding.severity.value}] {finding.path or '(whole object)'}"
    if has_values(finding):
        desired = shorten(scalar_text(finding.desired), MAX_VALUE)
        head += f": {desired} → {shorten(scalar_text(finding.live), MAX_VALUE)}"
    extra = [f"rule {finding.rule}", changed_text(finding.manager, finding.changed_at)]
    if finding.suppression is not None:
        extra.append(finding.suppression.label())
    return f"{head} — {finding.message} ({'; '.join(e for e in extra if e)})"
