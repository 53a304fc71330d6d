"""The application error: what a service raises when it refuses, carrying its HTTP status and a
stable `code`. The API maps this one base class (api.errors); apps subclass it."""

from django.utils.translation import gettext_lazy as _


class ApplicationError(Exception):
    status = 400
    code = "error"
    default_message = _("The action could not be done.")

    def __init__(self, message=None, *, code=None, fields=None):
        self.message = message or self.default_message
        if code:
            self.code = code
        self.fields = fields or {}
        super().__init__(str(self.message))


class InvalidInput(ApplicationError):
    """Input that can never be right as given (400)."""

    code = "invalid"
    default_message = _("The data sent is not valid.")


class ActionForbidden(ApplicationError):
    """The user's role or unit may not do this (403)."""

    status = 403
    code = "permission_denied"
    default_message = _("You are not allowed to do this.")


class TransitionNotAllowed(ApplicationError):
    """The action is not possible in the object's current state (409)."""

    status = 409
    code = "transition_not_allowed"
    default_message = _("This action is not allowed in the dossier's current state.")


class ConditionNotMet(ApplicationError):
    """The state allows the action but something it needs is missing (409)."""

    status = 409
    code = "condition_not_met"


class ConcurrentChange(ApplicationError):
    """Someone else changed the object first (409)."""

    status = 409
    code = "concurrent_change"
    default_message = _("The dossier was changed by someone else meanwhile; reload it and retry.")
