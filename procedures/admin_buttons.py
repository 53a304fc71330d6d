"""The buttons an admin change page shows for the transitions its user may make now."""

from django.urls import reverse


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
