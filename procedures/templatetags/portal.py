"""Formatting the office prints the same way everywhere: money as `8.000 đ`."""

from django import template
from django.utils.translation import gettext

from dossiers.printing.wording import money
from myphong.models import person_name

register = template.Library()


@register.filter
def vnd(amount):
    """8000 → "8.000 đ"; 0 → "Free". Vietnamese group thousands with a dot."""
    try:
        amount = int(amount)
    except (TypeError, ValueError):
        return ""
    if amount == 0:
        return gettext("Free")
    return money(amount)


@register.filter
def person(user):
    """A user's name in Vietnamese order ("Nguyễn Thị Lan")."""
    return person_name(user)
