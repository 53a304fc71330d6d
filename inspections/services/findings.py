"""Findings: recorded while the inspection is in progress, evidence once it is concluded, and
followed up until the remedy is verified."""

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from digitization.services import store_file
from inspections.models import FINDING_MACHINE, Finding, Inspection
from inspections.services.rules import append_log, findings_refusal, locked
from procedures.errors import InvalidInput
from procedures.models import Dossier, Role, User
from procedures.scoping import subtree_ids

FINDING_FIELDS = (
    "staff",
    "kind",
    "severity",
    "description",
    "recommended_action",
    "remedy_deadline",
)


# --- findings -----------------------------------------------------------------------------------


def check_finding(*, inspection: Inspection, staff: User, dossiers: Iterable[Dossier]) -> None:
    """The staff member and dossiers must belong to the inspected unit or a unit below it."""
    units = subtree_ids(inspection.unit_id)
    errors = {}
    if staff.unit_id not in units or staff.effective_role in (Role.INSPECTOR, Role.ADMIN):
        errors["staff"] = [_("Name a member of staff of the inspected unit.")]
    outside = [d.code for d in dossiers if d.unit_id not in units]
    if outside:
        errors["dossiers"] = [
            _("Not dossiers of the inspected unit: %(codes)s.") % {"codes": ", ".join(outside)}
        ]
    if errors:
        raise InvalidInput(fields=errors)


def _editable(actor: User, inspection: Inspection) -> None:
    error = findings_refusal(actor, inspection)
    if error is not None:
        raise error


def record_finding(
    *,
    inspection: Inspection,
    actor: User,
    staff: User,
    kind: str,
    severity: str,
    description: str,
    dossiers: Sequence[Dossier] = (),
    recommended_action: str = "",
    remedy_deadline: date | None = None,
    at: datetime | None = None,
) -> Finding:
    at = at or timezone.now()
    with transaction.atomic():
        current = locked(inspection)
        _editable(actor, current)
        check_finding(inspection=current, staff=staff, dossiers=dossiers)
        finding = Finding(
            inspection=current,
            staff=staff,
            kind=kind,
            severity=severity,
            description=(description or "").strip(),
            recommended_action=(recommended_action or "").strip(),
            remedy_deadline=remedy_deadline,
            created_by=actor,
            created_at=at,
        )
        _validated(finding)
        finding.save()
        finding.dossiers.set(dossiers)
        append_log(
            current,
            action="record_finding",
            actor=actor,
            at=at,
            finding=finding,
            target=finding.follow_up,
            staff=staff.pk,
            kind=kind,
            severity=severity,
            dossiers=[d.pk for d in dossiers],
        )
    return finding


def _validated(finding: Finding) -> None:
    try:
        finding.full_clean(exclude=["inspection", "staff", "created_by", "follow_up"])
    except ValidationError as error:
        raise InvalidInput(fields=error.message_dict) from error


def _locked_finding(finding: Finding) -> tuple[Finding, Inspection]:
    """Lock the inspection, then the finding (always in that order)."""
    current = FINDING_MACHINE.lock(finding)
    return current, current.inspection


def update_finding(
    *,
    finding: Finding,
    actor: User,
    data: Mapping,
    dossiers: Sequence[Dossier] | None = None,
    at: datetime | None = None,
) -> Finding:
    """Change any of FINDING_FIELDS in `data`, and the dossiers; refused once concluded."""
    at = at or timezone.now()
    unknown = set(data) - set(FINDING_FIELDS)
    if unknown:
        raise InvalidInput(fields={name: [_("This field cannot be changed.")] for name in unknown})
    with transaction.atomic():
        current, inspection = _locked_finding(finding)
        _editable(actor, inspection)
        changed = {}
        for name, value in data.items():
            if isinstance(value, str):
                value = value.strip()
            if getattr(current, name) != value:
                changed[name] = str(value.pk if isinstance(value, User) else value)
                setattr(current, name, value)
        check_finding(
            inspection=inspection,
            staff=current.staff,
            dossiers=current.dossiers.all() if dossiers is None else dossiers,
        )
        _validated(current)
        current.save()
        if dossiers is not None:
            current.dossiers.set(dossiers)
            changed["dossiers"] = [d.pk for d in dossiers]
        append_log(
            inspection, action="update_finding", actor=actor, at=at, finding=current, **changed
        )
    return current


def delete_finding(*, finding: Finding, actor: User, at: datetime | None = None) -> None:
    """Withdraw a finding recorded by mistake, while the inspection is still in progress."""
    at = at or timezone.now()
    with transaction.atomic():
        current, inspection = _locked_finding(finding)
        _editable(actor, inspection)
        append_log(
            inspection,
            action="delete_finding",
            actor=actor,
            at=at,
            finding=current,
            staff=current.staff_id,
            kind=current.kind,
            severity=current.severity,
            description=current.description,
        )
        current.delete()


def add_evidence(*, finding: Finding, actor: User, upload, at: datetime | None = None) -> Finding:
    """Attach an evidence file (PDF, JPEG or PNG, stored with its SHA-256)."""
    at = at or timezone.now()
    with transaction.atomic():
        current, inspection = _locked_finding(finding)
        _editable(actor, inspection)
        stored = store_file(upload=upload, actor=actor)
        current.evidence.add(stored)
        Finding.objects.filter(pk=current.pk).update(updated_at=timezone.now())
        append_log(
            inspection,
            action="add_evidence",
            actor=actor,
            at=at,
            finding=current,
            sha256=stored.sha256,
            file=stored.pk,
        )
    return current


# --- follow-up ----------------------------------------------------------------------------------


def perform_follow_up(
    *, finding: Finding, actor: User, action: str, note: str = "", at=None
) -> Finding:
    """Apply follow-up transition `action` (remedy, verify, reopen); goes on after conclusion."""
    return FINDING_MACHINE.apply(obj=finding, actor=actor, action=action, note=note, at=at)


def remedy_finding(*, finding, actor, note, at=None) -> Finding:
    return perform_follow_up(finding=finding, actor=actor, action="remedy", note=note, at=at)


def verify_finding(*, finding, actor, note="", at=None) -> Finding:
    return perform_follow_up(finding=finding, actor=actor, action="verify", note=note, at=at)


def reopen_finding(*, finding, actor, note, at=None) -> Finding:
    return perform_follow_up(finding=finding, actor=actor, action="reopen", note=note, at=at)
