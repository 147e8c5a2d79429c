"""The deadline engine on explicit calendars: no database.

Every expected value is worked out by hand in the comment beside it, with the default office
hours 07:00-11:30 and 13:30-17:00 (4.5 h + 3.5 h = 8 h a day) and the `holidays` library's
Vietnam calendar: Tết 2025 27/01-31/01, Hùng Kings Mon 07/04/2025, make-up Sat 26/04/2025 for
Fri 02/05/2025, 30/04-01/05, 01-02/09/2025; 01/01/2026, Tết 2026 16/02-20/02, Hùng Kings Sun 26/04
observed Mon 27/04/2026, 30/04-01/05/2026, make-up Sat 22/08/2026 for Mon 31/08/2026, 01-02/09/2026.
"""

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.utils import translation
from hypothesis import assume, given
from hypothesis import strategies as st

from dossiers.calendar.engine import (
    SAME_DAY,
    TZ,
    WORKING_DAY,
    WORKING_HOUR,
    DayKind,
    MovedDeadline,
    OpenDeadline,
    WorkingCalendar,
    parse_office_hours,
    recompute_due_dates,
    vietnam_calendar,
)
from dossiers.deadlines import (
    ReschedulingRefused,
    Timeliness,
    due_after_supplement,
    due_at,
    is_overdue,
    reschedule,
    timeliness,
)

VN = vietnam_calendar()
HOURS_8 = timedelta(hours=8)


def at(text):
    """A Vietnam instant written the way the office writes it: "Fri 13/02/2026 10:00"."""
    instant = datetime.strptime(text, "%a %d/%m/%Y %H:%M").replace(tzinfo=TZ)
    assert f"{instant:%a}" == text[:3], f"{text}: that date is a {instant:%A}"
    return instant


def with_exceptions(**days):
    """VN plus exceptions given as d_DD_MM_YYYY=is_working_day."""
    exceptions = {}
    for name, is_working in days.items():
        _d, day, month, year = name.split("_")
        exceptions[date(int(year), int(month), int(day))] = is_working
    return vietnam_calendar(exceptions=exceptions)


# --- The worked examples of PORTAL.md ------------------------------------------------------------


def test_five_working_days_across_tet_2026():
    # 40 h. Fri 13/02 10:00-11:30 + 13:30-17:00 = 5 h (35 left); Tết 16-20/02 off;
    # Mon 23 - Thu 26 = 32 h (3 left); Fri 27/02 07:00 + 3 h = 10:00.
    assert due_at(at("Fri 13/02/2026 10:00"), 5, WORKING_DAY, VN) == at("Fri 27/02/2026 10:00")


def test_three_working_days_with_the_make_up_saturday_before_30_april_2025():
    # 24 h. Fri 25/04 09:00-17:00 = 6 h (18 left); Sat 26/04 is worked, 8 h (10 left);
    # Mon 28 8 h (2 left); Tue 29/04 07:00 + 2 h = 09:00, before 30/04-02/05 off.
    assert due_at(at("Fri 25/04/2025 09:00"), 3, WORKING_DAY, VN) == at("Tue 29/04/2025 09:00")


def test_three_working_days_across_tet_2025():
    # 24 h. Fri 24/01 14:00-17:00 = 3 h (21 left); Tết 27-31/01 off (Sat 01/02 too);
    # Mon 03 + Tue 04/02 = 16 h (5 left); Wed 05/02 07:00-11:30 4.5 h, 13:30 + 0.5 h = 14:00.
    assert due_at(at("Fri 24/01/2025 14:00"), 3, WORKING_DAY, VN) == at("Wed 05/02/2025 14:00")


# --- The table -----------------------------------------------------------------------------------

CASES = [
    # Receipt at lunch counts from 13:30: 13:30-17:00 3.5 h, then Wed 07:00 + 0.5 h.
    ("half_day_received_at_lunch", "Tue 10/06/2025 12:15", "0.5 days", "Wed 11/06/2025 07:30"),
    # Lunch: Tue 13:30-17:00 3.5 h (4.5 left); Wed 07:00-11:30 ends on the lunch boundary: 11:30.
    ("one_day_received_at_lunch", "Tue 10/06/2025 12:15", "1 day", "Wed 11/06/2025 11:30"),
    # After hours Mon 18:30: counts from Tue 07:00, + 4 h = 11:00.
    ("four_hours_received_after_hours", "Mon 09/06/2025 18:30", "4 h", "Tue 10/06/2025 11:00"),
    # Saturday: counts from Mon 16/06 07:00; 16 h = Mon + Tue; Tue's closing, not Wed 07:00.
    ("two_days_received_on_saturday", "Sat 14/06/2025 10:00", "2 days", "Tue 17/06/2025 17:00"),
    # Online on 30/04/2025: 30/04, 01/05 and 02/05 (for Sat 26/04) off, weekend;
    # counts from Mon 05/05 07:00, 8 h = 17:00.
    ("one_day_received_on_30_april_2025", "Wed 30/04/2025 09:00", "1 day", "Mon 05/05/2025 17:00"),
    # Make-up Sat 26/04/2025 is worked: 09:00-17:00 6 h (2 left); Mon 28/04 07:00 + 2 h.
    (
        "one_day_received_on_make_up_saturday_2025",
        "Sat 26/04/2025 09:00",
        "1 day",
        "Mon 28/04/2025 09:00",
    ),
    # Same day before 15:00: today's closing.
    ("same_day_received_14_59", "Tue 10/06/2025 14:59", "in the day", "Tue 10/06/2025 17:00"),
    # Same day at 15:00 sharp: next working day's closing.
    ("same_day_received_15_00", "Tue 10/06/2025 15:00", "in the day", "Wed 11/06/2025 17:00"),
    # Friday after 15:00: Monday's closing.
    (
        "same_day_received_friday_15_30",
        "Fri 13/06/2025 15:30",
        "in the day",
        "Mon 16/06/2025 17:00",
    ),
    # Before opening on a working day: that day's closing.
    (
        "same_day_received_before_opening",
        "Tue 10/06/2025 06:30",
        "in the day",
        "Tue 10/06/2025 17:00",
    ),
    # At lunch, before 15:00: that day's closing.
    ("same_day_received_at_lunch", "Tue 10/06/2025 12:00", "in the day", "Tue 10/06/2025 17:00"),
    # On the make-up Saturday before 15:00: a working day, its own closing.
    (
        "same_day_on_make_up_saturday_2025",
        "Sat 26/04/2025 10:00",
        "in the day",
        "Sat 26/04/2025 17:00",
    ),
    # Friday 13/02/2026 after 15:00, Tết 16-20/02: Mon 23/02 closing.
    ("same_day_before_tet_2026", "Fri 13/02/2026 16:00", "in the day", "Mon 23/02/2026 17:00"),
    # Half a day = 4 h: Mon 09:00-11:30 2.5 h, 13:30 + 1.5 h = 15:00.
    ("half_day", "Mon 09/06/2025 09:00", "0.5 days", "Mon 09/06/2025 15:00"),
    # 1.25 days = 10 h: Mon 09:00-17:00 6 h (4 left); Tue 07:00 + 4 h = 11:00.
    ("one_and_a_quarter_days", "Mon 09/06/2025 09:00", "1.25 days", "Tue 10/06/2025 11:00"),
    # 2.5 days = 20 h: Thu 13:30-17:00 3.5 h (16.5); Fri 8 h (8.5); Mon 16/06 8 h (0.5);
    # Tue 17/06 07:30.
    ("two_and_a_half_days", "Thu 12/06/2025 13:30", "2.5 days", "Tue 17/06/2025 07:30"),
    # 4 h from Mon 15:00: 2 h Mon, Tue 07:00 + 2 h = 09:00.
    ("four_working_hours", "Mon 09/06/2025 15:00", "4 h", "Tue 10/06/2025 09:00"),
    # 8 h from Fri 29/08/2025 16:00: 1 h; 01-02/09 off; Wed 03/09 4.5 h, 13:30 + 2.5 h = 16:00.
    ("eight_hours_across_national_day_2025", "Fri 29/08/2025 16:00", "8 h", "Wed 03/09/2025 16:00"),
    # 16 h: Fri 04/04 10:00-17:00 5 h (11); Mon 07/04 Hùng Kings; Tue 8 h (3); Wed 07:00 + 3 h.
    ("two_days_across_hung_kings_2025", "Fri 04/04/2025 10:00", "2 days", "Wed 09/04/2025 10:00"),
    # 24 h: Fri 24/04 14:00-17:00 3 h (21); Mon 27/04 off (Hùng Kings on Sunday 26/04, observed);
    # Tue 28 8 h (13); Wed 29 8 h (5); 30/04 and 01/05 off; Mon 04/05 4.5 h, 13:30 + 0.5 h.
    (
        "three_days_across_hung_kings_and_30_april_2026",
        "Fri 24/04/2026 14:00",
        "3 days",
        "Mon 04/05/2026 14:00",
    ),
    # 8 h: Wed 29/04/2026 15:00-17:00 2 h (6); Thu 30/04, Fri 01/05 off; Mon 04/05 4.5 h,
    # 13:30 + 1.5 h = 15:00.
    ("one_day_across_30_april_1_may_2026", "Wed 29/04/2026 15:00", "1 day", "Mon 04/05/2026 15:00"),
    # 16 h: Fri 29/08/2025 08:00-17:00 7 h (9); Mon 01 and Tue 02/09 off; Wed 8 h (1);
    # Thu 04/09 07:00 + 1 h = 08:00.
    ("two_days_across_national_day_2025", "Fri 29/08/2025 08:00", "2 days", "Thu 04/09/2025 08:00"),
    # 8 h: Fri 21/08/2026 16:00-17:00 1 h (7); Sat 22/08 is worked (for Mon 31/08):
    # 07:00-11:30 4.5 h, 13:30 + 2.5 h = 16:00.
    ("one_day_into_make_up_saturday_2026", "Fri 21/08/2026 16:00", "1 day", "Sat 22/08/2026 16:00"),
    # 16 h: Fri 28/08/2026 13:30-17:00 3.5 h (12.5); Mon 31/08, Tue 01 and Wed 02/09 off;
    # Thu 03/09 8 h (4.5); Fri 04/09 07:00-11:30 ends on the lunch boundary: 11:30.
    ("two_days_across_national_day_2026", "Fri 28/08/2026 13:30", "2 days", "Fri 04/09/2026 11:30"),
    # 24 h: Tue 30/12/2025 10:00-17:00 5 h (19); Wed 31 8 h (11); Thu 01/01/2026 off;
    # Fri 02/01 8 h (3); weekend; Mon 05/01 07:00 + 3 h = 10:00.
    ("three_days_across_new_year_2026", "Tue 30/12/2025 10:00", "3 days", "Mon 05/01/2026 10:00"),
    # 8 h from Thu 17:30: counts from Fri 07:00, ends at Fri's closing: Fri 17:00, not Mon 07:00.
    (
        "due_on_opening_is_shown_as_friday_closing",
        "Thu 12/06/2025 17:30",
        "1 day",
        "Fri 13/06/2025 17:00",
    ),
    # 40 h from Mon 07:00: Mon-Fri full; Fri 17:00.
    ("five_days_from_monday_opening", "Mon 09/06/2025 07:00", "5 days", "Fri 13/06/2025 17:00"),
    # 4.5 h from Mon 07:00: the morning; 11:30, not 13:30.
    ("morning_ends_at_11_30_not_13_30", "Mon 09/06/2025 07:00", "4.5 h", "Mon 09/06/2025 11:30"),
    # 8 h: Wed 07/02/2024 10:00-17:00 5 h (3); Tết 2024 08/02-14/02 off; Thu 15/02 07:00 + 3 h.
    ("one_day_across_tet_2024", "Wed 07/02/2024 10:00", "1 day", "Thu 15/02/2024 10:00"),
    # 8 h: Tue 31/12/2030 10:00-17:00 5 h (3); Wed 01/01/2031 off; Thu 02/01 07:00 + 3 h.
    ("one_day_across_new_year_2031", "Tue 31/12/2030 10:00", "1 day", "Thu 02/01/2031 10:00"),
]


def processing_time(text):
    """Turn "2.5 days", "4 h" or "in the day" into (amount, unit)."""
    if text == "in the day":
        return None, SAME_DAY
    amount, unit = text.split()
    return Decimal(amount), WORKING_HOUR if unit == "h" else WORKING_DAY


@pytest.mark.parametrize(
    ("received", "processing", "expected"), [pytest.param(*case[1:], id=case[0]) for case in CASES]
)
def test_due_date(received, processing, expected):
    due = due_at(at(received), *processing_time(processing), VN)
    assert due == at(expected)
    assert due.tzinfo is TZ


def test_receipt_in_utc_is_counted_in_vietnam_time():
    # 03:00 UTC on 13/02/2026 is 10:00 in Vietnam: the Tết 2026 example again.
    received = datetime(2026, 2, 13, 3, tzinfo=UTC)
    assert due_at(received, 5, WORKING_DAY, VN) == at("Fri 27/02/2026 10:00")


def test_a_naive_receipt_time_is_refused():
    with pytest.raises(ValueError, match="aware"):
        due_at(datetime(2026, 2, 13, 10), 5, WORKING_DAY, VN)


@pytest.mark.parametrize(
    ("amount", "unit"), [(1, "calendar_week"), (-1, WORKING_DAY), (Decimal("-0.5"), WORKING_HOUR)]
)
def test_unknown_units_and_negative_amounts_are_refused(amount, unit):
    with pytest.raises(ValueError):
        due_at(at("Mon 09/06/2025 09:00"), amount, unit, VN)


def test_zero_processing_time_is_due_when_counting_starts():
    # Saturday 14/06/2025: counting would start Mon 16/06 07:00.
    assert due_at(at("Sat 14/06/2025 10:00"), 0, WORKING_DAY, VN) == at("Mon 16/06/2025 07:00")
    assert due_at(at("Tue 10/06/2025 09:00"), 0, WORKING_HOUR, VN) == at("Tue 10/06/2025 09:00")


def test_a_date_far_outside_the_calendar_is_refused():
    with pytest.raises(ValueError, match="covers"):
        due_at(datetime(1990, 1, 1, tzinfo=TZ), 1, WORKING_DAY, VN)


# --- Calendar, office hours, working time --------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "kind"),
    [
        (date(2025, 6, 10), DayKind.WORKING),
        (date(2025, 6, 14), DayKind.WEEKEND),
        (date(2025, 4, 26), DayKind.MAKE_UP),  # worked for Fri 02/05/2025
        (date(2025, 5, 2), DayKind.HOLIDAY),
        (date(2026, 2, 17), DayKind.HOLIDAY),  # Tết
        (date(2026, 4, 26), DayKind.HOLIDAY),  # Hùng Kings on a Sunday
        (date(2026, 4, 27), DayKind.HOLIDAY),  # … observed on Monday
        (date(2026, 8, 22), DayKind.MAKE_UP),  # worked for Mon 31/08/2026
        (date(2026, 8, 31), DayKind.HOLIDAY),
    ],
)
def test_day_kinds_of_the_library_calendar(day, kind):
    assert VN.day_kind(day) == kind
    assert VN.is_working_day(day) == (kind in {DayKind.WORKING, DayKind.MAKE_UP})


def test_holiday_names_come_from_the_library_in_vietnamese():
    assert VN.holiday_name(date(2026, 2, 17)) == "Tết Nguyên Đán"
    assert VN.holiday_name(date(2026, 6, 10)) is None


@pytest.mark.parametrize(
    ("instant", "inside"),
    [
        (at("Tue 10/06/2025 07:00"), True),  # opening
        (at("Tue 10/06/2025 11:29"), True),
        (at("Tue 10/06/2025 11:30"), False),  # lunch
        (at("Tue 10/06/2025 13:30"), True),
        (at("Tue 10/06/2025 17:00"), False),  # closed
        (at("Sat 26/04/2025 10:00"), True),  # make-up Saturday
        (at("Sat 14/06/2025 10:00"), False),  # ordinary Saturday
        (at("Tue 17/02/2026 10:00"), False),  # Tết
    ],
)
def test_office_hours(instant, inside):
    assert VN.is_office_hours(instant) is inside


@pytest.mark.parametrize(
    ("instant", "opening"),
    [
        (at("Tue 10/06/2025 09:00"), at("Tue 10/06/2025 09:00")),  # open: the instant itself
        (at("Tue 10/06/2025 12:00"), at("Tue 10/06/2025 13:30")),  # lunch
        (at("Fri 13/06/2025 17:00"), at("Mon 16/06/2025 07:00")),  # Friday closing: Monday
        (at("Fri 13/02/2026 18:00"), at("Mon 23/02/2026 07:00")),  # before Tết 2026
        (at("Fri 25/04/2025 18:00"), at("Sat 26/04/2025 07:00")),  # make-up Saturday opens
    ],
)
def test_next_opening(instant, opening):
    assert VN.next_opening(instant) == opening


def test_working_time_between_receipt_and_due_across_tet_2026():
    assert (
        VN.working_time_between(at("Fri 13/02/2026 10:00"), at("Fri 27/02/2026 10:00"))
        == 5 * HOURS_8
    )
    assert (
        VN.working_time_between(at("Fri 27/02/2026 10:00"), at("Fri 13/02/2026 10:00"))
        == -5 * HOURS_8
    )


def test_working_time_skips_lunch_and_nights():
    # Mon 11:00-11:30 0.5 h + 13:30-17:00 3.5 h + Tue 07:00-08:00 1 h = 5 h.
    assert VN.working_time_between(
        at("Mon 09/06/2025 11:00"), at("Tue 10/06/2025 08:00")
    ) == timedelta(hours=5)


def test_an_explicit_calendar_needs_no_library():
    # Office hours and one holiday given by hand; Wed 11/06/2025 off, so Tue 09:00 + 1 day
    # runs Tue 6 h, then Thu 12/06 07:00 + 2 h.
    calendar = WorkingCalendar(holidays={date(2025, 6, 11): "Ngày nghỉ thử"})
    assert calendar.due_at(at("Tue 10/06/2025 09:00"), 1, WORKING_DAY) == at("Thu 12/06/2025 09:00")
    assert calendar.day_kind(date(2025, 6, 11)) == DayKind.HOLIDAY
    assert calendar.is_working_day(date(2025, 5, 2))  # no library: an ordinary Friday


def test_an_agency_working_saturday_mornings_and_afternoons():
    # Hours 07:30-11:30, 13:00-17:00 (8 h), Monday-Saturday. 8 h from Fri 13/06/2025 16:00:
    # Fri 1 h (7); Sat 14/06 07:30-11:30 4 h (3); 13:00 + 3 h = 16:00.
    calendar = WorkingCalendar("07:30-11:30,13:00-17:00", "1,2,3,4,5,6", country="VN")
    assert calendar.due_at(at("Fri 13/06/2025 16:00"), 1, WORKING_DAY) == at("Sat 14/06/2025 16:00")


def test_a_working_day_is_the_agency_s_own_day():
    # 07:30-11:30, 13:30-16:30 is a 7-hour day: one working day later is the same clock time.
    calendar = WorkingCalendar("07:30-11:30,13:30-16:30", country="VN")
    assert calendar.working_day_length == timedelta(hours=7)
    assert calendar.due_at(at("Mon 09/06/2025 10:00"), 1, WORKING_DAY) == at("Tue 10/06/2025 10:00")


@pytest.mark.parametrize("text", ["7h-11h", "13:30-17:00,07:00-11:30", "07:00-11:30,11:00-17:00"])
def test_bad_office_hours_are_refused(text):
    with pytest.raises(ValueError, match="office hours"):
        parse_office_hours(text)


def test_the_calendar_is_immutable():
    with pytest.raises(AttributeError):
        VN.exceptions = {}
    with pytest.raises(TypeError):
        VN.exceptions[date(2025, 6, 11)] = False


# --- Exceptions decided by the admin -------------------------------------------------------------


def test_an_extra_day_off_delays_the_due_date():
    # Tue 10/06/2025 09:00 + 1 day: Tue 6 h, Wed 07:00 + 2 h = Wed 09:00; with Wed 11/06 off,
    # Thu 12/06 09:00.
    calendar = with_exceptions(d_11_06_2025=False)
    assert due_at(at("Tue 10/06/2025 09:00"), 1, WORKING_DAY, VN) == at("Wed 11/06/2025 09:00")
    assert due_at(at("Tue 10/06/2025 09:00"), 1, WORKING_DAY, calendar) == at(
        "Thu 12/06/2025 09:00"
    )
    assert calendar.day_kind(date(2025, 6, 11)) == DayKind.DAY_OFF


def test_a_saturday_worked_by_decision_counts():
    # Fri 13/06/2025 09:00 + 1 day: Fri 6 h, then Sat 14/06 (worked) 07:00 + 2 h = 09:00.
    calendar = with_exceptions(d_14_06_2025=True)
    assert due_at(at("Fri 13/06/2025 09:00"), 1, WORKING_DAY, calendar) == at(
        "Sat 14/06/2025 09:00"
    )
    assert calendar.day_kind(date(2025, 6, 14)) == DayKind.MAKE_UP


def test_an_exception_wins_over_the_library():
    # The compensatory Fri 02/05/2025 made a working day again: from Wed 30/04 09:00 (holiday),
    # counting starts Fri 02/05 07:00, 8 h = 17:00. The make-up Sat 26/04 made a day off.
    calendar = with_exceptions(d_02_05_2025=True, d_26_04_2025=False)
    assert due_at(at("Wed 30/04/2025 09:00"), 1, WORKING_DAY, calendar) == at(
        "Fri 02/05/2025 17:00"
    )
    assert not calendar.is_working_day(date(2025, 4, 26))


# --- Timeliness ----------------------------------------------------------------------------------

DUE = at("Fri 27/02/2026 10:00")


@pytest.mark.parametrize(
    ("resolved", "expected"),
    [
        (at("Thu 26/02/2026 16:00"), Timeliness.EARLY),  # the day before, whatever the hour
        (at("Fri 27/02/2026 09:00"), Timeliness.ON_TIME),
        (at("Fri 27/02/2026 16:00"), Timeliness.ON_TIME),  # after the due hour, same date: on time
        (at("Mon 02/03/2026 08:00"), Timeliness.LATE),
        # 20:00 UTC on 26/02 is 03:00 on 27/02 in Vietnam: the Vietnam date counts.
        (datetime(2026, 2, 26, 20, tzinfo=UTC), Timeliness.ON_TIME),
    ],
)
def test_timeliness_compares_vietnam_dates(resolved, expected):
    assert timeliness(resolved, DUE) == expected
    assert timeliness(resolved, DUE) == expected.value


def test_an_open_dossier_past_its_due_instant_is_overdue():
    assert not is_overdue(DUE, at("Fri 27/02/2026 10:00"))
    assert is_overdue(DUE, at("Fri 27/02/2026 10:01"))


# --- Supplements ---------------------------------------------------------------------------------

# Received Mon 09/06/2025 09:00, 3 days: Mon 6 h (18), Tue 8 h (10), Wed 8 h (2) → Thu 12/06 09:00.
# Paused Tue 10/06 09:00 after 8 h (Mon 6 h + Tue 2 h): 16 h left. Resumed Mon 16/06 14:00.
SUPPLEMENT = {
    "received_at": at("Mon 09/06/2025 09:00"),
    "amount": 3,
    "unit": WORKING_DAY,
    "paused_at": at("Tue 10/06/2025 09:00"),
    "resumed_at": at("Mon 16/06/2025 14:00"),
    "calendar": VN,
}


def test_a_supplemented_dossier_restarts_from_zero():
    # 24 h from Mon 16/06 14:00: Mon 3 h (21), Tue 8 h (13), Wed 8 h (5); Thu 19/06 07:00-11:30
    # 4.5 h, 13:30 + 0.5 h = 14:00.
    assert due_after_supplement(**SUPPLEMENT, rule="restart") == at("Thu 19/06/2025 14:00")


def test_a_paused_dossier_resumes_with_the_time_left():
    # 16 h from Mon 16/06 14:00: Mon 3 h (13), Tue 8 h (5); Wed 18/06 4.5 h, 13:30 + 0.5 h.
    assert due_after_supplement(**SUPPLEMENT, rule="pause") == at("Wed 18/06/2025 14:00")


def test_the_supplement_rule_comes_from_the_settings(settings):
    settings.DEADLINE_SUPPLEMENT_RULE = "pause"
    assert due_after_supplement(**SUPPLEMENT) == at("Wed 18/06/2025 14:00")
    settings.DEADLINE_SUPPLEMENT_RULE = "restart"
    assert due_after_supplement(**SUPPLEMENT) == at("Thu 19/06/2025 14:00")


def test_a_dossier_paused_when_overdue_keeps_its_due_date():
    overdue = {**SUPPLEMENT, "paused_at": at("Fri 13/06/2025 09:00")}
    assert due_after_supplement(**overdue, rule="pause") == at("Thu 12/06/2025 09:00")


def test_a_dossier_cannot_resume_before_its_pause():
    with pytest.raises(ValueError, match="resume"):
        due_after_supplement(
            **{**SUPPLEMENT, "resumed_at": at("Mon 09/06/2025 10:00")}, rule="pause"
        )


def test_an_unknown_supplement_rule_is_refused():
    with pytest.raises(ValueError, match="rule"):
        due_after_supplement(**SUPPLEMENT, rule="stop")


# --- Form 04: one rescheduling, at least one working day ahead -----------------------------------

CURRENT_DUE = at("Thu 12/06/2025 09:00")  # Thu
NEW_DUE = at("Thu 19/06/2025 09:00")


@pytest.mark.parametrize(
    "now",
    [
        # Wed 08:00: Wed 3.5 h + 3.5 h + Thu 2 h = 9 h left.
        at("Wed 11/06/2025 08:00"),
        # Wed 09:00: 2.5 + 3.5 + 2 = exactly one working day left.
        at("Wed 11/06/2025 09:00"),
    ],
)
def test_form_04_reschedules_once_a_working_day_ahead(now):
    new_due = reschedule(CURRENT_DUE, NEW_DUE, now=now, already_rescheduled=False, calendar=VN)
    assert new_due == NEW_DUE


@pytest.mark.parametrize(
    ("now", "already", "new_due", "reason"),
    [
        # Wed 10:00: 1.5 + 3.5 + 2 = 7 h left, less than a working day.
        (at("Wed 11/06/2025 10:00"), False, NEW_DUE, "too late"),
        (at("Thu 12/06/2025 10:00"), False, NEW_DUE, "too late"),  # already overdue
        (at("Tue 10/06/2025 09:00"), True, NEW_DUE, "already"),
        (at("Tue 10/06/2025 09:00"), False, CURRENT_DUE, "later"),
    ],
)
def test_form_04_refusals(now, already, new_due, reason):
    with translation.override("en"), pytest.raises(ReschedulingRefused, match=reason) as refused:
        reschedule(CURRENT_DUE, new_due, now=now, already_rescheduled=already, calendar=VN)
    assert isinstance(refused.value, ValueError)


# --- Recompute after a calendar change -----------------------------------------------------------


def test_a_new_day_off_moves_only_the_dossiers_that_cross_it():
    day_off = with_exceptions(d_11_06_2025=False)
    items = [
        # 3 days from Mon 09/06 09:00: Thu 12/06 09:00; Wed off → Fri 13/06 09:00.
        OpenDeadline("a", at("Mon 09/06/2025 09:00"), 3, WORKING_DAY, at("Thu 12/06/2025 09:00")),
        # After the day off: unchanged.
        OpenDeadline("b", at("Thu 12/06/2025 09:00"), 1, WORKING_DAY, at("Fri 13/06/2025 09:00")),
        # "In the day" on Wed 11/06 10:00, now a day off: next working day's closing, Thu 17:00.
        ("c", at("Wed 11/06/2025 10:00"), None, SAME_DAY, at("Wed 11/06/2025 17:00")),
    ]
    moved = recompute_due_dates(items, VN, day_off)
    assert moved == [
        MovedDeadline("a", at("Thu 12/06/2025 09:00"), at("Fri 13/06/2025 09:00")),
        MovedDeadline("c", at("Wed 11/06/2025 17:00"), at("Thu 12/06/2025 17:00")),
    ]


def test_a_new_working_day_never_brings_a_due_date_forward():
    # 3 days from Fri 13/06/2025 09:00: Wed 18/06 09:00; with Sat 14/06 worked it would be Tue.
    make_up = with_exceptions(d_14_06_2025=True)
    items = [
        OpenDeadline(1, at("Fri 13/06/2025 09:00"), 3, WORKING_DAY, at("Wed 18/06/2025 09:00"))
    ]
    assert due_at(at("Fri 13/06/2025 09:00"), 3, WORKING_DAY, make_up) == at("Tue 17/06/2025 09:00")
    assert recompute_due_dates(items, VN, make_up) == []


def test_other_office_hours_recompute_every_dossier():
    # Closing at 16:30 instead of 17:00: Tue 10/06 09:00 + 4 h = 13:30 + 1.5 h = 15:00 either way;
    # + 8 h: Tue 6 h (old) vs 5.5 h (new) → Wed 09:00 becomes Wed 09:30.
    shorter = WorkingCalendar("07:00-11:30,13:30-16:30", country="VN")
    items = [
        OpenDeadline(1, at("Tue 10/06/2025 09:00"), 8, WORKING_HOUR, at("Wed 11/06/2025 09:00"))
    ]
    assert recompute_due_dates(items, VN, shorter) == [
        MovedDeadline(1, at("Wed 11/06/2025 09:00"), at("Wed 11/06/2025 09:30"))
    ]


# --- Properties ----------------------------------------------------------------------------------

instants = st.datetimes(
    min_value=datetime(2025, 1, 1),
    max_value=datetime(2027, 12, 31, 23, 59),
    timezones=st.sampled_from([TZ, UTC]),
)
quarter_days = st.integers(1, 60).map(lambda quarters: Decimal(quarters) / 4)
quarter_hours = st.integers(1, 160).map(lambda quarters: Decimal(quarters) / 4)
amounts_and_units = st.one_of(
    st.tuples(quarter_days, st.just(WORKING_DAY)),
    st.tuples(quarter_hours, st.just(WORKING_HOUR)),
    st.tuples(st.none(), st.just(SAME_DAY)),
)


def inside_a_working_period(instant):
    """A due instant lies in (opening, closing] of a working period: it may be a closing."""
    return VN.is_office_hours(instant - timedelta(microseconds=1))


@given(instants, amounts_and_units)
def test_every_due_instant_is_inside_office_hours(received, amount_and_unit):
    due = due_at(received, *amount_and_unit, VN)
    assert due.tzinfo is TZ
    assert inside_a_working_period(due)
    assert due > received


@given(instants, st.sampled_from([WORKING_DAY, WORKING_HOUR]), quarter_hours, quarter_hours)
def test_due_grows_with_the_amount(received, unit, first, second):
    low, high = sorted([first, second])
    assert due_at(received, low, unit, VN) <= due_at(received, high, unit, VN)
    if low < high:
        assert due_at(received, low, unit, VN) < due_at(received, high, unit, VN)


@given(instants, instants, amounts_and_units)
def test_due_grows_with_the_receipt_time(first, second, amount_and_unit):
    earlier, later = sorted([first, second])
    assert due_at(earlier, *amount_and_unit, VN) <= due_at(later, *amount_and_unit, VN)


@given(instants, quarter_hours, quarter_hours)
def test_working_hours_add_up(received, first, second):
    in_two_steps = due_at(due_at(received, first, WORKING_HOUR, VN), second, WORKING_HOUR, VN)
    assert in_two_steps == due_at(received, first + second, WORKING_HOUR, VN)


@given(instants, quarter_days, quarter_days)
def test_working_days_add_up(received, first, second):
    in_two_steps = due_at(due_at(received, first, WORKING_DAY, VN), second, WORKING_DAY, VN)
    assert in_two_steps == due_at(received, first + second, WORKING_DAY, VN)


@given(
    instants, st.one_of(st.tuples(quarter_days, st.just(8)), st.tuples(quarter_hours, st.just(1)))
)
def test_working_time_from_receipt_to_due_is_the_amount(received, amount_and_hours):
    amount, hours_per_unit = amount_and_hours
    unit = WORKING_DAY if hours_per_unit == 8 else WORKING_HOUR
    due = due_at(received, amount, unit, VN)
    assert VN.working_time_between(received, due) == timedelta(hours=float(amount * hours_per_unit))


@given(instants)
def test_counting_starts_at_the_next_opening(received):
    opening = VN.next_opening(received)
    assert opening >= received
    assert VN.is_office_hours(opening)
    assert VN.working_time_between(received, opening) == timedelta(0)


@given(instants, st.integers(2, 40).map(lambda quarters: Decimal(quarters) / 4), st.data())
def test_a_day_off_inside_the_span_delays_by_exactly_one_working_day(received, amount, data):
    due = due_at(received, amount, WORKING_DAY, VN)
    first, last = received.astimezone(TZ).date(), due.date()
    inside = [
        first + timedelta(days=offset)
        for offset in range(1, (last - first).days)
        if VN.is_working_day(first + timedelta(days=offset))
    ]
    assume(inside)
    day_off = data.draw(st.sampled_from(inside))
    new_due = due_at(received, amount, WORKING_DAY, vietnam_calendar(exceptions={day_off: False}))
    assert new_due > due
    assert VN.working_time_between(due, new_due) == HOURS_8


@given(instants, st.integers(2, 40).map(lambda quarters: Decimal(quarters) / 4), st.data())
def test_a_make_up_day_inside_the_span_brings_the_computed_due_one_day_forward(
    received, amount, data
):
    due = due_at(received, amount, WORKING_DAY, VN)
    first, last = received.astimezone(TZ).date(), due.date()
    inside = [
        first + timedelta(days=offset)
        for offset in range(1, (last - first).days)
        if not VN.is_working_day(first + timedelta(days=offset))
    ]
    assume(inside)
    make_up = vietnam_calendar(exceptions={data.draw(st.sampled_from(inside)): True})
    new_due = due_at(received, amount, WORKING_DAY, make_up)
    assert new_due < due
    assert make_up.working_time_between(new_due, due) == HOURS_8
    # … but the recompute keeps the promised date.
    items = [OpenDeadline(1, received, amount, WORKING_DAY, due)]
    assert recompute_due_dates(items, VN, make_up) == []


@given(instants, amounts_and_units, st.dates(date(2025, 1, 1), date(2028, 3, 31)))
def test_a_day_off_moves_a_due_date_only_when_the_span_crosses_it(received, amount_and_unit, day):
    assume(VN.is_working_day(day))
    due = due_at(received, *amount_and_unit, VN)
    day_off = vietnam_calendar(exceptions={day: False})
    moved = recompute_due_dates([(1, received, *amount_and_unit, due)], VN, day_off)
    crosses = received.astimezone(TZ).date() <= day <= due.date()
    if not crosses:
        assert moved == []
    for _id, _old, new_due in moved:
        assert new_due == due_at(received, *amount_and_unit, day_off) > due


def test_a_calendar_built_at_once_or_grown_year_by_year_agrees():
    grown = vietnam_calendar()
    for year in range(2024, 2031):
        grown.is_working_day(date(year, 6, 1))
    fresh = vietnam_calendar()
    fresh.is_working_day(date(2030, 6, 1))  # numbered from 2029: grows backwards below
    received = at("Mon 30/12/2024 10:00")
    for days in (1, 5, 20, 250, 1000):
        assert grown.due_at(received, days, WORKING_DAY) == fresh.due_at(
            received, days, WORKING_DAY
        )


def test_office_closing_before_the_same_day_cut_off():
    # An agency closing at 14:00: received 14:30 is after its closing, so next day's closing.
    calendar = WorkingCalendar("07:00-11:00,12:00-14:00", country="VN")
    assert calendar.due_at(at("Tue 10/06/2025 14:30"), None, SAME_DAY) == at("Wed 11/06/2025 14:00")
    assert calendar.same_day_cutoff == time(15)
