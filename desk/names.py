"""How the desk names staff and durations."""

from django.utils.translation import gettext, ngettext


def staff_name(user) -> str:
    """Vietnamese order: family and middle names, then the given name (Nguyễn Thị Lan)."""
    if user is None:
        return ""
    full = " ".join(part for part in (user.last_name, user.first_name) if part)
    return full or user.username


def duration(delta) -> str:
    """A span of time in at most two units: "2 days 3 hours", "45 minutes"."""
    minutes = max(0, int(delta.total_seconds() // 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = []
    if days:
        parts.append(ngettext("%(n)d day", "%(n)d days", days) % {"n": days})
    if hours:
        parts.append(ngettext("%(n)d hour", "%(n)d hours", hours) % {"n": hours})
    if minutes and not days:
        parts.append(ngettext("%(n)d minute", "%(n)d minutes", minutes) % {"n": minutes})
    return " ".join(parts[:2]) or gettext("under a minute")
