"""Regular expressions from user input (NodeProfile `regex:` matchers), matched in linear time.

Python's `re` backtracks: a pattern such as `(a+)+$` against 40 `a`s and a `b` runs for
minutes, and a NodeProfile is input anyone with write access to the desired repository
controls. RE2 (`google-re2`, the engine Go's `regexp` and so Kubernetes and Prometheus use)
guarantees time linear in the input and refuses the constructs that need backtracking:
backreferences and lookarounds. Its syntax is otherwise Python's for what profiles need
(classes, anchors, groups, alternation, repetition); `\\d` and `\\w` are ASCII only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import re2  # type: ignore[import-untyped]

_OPTIONS = re2.Options()
_OPTIONS.log_errors = False  # RE2 logs its parse errors to stderr; ours carry the message
_MAX_PATTERN = 4096


@dataclass(frozen=True, slots=True)
class LinearRegex:
    """A compiled RE2 pattern; `pattern` is its source text."""

    pattern: str
    _compiled: Any = field(repr=False, compare=False)

    def fullmatch(self, text: str) -> bool:
        """Whether the whole of `text` matches."""
        return self._compiled.fullmatch(text) is not None


def compile_regex(pattern: str) -> LinearRegex:
    """Compile `pattern`; ValueError with RE2's reason when it is not valid RE2 syntax."""
    if len(pattern) > _MAX_PATTERN:
        raise ValueError(f"longer than {_MAX_PATTERN} characters")
    try:
        compiled = re2.compile(pattern, options=_OPTIONS)
    except re2.error as error:
        reason = error.args[0] if error.args else error
        text = reason.decode(errors="replace") if isinstance(reason, bytes) else str(reason)
        text = text.removesuffix(f": {pattern}")  # RE2 quotes the pattern; ours does already
        hint = (
            " (RE2 has no backreferences or lookarounds)" if "perl" in text or "\\" in text else ""
        )
        raise ValueError(text + hint) from None
    return LinearRegex(pattern, compiled)
