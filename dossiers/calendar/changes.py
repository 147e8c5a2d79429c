"""A change of the working calendar moves the open dossiers it delays, atomically.

A new day off moves the due time of every open dossier whose remaining time crosses it; a new
working day never brings a promised appointment forward (engine.recompute_due_dates). Both the
admin's year view and the ordinary admin forms go through `change_calendar`, so no path forgets
it. The moved dossiers are recorded and their applicants told by `services.record_due_moved`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from .. import services
from ..models import CalendarException, Dossier
from ..workflow import CLOCK_STOPPED, OPEN
from .engine import (
    CALENDAR_DAY,
    MovedDeadline,
    OpenDeadline,
    as_local,
    recompute_due_dates,
    vietnam_calendar,
)
from .store import exceptions_from_database


def save_exception(exception: CalendarException) -> list[MovedDeadline]:
    """Save a new or edited exception and move the open dossiers it delays."""
    reason = _("Working calendar changed: %(exception)s") % {"exception": exception}
    return change_calendar(exception.save, reason)


def delete_exceptions(exceptions: Iterable[CalendarException]) -> list[MovedDeadline]:
    """Delete exceptions (a removed make-up day delays dossiers as a new day off does)."""
    exceptions = list(exceptions)
    reason = _("Working calendar changed: removed %(exceptions)s") % {
        "exceptions": "; ".join(str(exception) for exception in exceptions)
    }

    def delete():
        for exception in exceptions:
            exception.delete()

    return change_calendar(delete, reason)


def change_calendar(change: Callable[[], object], reason: str) -> list[MovedDeadline]:
    """Apply a change to the exceptions and move the open dossiers it delays, atomically."""
    with transaction.atomic():
        old_exceptions = exceptions_from_database()
        change()
        new_exceptions = exceptions_from_database()
        moved: list[MovedDeadline] = []
        for office_hours, working_weekdays, dossiers in open_dossiers_by_hours():
            old = vietnam_calendar(office_hours, working_weekdays, old_exceptions)
            moved += recompute_due_dates(
                open_deadlines(dossiers, old),
                old,
                vietnam_calendar(office_hours, working_weekdays, new_exceptions),
            )
        if moved:
            apply_moved_deadlines(moved, reason)
    return moved


def open_dossiers_by_hours():
    """(office hours, working weekdays, open dossiers as (id, clock start, due)) per agency kind.

    Open means accepted, not finished, with its clock running: a paused dossier gets its due
    time again when it resumes, on the calendar of that day.
    """
    rows = (
        Dossier.objects.filter(
            status__in=OPEN - CLOCK_STOPPED,
            clock_started_at__isnull=False,
            due_at__isnull=False,
        )
        .order_by()
        .values_list(
            "agency__office_hours",
            "agency__working_weekdays",
            "id",
            "clock_started_at",
            "due_at",
            "procedure__processing_time_unit",
        )
        .iterator(chunk_size=5000)
    )
    groups: dict[tuple[str, str], list] = {}
    for office_hours, weekdays, ident, start, due, unit in rows:
        groups.setdefault((office_hours, weekdays), []).append((ident, start, due, unit))
    return [(hours, days, dossiers) for (hours, days), dossiers in groups.items()]


def open_deadlines(dossiers, old_calendar) -> Iterable[OpenDeadline]:
    """Each dossier as the working time it had left on the old calendar, counted in hours.

    Counting what was promised (clock start → due) rather than the procedure's amount keeps a
    Form 04 new appointment or a paused-and-resumed clock exactly as it was. A limit in calendar
    days is kept in calendar days up to the due's date: only a new day off on that last day
    moves it (Civil Code art. 148), not one in between.
    """
    hour = Decimal(3_600_000_000)  # microseconds: exact, so an unmoved due stays to the µs
    for ident, start, due, *unit in dossiers:
        if unit and unit[0] == CALENDAR_DAY:
            days = (as_local(due).date() - as_local(start).date()).days
            yield OpenDeadline(ident, start, days, CALENDAR_DAY, due)
            continue
        span = old_calendar.working_time_between(start, due) // timedelta(microseconds=1)
        yield OpenDeadline(ident, start, Decimal(span) / hour, "working_hour", due)


def apply_moved_deadlines(moved: list[MovedDeadline], reason: str) -> None:
    """Store the new due instants, record a DossierEvent on each and notify each applicant."""
    services.record_due_moved([(item.id, item.old_due, item.new_due) for item in moved], reason)
