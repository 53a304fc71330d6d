"""Readers: querysets already scoped to what a user may see."""

from django.db.models import F, Q, QuerySet, Subquery
from django.utils import timezone

from core.reads import read_connection
from core.rows import Joined, prepared_cursor, select_list
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


def overdue_parts(queryset) -> list[QuerySet]:
    """`queryset` (already filtered by `overdue_condition`) as two parts whose pages are found
    apart (api.pagination), so that neither walks past dossiers that are not late:

    - dossiers flagged late by the deadline job and still in a step, or finished late: read from
      the partial index `dossier_flagged_late_received`, newest first, which holds little else;
    - dossiers in a step past their due time that the job (every 15 minutes) has not flagged
      yet: few, found by due time (between the earliest due time of a dossier not flagged,
      the first entry of `dossier_deadline_watch`, and now).

    Walking the index of every dossier in a step instead passed over all the open dossiers not
    yet due, whose number grows with the dossiers received a day.
    """
    flagged = Q(state__in=STEP_STATES, overdue_since__isnull=False) | Q(
        completed_at__gt=F("due_at")
    )
    not_flagged = Q(state__in=STEP_STATES, overdue_since__isnull=True)
    # The due time bounded on both sides, so that the planner reads the few index entries
    # between (it cannot know that hardly any dossier not flagged is past due): before now (the
    # queryset's condition implies it, its instant being earlier), and not before the earliest
    # due time of a dossier not flagged (the first entry of the same index), which excludes none.
    earliest = Dossier.objects.filter(not_flagged).order_by("due_at").values("due_at")[:1]
    return [
        queryset.filter(flagged),
        queryset.filter(not_flagged, due_at__lt=timezone.now(), due_at__gte=Subquery(earliest)),
    ]


# --- one dossier for a request: the view's read without the ORM's per-query compilation --------


def dossier_for_request(user, code: str) -> Dossier | None:
    """The dossier `code` if `user` may read it, with its procedure, unit, handler and components
    (each with its file) loaded: what `dossiers_visible_to(user).select_related("procedure",
    "unit", "handler")` with the components prefetched gives, in one fixed statement (a row per
    component), prepared once per connection on PostgreSQL (core.rows.prepared_cursor).

    A transition or a detail request reads one dossier; building that query with the ORM costs
    more CPU than the database spends answering it (about 1 ms of the 1.5 ms read), so the SQL
    is written once from the models' columns and the rows are turned into the same model
    instances (core.rows). None when not found or not visible.
    """
    connection = read_connection(Dossier)  # the router's choice, as the ORM's read would be
    plan = _read_plan(connection)
    unit_ids = readable_unit_ids(user)
    scope, params = "", [code]
    if unit_ids is not None:
        if not unit_ids:
            return None
        if connection.vendor == "postgresql":  # one statement text whatever the units
            scope = f" AND d.{plan.unit_column} = ANY(%s)"
            params.append(sorted(unit_ids))
        else:
            scope = f" AND d.{plan.unit_column} IN ({', '.join(['%s'] * len(unit_ids))})"
            params += sorted(unit_ids)
    with prepared_cursor(connection) as cursor:
        cursor.execute(plan.sql % {"scope": scope}, params)
        rows = cursor.fetchall()
    if not rows:
        return None
    width = plan.dossier_width
    dossier, procedure, unit, handler = plan.dossier.build(rows[0][:width], connection)
    dossier._state.fields_cache.update(procedure=procedure, unit=unit, handler=handler)
    loaded = []
    for row in rows:
        component, stored = plan.component.build(row[width:], connection)
        if component is None:  # a dossier without components: the outer join's one empty row
            continue
        component._state.fields_cache["file"] = stored
        component._state.fields_cache["dossier"] = dossier
        loaded.append(component)
    prefetched = dossier.components.all()
    prefetched._result_cache, prefetched._prefetch_done = loaded, True
    dossier._prefetched_objects_cache = {"components": prefetched}
    return dossier


class _ReadPlan:
    def __init__(self, connection):
        from digitization.models import DigitizedFile
        from procedures.models import DossierComponent, Procedure, User

        quote = connection.ops.quote_name
        models = [(Dossier, "d"), (Procedure, "p"), (Unit, "u"), (User, "h")]
        component_models = [(DossierComponent, "c"), (DigitizedFile, "f")]
        self.dossier = Joined(models)
        self.component = Joined(component_models)
        self.dossier_width = sum(len(model._meta.concrete_fields) for model, _alias in models)
        self.unit_column = quote(Dossier._meta.get_field("unit").column)

        def table(model):
            return quote(model._meta.db_table)

        def column(model, name):
            return quote(model._meta.get_field(name).column)

        # `%(scope)s`: the unit condition, if any (no other % in the text).
        self.sql = (
            f"SELECT {select_list(models + component_models, quote)} FROM {table(Dossier)} d "
            f"JOIN {table(Procedure)} p ON p.{column(Procedure, 'id')} = "
            f"d.{column(Dossier, 'procedure')} "
            f"JOIN {table(Unit)} u ON u.{column(Unit, 'id')} = d.{column(Dossier, 'unit')} "
            f"LEFT JOIN {table(User)} h ON h.{column(User, 'id')} = d.{column(Dossier, 'handler')} "
            f"LEFT JOIN {table(DossierComponent)} c ON c.{column(DossierComponent, 'dossier')} = "
            f"d.{column(Dossier, 'id')} "
            f"LEFT JOIN {table(DigitizedFile)} f ON f.{column(DigitizedFile, 'id')} = "
            f"c.{column(DossierComponent, 'file')} "
            f"WHERE d.{column(Dossier, 'code')} = %%s%(scope)s "
            f"ORDER BY c.{column(DossierComponent, 'position')}, c.{column(DossierComponent, 'id')}"
        )


_plans = {}


def _read_plan(connection) -> _ReadPlan:
    if connection.vendor not in _plans:
        _plans[connection.vendor] = _ReadPlan(connection)
    return _plans[connection.vendor]
