"""The checklist of a sampled dossier, prefilled from the records.

Each check answers True (complied), False (breached) or None (does not apply to this dossier):

- receipt_issued: the receipt and appointment slip (form 01) is issued when a complete dossier is
  accepted, so the records show it as the log entry that brought the dossier into step 1: the
  `create` entry of a counter or postal dossier, or the `accept` entry of an online one. Does not
  apply to a dossier never accepted (still submitted, or refused).
- components_digitized: every component of the dossier is scanned or reused. Does not apply to a
  dossier never accepted.
- on_time_or_apology: not overdue (finished no later than its due date, or still open and not
  past it; paused dossiers are not overdue) with at most one supplement request — or else an
  apology letter (form 04) is on record. Does not apply to a dossier without a due date.
- result_digitized: the signed result document is attached. Applies only to procedures that issue
  a result, and to dossiers that got past signing (in delivery or completed).
- no_extra_papers: every component of the dossier is one of the procedure's components (linked to
  it, or with the same name once the procedure's list was edited).
"""

from django.db.models import Exists, OuterRef, Prefetch, QuerySet

from inspections.models import ChecklistItemKind as Item
from procedures.models import (
    ApologyLetter,
    DigitizationStatus,
    Dossier,
    DossierComponent,
    DossierState,
    DossierTransition,
    ProcedureComponent,
)

RECEIPT_ACTIONS = ("create", "accept")


def apology_issued(dossier: Dossier) -> bool:
    """Whether an apology letter (form 04, procedures.ApologyLetter) was issued for the dossier."""
    return dossier.apology_on_record


def with_checklist_facts(dossiers: QuerySet[Dossier]) -> QuerySet[Dossier]:
    """The dossiers with what the checks read, loaded in a fixed number of queries."""
    receipts = DossierTransition.objects.filter(
        dossier=OuterRef("pk"),
        action__in=RECEIPT_ACTIONS,
        target_state=DossierState.INTAKE,
    )
    return (
        dossiers.select_related("procedure")
        .annotate(
            receipt_logged=Exists(receipts),
            apology_on_record=Exists(ApologyLetter.objects.filter(dossier=OuterRef("pk"))),
        )
        .prefetch_related(
            Prefetch("components", queryset=DossierComponent.objects.order_by("position", "id")),
            Prefetch(
                "procedure__components", queryset=ProcedureComponent.objects.order_by("position")
            ),
        )
    )


def _name(text: str) -> str:
    return " ".join(text.split()).casefold()


def receipt_issued(dossier: Dossier) -> bool | None:
    if dossier.accepted_at is None:
        return None
    return dossier.receipt_logged


def components_digitized(dossier: Dossier) -> bool | None:
    if dossier.accepted_at is None:
        return None
    return all(c.status != DigitizationStatus.PENDING for c in dossier.components.all())


def on_time_or_apology(dossier: Dossier, now) -> bool | None:
    if dossier.due_at is None:
        return None
    on_time = not dossier.is_overdue(now) and dossier.supplement_count <= 1
    return on_time or apology_issued(dossier)


def result_digitized(dossier: Dossier) -> bool | None:
    if not dossier.procedure.issues_result:
        return None
    if dossier.state not in (DossierState.DELIVERY, DossierState.COMPLETED):
        return None
    return dossier.result_file_id is not None


def no_extra_papers(dossier: Dossier) -> bool | None:
    listed = list(dossier.procedure.components.all())
    ids = {component.pk for component in listed}
    names = {_name(component.name) for component in listed}
    return all(
        component.procedure_component_id in ids or _name(component.name) in names
        for component in dossier.components.all()
    )


def prefill(dossier: Dossier, now) -> dict[str, bool | None]:
    """Every check's answer from the records, for a dossier from with_checklist_facts()."""
    return {
        Item.RECEIPT_ISSUED: receipt_issued(dossier),
        Item.COMPONENTS_DIGITIZED: components_digitized(dossier),
        Item.ON_TIME_OR_APOLOGY: on_time_or_apology(dossier, now),
        Item.RESULT_DIGITIZED: result_digitized(dossier),
        Item.NO_EXTRA_PAPERS: no_extra_papers(dossier),
    }
