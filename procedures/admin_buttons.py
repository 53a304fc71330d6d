"""The buttons an admin change page shows for the transitions its user may make now."""

from django.urls import reverse
from django.utils.translation import gettext as _


def transition_buttons(obj, rules, labels, url_name, **extra) -> list[dict]:
    """One entry per available transition rule: its name, label and POST url.

    `extra` maps a key to a dict of per-transition values (e.g. the text a transition needs).
    """
    return [
        {
            "name": rule.name,
            "label": labels[rule.name],
            "url": reverse(url_name, args=[obj.pk, rule.name]),
            **{key: values.get(rule.name) for key, values in extra.items()},
        }
        for rule in rules
    ]


def unavailable_transitions(obj, user, labels, role_labels) -> list[dict]:
    """The transitions out of the current state the user may not make now, each with why.

    Why is the role the transition belongs to when the user lacks it, otherwise the message of
    the first condition that does not hold (e.g. components not yet digitized).
    """
    available = {rule.name for rule in obj.get_available_user_state_transitions(user)}
    shown = {}
    for rule in obj.get_all_state_transitions():
        if rule.source not in (obj.state, "*") or rule.name in available or rule.name in shown:
            continue
        shown[rule.name] = {
            "name": rule.name,
            "label": labels[rule.name],
            "reason": _unavailable_because(obj, user, rule, role_labels),
        }
    return list(shown.values())


def _unavailable_because(obj, user, rule, role_labels) -> str:
    if not rule.has_perm(obj, user):
        roles = getattr(rule.permission, "roles", ())
        return _("Only %(roles)s of the dossier's unit may do this.") % {
            "roles": ", ".join(
                str(label).lower() for role, label in role_labels.items() if role in roles
            )
        }
    for check in rule.conditions:
        if not check(obj):
            return str(getattr(check, "error_message", _("Not possible in this state.")))
    return str(_("Not possible in this state."))
