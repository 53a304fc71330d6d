"""Which rule moves a dossier's deadline when a requested supplement is supplied.

The rules are a setting (SUPPLEMENT_RULES), each with its legal basis and the date from which it
applies: a dossier follows the rule in force on the day it was accepted, so a change applies to
dossiers accepted from its date on and never rewrites the deadlines of earlier ones.

- keep_remaining: the working days left when the clock paused are counted again from the day of
  resumption (Decision 766's reference then compares the end with the moved due date and does
  not subtract the pause a second time);
- restart: the whole processing time starts again from the day of resumption.
"""

from dataclasses import dataclass
from datetime import date, datetime

from django.conf import settings
from django.utils import timezone

KEEP_REMAINING, RESTART = "keep_remaining", "restart"
RULES = (KEEP_REMAINING, RESTART)


@dataclass(frozen=True)
class SupplementRule:
    legal_basis: str
    effective_from: date
    rule: str


def supplement_rules() -> list[SupplementRule]:
    """SUPPLEMENT_RULES, oldest first."""
    rules = [
        SupplementRule(
            legal_basis=entry["legal_basis"],
            effective_from=date.fromisoformat(entry["effective_from"]),
            rule=entry["rule"],
        )
        for entry in settings.SUPPLEMENT_RULES
    ]
    unknown = [each.rule for each in rules if each.rule not in RULES]
    if unknown:
        raise ValueError(f"SUPPLEMENT_RULES: unknown rule {unknown[0]!r}; use one of {RULES}.")
    return sorted(rules, key=lambda each: each.effective_from)


def supplement_rule(accepted_at: datetime | None) -> SupplementRule:
    """The rule in force on the local day of acceptance (the oldest one before all of them)."""
    rules = supplement_rules()
    if accepted_at is None:
        return rules[-1]
    day = timezone.localdate(accepted_at)
    in_force = [each for each in rules if each.effective_from <= day]
    return in_force[-1] if in_force else rules[0]
