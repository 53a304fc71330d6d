"""Citizens' personal data: one rule for the API and the admin.

Who sees an applicant's ID number, phone, email and address unmasked is
`selectors.personal_data_unit_ids(user)` (the unit handling the dossier and the inspectors
overseeing it); everyone else sees them through `mask`.
"""

from django.db.models import BooleanField, Case, QuerySet, Value, When

from procedures.selectors import personal_data_unit_ids

# Dossier.applicant_<name> fields that are masked; the full name is not.
MASKED_APPLICANT_FIELDS = ("id_number", "phone", "email", "address")


def mask(value: str) -> str:
    """Hide all but the last three characters: 022090001234 → *********234."""
    if not value:
        return value
    keep = 3 if len(value) > 4 else 1
    return "*" * (len(value) - keep) + value[-keep:]


def with_personal_data_visible(queryset: QuerySet, user, *, unit_field: str) -> QuerySet:
    """Annotate each row with `personal_data_visible`: may `user` see its unit's citizens' data."""
    return queryset.annotate(
        personal_data_visible=Case(
            When(**{f"{unit_field}__in": personal_data_unit_ids(user)}, then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        )
    )


def shown(row, value: str) -> str:
    """`value` as the user may see it on `row` (annotated by `with_personal_data_visible`)."""
    return value if getattr(row, "personal_data_visible", False) else mask(value)


def applicant_data(dossier, *, unmasked: bool) -> dict:
    """The applicant as shown to a reader: `unmasked` when the dossier's unit is among the
    reader's `personal_data_unit_ids`, else the MASKED_APPLICANT_FIELDS through `mask`."""
    data = {"full_name": dossier.applicant_full_name}
    for name in MASKED_APPLICANT_FIELDS:
        value = getattr(dossier, f"applicant_{name}")
        data[name] = value if unmasked else mask(value)
    return data


def sees_personal_data(user, dossier) -> bool:
    """May `user` see the personal data of `dossier`'s applicant unmasked."""
    return dossier.unit_id in personal_data_unit_ids(user)
