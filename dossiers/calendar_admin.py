"""The admin's side of the working calendar: the year view, and what a change does to dossiers.

A new day off moves the due time of every open dossier whose remaining time crosses it; a new
working day never brings a promised appointment forward (deadlines.recompute_due_dates). Both
the year view and the ordinary admin forms go through `change_calendar`, so no path forgets it.
"""

from __future__ import annotations

import calendar as month_calendar
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import holidays as holidays_library
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.dates import MONTHS
from django.utils.formats import date_format
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from .deadlines import (
    DayKind,
    MovedDeadline,
    OpenDeadline,
    exceptions_from_database,
    recompute_due_dates,
    vietnam_calendar,
)
from .models import CalendarException


@dataclass(frozen=True)
class CalendarDay:
    day: date
    kind: DayKind
    label: str  # the holiday's name, the exception's note, or ""
    exception: CalendarException | None


@dataclass(frozen=True)
class CalendarMonth:
    number: int
    name: str
    weeks: list[list[CalendarDay | None]]  # Monday first; None outside the month


def year_view(year: int) -> list[CalendarMonth]:
    """Twelve month grids of the working calendar, every day marked (one query)."""
    calendar = vietnam_calendar(exceptions=exceptions_from_database())
    exceptions = {row.date: row for row in CalendarException.objects.filter(date__year=year)}
    # Holiday names in the reader's language when the library has it (vi, en_US).
    language = "vi" if (get_language() or "vi").startswith("vi") else "en_US"
    names = holidays_library.country_holidays("VN", years=year, language=language)
    months = []
    for number in range(1, 13):
        weeks = []
        for week in month_calendar.Calendar(firstweekday=0).monthdatescalendar(year, number):
            row = []
            for day in week:
                if day.month != number:
                    row.append(None)
                    continue
                kind = calendar.day_kind(day)
                exception = exceptions.get(day)
                if exception is not None:
                    label = exception.note
                elif kind == DayKind.MAKE_UP:
                    label = _("Make-up working day")
                else:
                    label = names.get(day, "")
                row.append(CalendarDay(day, kind, label, exception))
            weeks.append(row)
        months.append(CalendarMonth(number, MONTHS[number], weeks))
    return months


def check_exception(day: date, is_working_day: bool) -> None:
    """Refuse an exception that would change nothing (a day off on a Sunday…)."""
    without_exceptions = vietnam_calendar()
    if without_exceptions.is_working_day(day) == is_working_day:
        shown = date_format(day, "d/m/Y")
        if is_working_day:
            message = _("%(date)s is already a working day.") % {"date": shown}
        else:
            message = _("%(date)s is already a day off.") % {"date": shown}
        raise ValidationError(message, code="no_change")


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
    from .models import Dossier
    from .workflow import CLOCK_STOPPED, OPEN

    rows = (
        Dossier.objects.filter(
            status__in=OPEN - CLOCK_STOPPED,
            clock_started_at__isnull=False,
            due_at__isnull=False,
        )
        .order_by()
        .values_list(
            "agency__office_hours", "agency__working_weekdays", "id", "clock_started_at", "due_at"
        )
        .iterator(chunk_size=5000)
    )
    groups: dict[tuple[str, str], list] = {}
    for office_hours, weekdays, ident, start, due in rows:
        groups.setdefault((office_hours, weekdays), []).append((ident, start, due))
    return [(hours, days, dossiers) for (hours, days), dossiers in groups.items()]


def open_deadlines(dossiers, old_calendar) -> Iterable[OpenDeadline]:
    """Each dossier as the working time it had left on the old calendar, counted in hours.

    Counting what was promised (clock start → due) rather than the procedure's amount keeps a
    Form 04 new appointment or a paused-and-resumed clock exactly as it was.
    """
    hour = Decimal(3_600_000_000)  # microseconds: exact, so an unmoved due stays to the µs
    for ident, start, due in dossiers:
        span = old_calendar.working_time_between(start, due) // timedelta(microseconds=1)
        yield OpenDeadline(ident, start, Decimal(span) / hour, "working_hour", due)


def apply_moved_deadlines(moved: list[MovedDeadline], reason: str) -> None:
    """Store the new due instants, record a DossierEvent on each and notify each applicant."""
    from .services import record_due_moved

    record_due_moved([(item.id, item.old_due, item.new_due) for item in moved], reason)
