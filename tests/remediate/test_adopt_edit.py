"""Editing YAML in place (remediate/yamledit.py): golden files, comments and quoting kept,
untouched documents byte for byte, mixed indentation, and the refusals.

`manifests.yaml` is a hand-written multi-document file (comments at the head, between
documents and at line ends; single, double and no quotes; flow mappings; a List). The
golden `manifests.adopted.yaml` is it with one field of each adopted kind changed; the test
also checks that every other line is the input's own.
"""

from __future__ import annotations

import difflib
from pathlib import Path

import pytest
import yaml

from kubedrift.desired.documents import parse_yaml
from kubedrift.model import MISSING
from kubedrift.remediate.yamledit import Change, EditError, document_spans, edit_document

GOLDEN = Path(__file__).parent / "golden"
CONTAINER = ("spec", "template", "spec", "containers", "name=app")


def adopted() -> str:
    text = (GOLDEN / "manifests.yaml").read_text()
    text = edit_document(
        text,
        1,
        None,
        [
            Change((*CONTAINER, "image"), "registry.example.com/trainer:1.1"),
            Change(("spec", "replicas"), 3),
            Change((*CONTAINER, "env", "name=MODE", "value"), "debug"),
            Change((*CONTAINER, "env", "name=EXTRA"), {"name": "EXTRA", "value": "1"}),
            Change(("metadata", "labels", "team"), "ml"),
            Change(("metadata", "annotations", "example.com/owner"), "alice"),
        ],
    )
    text = edit_document(text, 2, None, [Change(("data", "mode"), "staging")])
    return edit_document(text, 3, 0, [Change(("data", "k"), "w")])


def test_golden_file_is_the_input_with_exactly_the_adopted_fields() -> None:
    assert adopted() == (GOLDEN / "manifests.adopted.yaml").read_text()


def test_every_comment_and_every_untouched_line_is_kept() -> None:
    before = (GOLDEN / "manifests.yaml").read_text().splitlines()
    after = adopted().splitlines()
    comments = [line for line in before if "#" in line]
    assert all(any(c.split("#", 1)[1] in a for a in after) for c in comments)
    changed = [d for d in difflib.ndiff(before, after) if d[:1] in "+-"]
    # 5 lines change (image, replicas, MODE, mode, k); 5 are new (label, annotations, EXTRA)
    assert len([d for d in changed if d.startswith("-")]) == 5
    assert len([d for d in changed if d.startswith("+")]) == 10


def test_the_result_parses_to_the_input_plus_the_changes() -> None:
    docs = list(yaml.safe_load_all(adopted()))
    app = docs[0]["spec"]["template"]["spec"]["containers"][0]
    assert app["image"] == "registry.example.com/trainer:1.1"
    assert app["env"] == [
        {"name": "MODE", "value": "debug"},
        {"name": "LR", "value": "0.1"},
        {"name": "EXTRA", "value": "1"},
    ]
    assert docs[0]["spec"]["replicas"] == 3
    assert docs[1]["data"] == {
        "mode": "staging",
        "batch": "64",
        "notes": "free text\nover two lines\n",
    }
    original = list(yaml.safe_load_all((GOLDEN / "manifests.yaml").read_text()))
    assert docs[2]["items"][1] == original[2]["items"][1]


def test_a_document_not_edited_stays_byte_for_byte() -> None:
    text = (GOLDEN / "manifests.yaml").read_text()
    spans = document_spans(text)
    out = edit_document(text, 2, None, [Change(("data", "mode"), "staging")])
    assert out[: spans[1][0]] == text[: spans[1][0]]
    assert out.endswith(text[spans[2][0] :])


def test_quoting_is_kept_and_new_strings_are_quoted_where_yaml_needs_it() -> None:
    text = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  a: \"x\"\n  b: '1'\n"
    out = edit_document(
        text, None, None, [Change(("data", "a"), "y"), Change(("data", "b"), "2.0")]
    )
    assert out.endswith("  a: \"y\"\n  b: '2.0'\n")
    out = edit_document(text, None, None, [Change(("data", "n"), "true")])
    assert yaml.safe_load(out)["data"]["n"] == "true"


def test_a_field_removed_live_is_removed_from_the_file() -> None:
    text = (GOLDEN / "manifests.yaml").read_text()
    out = edit_document(text, 1, None, [Change((*CONTAINER, "env", "name=LR"), MISSING)])
    env = yaml.safe_load(out.split("---")[0])["spec"]["template"]["spec"]["containers"][0]["env"]
    assert env == [{"name": "MODE", "value": "prod"}]
    assert "tuned in October" not in out


def test_mixed_indentation_changes_only_the_edited_line() -> None:
    text = (
        "kind: List\napiVersion: v1\nitems:\n- apiVersion: apps/v1\n  kind: Deployment\n"
        "  metadata:\n    name: d\n  spec:\n    template:\n      spec:\n        containers:\n"
        "          - name: app\n            image: a:1\n"
    )
    out = edit_document(text, None, 0, [Change(("spec", "template", "spec", "containers",
                                                 "name=app", "image"), "a:2")])  # fmt: skip
    assert out == text.replace("image: a:1", "image: a:2")


def test_a_missing_document_or_item_is_refused() -> None:
    text = (GOLDEN / "manifests.yaml").read_text()
    with pytest.raises(EditError, match="has no document 9"):
        edit_document(text, 9, None, [Change(("data", "x"), "y")])
    with pytest.raises(EditError, match=r"has no items\[5\]"):
        edit_document(text, 3, 5, [Change(("data", "x"), "y")])


def test_empty_documents_count_as_the_loader_counts_them() -> None:
    text = "---\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n  a: b\n"
    (document,) = parse_yaml(text, "t.yaml")  # the empty first document is counted
    assert document.index == 2
    out = edit_document(text, document.index, None, [Change(("data", "a"), "c")])
    assert out == text.replace("a: b", "a: c")


@pytest.mark.parametrize("value", ["yes", "on", "No", "y", "N", "0755", "12:30", "5", "true"])
def test_a_string_yaml_1_1_reads_as_another_value_is_quoted(value: str) -> None:
    """ruamel.yaml writes YAML 1.2, where `on` and `yes` are text; Kubernetes reads YAML 1.1,
    where they are booleans. The first version wrote them unquoted (a ConfigMap value `on`
    would have become `true` on the next apply)."""
    text = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  a: x\n"
    out = edit_document(text, None, None, [Change(("data", "a"), value)])
    assert out.replace("'", '"') == text.replace("a: x", f'a: "{value}"')
    assert yaml.safe_load(out)["data"]["a"] == value


def test_positions_removed_from_a_list_are_removed_from_the_highest_down() -> None:
    """`args: [a, b, c]` with `b` and `c` gone live: two findings at positions 1 and 2."""
    text = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  args:\n  - a\n  - b\n  - c\n"
    changes = [Change(("spec", "args", "1"), MISSING), Change(("spec", "args", "2"), MISSING)]
    assert edit_document(text, None, None, changes) == text.replace("  - b\n  - c\n", "")
