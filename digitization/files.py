"""Who may open a stored file (a component's scan, a result document, an inspection's evidence).

Scans and results carry the applicant's personal data, so they follow the personal-data rule of
the API (procedures.selectors.personal_data_unit_ids): the staff of the unit handling the
dossier and the inspectors overseeing it. Evidence files follow the findings they belong to.
"""

from django.db.models import Q

from digitization.models import DigitizedFile
from procedures.models import Dossier
from procedures.selectors import personal_data_unit_ids


def may_open_file(user, stored: DigitizedFile) -> bool:
    from inspections.selectors import findings_visible_to

    if not user.is_active:
        return False
    dossiers = Dossier.objects.filter(unit_id__in=personal_data_unit_ids(user))
    if dossiers.filter(Q(result_file=stored) | Q(components__file=stored)).exists():
        return True
    return findings_visible_to(user).filter(evidence=stored).exists()
