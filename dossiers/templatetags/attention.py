"""The header's "Cần chú ý" badge: how many dossiers are on the officer's lists.

Counted with the digest's own queries (dossiers.reminders, counts only) and kept a minute in the
cache, so a page costs no extra query most of the time.
"""

import contextlib
import logging

from django import template
from django.core.cache import cache

from myphong import roles

from .. import reminders

register = template.Library()
logger = logging.getLogger(__name__)

CACHE_SECONDS = 60


def cache_key(user):
    return f"dossiers:attention-count:{user.pk}"


@register.simple_tag
def attention_count(user):
    """The number on the badge, or None for a user who is not staff."""
    if not roles.has_role(user, *roles.STAFF):
        return None
    key = cache_key(user)
    try:
        count = cache.get(key)
    except Exception:  # Redis down: counted now; the page is worth more than the badge's cache
        logger.warning("attention badge: cache unavailable", exc_info=True)
        count = None
    if count is None:
        lists = reminders.attention_for(user, with_rows=False)
        count = lists.total if lists is not None else 0
        with contextlib.suppress(Exception):  # Redis down: logged by the read above
            cache.set(key, count, CACHE_SECONDS)
    return count
