from procedures.models.apologies import ApologyLetter
from procedures.models.calendar_days import CalendarDay, CalendarDayKind
from procedures.models.catalogue import (
    STEP_SHARE_FIELDS,
    CompetentLevel,
    OnlineLevel,
    Procedure,
    ProcedureComponent,
)
from procedures.models.dossiers import (
    FINAL_STATES,
    NATIONAL_STATUS,
    OPEN_STATES,
    STEP_DUE_FIELDS,
    STEP_OF_STATE,
    STEP_STATES,
    Channel,
    DigitizationStatus,
    Dossier,
    DossierComponent,
    DossierSequence,
    DossierState,
    DossierTransition,
)
from procedures.models.notices import Notice, NoticeChannel, NoticeKind, NoticeStatus
from procedures.models.staff import OVERSIGHT_ROLES, PROCESSING_ROLES, Role, User
from procedures.models.transitions import (
    DOSSIER_MACHINE,
    TRANSITION_LABELS,
    TRANSITION_NAMES,
    TRANSITION_TEXT_FIELD,
)
from procedures.models.units import Block, Unit

__all__ = [
    "DOSSIER_MACHINE",
    "FINAL_STATES",
    "NATIONAL_STATUS",
    "OPEN_STATES",
    "OVERSIGHT_ROLES",
    "PROCESSING_ROLES",
    "STEP_DUE_FIELDS",
    "STEP_OF_STATE",
    "STEP_SHARE_FIELDS",
    "STEP_STATES",
    "TRANSITION_LABELS",
    "TRANSITION_NAMES",
    "TRANSITION_TEXT_FIELD",
    "ApologyLetter",
    "Block",
    "CalendarDay",
    "CalendarDayKind",
    "Channel",
    "CompetentLevel",
    "DigitizationStatus",
    "Dossier",
    "DossierComponent",
    "DossierSequence",
    "DossierState",
    "DossierTransition",
    "Notice",
    "NoticeChannel",
    "NoticeKind",
    "NoticeStatus",
    "OnlineLevel",
    "Procedure",
    "ProcedureComponent",
    "Role",
    "Unit",
    "User",
]
