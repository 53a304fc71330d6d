"""Errors of the inspection services; each is a procedures.errors kind, so the API maps it."""

from django.utils.translation import gettext_lazy as _

from procedures.errors import TransitionNotAllowed


class FindingsAreEvidence(TransitionNotAllowed):
    """The inspection is concluded: its findings are no longer edited or deleted (409)."""

    code = "findings_are_evidence"
    default_message = _(
        "The inspection is concluded: its findings are evidence and can no longer be changed "
        "or deleted, only followed up."
    )


class NotInProgress(TransitionNotAllowed):
    """The inspection is not in the state the action needs (409)."""

    code = "inspection_not_in_progress"
    default_message = _("This can only be done while the inspection is in progress.")


class SampleAlreadyChecked(TransitionNotAllowed):
    """Drawing a new sample would throw away checklist items already confirmed (409)."""

    code = "sample_already_checked"
    default_message = _(
        "Checklist items of the current sample have been confirmed; it can no longer be redrawn."
    )
