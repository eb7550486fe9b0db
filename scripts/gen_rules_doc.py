"""Write docs/rules.md, the rule catalogue, from the code (`kubedrift.model.rule_docs`).

    python scripts/gen_rules_doc.py          # rewrite docs/rules.md
    python scripts/gen_rules_doc.py --check  # exit 1 when docs/rules.md is out of date

tests/model/test_rule_docs.py fails when the file and the code disagree.
"""

from __future__ import annotations

import sys
from pathlib import Path

from kubedrift.model.rule_docs import render_markdown

TARGET = Path(__file__).resolve().parents[1] / "docs" / "rules.md"


def main(argv: list[str]) -> int:
    """Write the file, or with `--check` compare it; the exit code."""
    text = render_markdown()
    if "--check" in argv:
        if TARGET.read_text(encoding="utf-8") != text:
            print(f"{TARGET}: out of date; run python scripts/gen_rules_doc.py", file=sys.stderr)
            return 1
        return 0
    TARGET.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
