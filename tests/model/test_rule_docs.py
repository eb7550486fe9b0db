"""The rule catalogue (docs/rules.md) is generated from the code and kept in step with it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from kubedrift.model.findings import Category
from kubedrift.model.rule_docs import CATALOGUE, render_markdown
from kubedrift.model.rules import ALL_RULES

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "rules.md"
SRC = ROOT / "src" / "kubedrift"


def test_docs_rules_md_is_what_the_code_generates() -> None:
    assert DOC.read_text(encoding="utf-8") == render_markdown(), (
        "docs/rules.md is out of date: run python scripts/gen_rules_doc.py"
    )


def test_every_rule_has_one_entry() -> None:
    assert list(CATALOGUE) == list(ALL_RULES)
    for rule, doc in CATALOGUE.items():
        assert doc.rule is rule
        assert doc.checks
        assert doc.evidence
        assert doc.sources


def test_each_entry_names_modules_that_exist_and_use_the_rule() -> None:
    """A rule moved to another module, or renamed, must take its catalogue entry along."""
    for rule, doc in CATALOGUE.items():
        texts = [(SRC / m).read_text(encoding="utf-8") for m in doc.module.split(", ")]
        member = f"{type(rule).__name__}.{rule.name}"
        aliases = (member, f"Rule.{rule.name}", f"`{rule.value}`", f'"{rule.value}"')
        assert any(a in t for t in texts for a in aliases), (rule.value, doc.module)


def test_node_and_workload_rules_are_in_their_category() -> None:
    for rule, doc in CATALOGUE.items():
        family = type(rule).__name__
        expected = {"NodeRule": Category.NODE, "WorkloadRule": Category.WORKLOAD}.get(family)
        assert expected is None or doc.category is expected


def test_the_script_rewrites_and_checks_the_file(tmp_path: Path) -> None:
    script = ROOT / "scripts" / "gen_rules_doc.py"
    done = subprocess.run(
        [sys.executable, str(script), "--check"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
