import re

import pytest

from kubedrift.analysis.versions import compare, parse_range, parse_version


@pytest.mark.parametrize(
    ("text", "version"),
    [
        ("570.133.20", (570, 133, 20)),
        ("v1.29.3-eks-ae9a62a", (1, 29, 3)),
        ("containerd://1.7.12", (1, 7, 12)),
        ("cri-o://1.30.2", (1, 30, 2)),
        ("5.15.0-1057-aws", (5, 15, 0, 1057)),
        ("6.8.0-1015-aws", (6, 8, 0, 1015)),
        ("4.18.0-513.24.1.el8_9.x86_64", (4, 18, 0, 513, 24, 1)),
        ("1.7.12-0ubuntu1", (1, 7, 12)),
        ("1.2.3+build.5", (1, 2, 3)),
        ("12.8", (12, 8)),
        ("Ubuntu 22.04.4 LTS", (22, 4, 4)),
        ("Amazon Linux 2023.5.20240805", (2023, 5, 20240805)),
        ("ubuntu22.04", None),
        ("", None),
        ("unknown", None),
    ],
)
def test_parse_version_reads_every_dialect_nodes_report(
    text: str, version: tuple[int, ...]
) -> None:
    assert parse_version(text) == version


def test_versions_compare_numerically_and_zero_padded() -> None:
    assert compare((5, 15, 0, 1058), (5, 15, 0, 1057)) == 1
    assert compare((570, 86), (570, 86, 0)) == 0
    assert compare((9,), (10,)) == -1


@pytest.mark.parametrize(
    ("spec", "shown", "inside", "outside"),
    [
        (">=570.86, <571", ">=570.86,<571", ["570.86.15", "570.133.20"], ["550.144.03", "571.0"]),
        (">= 570.86 , < 571", ">=570.86,<571", ["570.86"], ["570.85.99"]),
        (">=570.86 <571", ">=570.86,<571", ["570.124.06"], ["575.51.03"]),
        (
            ">=5.15.0-1057",
            ">=5.15.0-1057",
            ["5.15.0-1057-aws", "5.15.0-1060-aws"],
            ["5.15.0-1056-aws"],
        ),
        ("==1.29.*", "==1.29.*", ["v1.29.3-eks-ae9a62a", "1.29"], ["v1.30.0", "v1.2.9"]),
        ("1.7.12", "==1.7.12", ["containerd://1.7.12"], ["containerd://1.7.13"]),
        ("!=550.54.14", "!=550.54.14", ["550.54.15"], ["550.54.14"]),
        (">v1.28", ">v1.28", ["v1.28.1-eks-1"], ["v1.28.0", "v1.27.9"]),
        ("<=22.04", "<=22.04", ["Ubuntu 22.04 LTS", "Ubuntu 20.04.6 LTS"], ["Ubuntu 22.04.4 LTS"]),
    ],
)
def test_ranges(spec: str, shown: str, inside: list[str], outside: list[str]) -> None:
    version_range = parse_range(spec)
    assert str(version_range) == shown
    assert all(version_range.contains(v) for v in inside)
    assert not any(version_range.contains(v) for v in outside)


def test_a_value_without_a_version_is_never_in_range() -> None:
    assert not parse_range(">=0").contains("not-a-version")


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (">=5.15.0 <<6", "invalid version range '>=5.15.0 <<6'"),
        ("", "invalid version range '': it is empty"),
        ("latest", "invalid version range 'latest'"),
        (">=1.*", "invalid version range '>=1.*': '>=1.*' mixes >= and .*"),
        ("=>1.2", "invalid version range '=>1.2'"),
    ],
)
def test_invalid_ranges_say_what_is_wrong(spec: str, message: str) -> None:
    with pytest.raises(ValueError, match="^" + re.escape(message) + "$"):
        parse_range(spec)
