"""Kubernetes resource quantities (`250m`, `1Gi`, `1e3`, `0.5`) compared by value.

The apiserver rewrites a quantity in its canonical form (`1000m` is stored as `1`, `0.5` as
`500m`, `1000M` as `1G`), so comparing the text reports drift that is not there (Argo CD
issues #1615, #17682 and #21135). Values are parsed into exact fractions, never floats.

The grammar is the one of `k8s.io/apimachinery/pkg/api/resource`: a signed decimal number
followed by a binary suffix (`Ki`…`Ei`), a decimal suffix (`n`, `u`, `m`, `k`, `M`…`E`) or a
decimal exponent (`e3`, `E-2`).
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


@lru_cache(maxsize=4096)
def parse_quantity(text: str) -> Fraction | None:
    """The exact value of a quantity string, or None when it is not a quantity."""
    match = _QUANTITY.fullmatch(text.strip())
    if match is None:
        return None
    number, exponent, suffix = match.groups()
    value = Fraction(number)
    if exponent is not None:
        return value * Fraction(10) ** int(exponent)
    return value * _SUFFIXES[suffix or ""]


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
