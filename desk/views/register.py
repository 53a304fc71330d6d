"""Registering a dossier at the counter; the receipt (form 01) opens on save."""

from django.contrib import messages
from django.db.models import Prefetch
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from desk.forms import RegisterForm
from desk.views.common import desk_view
from procedures import services
from procedures.errors import ActionForbidden, DossierError
from procedures.models import Procedure, ProcedureComponent, Role, Unit
from procedures.scoping import processing_unit_ids


def _may_register(user) -> bool:
    return user.is_admin or user.effective_role == Role.CLERK


@desk_view
def register(request):
    user = request.user
    if not _may_register(user):
        return render(
            request,
            "desk/message.html",
            {"message": _("Only one-stop clerks register dossiers.")},
            status=403,
        )
    unit_ids = processing_unit_ids(user)
    units = Unit.objects.filter(active=True).order_by("name")
    procedures = Procedure.objects.filter(active=True)
    if unit_ids is not None:
        units = units.filter(pk__in=unit_ids)
        procedures = procedures.filter(units__in=unit_ids).distinct()
    procedures = list(
        procedures.order_by("code").prefetch_related(
            Prefetch("components", queryset=ProcedureComponent.objects.order_by("position", "id")),
            "units",
        )
    )
    units = list(units)
    form = RegisterForm(request.POST or None, procedures=procedures, units=units)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            dossier = services.create_dossier(
                actor=user,
                procedure=data["procedure_obj"],
                unit=data["unit_obj"],
                channel=data["channel"],
                applicant=form.applicant(),
            )
        except DossierError as error:
            if isinstance(error, ActionForbidden):
                form.add_error(None, str(error.message))
            for field, errors in error.fields.items():
                flat = errors if isinstance(errors, list) else sum(errors.values(), [])
                form.add_error(field if field in form.fields else None, [str(e) for e in flat])
            if not form.errors:
                form.add_error(None, str(error.message))
        else:
            messages.success(request, _("Dossier %(code)s registered.") % {"code": dossier.code})
            return redirect("desk:receipt", code=dossier.code)
    return render(
        request,
        "desk/register.html",
        {"form": form, "procedures": procedures},
        status=400 if form.is_bound else 200,
    )
