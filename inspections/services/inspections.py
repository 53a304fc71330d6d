"""Planning, running and concluding inspections; drawing and checking their samples."""

import secrets
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from inspections import checklist, sampling
from inspections.errors import NotInProgress, SampleAlreadyChecked
from inspections.models import (
    INSPECTION_MACHINE,
    ChecklistItem,
    ChecklistItemKind,
    Inspection,
    InspectionKind,
    InspectionState,
    SampledDossier,
)
from inspections.models.inspections import led_by_lead
from inspections.services.rules import append_log, locked, may_inspect, require_team
from procedures import authorization
from procedures.errors import ActionForbidden, InvalidInput, TransitionNotAllowed
from procedures.models import Dossier, Role, Unit, User

MAX_SAMPLE_SIZE = 1000
MAX_SEED = 2**63 - 1
INSPECTION_FIELDS = (
    "kind",
    "lead",
    "period_start",
    "period_end",
    "planned_start",
    "planned_end",
    "scope",
)


def check_team(*, unit: Unit, lead: User, members: Iterable[User] = ()) -> None:
    """The lead and members must be active inspectors with authority over the unit."""
    errors = {}
    if not _inspector_of(lead, unit):
        errors["lead"] = [_("The lead must be an inspector with authority over the unit.")]
    wrong = [m.username for m in members if not _inspector_of(m, unit)]
    if wrong:
        errors["members"] = [
            _("Not inspectors with authority over the unit: %(names)s.")
            % {"names": ", ".join(wrong)}
        ]
    if errors:
        raise InvalidInput(fields=errors)


def _inspector_of(user: User, unit: Unit) -> bool:
    """An inspector with authority over the unit (an administrator is on no team)."""
    return authorization.may_act(user, roles={Role.INSPECTOR}, unit=unit.pk, admin_passes=False)


def _check_dates(data: Mapping) -> None:
    errors = {}
    if data["period_start"] > data["period_end"]:
        errors["period_end"] = [_("The period under review must end after it starts.")]
    if data["planned_start"] > data["planned_end"]:
        errors["planned_end"] = [_("The planned end must come after the planned start.")]
    if errors:
        raise InvalidInput(fields=errors)


# --- planning -----------------------------------------------------------------------------------


def create_inspection(
    *,
    actor: User,
    unit: Unit,
    kind: str,
    lead: User,
    period_start: date,
    period_end: date,
    planned_start: date,
    planned_end: date,
    members: Sequence[User] = (),
    scope: str = "",
    at: datetime | None = None,
) -> Inspection:
    """Plan an inspection of `unit`."""
    at = at or timezone.now()
    if not may_inspect(actor, unit.pk):
        raise ActionForbidden(_("Only inspectors with authority over the unit plan inspections."))
    if kind not in InspectionKind.values:
        raise InvalidInput(fields={"kind": [_("Unknown kind.")]})
    data = {
        "kind": kind,
        "lead": lead,
        "period_start": period_start,
        "period_end": period_end,
        "planned_start": planned_start,
        "planned_end": planned_end,
        "scope": (scope or "").strip(),
    }
    _check_dates(data)
    members = [m for m in members if m.pk != lead.pk]
    check_team(unit=unit, lead=lead, members=members)
    with transaction.atomic():
        inspection = Inspection.objects.create(unit=unit, created_by=actor, created_at=at, **data)
        inspection.members.set(members)
        append_log(
            inspection,
            action="create",
            actor=actor,
            at=at,
            target=inspection.state,
            team=sorted(inspection.team_ids()),
        )
    return inspection


def update_inspection(
    *,
    inspection: Inspection,
    actor: User,
    data: Mapping,
    members: Sequence[User] | None = None,
    at: datetime | None = None,
) -> Inspection:
    """Change a planned inspection: any of INSPECTION_FIELDS in `data`, and the members."""
    at = at or timezone.now()
    unknown = set(data) - set(INSPECTION_FIELDS)
    if unknown:
        raise InvalidInput(fields={name: [_("This field cannot be changed.")] for name in unknown})
    with transaction.atomic():
        current = locked(inspection)
        if not led_by_lead(current, actor):
            raise ActionForbidden(_("Only the team lead may change the inspection."))
        if current.state != InspectionState.PLANNED:
            raise TransitionNotAllowed(_("Only a planned inspection can be changed."))
        changed = {}
        for name, value in data.items():
            if getattr(current, name) != value:
                changed[name] = str(value.pk if isinstance(value, User) else value)
                setattr(current, name, value)
        if "kind" in data and current.kind not in InspectionKind.values:
            raise InvalidInput(fields={"kind": [_("Unknown kind.")]})
        _check_dates({name: getattr(current, name) for name in INSPECTION_FIELDS})
        team = current.members.exclude(pk=current.lead_id) if members is None else members
        team = [m for m in team if m.pk != current.lead_id]
        check_team(unit=current.unit, lead=current.lead, members=team)
        current.save()
        current.members.set(team)
        append_log(
            current,
            action="update",
            actor=actor,
            at=at,
            changed=changed,
            team=sorted(current.team_ids()),
        )
    return current


# --- the inspection's state machine -------------------------------------------------------------


def perform_inspection_transition(
    *, inspection: Inspection, actor: User, action: str, note: str = "", at=None, **arguments
) -> Inspection:
    """Apply transition `action` (start, conclude, close) for `actor` (core.engine)."""
    return INSPECTION_MACHINE.apply(
        obj=inspection, actor=actor, action=action, note=note, at=at, **arguments
    )


def start_inspection(*, inspection, actor, note="", at=None) -> Inspection:
    return perform_inspection_transition(
        inspection=inspection, actor=actor, action="start", note=note, at=at
    )


def conclude_inspection(*, inspection, actor, conclusion, note="", at=None) -> Inspection:
    return perform_inspection_transition(
        inspection=inspection,
        actor=actor,
        action="conclude",
        conclusion=conclusion,
        note=note,
        at=at,
    )


def close_inspection(*, inspection, actor, note="", at=None) -> Inspection:
    return perform_inspection_transition(
        inspection=inspection, actor=actor, action="close", note=note, at=at
    )


# --- the sample and its checklists --------------------------------------------------------------


def draw_sample(
    *,
    inspection: Inspection,
    actor: User,
    size: int,
    seed: int | None = None,
    overdue_share: float | None = None,
    at: datetime | None = None,
) -> list[SampledDossier]:
    """Draw (or redraw) the sample and prefill each sampled dossier's checklist.

    Without a seed one is chosen and kept on the inspection, so the draw can be repeated.
    Redrawing is refused once an item of the current sample has been checked.
    """
    at = at or timezone.now()
    errors = {}
    if not 1 <= size <= MAX_SAMPLE_SIZE:
        errors["size"] = [_("Give a number from 1 to %(max)d.") % {"max": MAX_SAMPLE_SIZE}]
    if seed is not None and not 0 <= seed <= MAX_SEED:
        errors["seed"] = [_("Give a number from 0 to 2^63 - 1.")]
    if overdue_share is not None and not 0 <= overdue_share <= 1:
        errors["overdue_share"] = [_("Give a share from 0 to 1.")]
    if errors:
        raise InvalidInput(fields=errors)
    seed = secrets.randbelow(2**31) if seed is None else seed
    with transaction.atomic():
        current = locked(inspection)
        require_team(actor, current)
        if current.state not in (InspectionState.PLANNED, InspectionState.IN_PROGRESS):
            raise NotInProgress(_("The sample is drawn before the inspection is concluded."))
        if ChecklistItem.objects.filter(
            sampled__inspection=current, checked_at__isnull=False
        ).exists():
            raise SampleAlreadyChecked()
        ids, overdue = sampling.candidates(
            unit_id=current.unit_id,
            first_day=current.period_start,
            last_day=current.period_end,
            now=at,
        )
        drawn = sampling.draw(ids, overdue, size=size, seed=seed, overdue_share=overdue_share or 0)
        current.sample.all().delete()
        sampled = SampledDossier.objects.bulk_create(
            SampledDossier(
                inspection=current, dossier_id=pk, position=position, drawn_as_overdue=late
            )
            for position, (pk, late) in enumerate(drawn, start=1)
        )
        _prefill_checklists(sampled, now=at)
        current.sample_size = size
        current.sample_seed = seed
        current.sample_overdue_share = overdue_share
        current.sampled_at = at
        current.save(
            update_fields=[
                "sample_size",
                "sample_seed",
                "sample_overdue_share",
                "sampled_at",
                "updated_at",
            ]
        )
        append_log(
            current,
            action="sample",
            actor=actor,
            at=at,
            size=size,
            seed=seed,
            overdue_share=overdue_share,
            candidates=len(ids),
            drawn=[pk for pk, _late in drawn],
        )
    return sampled


def _prefill_checklists(sampled: Sequence[SampledDossier], *, now) -> None:
    dossiers = checklist.with_checklist_facts(
        Dossier.objects.filter(pk__in=[s.dossier_id for s in sampled])
    ).in_bulk()
    ChecklistItem.objects.bulk_create(
        ChecklistItem(sampled=entry, item=item, prefilled=value)
        for entry in sampled
        for item, value in checklist.prefill(dossiers[entry.dossier_id], now).items()
    )


def check_items(
    *,
    sampled: SampledDossier,
    actor: User,
    answers: Sequence[Mapping],
    at: datetime | None = None,
) -> SampledDossier:
    """Confirm or correct checklist items: each answer is {"item", "value", "note"?}.

    `value` is True, False or None (does not apply); it is kept next to the prefilled value.
    """
    at = at or timezone.now()
    by_item = {}
    for answer in answers:
        if answer.get("item") not in ChecklistItemKind.values:
            raise InvalidInput(fields={"items": [_("Unknown checklist item.")]})
        if answer.get("value") not in (True, False, None):
            raise InvalidInput(fields={"items": [_("A value is true, false or null.")]})
        by_item[answer["item"]] = answer
    if not by_item:
        raise InvalidInput(fields={"items": [_("Give at least one item.")]})
    with transaction.atomic():
        current = locked(sampled.inspection)
        require_team(actor, current)
        if current.state != InspectionState.IN_PROGRESS:
            raise NotInProgress()
        items = ChecklistItem.objects.select_for_update().filter(
            sampled_id=sampled.pk, item__in=list(by_item)
        )
        for item in items:
            answer = by_item[item.item]
            item.confirmed = answer["value"]
            item.note = (answer.get("note") or "").strip()
            item.checked_by = actor
            item.checked_at = at
        ChecklistItem.objects.bulk_update(items, ["confirmed", "note", "checked_by", "checked_at"])
        append_log(
            current,
            action="check",
            actor=actor,
            at=at,
            dossier=sampled.dossier_id,
            items={name: answer["value"] for name, answer in by_item.items()},
        )
    return sampled
