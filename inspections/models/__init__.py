"""Inspections, their dossier samples and checklists, findings, and the inspection log."""

from inspections.models.accountability import (
    AccountabilityFacts,
    AccountabilityHolding,
    AccountabilityPendingDay,
    StaffDayAccountability,
    UnitDayAccountability,
)
from inspections.models.findings import (
    BreachKind,
    Finding,
    FollowUpState,
    Severity,
)
from inspections.models.inspections import (
    ChecklistItem,
    ChecklistItemKind,
    Inspection,
    InspectionKind,
    InspectionState,
    SampledDossier,
)
from inspections.models.log import InspectionLog
from inspections.models.transitions import (
    FINDING_MACHINE,
    FOLLOW_UP_TRANSITIONS,
    INSPECTION_MACHINE,
    INSPECTION_TRANSITIONS,
)

__all__ = [
    "AccountabilityFacts",
    "AccountabilityHolding",
    "AccountabilityPendingDay",
    "StaffDayAccountability",
    "UnitDayAccountability",
    "FINDING_MACHINE",
    "INSPECTION_MACHINE",
    "FOLLOW_UP_TRANSITIONS",
    "INSPECTION_TRANSITIONS",
    "BreachKind",
    "ChecklistItem",
    "ChecklistItemKind",
    "Finding",
    "FollowUpState",
    "Inspection",
    "InspectionKind",
    "InspectionLog",
    "InspectionState",
    "SampledDossier",
    "Severity",
]
