"""Inspections, their dossier samples and checklists, findings, and the inspection log."""

from inspections.models.findings import (
    FOLLOW_UP_TRANSITIONS,
    BreachKind,
    Finding,
    FollowUpState,
    Severity,
)
from inspections.models.inspections import (
    INSPECTION_TRANSITIONS,
    ChecklistItem,
    ChecklistItemKind,
    Inspection,
    InspectionKind,
    InspectionState,
    SampledDossier,
)
from inspections.models.log import InspectionLog

__all__ = [
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
