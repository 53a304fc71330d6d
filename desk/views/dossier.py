"""The dossier page and everything done from it. Every write goes through a service."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from desk import dossier_page
from desk.forms import ApologyForm, ReuseLookupForm, TransitionForm
from desk.views.common import desk_view, dossier_in_scope
from digitization import services as digitization
from digitization.files import serve_file
from documents import forms
from documents.api import FORM_KINDS, PDF, file_response
from documents.models import FormKind
from documents.services import perform_action
from procedures import selectors
from procedures.errors import (
    ActionForbidden,
    ConcurrentChange,
    ConditionNotMet,
    DossierError,
    InvalidInput,
    TransitionNotAllowed,
)
from procedures.models import (
    TRANSITION_LABELS,
    TRANSITION_NAMES,
    TRANSITION_TEXT_FIELD,
    DossierComponent,
    User,
)
from procedures.services.apologies import issue_apology


def _lost_race_message() -> str:
    return _("Someone else acted on this dossier first. It is shown below as it is now.")


def _page(request, dossier, status=200, **extra):
    lookup = ReuseLookupForm(request.GET or None)
    reuse_id = lookup.cleaned_data.get("id_number") if lookup.is_valid() else None
    context = dossier_page.context(dossier, request.user, reuse_id=reuse_id or None)
    context.update(reuse_form=lookup, **extra)
    return render(request, "desk/dossier.html", context, status=status)


def _refused(request, dossier, error: DossierError):
    """The dossier page again, with the error's messages, at the API's status for it."""
    for message in _field_messages(error):
        messages.error(request, message)
    return _page(request, dossier, status=error.status)


def _field_messages(error: DossierError) -> list[str]:
    found = []
    for value in error.fields.values():
        if isinstance(value, dict):
            for nested in value.values():
                found += [str(message) for message in nested]
        else:
            found += [str(message) for message in value]
    return found or [str(error.message)]


@desk_view
def dossier_detail(request, code):
    return _page(request, dossier_in_scope(request.user, code))


@desk_view
@require_POST
def act(request, code, name):
    dossier = dossier_in_scope(request.user, code)
    if name not in TRANSITION_NAMES:
        raise Http404
    form = TransitionForm(request.POST)
    if not form.is_valid() or form.cleaned_data["version"] != dossier.version:
        messages.error(request, _lost_race_message())
        return _page(request, dossier, status=409)
    data = form.cleaned_data
    arguments = {}
    text_field = TRANSITION_TEXT_FIELD.get(name)
    if text_field:
        arguments[text_field] = data["text"]
    try:
        if data["assignee"]:
            arguments["assignee"] = _assignee(data["assignee"])
        perform_action(
            dossier=dossier, actor=request.user, action=name, note=data["note"], **arguments
        )
    except ConcurrentChange:
        messages.error(request, _lost_race_message())
        return _page(request, dossier_in_scope(request.user, code), status=409)
    except (InvalidInput, ActionForbidden, TransitionNotAllowed, ConditionNotMet) as error:
        return _page(
            request,
            dossier,
            status=error.status,
            open_dialog=name,
            dialog_errors=_field_messages(error),
            typed=data,
        )
    messages.success(request, _("Done: %(action)s.") % {"action": _action_label(name)})
    return redirect("desk:dossier", code=code)


def _assignee(username: str) -> User:
    person = User.objects.filter(username=username, is_active=True).first()
    if person is None:
        raise InvalidInput(
            fields={"assignee": [_("The person named cannot take the dossier at this step.")]}
        )
    return person


def _action_label(name: str) -> str:
    return str(TRANSITION_LABELS[name])


@desk_view
@require_POST
def digitize(request, code):
    """Scans for one or several components at once (one file each)."""
    dossier = dossier_in_scope(request.user, code)
    components = {str(c.pk): c for c in dossier.components.all()}
    uploads = {
        key.removeprefix("file-"): upload
        for key, upload in request.FILES.items()
        if key.startswith("file-")
    }
    if not uploads:
        messages.error(request, _("Choose a file for at least one component."))
        return _page(request, dossier, status=400)
    errors, done = [], 0
    for component_id, upload in uploads.items():
        component = components.get(component_id)
        if component is None:
            raise Http404
        try:
            digitization.digitize_component(component=component, actor=request.user, upload=upload)
            done += 1
        except DossierError as error:
            for message in _field_messages(error):
                errors.append(f"{component.name} ({upload.name}): {message}")
            status = error.status
    if errors:
        for message in errors:
            messages.error(request, message)
        if done:
            messages.success(request, _("%(count)d scan(s) saved.") % {"count": done})
        return _page(request, dossier_in_scope(request.user, code), status=status)
    messages.success(request, _("%(count)d scan(s) saved.") % {"count": done})
    return redirect("desk:dossier", code=code)


@desk_view
@require_POST
def reuse(request, code):
    """Digitize a component by reusing one already digitized for the same citizen."""
    dossier = dossier_in_scope(request.user, code)
    component = get_object_or_404(
        DossierComponent, pk=request.POST.get("component"), dossier=dossier
    )
    source = get_object_or_404(
        DossierComponent.objects.select_related("dossier").filter(
            dossier__in=selectors.dossiers_handled_by_units_of(request.user)
        ),
        pk=request.POST.get("source"),
    )
    if not source.is_digitized:
        raise Http404
    try:
        digitization.digitize_component(
            component=component,
            actor=request.user,
            reused_from=f"{source.dossier.code} · {source.name}",
        )
    except DossierError as error:
        return _refused(request, dossier, error)
    messages.success(request, _("Component digitized from data already held."))
    return redirect("desk:dossier", code=code)


@desk_view
@require_POST
def attach_result(request, code):
    dossier = dossier_in_scope(request.user, code)
    upload = request.FILES.get("file")
    if upload is None:
        messages.error(request, _("Choose the result document's file."))
        return _page(request, dossier, status=400)
    try:
        digitization.attach_result(dossier=dossier, actor=request.user, upload=upload)
    except DossierError as error:
        return _refused(request, dossier, error)
    messages.success(request, _("The result document is attached."))
    return redirect("desk:dossier", code=code)


@desk_view
@require_POST
def apology(request, code):
    dossier = dossier_in_scope(request.user, code)
    form = ApologyForm(request.POST)
    if form.is_valid():
        try:
            issue_apology(
                dossier=dossier,
                actor=request.user,
                reason=form.cleaned_data["reason"],
                new_appointment_date=form.cleaned_data["new_appointment_date"],
            )
        except DossierError as error:
            for field, errs in error.fields.items():
                form.add_error(field if field in form.fields else None, [str(e) for e in errs])
            if not error.fields:
                form.add_error(None, str(error.message))
            return _page(
                request,
                dossier,
                status=error.status,
                apology_form=form,
                open_dialog="apology",
            )
        messages.success(request, _("The apology letter (form 04) is issued."))
        return redirect("desk:form", code=code, kind=FormKind.APOLOGY)
    return _page(request, dossier, status=400, apology_form=form, open_dialog="apology")


@desk_view
def dossier_file(request, code, file_id):
    """A scan or the result document of a dossier in the user's scope, served as /files/<pk>/
    serves it (digitization.files), and framable by the dossier page's viewer."""
    dossier = dossier_in_scope(request.user, code)
    stored = next(
        (c.file for c in dossier.components.all() if c.file_id == file_id),
        dossier.result_file if dossier.result_file_id == file_id else None,
    )
    if stored is None:
        raise Http404
    return serve_file(request, stored, framable_by_site=True)


@desk_view
def form(request, code, kind):
    """A statutory form of the dossier as the PDF the API serves (forms 01-04 issued on their
    first download, 05 drawn from the log), opened in the browser to print."""
    if kind not in FORM_KINDS:
        raise Http404
    dossier = dossier_in_scope(request.user, code)
    try:
        content, sha256 = forms.form_pdf(dossier, kind, actor=request.user)
    except DossierError as error:
        return render(
            request, "desk/message.html", {"message": str(error.message)}, status=error.status
        )
    return file_response(content, PDF, forms.form_filename(dossier, kind), sha256)


def receipt(request, code):
    """Form 01: the receipt and appointment slip, opened on registering a dossier."""
    return form(request, code, FormKind.RECEIPT)
