"""The `--heal*` options of `kubedrift watch`, and the `HealOptions` they make.

`--heal` switches self-heal on; it is a dry run unless `--heal-mode apply`. The scoping
flags (`--heal-namespace`, `--heal-kind`, `--heal-rule`, `--heal-max-per-minute`,
`--heal-trust`, `--heal-fight-rounds`) are checked exactly as the `heal:` block of a
KubedriftConfig is (`desired.heal.parse_heal`), and win over it key by key.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from kubedrift.controller.heal import HealOptions
from kubedrift.desired.heal import parse_heal
from kubedrift.model import InputError
from kubedrift.remediate.heal import HealMode

HealOpt = Annotated[
    bool,
    typer.Option(
        "--heal",
        help="Self-heal: revert drifted fields to desired (a dry run unless --heal-mode apply).",
    ),
]
HealModeOpt = Annotated[
    HealMode | None,
    typer.Option(
        "--heal-mode",
        help="dry-run (default: record and alert what it would revert) or apply (write).",
        case_sensitive=False,
    ),
]
HealNamespaceOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--heal-namespace",
        metavar="<glob>",
        help="Heal only in namespaces matching this glob (repeatable).",
    ),
]
HealKindOpt = Annotated[
    list[str] | None,
    typer.Option("--heal-kind", metavar="<kind>", help="Heal only this kind. Repeatable."),
]
HealRuleOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--heal-rule", metavar="<rule>", help="Heal only findings of this rule. Repeatable."
    ),
]
HealRateOpt = Annotated[
    int | None,
    typer.Option("--heal-max-per-minute", help="At most this many heals a minute (default 10)."),
]
HealTrustOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--heal-trust",
        metavar="<manager>",
        help="Never revert fields owned by this field manager (glob), besides the built-in "
        "controllers. Repeatable.",
    ),
]
HealFightOpt = Annotated[
    int | None,
    typer.Option(
        "--heal-fight-rounds",
        help="Stop healing a field after this many reverts another writer undid (default 3).",
    ),
]


def heal_options(
    heal: bool,
    mode: HealMode | None,
    *,
    namespaces: list[str] | None,
    kinds: list[str] | None,
    rules: list[str] | None,
    max_per_minute: int | None,
    trust: list[str] | None,
    fight_rounds: int | None,
) -> HealOptions | None:
    """The options, or None without `--heal`; InputError for a bad value or a stray flag."""
    raw: dict[str, Any] = {
        "namespaces": namespaces,
        "kinds": kinds,
        "rules": rules,
        "maxPerMinute": max_per_minute,
        "trustedManagers": trust,
        "fightRounds": fight_rounds,
    }
    given = {k: v for k, v in raw.items() if v is not None}
    if not heal:
        if given or mode is not None:
            raise InputError("the --heal-* options need --heal")
        return None
    try:
        settings = parse_heal(given)
    except ValueError as exc:
        raise InputError(_flag_names(str(exc))) from None
    return HealOptions(mode=mode or HealMode.DRY_RUN, settings=settings)


_FLAGS = {
    "heal.namespaces": "--heal-namespace",
    "heal.kinds": "--heal-kind",
    "heal.rules": "--heal-rule",
    "heal.maxPerMinute": "--heal-max-per-minute",
    "heal.trustedManagers": "--heal-trust",
    "heal.fightRounds": "--heal-fight-rounds",
}


def _flag_names(message: str) -> str:
    """The config's key names in an error message, as the flags that set them."""
    for key, flag in _FLAGS.items():
        message = message.replace(key, flag)
    return message
