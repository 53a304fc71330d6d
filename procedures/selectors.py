"""Readers: querysets already scoped to what a user may see."""

from django.db.models import F, Q, QuerySet

from procedures.models import STEP_STATES, Dossier, DossierTransition, Role, Unit
from procedures.scoping import processing_unit_ids, readable_unit_ids


def _scoped(queryset: QuerySet, unit_ids, field: str = "unit_id") -> QuerySet:
    if unit_ids is None:
        return queryset
    return queryset.filter(**{f"{field}__in": unit_ids})


def dossiers_visible_to(user) -> QuerySet[Dossier]:
    """Dossiers the user may read: own unit(s) for processing staff, subtree for oversight."""
    return _scoped(Dossier.objects.all(), readable_unit_ids(user))


def dossiers_handled_by_units_of(user) -> QuerySet[Dossier]:
    """Dossiers the user may act on (and see unmasked personal data of)."""
    return _scoped(Dossier.objects.all(), processing_unit_ids(user))


def units_visible_to(user) -> QuerySet[Unit]:
    return _scoped(Unit.objects.all(), readable_unit_ids(user), field="id")


def dossier_history(dossier: Dossier) -> QuerySet[DossierTransition]:
    """The dossier's log; bounded by its receipt, before which it has none, so that on
    PostgreSQL only the log partitions from that month on are read."""
    return (
        dossier.transitions.filter(at__gte=dossier.received_at)
        .select_related("actor")
        .order_by("at", "id")
    )


def personal_data_unit_ids(user) -> frozenset[int]:
    """Units whose applicants' ID number, phone, email and address the user sees unmasked.

    Only the staff handling the dossier and the inspectors overseeing the unit do; leaders and
    administrators see them masked.
    """
    if not user.is_active:
        return frozenset()
    if user.effective_role == Role.INSPECTOR:
        return readable_unit_ids(user) or frozenset()
    if user.is_admin:
        return frozenset()
    return processing_unit_ids(user) or frozenset()


def overdue_condition(now) -> Q:
    """Overdue (as Dossier.is_overdue): still in a step after the due time, or finished after it.

    A dossier paused for a supplement is not overdue.
    """
    return Q(state__in=STEP_STATES, due_at__lt=now) | Q(
        completed_at__isnull=False, due_at__isnull=False, completed_at__gt=F("due_at")
    )
