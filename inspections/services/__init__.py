"""The only code that writes inspections, samples, checklists and findings.

One function per action, keyword-only, each in one transaction that locks the row it changes
and appends an InspectionLog entry. Rules on who may act:

- inspectors with authority over the unit (its whole subtree from their own unit) and
  administrators plan inspections; the team (a lead and members) are such inspectors;
- the lead (or an administrator) starts, edits while planned, concludes and closes;
- team members (or an administrator) draw the sample, check it and record findings, while the
  inspection is in progress (the sample may also be drawn while it is planned);
- findings are evidence once the inspection is concluded: no edit, no delete, no new evidence;
- follow-ups go on: the staff member named or a leader over the unit reports the remedy, the
  team verifies it or reopens the finding.
"""

from inspections.services.findings import (
    FINDING_FIELDS,
    add_evidence,
    check_finding,
    delete_finding,
    perform_follow_up,
    record_finding,
    remedy_finding,
    reopen_finding,
    update_finding,
    verify_finding,
)
from inspections.services.inspections import (
    INSPECTION_FIELDS,
    MAX_SAMPLE_SIZE,
    MAX_SEED,
    check_items,
    check_team,
    close_inspection,
    conclude_inspection,
    create_inspection,
    draw_sample,
    perform_inspection_transition,
    start_inspection,
    update_inspection,
)
from inspections.services.rules import findings_refusal, is_on_team, may_edit_findings, may_inspect

__all__ = [
    "FINDING_FIELDS",
    "INSPECTION_FIELDS",
    "MAX_SAMPLE_SIZE",
    "MAX_SEED",
    "add_evidence",
    "check_finding",
    "check_items",
    "check_team",
    "close_inspection",
    "conclude_inspection",
    "create_inspection",
    "delete_finding",
    "draw_sample",
    "findings_refusal",
    "is_on_team",
    "may_edit_findings",
    "may_inspect",
    "perform_follow_up",
    "perform_inspection_transition",
    "record_finding",
    "remedy_finding",
    "reopen_finding",
    "start_inspection",
    "update_finding",
    "update_inspection",
    "verify_finding",
]
