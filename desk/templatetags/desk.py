from django import template

from desk.names import staff_name as _staff_name

register = template.Library()


@register.filter
def staff_name(user) -> str:
    return _staff_name(user)
