"""Version numbers as nodes report them, and version ranges that profiles declare.

Node software reports versions in many dialects: `v1.29.3-eks-ae9a62a` (kubelet),
`containerd://1.7.12` (runtime), `5.15.0-1057-aws` (kernel), `570.133.20` (NVIDIA driver),
`Ubuntu 22.04.4 LTS` (OS image). `parse_version` reads all of them the same way: drop a
`scheme://` prefix, find the first dotted number (after an optional `v`), keep it plus
any `-<digits>` parts that follow (the kernel's ABI number, RHEL's `-513.24.1`), and ignore the rest
(`-eks-…`, `+build`, `-0ubuntu1`, `-rc.1`: pre-release ordering is not modelled).
Versions compare as tuples of integers padded with zeros, so `1.29` equals `1.29.0`.

A range is a list of clauses joined by commas or spaces, all of which must hold:
`>=570.86, <571`, `>=5.15.0-1057`, `==1.29.*`, `!=550.54.14`. A clause without an
operator means `==`; a trailing `.*` (or `.x`) makes it a prefix match.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from functools import lru_cache

Version = tuple[int, ...]

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
# A dotted number at the start (after an optional v) or after a separator, then the
# numeric dash parts of a kernel release (`-1057` but not `-0ubuntu1`).
_VERSION = re.compile(
    r"(?:^|(?<=[\s:/=_(@]))[vV]?(\d+(?:\.\d+)*)((?:-\d+(?:\.\d+)*(?![0-9A-Za-z]))*)"
)


@lru_cache(maxsize=8192)
def parse_version(text: str) -> Version | None:
    """The numeric parts of a version string, or None when it holds no version."""
    match = _VERSION.search(_SCHEME.sub("", text.strip()))
    if match is None:
        return None
    dotted, dashed = match.groups()
    parts = [int(p) for p in dotted.split(".")]
    parts += [int(p) for p in re.split(r"[-.]", dashed) if p]
    return tuple(parts)


def compare(a: Version, b: Version) -> int:
    """-1, 0 or 1 as `a` is lower than, equal to or higher than `b` (zero-padded)."""
    width = max(len(a), len(b))
    pa, pb = a + (0,) * (width - len(a)), b + (0,) * (width - len(b))
    return (pa > pb) - (pa < pb)


def render(version: Version) -> str:
    """`(570, 86)` as `570.86`."""
    return ".".join(str(p) for p in version)


class Op(enum.Enum):
    """A comparison operator of a range clause."""

    GE = ">="
    LE = "<="
    GT = ">"
    LT = "<"
    EQ = "=="
    NE = "!="


_HOLDS = {
    Op.GE: lambda c: c >= 0,
    Op.LE: lambda c: c <= 0,
    Op.GT: lambda c: c > 0,
    Op.LT: lambda c: c < 0,
    Op.EQ: lambda c: c == 0,
    Op.NE: lambda c: c != 0,
}


@dataclass(frozen=True, slots=True)
class Clause:
    """One `<op><version>` condition; `prefix` means the version ended in `.*`.

    `text` is the version as the profile wrote it (`5.15.0-1057`), kept for display.
    """

    op: Op
    version: Version
    prefix: bool = False
    text: str = ""

    def holds(self, actual: Version) -> bool:
        """Whether `actual` satisfies this clause."""
        if self.prefix:
            same = actual[: len(self.version)] == self.version
            return same if self.op is Op.EQ else not same
        return bool(_HOLDS[self.op](compare(actual, self.version)))

    def __str__(self) -> str:
        shown = self.text or render(self.version) + (".*" if self.prefix else "")
        return f"{self.op.value}{shown}"


@dataclass(frozen=True, slots=True)
class VersionRange:
    """Clauses that must all hold, e.g. `>=570.86,<571`."""

    clauses: tuple[Clause, ...]

    def contains(self, text: str) -> bool:
        """Whether the version in `text` satisfies every clause; False if there is none."""
        actual = parse_version(text)
        return actual is not None and all(c.holds(actual) for c in self.clauses)

    def __str__(self) -> str:
        return ",".join(str(c) for c in self.clauses)


_OP_SPACE = re.compile(r"(>=|<=|==|!=|>|<|=)\s+")
_CLAUSE = re.compile(
    r"(>=|<=|==|!=|>|<|=)?[vV]?(\d+(?:\.\d+)*)(\.[*xX])?((?:-\d+(?:\.\d+)*)*)(?:[-+][0-9A-Za-z.-]*)?"
)


def parse_range(text: str) -> VersionRange:
    """Parse a range such as `>=570.86, <571`; ValueError says what is wrong."""
    tokens = [t for t in re.split(r"[,\s]+", _OP_SPACE.sub(r"\1", text.strip())) if t]
    if not tokens:
        raise ValueError(f"invalid version range {text!r}: it is empty")
    return VersionRange(tuple(_clause(token, text) for token in tokens))


def _clause(token: str, text: str) -> Clause:
    match = _CLAUSE.fullmatch(token)
    if match is None:
        raise ValueError(f"invalid version range {text!r}")
    op_text, dotted, wildcard, dashed = match.groups()
    op = Op.EQ if op_text in (None, "=") else Op(op_text)
    if wildcard and op not in (Op.EQ, Op.NE):
        raise ValueError(f"invalid version range {text!r}: {token!r} mixes {op.value} and .*")
    parts = [int(p) for p in dotted.split(".")] + [int(p) for p in re.split(r"[-.]", dashed) if p]
    shown = token[len(op_text or "") :]
    return Clause(op, tuple(parts), prefix=bool(wildcard), text=shown)
