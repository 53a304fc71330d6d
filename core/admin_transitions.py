"""Transition buttons on an admin change page, generated from a machine's registry
(core.transitions.Machine): one POST url per object and action, and the buttons its user may
press now."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from core.errors import ApplicationError


def report_error(request, error: ApplicationError) -> None:
    """A service's refusal as an admin error message, with its field messages."""
    details = "; ".join(
        f"{field}: {' '.join(str(m) for m in msgs)}" for field, msgs in error.fields.items()
    )
    messages.error(request, f"{error.message} {details}".strip())


class TransitionButtonsMixin:
    """For a ModelAdmin of a model with a state machine.

    Set `transition_machine`, `transition_url_name` (the admin url name of the POST view),
    `transition_context` (the template variable listing the buttons), optionally
    `transition_path` (the url segment), and define `perform_transition(request, obj, action,
    note, arguments)` calling the service.
    """

    transition_machine = None
    transition_url_name = ""
    transition_context = "transitions"
    transition_path = "transition"
    role_choices = ()  # (role, label) pairs, to name who may act when the user's role may not

    def get_urls(self):
        return [
            path(
                f"<int:object_id>/{self.transition_path}/<str:action>/",
                self.admin_site.admin_view(require_POST(self.transition_view)),
                name=self.transition_url_name,
            ),
            *super().get_urls(),
        ]

    def transition_buttons(self, request, obj) -> tuple[list[dict], list[dict]]:
        """The actions the state of `obj` allows: those `request.user` may take now (name,
        label, text field, url) and those they may not, each with why."""
        machine = self.transition_machine
        allowed, refused = [], []
        for name, may, reason in machine.available_actions(obj, request.user):
            if may:
                allowed.append(
                    {
                        "name": name,
                        "label": machine.labels[name],
                        "text_field": machine.text_fields.get(name),
                        "url": reverse(f"admin:{self.transition_url_name}", args=[obj.pk, name]),
                    }
                )
            else:
                reason = self.role_refusal(request.user, name) or reason
                refused.append({"name": name, "label": machine.labels[name], "reason": reason})
        return allowed, refused

    def role_refusal(self, user, name) -> str | None:
        """Who may do `name`, when the user's role may not: "Only specialists, approvers …"."""
        roles = self.transition_machine.roles(name)
        if roles is None or user.is_admin or user.effective_role in roles:
            return None
        labels = [str(label).lower() for role, label in self.role_choices if role in roles]
        return str(
            _("Only %(roles)s of the dossier's unit may do this.") % {"roles": ", ".join(labels)}
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = extra_context or {}
        obj = self.get_queryset(request).filter(pk=object_id).first()
        if obj is not None:
            allowed, refused = self.transition_buttons(request, obj)
            extra_context[self.transition_context] = allowed
            extra_context["unavailable_transitions"] = refused
        return super().change_view(request, object_id, form_url, extra_context)

    def transition_view(self, request, object_id, action):
        machine = self.transition_machine
        if action not in machine.by_name:
            raise PermissionDenied
        obj = get_object_or_404(self.get_queryset(request), pk=object_id)
        text_field = machine.text_fields.get(action)
        arguments = {}
        if text_field and text_field != "note":
            arguments[text_field] = request.POST.get(text_field, "")
        try:
            self.perform_transition(request, obj, action, request.POST.get("note", ""), arguments)
        except ApplicationError as error:
            report_error(request, error)
        else:
            messages.success(request, _("Done: %(action)s.") % {"action": machine.labels[action]})
        opts = self.model._meta
        return redirect(f"admin:{opts.app_label}_{opts.model_name}_change", obj.pk)
