"""Kubernetes resource quantities (`250m`, `1Gi`, `1e3`, `0.5`) compared by value.

The apiserver rewrites a quantity in its canonical form (`1000m` is stored as `1`, `0.5` as
`500m`, `1000M` as `1G`), so comparing the text reports drift that is not there (Argo CD
issues #1615, #17682 and #21135). Values are parsed into exact fractions, never floats.

The grammar is the one of `k8s.io/apimachinery/pkg/api/resource`: a signed decimal number
followed by a binary suffix (`Ki`…`Ei`), a decimal suffix (`n`, `u`, `m`, `k`, `M`…`E`) or a
decimal exponent (`e3`, `E-2`).

Bounds: Kubernetes caps a quantity at 2^63-1 (apimachinery `resource.Quantity`: "No matter
which of the three exponent forms is used, no quantity may represent a number greater than
2^63-1 in magnitude"), yet an exact fraction of `1e100000000` takes minutes to build. A
number longer than `MAX_DIGITS` characters or an exponent beyond ±`MAX_EXPONENT` is not
parsed as a quantity (it compares as text); `out_of_range` lets input checks say so.
"""

from __future__ import annotations

import re
from fractions import Fraction
from functools import lru_cache

_SUFFIXES: dict[str, Fraction] = {
    "": Fraction(1),
    "n": Fraction(1, 10**9),
    "u": Fraction(1, 10**6),
    "m": Fraction(1, 10**3),
    "k": Fraction(10**3),
    "M": Fraction(10**6),
    "G": Fraction(10**9),
    "T": Fraction(10**12),
    "P": Fraction(10**15),
    "E": Fraction(10**18),
    "Ki": Fraction(2**10),
    "Mi": Fraction(2**20),
    "Gi": Fraction(2**30),
    "Ti": Fraction(2**40),
    "Pi": Fraction(2**50),
    "Ei": Fraction(2**60),
}

# The exponent alternative comes first: "1E3" is 1000, while "1E" alone is one exa.
_QUANTITY = re.compile(
    r"([+-]?(?:\d+\.?\d*|\.\d+))(?:[eE]([+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]))?"
)


MAX_DIGITS = 64
MAX_EXPONENT = 64


@lru_cache(maxsize=4096)
def parse_quantity(text: str) -> Fraction | None:
    """The exact value of a quantity string, or None when it is not one (or out of range)."""
    match = _QUANTITY.fullmatch(text.strip())
    if match is None or _too_big(match):
        return None
    number, exponent, suffix = match.groups()
    value = Fraction(number)
    if exponent is not None:
        return value * Fraction(10) ** int(exponent)
    return value * _SUFFIXES[suffix or ""]


def _too_big(match: re.Match[str]) -> bool:
    number, exponent = match.group(1), match.group(2)
    return len(number) > MAX_DIGITS or (
        exponent is not None and (len(exponent) > 4 or abs(int(exponent)) > MAX_EXPONENT)
    )


def out_of_range(text: str) -> bool:
    """True when `text` has a quantity's syntax but a size no quantity may have."""
    match = _QUANTITY.fullmatch(text.strip())
    return match is not None and _too_big(match)


def quantity_value(value: object) -> Fraction | None:
    """The value of a quantity given as a string or a JSON number; None for anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return Fraction(value)
    if isinstance(value, float):
        return Fraction(repr(value))  # repr, not the binary value: 0.1 means one tenth here
    if isinstance(value, str):
        return parse_quantity(value)
    return None


def quantities_equal(a: object, b: object) -> bool:
    """True when both are quantities with the same value (`"1"`, `1` and `"1000m"` are equal)."""
    va = quantity_value(a)
    return va is not None and va == quantity_value(b)


def canonical_quantity(value: object) -> str | None:
    """A canonical text for a quantity: whole units, else milli-, micro- or nano-units."""
    number = quantity_value(value)
    if number is None:
        return None
    for suffix, scale in (("", 1), ("m", 10**3), ("u", 10**6), ("n", 10**9)):
        scaled = number * scale
        if scaled.denominator == 1:
            return f"{scaled.numerator}{suffix}"
    # Below a nano-unit Kubernetes rounds up; so does this.
    return f"{-((-number.numerator * 10**9) // number.denominator)}n"
