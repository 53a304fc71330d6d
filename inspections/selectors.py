"""Readers: inspections and findings already scoped to what a user may see.

- Administrators see everything.
- Inspectors see the inspections of the units under their authority (their unit's subtree), with
  their samples, checklists and findings.
- Leaders and processing staff see the inspections of the units they read — except an
  unannounced inspection, which stays hidden from everyone but inspectors until it starts.
- Findings: inspectors and leaders see those of the units under their authority; every member of
  staff sees the findings about themselves.
"""

from datetime import date

from django.db.models import Prefetch, Q, QuerySet

from inspections.models import (
    ChecklistItem,
    Finding,
    Inspection,
    InspectionKind,
    InspectionState,
    SampledDossier,
)
from inspections.sampling import period_bounds
from inspections.services import may_inspect
from procedures.models import Role, Unit
from procedures.scoping import readable_unit_ids, subtree_ids
from procedures.selectors import dossiers_visible_to

HIDDEN_UNTIL_STARTED = Q(kind=InspectionKind.UNANNOUNCED, state=InspectionState.PLANNED)


def inspections_visible_to(user) -> QuerySet[Inspection]:
    if not user.is_active:
        return Inspection.objects.none()
    units = readable_unit_ids(user)
    inspections = Inspection.objects.all()
    if units is not None:
        inspections = inspections.filter(unit_id__in=units)
    if user.is_admin or user.effective_role == Role.INSPECTOR:
        return inspections
    return inspections.exclude(HIDDEN_UNTIL_STARTED)


def may_read_working_papers(user, inspection: Inspection) -> bool:
    """The sample and its checklists are for inspectors with authority and administrators."""
    return may_inspect(user, inspection.unit_id)


def samples_visible_to(user) -> QuerySet[SampledDossier]:
    """Sampled dossiers of the inspections whose working papers the user may read."""
    if not user.is_active:
        return SampledDossier.objects.none()
    if user.is_admin:
        return SampledDossier.objects.all()
    if user.effective_role != Role.INSPECTOR:
        return SampledDossier.objects.none()
    return SampledDossier.objects.filter(inspection__unit_id__in=readable_unit_ids(user) or ())


def findings_visible_to(user) -> QuerySet[Finding]:
    if not user.is_active:
        return Finding.objects.none()
    if user.is_admin:
        return Finding.objects.all()
    own = Q(staff_id=user.pk)
    if user.effective_role in (Role.INSPECTOR, Role.LEADER):
        units = readable_unit_ids(user) or frozenset()
        return Finding.objects.filter(own | Q(inspection__unit_id__in=units))
    return Finding.objects.filter(own)


def sample_of(inspection: Inspection) -> QuerySet[SampledDossier]:
    return (
        inspection.sample.select_related("dossier", "dossier__unit")
        .prefetch_related(
            Prefetch("checklist", queryset=ChecklistItem.objects.select_related("checked_by"))
        )
        .order_by("position")
    )


def inspection_history(inspection: Inspection):
    return inspection.log.select_related("actor").order_by("at", "id")


# --- accountability scope -----------------------------------------------------------------------


def accountability_scope(user, *, unit: Unit | None, first_day: date, last_day: date):
    """The scope (inspections.accountability.Scope) of the report on `unit` and the units below
    it (all units the user reads when None): the dossiers received in the period and the findings
    recorded in it."""
    from inspections.accountability import Scope

    start, end = period_bounds(first_day, last_day)
    dossiers = dossiers_visible_to(user).filter(received_at__gte=start, received_at__lt=end)
    findings = findings_visible_to(user).filter(created_at__gte=start, created_at__lt=end)
    readable = readable_unit_ids(user)
    units = readable
    if readable is not None:
        findings = findings.filter(inspection__unit_id__in=readable)
    if unit is not None:
        subtree = subtree_ids(unit.pk)
        dossiers = dossiers.filter(unit_id__in=subtree)
        findings = findings.filter(inspection__unit_id__in=subtree)
        units = frozenset(subtree) if readable is None else frozenset(subtree) & readable
    return Scope(
        units=units,
        first_day=first_day,
        last_day=last_day,
        dossiers=dossiers,
        findings=findings,
    )
