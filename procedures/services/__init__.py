"""The writers. Dossier actions live in `dossiers`, catalogue upkeep in `catalogue`."""

from procedures.services.catalogue import save_procedure, save_unit
from procedures.services.dossiers import (
    accept_dossier,
    approve_dossier,
    create_dossier,
    deliver_result,
    forward_dossier,
    perform_transition,
    propose_decision,
    refuse_dossier,
    reject_dossier,
    request_supplement,
    resume_dossier,
    send_back_dossier,
    sign_result,
    withdraw_dossier,
)

__all__ = [
    "accept_dossier",
    "approve_dossier",
    "create_dossier",
    "deliver_result",
    "forward_dossier",
    "perform_transition",
    "propose_decision",
    "refuse_dossier",
    "reject_dossier",
    "request_supplement",
    "resume_dossier",
    "save_procedure",
    "save_unit",
    "send_back_dossier",
    "sign_result",
    "withdraw_dossier",
]
