"""The admin's year view of the working calendar: every day of a year marked (one query)."""

from __future__ import annotations

import calendar as month_calendar
from dataclasses import dataclass
from datetime import date

import holidays as holidays_library
from django.core.exceptions import ValidationError
from django.utils.dates import MONTHS
from django.utils.formats import date_format
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from ..models import CalendarException
from .engine import DayKind, vietnam_calendar
from .store import exceptions_from_database


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
