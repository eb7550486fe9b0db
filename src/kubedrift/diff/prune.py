"""Pointer patterns and the compiled tree that prunes them from a comparison.

A pattern is a JSON pointer whose segments may be shell globs: `*` is any key or any list
element, `nvidia.com~1*` any label of that prefix. A list element is matched by its rendered
key (`name=trainer`) or by its position (`0`), so Argo CD style pointers work too. The empty
pointer `""` selects the whole object.

Patterns are compiled once into a tree; the comparison walks the tree alongside the objects,
carrying the set of tree nodes its position matches (a `State`, nearly always empty or one
node), and skips a field as soon as a node is terminal. Skipping a field skips it on every
side at once, which is what "applied to both sides" means. A pattern naming a path that does
not exist simply never matches.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from fnmatch import fnmatchcase
from typing import Any, TypeAlias

from kubedrift.diff.pointers import split

Pattern: TypeAlias = tuple[str, ...]
_GLOB_CHARS = frozenset("*?[")


class PruneNode:
    """One node of a compiled pattern tree (immutable once built)."""

    __slots__ = ("exact", "globs", "terminal")

    def __init__(
        self, exact: dict[str, PruneNode], globs: tuple[tuple[str, PruneNode], ...], terminal: bool
    ) -> None:
        self.exact = exact
        self.globs = globs
        self.terminal = terminal


State: TypeAlias = tuple[PruneNode, ...]


def parse_pattern(text: object) -> Pattern:
    """A pattern from its pointer text; raise ValueError when it is malformed."""
    if not isinstance(text, str):
        raise ValueError(f"a JSON pointer must be a string, not {type(text).__name__}")
    segments = split(text)
    if any(segment == "" for segment in segments):
        raise ValueError(f"JSON pointer {text!r} has an empty segment")
    return segments


def is_glob(segment: str) -> bool:
    """True when a segment is a shell glob rather than a literal key."""
    return not _GLOB_CHARS.isdisjoint(segment)


def build_tree(patterns: Iterable[Pattern]) -> PruneNode:
    """Compile patterns into one tree."""
    root: dict[str, Any] = {}
    for pattern in patterns:
        node = root
        for segment in pattern:
            node = node.setdefault(segment, {})
        node[""] = True  # terminal marker; "" is never a segment (rejected by parse_pattern)
    return _freeze(root)


def _freeze(raw: dict[str, Any]) -> PruneNode:
    exact: dict[str, PruneNode] = {}
    globs: list[tuple[str, PruneNode]] = []
    for segment, sub in raw.items():
        if segment == "":
            continue
        if is_glob(segment):
            globs.append((segment, _freeze(sub)))
        else:
            exact[segment] = _freeze(sub)
    return PruneNode(exact, tuple(globs), "" in raw)


def step(state: State, name: str, alt: str | None = None) -> State:
    """The nodes matching child `name` (or its alternative name `alt`, a list position)."""
    out: list[PruneNode] = []
    for node in state:
        for candidate in (name, alt):
            if candidate is None:
                continue
            child = node.exact.get(candidate)
            if child is not None:
                out.append(child)
        out.extend(
            child
            for pattern, child in node.globs
            if fnmatchcase(name, pattern) or (alt is not None and fnmatchcase(alt, pattern))
        )
    return tuple(out)


def is_pruned(state: State) -> bool:
    """True when the current position is covered by a pattern."""
    return any(node.terminal for node in state)


def matches_prefix(pattern: Pattern, names: Sequence[str]) -> bool:
    """True when `pattern` matches the first segments of a path given as segment texts."""
    if len(pattern) > len(names):
        return False
    return all(
        fnmatchcase(name, segment) if is_glob(segment) else name == segment
        for segment, name in zip(pattern, names, strict=False)
    )
