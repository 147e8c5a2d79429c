"""The working-time calendar: office hours, weekends, public holidays, exceptions. Pure.

Every due date of the portal is counted on it (PORTAL.md, "Working time and deadlines"):

- Office hours are configurable per agency (default 07:00-11:30 and 13:30-17:00, Monday-Friday).
- Public holidays come from the `holidays` library's Vietnam calendar (Tết and Hùng Kings by the
  lunar calendar, compensatory days, make-up Saturdays in `weekend_workdays`); exceptions kept by
  the admin (`CalendarException`) win over the library.
- N working days are N full working days of working time (N x 8 working hours with the default
  hours), counted from the receipt instant and skipping non-working time; a receipt outside office
  hours counts from the next opening. "In the day" procedures are due at the day's closing when
  received before 15:00, else at the next working day's closing.
- N calendar days ("ngày" alone: complaints, adoption, land mediation) follow the Civil Code
  (arts. 144-148): the day of receipt is not counted, the period ends at the end of its last
  day (the office's closing time), and a last day that is not a working day moves to the end of
  the next working day.
- A due instant that lands exactly on an opening is shown as the previous period's closing
  (Friday 17:00, not Monday 07:00): the same working time, and the date a citizen expects.

How it stays fast: a `WorkingCalendar` numbers the working time of its years once. Every instant
maps to a *position*, the working microseconds since 1 January of the first year it covers, in
O(1) (a table of working days before each day, plus the day's periods); the inverse is a division
by the length of a working day and one list lookup. A due date is "position of the receipt plus
the amount", a few microseconds with no query; the table grows by whole years when an instant
falls outside it.

This module reads no database and knows nothing of dossiers: `dossiers.calendar.store` builds the
calendar of the database, `dossiers.deadlines` puts the dossier rules on top of it.
"""

from __future__ import annotations

import threading
from bisect import bisect_left
from collections.abc import Iterable, Mapping
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from functools import lru_cache
from types import MappingProxyType
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

import holidays as holidays_library

# The portal's one time zone: instants are stored in UTC and shown, printed and counted here.
TZ = ZoneInfo("Asia/Ho_Chi_Minh")

# Units of Procedure.processing_time_unit (procedures.models.Procedure.TimeUnit).
WORKING_DAY = "working_day"
WORKING_HOUR = "working_hour"
SAME_DAY = "same_day"
CALENDAR_DAY = "calendar_day"
UNITS = (WORKING_DAY, WORKING_HOUR, SAME_DAY, CALENDAR_DAY)

DEFAULT_OFFICE_HOURS = "07:00-11:30,13:30-17:00"
DEFAULT_WORKING_WEEKDAYS = "1,2,3,4,5"
# Paper dossiers received after 15:00 go to the specialist the next working day (Decree 61/2018
# art. 15), and "in the day" procedures are then due at that day's closing.
SAME_DAY_CUTOFF = time(15, 0)

# Years the calendar will number; beyond them an instant is surely a typing error.
FIRST_YEAR, LAST_YEAR = 2000, 2200

_US_PER_SECOND = 1_000_000
_US_PER_HOUR = 3600 * _US_PER_SECOND


class DayKind(StrEnum):
    """What a date is on the working calendar, as the admin's year view marks it."""

    WORKING = "working"
    WEEKEND = "weekend"
    HOLIDAY = "holiday"  # a public holiday or compensatory day of the `holidays` library
    DAY_OFF = "day_off"  # an extra day off decided by the admin
    MAKE_UP = "make_up"  # a non-working day worked instead (library or admin)


# --- Parsing the agency's settings ------------------------------------------------------------


def parse_office_hours(text: str) -> tuple[tuple[time, time], ...]:
    """Parse "07:00-11:30,13:30-17:00" into ((07:00, 11:30), (13:30, 17:00)).

    Periods must be in order and must not overlap: the engine relies on it.
    """
    periods = []
    try:
        for chunk in text.split(","):
            start, end = (time.fromisoformat(part.strip()) for part in chunk.split("-"))
            periods.append((start, end))
    except ValueError as exc:
        raise ValueError(
            f"office hours must look like '07:00-11:30,13:30-17:00', not {text!r}"
        ) from exc
    previous_end = time.min
    for index, (start, end) in enumerate(periods):
        if not start < end or (index and start < previous_end):
            raise ValueError(f"office hours must be ordered, non-overlapping periods: {text!r}")
        previous_end = end
    return tuple(periods)


def parse_working_weekdays(text: str) -> frozenset[int]:
    """Parse ISO weekday numbers "1,2,3,4,5" (Monday = 1 … Sunday = 7)."""
    try:
        days = frozenset(int(part) for part in text.split(",") if part.strip())
    except ValueError as exc:
        raise ValueError(f"working weekdays must look like '1,2,3,4,5', not {text!r}") from exc
    if not days or not days <= set(range(1, 8)):
        raise ValueError(f"working weekdays must be ISO weekday numbers 1-7: {text!r}")
    return days


def _microseconds(moment: time) -> int:
    return ((moment.hour * 60 + moment.minute) * 60 + moment.second) * _US_PER_SECOND + (
        moment.microsecond
    )


def as_local(instant: datetime, name: str = "instant") -> datetime:
    """The instant in Vietnam's time zone; naive datetimes are refused, never guessed."""
    if not isinstance(instant, datetime):
        raise TypeError(f"{name} must be a datetime, not {type(instant).__name__}")
    if instant.tzinfo is TZ:
        return instant
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime, got the naive {instant!r}")
    return instant.astimezone(TZ)


# --- The library's holidays, per year ---------------------------------------------------------


@lru_cache(maxsize=512)
def _library_year(country: str, year: int) -> tuple[Mapping[date, str], frozenset[date]]:
    """Public holidays of one year (date -> name) and the weekend days worked in exchange."""
    calendar = holidays_library.country_holidays(country, years=year, language="vi")
    return MappingProxyType(dict(calendar)), frozenset(calendar.weekend_workdays)


class _OutOfRange(Exception):
    """An instant fell outside the numbered years: grow the index to `year` and try again."""

    def __init__(self, year: int):
        self.year = year


class _Index:
    """The numbered working days of the years first_year..last_year (see the module docstring)."""

    __slots__ = (
        "base",
        "before",
        "days",
        "first_year",
        "holidays",
        "last_year",
        "midnights",
        "size",
        "working",
    )

    def __init__(self, first_year, last_year, working, holiday_names):
        self.first_year = first_year
        self.last_year = last_year
        self.base = date(first_year, 1, 1).toordinal()
        self.size = len(working)
        self.working = working  # bytes: 1 when day i is a working day
        self.holidays = holiday_names  # date -> name, library and explicit holidays of the years
        before = [0] * (self.size + 1)  # working days strictly before day i
        days = []  # day numbers of the working days, in order
        count = 0
        for day, is_working in enumerate(working):
            before[day] = count
            if is_working:
                days.append(day)
                count += 1
        before[self.size] = count
        self.before = before
        self.days = days
        # The aware local midnight of each working day: building datetimes is the costly part.
        self.midnights = [datetime.fromordinal(self.base + day).replace(tzinfo=TZ) for day in days]


_EMPTY_INDEX = _Index(FIRST_YEAR, FIRST_YEAR - 1, b"", {})


class WorkingCalendar:
    """Office hours, working weekdays, public holidays and the admin's exceptions, immutable.

    `holidays` (date -> name, or just dates) and `make_up_days` are given explicitly; with
    `country="VN"` the `holidays` library's days for any year are added as well. `exceptions`
    (date -> is_working_day) win over both. The instance never changes; it only numbers more
    years lazily, which is invisible from outside, so it can be shared between threads.
    """

    __slots__ = (
        "_closing",
        "_day_length",
        "_grow_lock",
        "_index",
        "_periods",
        "country",
        "exceptions",
        "holidays",
        "make_up_days",
        "office_hours",
        "same_day_cutoff",
        "working_weekdays",
    )

    def __init__(
        self,
        office_hours: str | Iterable[tuple[time, time]] = DEFAULT_OFFICE_HOURS,
        working_weekdays: str | Iterable[int] = DEFAULT_WORKING_WEEKDAYS,
        *,
        holidays: Mapping[date, str] | Iterable[date] = (),
        make_up_days: Iterable[date] = (),
        exceptions: Mapping[date, bool] | None = None,
        country: str | None = None,
        same_day_cutoff: time = SAME_DAY_CUTOFF,
    ):
        if isinstance(office_hours, str):
            office_hours = parse_office_hours(office_hours)
        else:
            office_hours = parse_office_hours(
                ",".join(f"{start:%H:%M:%S}-{end:%H:%M:%S}" for start, end in office_hours)
            )
        if isinstance(working_weekdays, str):
            working_weekdays = parse_working_weekdays(working_weekdays)
        else:
            working_weekdays = parse_working_weekdays(",".join(map(str, working_weekdays)))
        if not isinstance(holidays, Mapping):
            holidays = dict.fromkeys(holidays, "")
        periods = []
        counted = 0
        for start, end in office_hours:
            start_us, end_us = _microseconds(start), _microseconds(end)
            periods.append((start_us, end_us, counted))
            counted += end_us - start_us
        set_ = object.__setattr__
        set_(self, "office_hours", office_hours)
        set_(self, "working_weekdays", working_weekdays)
        set_(self, "holidays", MappingProxyType(dict(holidays)))
        set_(self, "make_up_days", frozenset(make_up_days))
        set_(self, "exceptions", MappingProxyType(dict(exceptions or {})))
        set_(self, "country", country)
        set_(self, "same_day_cutoff", same_day_cutoff)
        set_(self, "_periods", tuple(periods))
        set_(self, "_day_length", counted)
        set_(self, "_closing", periods[-1][1])
        set_(self, "_index", _EMPTY_INDEX)
        set_(self, "_grow_lock", threading.Lock())

    def __setattr__(self, name, value):
        raise AttributeError("a WorkingCalendar is immutable; build a new one")

    def __repr__(self):
        hours = ",".join(f"{start:%H:%M}-{end:%H:%M}" for start, end in self.office_hours)
        days = ",".join(map(str, sorted(self.working_weekdays)))
        return (
            f"<WorkingCalendar {hours} weekdays {days} country={self.country} "
            f"exceptions={len(self.exceptions)}>"
        )

    @property
    def working_day_length(self) -> timedelta:
        """One working day of working time (8 hours with the default office hours)."""
        return timedelta(microseconds=self._day_length)

    def same_rules_as(self, other: WorkingCalendar) -> bool:
        """True when only the days differ: same hours, weekdays and cut-off."""
        return (
            self.office_hours == other.office_hours
            and self.working_weekdays == other.working_weekdays
            and self.same_day_cutoff == other.same_day_cutoff
        )

    # --- Days ---------------------------------------------------------------------------------

    def is_working_day(self, day: date) -> bool:
        index, number = self._day(day)
        return bool(index.working[number])

    def day_kind(self, day: date) -> DayKind:
        index, number = self._day(day)
        if day in self.exceptions:
            return DayKind.MAKE_UP if self.exceptions[day] else DayKind.DAY_OFF
        is_usual_weekday = day.isoweekday() in self.working_weekdays
        if index.working[number]:
            return DayKind.WORKING if is_usual_weekday else DayKind.MAKE_UP
        return DayKind.HOLIDAY if day in index.holidays else DayKind.WEEKEND

    def holiday_name(self, day: date) -> str | None:
        """The library's (or given) name of a public holiday on that day, in Vietnamese."""
        index, _number = self._day(day)
        return index.holidays.get(day)

    def changed_days(self, other: WorkingCalendar, first: date, last: date) -> list[date]:
        """The days between first and last (inclusive) that are working on one calendar only."""
        days = (first + timedelta(days=offset) for offset in range((last - first).days + 1))
        return [day for day in days if self.is_working_day(day) != other.is_working_day(day)]

    # --- Instants -----------------------------------------------------------------------------

    def is_office_hours(self, instant: datetime) -> bool:
        """True when the office counts time at that instant: opening included, closing not."""
        return self._run(self._is_open, as_local(instant))

    def next_opening(self, instant: datetime) -> datetime:
        """The instant itself during office hours, else the next time the office opens."""
        local = as_local(instant)
        return self._run(self._next_opening, local)

    def working_time_between(self, start: datetime, end: datetime) -> timedelta:
        """Working time from start to end (negative when end is earlier)."""
        first, second = as_local(start, "start"), as_local(end, "end")
        return timedelta(microseconds=self._run(self._span, first, second))

    def add_working_time(self, start: datetime, duration: timedelta) -> datetime:
        """The instant when `duration` of working time has passed since `start`.

        A result on a boundary between two periods is the earlier period's closing; a zero
        duration gives the instant counting starts (`next_opening`).
        """
        local = as_local(start, "start")
        amount = (duration.days * 86400 + duration.seconds) * _US_PER_SECOND + duration.microseconds
        if amount < 0:
            raise ValueError("working time to add must not be negative")
        if amount == 0:
            return self._run(self._next_opening, local)
        return self._run(self._add, local, amount)

    def due_at(self, received_at: datetime, amount: Any, unit: str) -> datetime:
        """See the module function `due_at`."""
        local = as_local(received_at, "received_at")
        if unit == WORKING_DAY:
            length = round(amount * self._day_length)
        elif unit == WORKING_HOUR:
            length = round(amount * _US_PER_HOUR)
        elif unit == SAME_DAY:
            return self._run(self._same_day, local)
        elif unit == CALENDAR_DAY:
            return self._run(self._calendar_days, local, _whole_days(amount))
        else:
            raise ValueError(f"unknown processing time unit {unit!r}; use one of {UNITS}")
        if length > 0:
            return self._run(self._add, local, length)
        if length == 0:
            return self._run(self._next_opening, local)
        raise ValueError(f"processing time must not be negative, got {amount!r}")

    # --- The arithmetic over one index (raising _OutOfRange to grow it) -------------------------

    def _position(self, index: _Index, local: datetime) -> int:
        """Working microseconds from the index's first day to the local instant."""
        number = local.toordinal() - index.base
        if not 0 <= number < index.size:
            raise _OutOfRange(local.year)
        position = index.before[number] * self._day_length
        if not index.working[number]:
            return position
        moment = (
            (local.hour * 60 + local.minute) * 60 + local.second
        ) * _US_PER_SECOND + local.microsecond
        for start, end, counted in self._periods:
            if moment < end:
                return position + counted + (moment - start if moment > start else 0)
        return position + self._day_length

    def _instant(self, index: _Index, position: int, closing: bool) -> datetime:
        """The local instant at a position: the earliest (a closing) or the latest (an opening)."""
        day_length = self._day_length
        ordinal, offset = divmod(position, day_length)
        if closing and offset == 0:
            ordinal -= 1
            offset = day_length
        if ordinal >= len(index.days):
            raise _OutOfRange(index.last_year + 1 + (ordinal - len(index.days)) // 240)
        if ordinal < 0:
            raise _OutOfRange(index.first_year - 1)
        for start, end, counted in self._periods:
            if offset < counted + end - start or (closing and offset == counted + end - start):
                moment = start + offset - counted
                break
        seconds, microseconds = divmod(moment, _US_PER_SECOND)
        return index.midnights[ordinal] + timedelta(0, seconds, microseconds)

    def _add(self, index: _Index, local: datetime, amount: int) -> datetime:
        return self._instant(index, self._position(index, local) + amount, closing=True)

    def _next_opening(self, index: _Index, local: datetime) -> datetime:
        if self._is_open(index, local):
            return local
        return self._instant(index, self._position(index, local), closing=False)

    def _is_open(self, index: _Index, local: datetime) -> bool:
        number = local.toordinal() - index.base
        if not 0 <= number < index.size:
            raise _OutOfRange(local.year)
        if not index.working[number]:
            return False
        moment = _microseconds(local.time())
        return any(start <= moment < end for start, end, _counted in self._periods)

    def _span(self, index: _Index, first: datetime, second: datetime) -> int:
        return self._position(index, second) - self._position(index, first)

    def _same_day(self, index: _Index, local: datetime) -> datetime:
        number = local.toordinal() - index.base
        if not 0 <= number < index.size:
            raise _OutOfRange(local.year)
        moment = _microseconds(local.time())
        cutoff = min(_microseconds(self.same_day_cutoff), self._closing)
        if index.working[number] and moment < cutoff:
            ordinal = index.before[number]  # this day is the ordinal-th working day
        else:
            ordinal = index.before[number + 1]  # the first working day after it
        return self._instant(index, (ordinal + 1) * self._day_length, closing=True)

    def _calendar_days(self, index: _Index, local: datetime, days: int) -> datetime:
        """Civil Code arts. 144-148: the receipt day is not counted (day 1 is the next day), the
        period ends at the closing of its last day, moved to the next working day's closing when
        that day is not worked. Zero days: the closing of the receipt day (or the next worked)."""
        number = local.toordinal() + days - index.base
        if not 0 <= number < index.size:
            raise _OutOfRange(date.fromordinal(local.toordinal() + days).year)
        # The last day's number among working days, or the first working day after it.
        ordinal = index.before[number] if index.working[number] else index.before[number + 1]
        return self._instant(index, (ordinal + 1) * self._day_length, closing=True)

    # --- Numbering the years ------------------------------------------------------------------

    def _day(self, day: date) -> tuple[_Index, int]:
        if isinstance(day, datetime):
            raise TypeError("give a date, not a datetime")
        index = self._index
        number = day.toordinal() - index.base
        if not 0 <= number < index.size:
            index = self._grow(index, day.year)
            number = day.toordinal() - index.base
        return index, number

    def _run(self, operation, *args):
        """Run an operation on the current index, growing it when it reaches outside."""
        index = self._index
        while True:
            try:
                return operation(index, *args)
            except _OutOfRange as signal:
                index = self._grow(index, signal.year)

    def _grow(self, seen: _Index, year: int) -> _Index:
        if not FIRST_YEAR <= year <= LAST_YEAR:
            raise ValueError(
                f"the working calendar covers {FIRST_YEAR}-{LAST_YEAR}; {year} is outside it"
            )
        with self._grow_lock:
            index = self._index
            if index is not seen and index.first_year <= year <= index.last_year:
                return index  # another thread grew it meanwhile
            if index.size:
                first, last = min(index.first_year, year - 1), max(index.last_year, year + 2)
            else:
                first, last = year - 1, year + 2
            first, last = max(first, FIRST_YEAR), min(last, LAST_YEAR)
            index = self._build_index(first, last)
            object.__setattr__(self, "_index", index)
            return index

    def _build_index(self, first_year: int, last_year: int) -> _Index:
        names: dict[date, str] = {}
        make_up_days = set(self.make_up_days)
        if self.country:
            # A neighbouring year may move a working day into this one (a Saturday in December
            # worked for the New Year's bridge), hence one year more on each side.
            for year in range(first_year - 1, last_year + 2):
                year_names, year_make_up = _library_year(self.country, year)
                names.update(year_names)
                make_up_days |= year_make_up
        names.update(self.holidays)
        exceptions = self.exceptions
        weekdays = self.working_weekdays
        start = date(first_year, 1, 1).toordinal()
        stop = date(last_year, 12, 31).toordinal() + 1
        working = bytearray(stop - start)
        for number, ordinal in enumerate(range(start, stop)):
            day = date.fromordinal(ordinal)
            if day in exceptions:
                working[number] = exceptions[day]
            elif day in make_up_days:
                working[number] = True
            else:
                working[number] = day.isoweekday() in weekdays and day not in names
        year_names = {
            day: name for day, name in names.items() if first_year <= day.year <= last_year
        }
        return _Index(first_year, last_year, bytes(working), MappingProxyType(year_names))


def _whole_days(amount: Any) -> int:
    """A number of calendar days: whole and not negative (the law counts whole days)."""
    try:
        days = int(amount)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"calendar days must be a whole number, not {amount!r}") from exc
    if days != amount:
        raise ValueError(f"calendar days must be a whole number, not {amount!r}")
    if days < 0:
        raise ValueError(f"processing time must not be negative, got {amount!r}")
    return days


def vietnam_calendar(
    office_hours: str = DEFAULT_OFFICE_HOURS,
    working_weekdays: str = DEFAULT_WORKING_WEEKDAYS,
    exceptions: Mapping[date, bool] | None = None,
) -> WorkingCalendar:
    """Vietnam's public holidays and make-up days from the `holidays` library, plus exceptions."""
    return WorkingCalendar(office_hours, working_weekdays, exceptions=exceptions, country="VN")


# --- Recomputing open dossiers after a calendar change ------------------------------------------


class OpenDeadline(NamedTuple):
    """What the recompute needs of an open dossier (a plain tuple of these five will do)."""

    id: Any
    clock_start: datetime  # receipt, or the resume instant under the "restart" rule
    amount: Any
    unit: str
    current_due: datetime


class MovedDeadline(NamedTuple):
    id: Any
    old_due: datetime
    new_due: datetime


def recompute_due_dates(
    open_items: Iterable[OpenDeadline | tuple],
    old_calendar: WorkingCalendar,
    new_calendar: WorkingCalendar,
) -> list[MovedDeadline]:
    """The open deadlines that a calendar change moves, with their old and new due instants.

    Each item's due is computed on the new calendar from its clock start; it moves only LATER:
    a new working day never brings a promised appointment forward. Only items whose span from
    clock start to due contains a changed day are recomputed, so a change costs one pass over
    the items. (A dossier rescheduled with Form 04 or paused under the "pause" rule can be given
    as a "working_hour" item whose amount is its working time to the current due.)
    """
    items = list(open_items)
    if not items:
        return []
    spans = [
        (as_local(start, "clock_start").toordinal(), as_local(due, "current_due").toordinal())
        for _id, start, _amount, _unit, due in items
    ]
    if new_calendar.same_rules_as(old_calendar):
        first = date.fromordinal(min(start for start, _due in spans))
        last = date.fromordinal(max(due for _start, due in spans))
        changed = [day.toordinal() for day in new_calendar.changed_days(old_calendar, first, last)]
    else:
        changed = None  # other office hours: every item may move
    moved = []
    for (ident, start, amount, unit, due), (start_day, due_day) in zip(items, spans, strict=True):
        if changed is not None:
            position = bisect_left(changed, start_day)
            if position == len(changed) or changed[position] > due_day:
                continue
        new_due = new_calendar.due_at(start, amount, unit)
        if new_due > due:
            moved.append(MovedDeadline(ident, as_local(due), new_due))
    return moved
