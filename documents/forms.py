"""The statutory forms: what each one says about a dossier, and issuing them.

Forms 01-04 are handed to the citizen: the first download issues the form (its bytes, SHA-256,
time and issuer are recorded) and every later download returns those same bytes. Form 05 (the
control slip) is read from the transition log each time; form 06 (the log book) covers a unit
and a period.
"""

import hashlib
import io
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from documents.formsets import form_set_for
from documents.models import ISSUED_KINDS, FormKind, IssuedDocument
from documents.rendering import render_pdf
from procedures.calendar import get_calendar
from procedures.errors import ActionForbidden, ConditionNotMet
from procedures.models import (
    STEP_DUE_FIELDS,
    STEP_OF_STATE,
    ApologyLetter,
    DigitizationStatus,
    Dossier,
    DossierState,
    DossierTransition,
)
from procedures.scoping import may_process_in

S = DossierState

STATE_NAMES = {
    S.SUBMITTED: "Mới đăng ký",
    S.INTAKE: "Tiếp nhận và số hóa",
    S.APPRAISAL: "Thẩm định",
    S.APPROVAL: "Phê duyệt",
    S.SIGNING: "Ký số",
    S.DELIVERY: "Trả kết quả",
    S.COMPLETED: "Đã trả kết quả",
    S.SUPPLEMENT: "Chờ bổ sung",
    S.REFUSED: "Không được tiếp nhận",
    S.REJECTED: "Dừng xử lý",
    S.WITHDRAWN: "Rút hồ sơ",
}
CHANNEL_NAMES = {"direct": "Trực tiếp", "online": "Trực tuyến", "postal": "Bưu chính"}


class FormNotAvailable(ConditionNotMet):
    code = "form_not_available"


# --- formatting -------------------------------------------------------------------------------


def local(moment: datetime) -> datetime:
    return get_calendar().local(moment)


def dmy(moment) -> str:
    if moment is None:
        return ""
    day = local(moment).date() if isinstance(moment, datetime) else moment
    return f"{day:%d/%m/%Y}"


def time_dmy(moment: datetime | None) -> str:
    return f"{local(moment):%H:%M} ngày {dmy(moment)}" if moment else ""


def place_date(moment: datetime) -> str:
    day = local(moment).date()
    return f"{settings.DOCUMENTS_PLACE_NAME}, ngày {day:%d} tháng {day:%m} năm {day:%Y}"


def staff_name(user) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.username


def lookup_url(code: str) -> str:
    """The citizens' look-up page of a dossier, as printed in the receipt's QR code."""
    return f"{settings.PUBLIC_BASE_URL}/tra-cuu/?{urlencode({'ma': code})}"


def verification_url(code: str) -> str:
    return f"{settings.PUBLIC_BASE_URL}/xac-thuc/{code}/"


# --- what each form answers -------------------------------------------------------------------


def _last_entry(dossier: Dossier, **filters) -> DossierTransition | None:
    return dossier.transitions.filter(**filters).order_by("-at", "-id").first()


def form_event(dossier: Dossier, kind: str):
    """The log entry (or apology letter) an issued form answers, or None when it has none yet."""
    if kind == FormKind.RECEIPT:
        return _last_entry(dossier, target_state=S.INTAKE, action__in=["create", "accept"])
    if kind == FormKind.SUPPLEMENT:
        return _last_entry(dossier, action="request_supplement")
    if kind == FormKind.REFUSAL:
        return _last_entry(dossier, action__in=["refuse", "reject"])
    if kind == FormKind.APOLOGY:
        return ApologyLetter.objects.filter(dossier=dossier).select_related("issued_by").first()
    return None


def _header(dossier: Dossier, at: datetime, number: str = "") -> dict:
    unit = dossier.unit
    return {
        "parent": unit.parent.name if unit.parent_id else "",
        "unit": unit.name,
        "number": number,
        "place_date": place_date(at),
    }


def _base_context(dossier: Dossier, kind: str, at: datetime) -> dict:
    form_set = form_set_for(local(at).date())
    return {
        "form_set": form_set,
        "kind": kind,
        "dossier": dossier,
        "header": _header(dossier, at, number=f"Số: {dossier.code}"),
        "code": dossier.code,
        "applicant": dossier.applicant_full_name,
        "procedure": dossier.procedure.name,
        "unit": dossier.unit.name,
        "received": time_dmy(dossier.received_at),
        "accepted": time_dmy(dossier.accepted_at),
        "due": time_dmy(dossier.due_at),
        "due_date": dmy(dossier.due_at),
        "processing_days": dossier.procedure.processing_days,
        "issued_at": time_dmy(at),
    }


def _receipt(dossier: Dossier, event: DossierTransition, at: datetime) -> dict:
    components = [
        {
            "position": position,
            "name": component.name,
            "form": "Bản điện tử"
            if component.status == DigitizationStatus.SCANNED
            else "Tái sử dụng dữ liệu số"
            if component.status == DigitizationStatus.REUSED
            else "Bản giấy",
            "required": "Bắt buộc" if component.required else "Không bắt buộc",
        }
        for position, component in enumerate(dossier.components.order_by("position", "id"), 1)
    ]
    return {
        "components": components,
        "channel": CHANNEL_NAMES.get(dossier.channel, dossier.channel),
        "lookup_url": lookup_url(dossier.code),
        "receiver": staff_name(event.actor),
    }


def _supplement(dossier: Dossier, event: DossierTransition, at: datetime) -> dict:
    missing = dossier.components.filter(status=DigitizationStatus.PENDING, required=True)
    return {
        "reason": event.payload.get("reason", ""),
        "requested_at": time_dmy(event.at),
        "missing": [component.name for component in missing.order_by("position", "id")],
        "requested_by": staff_name(event.actor),
    }


def _refusal(dossier: Dossier, event: DossierTransition, at: datetime) -> dict:
    return {
        "reason": event.payload.get("reason", "") or dossier.decision_reason,
        "decided_at": time_dmy(event.at),
        "at_intake": event.action == "refuse",
        "decided_by": staff_name(event.actor),
    }


def _apology(dossier: Dossier, letter: ApologyLetter, at: datetime) -> dict:
    return {
        "reason": letter.reason,
        "missed_due": time_dmy(letter.missed_due_at),
        "missed_due_date": dmy(letter.missed_due_at),
        "new_appointment": dmy(letter.new_appointment_date),
        "issued_by": staff_name(letter.issued_by),
    }


FORM_CONTEXT = {
    FormKind.RECEIPT: _receipt,
    FormKind.SUPPLEMENT: _supplement,
    FormKind.REFUSAL: _refusal,
    FormKind.APOLOGY: _apology,
}
NOT_AVAILABLE = {
    FormKind.RECEIPT: _("The dossier has not been accepted, so it has no receipt."),
    FormKind.SUPPLEMENT: _("No supplement was requested for this dossier."),
    FormKind.REFUSAL: _("The dossier was neither refused nor rejected."),
    FormKind.APOLOGY: _("No apology letter was issued for this dossier."),
}


def render_form(dossier: Dossier, kind: str, *, at: datetime | None = None) -> bytes:
    """The PDF of form `kind` (01-05) for the dossier as it is now."""
    at = at or timezone.now()
    context = _base_context(dossier, kind, at)
    if kind == FormKind.CONTROL:
        context["rows"] = control_slip_rows(dossier)
    else:
        event = form_event(dossier, kind)
        if event is None:
            raise FormNotAvailable(NOT_AVAILABLE[kind])
        context.update(FORM_CONTEXT[kind](dossier, event, at))
    return render_pdf(
        context["form_set"].template(kind), context, title=f"{FormKind(kind).label} {dossier.code}"
    )


def issue_form(*, dossier: Dossier, kind: str, actor, at: datetime | None = None) -> IssuedDocument:
    """Form `kind` (01-04) of the dossier: issued and recorded the first time, then the same bytes.

    Only the unit's own staff issue a form; anyone who may read the dossier downloads one issued.
    """
    event = form_event(dossier, kind)
    if event is None:
        raise FormNotAvailable(NOT_AVAILABLE[kind])
    issued = IssuedDocument.objects.filter(dossier=dossier, kind=kind, event=event.pk).first()
    if issued is not None:
        return issued
    if not may_process_in(actor, dossier.unit_id):
        raise ActionForbidden(_("Only the staff of the dossier's unit issue its forms."))
    at = at or timezone.now()
    content = render_form(dossier, kind, at=at)
    try:
        with transaction.atomic():
            return IssuedDocument.objects.create(
                dossier=dossier,
                kind=kind,
                event=event.pk,
                form_set=form_set_for(local(at).date()).code,
                content=content,
                sha256=hashlib.sha256(content).hexdigest(),
                size=len(content),
                issued_at=at,
                issued_by=actor,
            )
    except IntegrityError:  # issued by someone else meanwhile: theirs is the document
        return IssuedDocument.objects.get(dossier=dossier, kind=kind, event=event.pk)


def form_pdf(dossier: Dossier, kind: str, *, actor) -> tuple[bytes, str]:
    """The PDF of form `kind` for `actor` and its SHA-256 (empty for form 05, drawn each time):
    forms 01-04 issued on their first download, the same bytes afterwards."""
    if kind in ISSUED_KINDS:
        issued = issue_form(dossier=dossier, kind=kind, actor=actor)
        return bytes(issued.content), issued.sha256
    return render_form(dossier, kind), ""


def form_filename(dossier: Dossier, kind: str) -> str:
    return f"{dossier.code}-mau-{kind}.pdf"


# --- form 05: the control slip ----------------------------------------------------------------


@dataclass(frozen=True)
class HandoverRow:
    """One line of the control slip: one entry of the transition log."""

    number: int
    step: str
    action: str
    from_person: str
    to_person: str
    at: str
    due: str
    timeliness: str


TIMELINESS = {"early": "Trước hạn", "on_time": "Đúng hạn", "late": "Quá hạn", "": ""}


def _timeliness(at: datetime, due: datetime | None) -> str:
    if due is None:
        return ""
    if at > due:
        return "late"
    return "early" if local(at).date() < local(due).date() else "on_time"


def control_slip_rows(dossier: Dossier) -> list[HandoverRow]:
    """Every entry of the log: who handed the dossier on, to whom (whoever acted on it next, or
    its handler now), when, the due time of the step it left, and whether that was kept.

    The due time is the step's current one: after a supplement pause it is the recomputed time.
    Entries that leave the state as it is (attaching the result) hand nothing on.
    """
    entries = [
        entry
        for entry in dossier.transitions.select_related("actor").order_by("at", "id")
        if entry.source_state != entry.target_state
    ]
    rows = []
    for index, entry in enumerate(entries):
        if index + 1 < len(entries):
            receiver = entries[index + 1].actor
        else:
            receiver = dossier.handler if dossier.state in STEP_OF_STATE else None
        step = STEP_OF_STATE.get(entry.source_state)
        due = getattr(dossier, STEP_DUE_FIELDS[step - 1]) if step else None
        rows.append(
            HandoverRow(
                number=index + 1,
                step=STATE_NAMES.get(entry.source_state, "Đăng ký hồ sơ"),
                action=STATE_NAMES.get(entry.target_state, entry.target_state),
                from_person=staff_name(entry.actor),
                to_person=staff_name(receiver),
                at=time_dmy(entry.at),
                due=time_dmy(due),
                timeliness=TIMELINESS[_timeliness(entry.at, due)],
            )
        )
    return rows


# --- form 06: the unit's log book -------------------------------------------------------------

LOG_BOOK_HEADINGS = (
    "STT",
    "Mã hồ sơ",
    "Tên thủ tục hành chính",
    "Tên cá nhân, tổ chức",
    "Hình thức nộp",
    "Ngày nhận hồ sơ",
    "Hẹn trả kết quả",
    "Ngày có kết quả / trả kết quả",
    "Tình trạng",
)


def log_book_rows(unit, start: date, end: date) -> list[tuple]:
    """The unit's dossiers received from `start` to `end` (local days), in order of receipt."""
    dossiers = (
        Dossier.objects.filter(
            unit=unit,
            received_at__gte=_day_start(start),
            received_at__lt=_day_start(end, plus_days=1),
        )
        .select_related("procedure")
        .only(
            "code",
            "procedure__name",
            "applicant_full_name",
            "channel",
            "received_at",
            "due_at",
            "appointment_at",
            "completed_at",
            "state",
        )
        .order_by("received_at", "id")
    )
    return [
        (
            number,
            dossier.code,
            dossier.procedure.name,
            dossier.applicant_full_name,
            CHANNEL_NAMES.get(dossier.channel, dossier.channel),
            time_dmy(dossier.received_at),
            dmy(dossier.appointment),
            dmy(dossier.completed_at),
            STATE_NAMES.get(dossier.state, dossier.state),
        )
        for number, dossier in enumerate(dossiers.iterator(chunk_size=2000), 1)
    ]


def _day_start(day: date, plus_days: int = 0) -> datetime:
    return timezone.make_aware(
        datetime.combine(day + timedelta(days=plus_days), time.min),
        timezone.get_default_timezone(),
    )


def log_book_pdf(unit, start: date, end: date, *, at: datetime | None = None) -> bytes:
    at = at or timezone.now()
    form_set = form_set_for(local(at).date())
    context = {
        "form_set": form_set,
        "header": {
            "parent": unit.parent.name if unit.parent_id else "",
            "unit": unit.name,
            "number": "",
            "place_date": place_date(at),
        },
        "unit": unit.name,
        "start": dmy(start),
        "end": dmy(end),
        "headings": LOG_BOOK_HEADINGS,
        "rows": log_book_rows(unit, start, end),
    }
    return render_pdf(
        form_set.template(FormKind.LOG_BOOK), context, title=f"Sổ theo dõi {unit.code}"
    )


def log_book_xlsx(unit, start: date, end: date) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("So theo doi")
    sheet.append([f"SỔ THEO DÕI HỒ SƠ — {unit.name}"])
    sheet.append([f"Từ ngày {dmy(start)} đến ngày {dmy(end)}"])
    sheet.append([])
    bold = Font(bold=True)
    headings = []
    for heading in LOG_BOOK_HEADINGS:
        cell = WriteOnlyCell(sheet, value=heading)
        cell.font = bold
        headings.append(cell)
    sheet.append(headings)
    for row in log_book_rows(unit, start, end):
        sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
