"""The header's "Cần chú ý" badge: how many dossiers are on the officer's lists.

Counted with the digest's own queries (dossiers.reminders, counts only) and kept a minute in the
cache, so a page costs no extra query most of the time.
"""

from django import template
from django.core.cache import cache

from myphong import roles

from .. import reminders

register = template.Library()

CACHE_SECONDS = 60


def cache_key(user):
    return f"dossiers:attention-count:{user.pk}"


@register.simple_tag
def attention_count(user):
    """The number on the badge, or None for a user who is not staff."""
    if not roles.has_role(user, *roles.STAFF):
        return None
    key = cache_key(user)
    count = cache.get(key)
    if count is None:
        lists = reminders.attention_for(user, with_rows=False)
        count = lists.total if lists is not None else 0
        cache.set(key, count, CACHE_SECONDS)
    return count
