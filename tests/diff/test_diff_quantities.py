"""Resource quantities are compared by value (Argo CD #1615, #17682, #21135)."""

from __future__ import annotations

from fractions import Fraction

import pytest

from kubedrift.diff.quantities import (
    canonical_quantity,
    out_of_range,
    parse_quantity,
    quantities_equal,
)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1", Fraction(1)),
        ("250m", Fraction(1, 4)),
        ("0.5", Fraction(1, 2)),
        (".5", Fraction(1, 2)),
        ("+2", Fraction(2)),
        ("-1", Fraction(-1)),
        ("1k", Fraction(1000)),
        ("1Ki", Fraction(1024)),
        ("1.5Gi", Fraction(3 * 2**29)),
        ("1E", Fraction(10**18)),  # exa, not an exponent
        ("1Ei", Fraction(2**60)),
        ("1e3", Fraction(1000)),
        ("1E3", Fraction(1000)),
        ("1e-3", Fraction(1, 1000)),
        ("5n", Fraction(5, 10**9)),
        ("7u", Fraction(7, 10**6)),
        (" 1Gi ", Fraction(2**30)),
    ],
)
def test_parse_quantity(text: str, value: Fraction) -> None:
    assert parse_quantity(text) == value


@pytest.mark.parametrize("text", ["", "Gi", "1gi", "1.2.3", "1 Gi", "one", "1Gib", "0x10", "1e"])
def test_parse_quantity_rejects_non_quantities(text: str) -> None:
    assert parse_quantity(text) is None


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("1", 1),
        ("1000m", "1"),
        ("1000m", 1),
        ("1Gi", "1024Mi"),
        ("0.5", "500m"),
        (0.5, "500m"),
        (0.1, "100m"),  # a float is read as written, not as its binary value
        ("1e3", "1k"),
        ("1000M", "1G"),
        ("2", 2.0),
        ("1536Mi", "1.5Gi"),
        ("30Gi", "32212254720"),
    ],
)
def test_equal_quantities(a: object, b: object) -> None:
    assert quantities_equal(a, b)
    assert quantities_equal(b, a)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("1Gi", "1G"),
        ("1", "2"),
        ("1m", "1"),
        ("1", True),  # a boolean is not a quantity
        ("abc", "abc"),  # equal text is the caller's shortcut, not a quantity
        ("1E", "1E3"),
        (None, None),
    ],
)
def test_unequal_quantities(a: object, b: object) -> None:
    assert not quantities_equal(a, b)


@pytest.mark.parametrize(
    ("value", "canonical"),
    [
        (1, "1"),
        ("1000m", "1"),
        ("0.5", "500m"),
        ("1Gi", "1073741824"),
        ("1u", "1u"),
        ("1n", "1n"),
        ("0.1n", "1n"),  # below a nano-unit Kubernetes rounds up
        ("abc", None),
        (True, None),
    ],
)
def test_canonical_quantity(value: object, canonical: str | None) -> None:
    assert canonical_quantity(value) == canonical


@pytest.mark.parametrize("text", ["1e100000000", "1e-100000000", "9" * 100, "1e65"])
def test_out_of_range_quantities_are_not_parsed(text: str) -> None:
    """Regression (issue 12.5): `1e100000000` built an exact fraction for minutes."""
    import time

    start = time.monotonic()
    assert parse_quantity(text) is None
    assert out_of_range(text)
    # refused at once vs minutes of exact arithmetic: a bound only that far apart can tell
    # them apart without failing on a loaded machine (issue 17.5)
    assert time.monotonic() - start < 20


def test_kubernetes_range_still_parses() -> None:
    assert parse_quantity("1e18") == 10**18
    assert parse_quantity("9223372036854775807") == 2**63 - 1
    assert not out_of_range("16Ei")
