"""The writers. Dossier actions live in `dossiers`, catalogue upkeep in `catalogue`, the deadline
checks in `deadlines`, form 04 in `apologies`, the notice outbox in `notices`."""

from procedures.services.apologies import apology_possible, issue_apology
from procedures.services.catalogue import save_procedure, save_unit
from procedures.services.deadlines import due_soon_limit, flag_due_soon, flag_overdue_dossiers
from procedures.services.dossiers import (
    accept_dossier,
    approve_dossier,
    attach_result_file,
    create_dossier,
    deliver_result,
    forward_dossier,
    perform_transition,
    propose_decision,
    record_change,
    refuse_dossier,
    reject_dossier,
    request_supplement,
    resume_dossier,
    send_back_dossier,
    sign_result,
    withdraw_dossier,
)
from procedures.services.notices import (
    deliver_new_notices,
    deliver_notice,
    queue_deadline_notices,
    send_pending_notices,
    sender_started,
)

__all__ = [
    "accept_dossier",
    "apology_possible",
    "approve_dossier",
    "attach_result_file",
    "create_dossier",
    "deliver_new_notices",
    "deliver_notice",
    "deliver_result",
    "due_soon_limit",
    "flag_due_soon",
    "flag_overdue_dossiers",
    "forward_dossier",
    "issue_apology",
    "perform_transition",
    "propose_decision",
    "queue_deadline_notices",
    "record_change",
    "refuse_dossier",
    "reject_dossier",
    "request_supplement",
    "resume_dossier",
    "save_procedure",
    "save_unit",
    "send_back_dossier",
    "send_pending_notices",
    "sender_started",
    "sign_result",
    "withdraw_dossier",
]
