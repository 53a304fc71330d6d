"""Errors the services raise: the application errors of core.errors, each carrying its HTTP
status and a stable `code` that the API reports."""

from core.errors import (
    ActionForbidden,
    ApplicationError,
    ConcurrentChange,
    ConditionNotMet,
    InvalidInput,
    TransitionNotAllowed,
)

# The name the services and admin have used for the base class.
DossierError = ApplicationError

__all__ = [
    "ActionForbidden",
    "ApplicationError",
    "ConcurrentChange",
    "ConditionNotMet",
    "DossierError",
    "InvalidInput",
    "TransitionNotAllowed",
]
