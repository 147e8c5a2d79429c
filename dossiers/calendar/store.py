"""The working calendar of the database: the admin's exceptions on top of Vietnam's holidays.

`default_calendar()` is the only reader of the database here. It caches what it builds in the
process until a `CalendarException` is saved or deleted; other processes learn of the change
through a version key in Django's cache, checked at most every two seconds, so a due date costs
no cache round trip.
"""

from __future__ import annotations

import logging
import threading
import time as monotonic_clock
import uuid
from datetime import date

from .engine import (
    DEFAULT_OFFICE_HOURS,
    DEFAULT_WORKING_WEEKDAYS,
    WorkingCalendar,
    vietnam_calendar,
)

logger = logging.getLogger(__name__)

# Other processes learn of a change through this key in Django's cache; each process checks it
# at most every _RECHECK_SECONDS, so a due date costs no cache round trip.
CACHE_VERSION_KEY = "dossiers:working-calendar-version"
_RECHECK_SECONDS = 2.0
_default_calendars: dict[tuple[str, str], WorkingCalendar] = {}
_default_state = {"version": None, "checked_at": float("-inf"), "generation": 0}
_default_lock = threading.Lock()


def exceptions_from_database() -> dict[date, bool]:
    """The admin's calendar exceptions, date -> is_working_day, in one query."""
    from ..models import CalendarException

    return dict(CalendarException.objects.values_list("date", "is_working_day"))


def default_calendar(agency=None) -> WorkingCalendar:
    """The working calendar of an agency (its office hours and weekdays; default ones when None),
    with Vietnam's public holidays and the admin's exceptions, cached in the process."""
    now = monotonic_clock.monotonic()
    if now - _default_state["checked_at"] >= _RECHECK_SECONDS:
        _notice_changes_elsewhere(now)
    if agency is None:
        key = (DEFAULT_OFFICE_HOURS, DEFAULT_WORKING_WEEKDAYS)
    else:
        key = (agency.office_hours, agency.working_weekdays)
    calendar = _default_calendars.get(key)
    if calendar is None:
        generation = _default_state["generation"]
        calendar = vietnam_calendar(*key, exceptions=exceptions_from_database())
        with _default_lock:
            # An exception saved while we read would make this calendar stale: don't keep it.
            if generation == _default_state["generation"]:
                _default_calendars[key] = calendar
    return calendar


def _notice_changes_elsewhere(now: float) -> None:
    from django.core.cache import cache

    try:
        version = cache.get(CACHE_VERSION_KEY)
    except Exception:
        # The cache being down must not stop the counter from issuing receipts.
        logger.warning("working calendar: cannot read the shared version", exc_info=True)
        return
    with _default_lock:
        if version != _default_state["version"]:
            _default_calendars.clear()
            _default_state["generation"] += 1
            _default_state["version"] = version
        _default_state["checked_at"] = now


def forget_default_calendars() -> None:
    """Drop the cached calendars here and tell other processes to drop theirs."""
    from django.core.cache import cache

    version = uuid.uuid4().hex
    with _default_lock:
        _default_calendars.clear()
        _default_state["generation"] += 1
        _default_state["version"] = version
        _default_state["checked_at"] = float("-inf")
    try:
        cache.set(CACHE_VERSION_KEY, version, None)
    except Exception:
        logger.warning("working calendar: cannot publish the new version", exc_info=True)


def calendar_exception_changed(sender, using=None, **kwargs) -> None:
    """post_save / post_delete of CalendarException (connected in DossiersConfig.ready)."""
    from django.db import transaction

    forget_default_calendars()
    # Again once committed: another process may have rebuilt from the old rows in between.
    transaction.on_commit(forget_default_calendars, using=using)
