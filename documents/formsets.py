"""The statutory form sets, each tied to the legal basis in force when a form is issued.

Decree 118/2025/NĐ-CP replaced Decree 61/2018/NĐ-CP from 1 July 2025; Circular 01/2018/TT-VPCP
gave the one-stop forms. A new form set is one more entry here and one more template folder
(`documents/templates/documents/forms/<code>/`): forms already issued keep their bytes and
the form set they were made with.
"""

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class FormSet:
    code: str
    legal_basis: str  # printed under each form's number
    valid_from: date
    valid_until: date | None = None

    def covers(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_until is None or day <= self.valid_until)

    def template(self, kind: str) -> str:
        return f"documents/forms/{self.code}/form_{kind}.xml"


FORM_SETS = (
    FormSet(
        code="tt01_2018",
        legal_basis="Ban hành kèm theo Thông tư số 01/2018/TT-VPCP (Nghị định số 61/2018/NĐ-CP)",
        valid_from=date(2018, 8, 21),
        valid_until=date(2025, 6, 30),
    ),
    FormSet(
        code="nd118_2025",
        legal_basis="Theo Nghị định số 118/2025/NĐ-CP và Thông tư số 01/2018/TT-VPCP",
        valid_from=date(2025, 7, 1),
    ),
)


def form_set_for(day: date) -> FormSet:
    """The form set in force on `day` (the earliest one for older days)."""
    for form_set in reversed(FORM_SETS):
        if form_set.covers(day):
            return form_set
    return FORM_SETS[0]
