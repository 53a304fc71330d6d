"""Catalogue upkeep: units and procedures, by administrators."""

from collections.abc import Mapping, Sequence

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from procedures.errors import ActionForbidden, InvalidInput
from procedures.models import Procedure, ProcedureComponent, Unit


def _require_admin(actor) -> None:
    if not actor.is_admin:
        raise ActionForbidden(_("Only administrators manage the catalogue."))


def _validated(instance) -> None:
    try:
        instance.full_clean()
    except ValidationError as error:
        raise InvalidInput(fields=error.message_dict) from error


def save_unit(*, actor, data: Mapping, unit: Unit | None = None) -> Unit:
    """Create a unit, or change the given one with the fields in `data`."""
    _require_admin(actor)
    with transaction.atomic():
        unit = Unit() if unit is None else Unit.objects.select_for_update().get(pk=unit.pk)
        for name, value in data.items():
            setattr(unit, name, value)
        _validated(unit)
        unit.save()
    return unit


def save_procedure(
    *,
    actor,
    data: Mapping,
    procedure: Procedure | None = None,
    components: Sequence[Mapping] | None = None,
    units: Sequence[Unit] | None = None,
) -> Procedure:
    """Create or change a procedure; `components` and `units`, when given, replace the lists.

    Dossiers already received keep their own copies of the components.
    """
    _require_admin(actor)
    with transaction.atomic():
        if procedure is None:
            procedure = Procedure()
        else:
            procedure = Procedure.objects.select_for_update().get(pk=procedure.pk)
        for name, value in data.items():
            setattr(procedure, name, value)
        _validated(procedure)
        procedure.save()
        if components is not None:
            procedure.components.all().delete()
            ProcedureComponent.objects.bulk_create(
                ProcedureComponent(
                    procedure=procedure,
                    name=component["name"],
                    required=component.get("required", True),
                    position=position,
                )
                for position, component in enumerate(components)
            )
        if units is not None:
            procedure.units.set(units)
    return procedure
