"""`kubedrift adopt`: write the live values of chosen findings into the desired files of a
local Git work tree, on a new branch with one commit (or, with `--diff`, only print the
change).

The findings come from a scan of `--desired` (a folder or file in a Git work tree, read as
it is) against the cluster or `--live` snapshots. They are chosen by `--finding ID` (the
ids `kubedrift plan` prints), `--rule`, `--path` (a glob on the JSON pointer), `--kind`
and `-l` (a label selector on desired objects), or `--all`; nothing is chosen by default.
A finding a suppression covers (`--store`, KubedriftConfig `suppressions:`, read as `scan`
reads them) is adopted only when `--finding` names it.
Each chosen finding that cannot be adopted is named on stderr with the reason
(`remediate/adopt.py`); with `--finding`, one such refusal writes nothing.

A work tree with uncommitted changes is refused unless `--allow-dirty` (then only the
adopted files are committed). Exit 0 when the commit (or diff) is made, or nothing
drifted; 1 on error or when nothing chosen can be adopted.
"""

from __future__ import annotations

import asyncio
import difflib
import fnmatch
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer

from kubedrift.cli.errors import one_line
from kubedrift.cli.options import WorkTreeOpt
from kubedrift.cli.progress import Progress
from kubedrift.cli.reading import write
from kubedrift.cli.remediate_render import finding_id
from kubedrift.cli.scan_inputs import ScanInputs, scan_command
from kubedrift.desired.commit import WorkTree, commit_on_branch, open_work_tree, relative
from kubedrift.desired.git import parse_git_spec
from kubedrift.engine.adoption import adoption_inputs
from kubedrift.model import Category, Finding, InputError
from kubedrift.remediate.adopt import Adoption, plan_adoption


@dataclass(frozen=True, slots=True)
class Choice:
    """Which findings to adopt (all given criteria must hold)."""

    ids: frozenset[str]
    rule: str | None
    path: str | None
    kind: str | None
    everything: bool

    def given(self) -> bool:
        """Whether anything at all was chosen."""
        return bool(self.ids or self.rule or self.path or self.kind or self.everything)

    def wants(self, finding: Finding) -> bool:
        """Whether `finding` is chosen (`--all` takes object findings only, and a suppressed
        finding is chosen only by its id)."""
        return (
            # a suppressed finding only when named: accepting it into Git is how it ends
            (finding.suppression is None or finding_id(finding) in self.ids)
            and (not self.ids or finding_id(finding) in self.ids)
            and (self.rule is None or finding.rule == self.rule)
            and (self.path is None or fnmatch.fnmatchcase(finding.path, self.path))
            and (self.kind is None or finding.object.kind == self.kind)
            and (bool(self.ids) or finding.category is Category.OBJECT)
        )


ADOPT_OMITS = frozenset(
    {"desired", "all_namespaces", "pool_label", "disable_rule", "allow_empty", "agent_namespace"}
)
"""Scan options adopt does not take: it reads its one work tree (`--desired`, a path) and
judges objects only, so node and workload rules and their switches do not apply."""


@scan_command(omit=ADOPT_OMITS, pinned={"nodes": False, "workloads": False})
def adopt(
    desired: WorkTreeOpt,
    inputs: ScanInputs,
    finding: Annotated[
        list[str] | None,
        typer.Option("--finding", metavar="<id>", help="This finding id. Repeatable."),
    ] = None,
    rule: Annotated[str | None, typer.Option(help="Findings of this rule.")] = None,
    path: Annotated[
        str | None, typer.Option(help="Findings whose JSON pointer matches this glob.")
    ] = None,
    kind: Annotated[str | None, typer.Option(help="Findings on objects of this kind.")] = None,
    everything: Annotated[
        bool, typer.Option("--all", help="Every adoptable object finding.")
    ] = False,
    branch: Annotated[
        str | None, typer.Option(help="Branch to create (default kubedrift/adopt-<id>).")
    ] = None,
    diff: Annotated[
        bool, typer.Option("--diff", help="Print the change as a unified diff; write nothing.")
    ] = False,
    allow_dirty: Annotated[
        bool, typer.Option("--allow-dirty", help="Work on a tree with uncommitted changes.")
    ] = False,
) -> int:
    """Write live values of chosen findings into the Git files they came from (a commit)."""
    choice = Choice(frozenset(finding or ()), rule, path, kind, everything)
    if not choice.given() and not inputs.selector:
        raise InputError("choose findings: --finding ID, --rule, --path, --kind, -l or --all")
    tree = _work_tree(desired, check_clean=not diff and not allow_dirty)
    request = inputs.reading(str(desired)).request()
    with Progress() as progress:
        scanned = asyncio.run(adoption_inputs(request, progress.update))
    chosen = [f for f in scanned.report.findings if choice.wants(f)]
    _check_ids(choice, chosen)
    if not chosen:
        typer.echo("kubedrift: nothing to adopt: no chosen finding drifted", err=True)
        return 0
    adoption = plan_adoption(chosen, scanned.desired, scanned.live, _read, _files)
    _report_refusals(adoption)
    if not adoption.files or (adoption.refused and choice.ids):
        raise InputError(f"nothing adopted: {len(adoption.refused)} finding(s) cannot be")
    if diff:
        write(unified_diff(tree, adoption))
        return 0
    name = branch or default_branch(adoption)
    sha = commit_on_branch(tree, name, {e.path: e.after for e in adoption.files}, message(adoption))
    write(_summary(adoption, tree, name, sha))
    return 0


def _work_tree(desired: Path, *, check_clean: bool) -> WorkTree:
    spec = str(desired)
    if not desired.exists() or parse_git_spec(spec) is not None:
        raise InputError("adopt needs a folder or file of a local Git work tree", where=spec)
    tree = open_work_tree(desired)
    if check_clean and tree.changes():
        raise InputError(
            "the work tree has uncommitted changes: commit or stash them, or pass --allow-dirty",
            where=str(tree.root),
        )
    return tree


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def _files(folder: Path) -> list[Path]:
    """Every file under `folder` (a chart's templates), none when it is missing."""
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else []


def _check_ids(choice: Choice, chosen: Sequence[Finding]) -> None:
    unknown = choice.ids - {finding_id(f) for f in chosen}
    if unknown:
        raise InputError(
            f"no current finding has id {', '.join(sorted(unknown))} "
            "(ids are shown by `kubedrift plan`)"
        )


def _report_refusals(adoption: Adoption) -> None:
    for r in adoption.refused:
        f = r.finding
        line = f"kubedrift: cannot adopt {finding_id(f)} {f.object} {f.path}: {r.reason}"
        typer.echo(one_line(line), err=True)


def default_branch(adoption: Adoption) -> str:
    """`kubedrift/adopt-` and a short hash of the adopted findings' ids."""
    ids = sorted({finding_id(a.finding) for a in adoption.adopted})
    return "kubedrift/adopt-" + hashlib.sha256(" ".join(ids).encode()).hexdigest()[:8]


def message(adoption: Adoption) -> str:
    """The commit message: a subject, then each adopted finding (id, object, field, rule)."""
    findings = _distinct(adoption)
    lines = [f"kubedrift adopt: {len(findings)} live value(s) into Git", ""]
    lines += [f"- {finding_id(f)} {f.object} {f.path} ({f.rule})" for f in findings]
    return "\n".join(lines) + "\n"


def _distinct(adoption: Adoption) -> list[Finding]:
    seen: dict[str, Finding] = {}
    for a in adoption.adopted:
        seen.setdefault(finding_id(a.finding), a.finding)
    return list(seen.values())


def unified_diff(tree: WorkTree, adoption: Adoption) -> str:
    """The change as `git diff` shows it (a/ and b/ paths inside the repository)."""
    out: list[str] = []
    for edit in adoption.files:
        (name,) = relative(tree, [edit.path])
        out += difflib.unified_diff(
            edit.before.splitlines(keepends=True),
            edit.after.splitlines(keepends=True),
            fromfile=f"a/{name}",
            tofile=f"b/{name}",
        )
    return "".join(out)


def _summary(adoption: Adoption, tree: WorkTree, branch: str, sha: str) -> str:
    files = ", ".join(relative(tree, [e.path for e in adoption.files]))
    lines = [f"adopted {len(_distinct(adoption))} finding(s) on branch {branch} ({sha[:12]})"]
    lines += [f"  {finding_id(f)} {f.object} {f.path}" for f in _distinct(adoption)]
    lines.append(f"files: {files}")
    return "\n".join(lines) + "\n"
