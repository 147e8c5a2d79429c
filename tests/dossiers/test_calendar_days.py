"""Limits in calendar days ("30 ngày": adoption, land mediation, complaints), counted by the Civil
Code arts. 144-148: the day of receipt is not counted, the period ends at the end of its last day
(the office's closing, 17:00), and a last day that is a day off moves to the end of the next
working day. Tết 2026 is off Mon 16/02 - Fri 20/02 (library calendar).
"""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from freezegun import freeze_time
from hypothesis import given, settings
from hypothesis import strategies as st

from dossiers import services
from dossiers.calendar.engine import CALENDAR_DAY, TZ, WORKING_DAY, vietnam_calendar
from dossiers.deadlines import due_after_supplement, due_at
from myphong import roles
from procedures.models import Procedure
from tests.factories import ProcedureFactory, UserFactory

VN = vietnam_calendar()


def at(text):
    instant = datetime.strptime(text, "%a %d/%m/%Y %H:%M").replace(tzinfo=TZ)
    assert f"{instant:%a}" == text[:3], f"{text}: that date is a {instant:%A}"
    return instant


@pytest.mark.parametrize(
    ("received", "days", "expected"),
    [
        # Day 1 is Tue 20/01; day 30 is Wed 18/02/2026, inside Tết → the next working day,
        # Mon 23/02/2026, at its closing.
        ("Mon 19/01/2026 09:00", 30, "Mon 23/02/2026 17:00"),
        # Day 30 is Sun 15/03/2026 → Mon 16/03/2026 17:00.
        ("Fri 13/02/2026 10:00", 30, "Mon 16/03/2026 17:00"),
        # A receipt in Tết (online, counted anyway): day 30 is Sat 21/03/2026 → Mon 23/03.
        ("Thu 19/02/2026 08:00", 30, "Mon 23/03/2026 17:00"),
        # The receipt day is not counted, however late in the day it came.
        ("Mon 05/01/2026 16:59", 1, "Tue 06/01/2026 17:00"),
        ("Mon 05/01/2026 07:00", 1, "Tue 06/01/2026 17:00"),
        # Received on a Saturday: day 2 is Mon 12/01/2026, a working day.
        ("Sat 10/01/2026 09:00", 2, "Mon 12/01/2026 17:00"),
        # Day 1 is Sat 14/02, a day off; the period continues through Tết unchanged.
        ("Fri 13/02/2026 10:00", 10, "Mon 23/02/2026 17:00"),
        # A last day that is worked is not moved, even if days off came before it.
        ("Fri 13/02/2026 10:00", 11, "Tue 24/02/2026 17:00"),
        # 45 days (a complex complaint): Mon 02/03/2026 + 45 = Thu 16/04/2026.
        ("Mon 02/03/2026 09:00", 45, "Thu 16/04/2026 17:00"),
    ],
)
def test_calendar_days_follow_the_civil_code(received, days, expected):
    assert due_at(at(received), days, CALENDAR_DAY, VN) == at(expected)


def test_thirty_calendar_days_are_much_shorter_than_thirty_working_days():
    received = at("Mon 19/01/2026 09:00")
    calendar_days = due_at(received, 30, CALENDAR_DAY, VN)
    working_days = due_at(received, 30, WORKING_DAY, VN)
    # 30 working days from 19/01 skip 7 weekends and Tết: due Mon 09/03/2026 09:00.
    assert working_days == at("Mon 09/03/2026 09:00")
    assert (working_days.date() - calendar_days.date()).days == 14


def test_a_last_day_off_decided_by_the_admin_moves_the_due_date():
    # Day 2 of a receipt on Tue 06/01/2026 is Thu 08/01; made a day off → Fri 09/01 17:00.
    calendar = vietnam_calendar(exceptions={date(2026, 1, 8): False})
    assert due_at(at("Tue 06/01/2026 10:00"), 2, CALENDAR_DAY, calendar) == at(
        "Fri 09/01/2026 17:00"
    )


def test_the_agency_s_own_closing_time_ends_the_day():
    calendar = vietnam_calendar(office_hours="07:30-11:30,13:00-16:30")
    assert due_at(at("Mon 05/01/2026 09:00"), 3, CALENDAR_DAY, calendar) == at(
        "Thu 08/01/2026 16:30"
    )


@pytest.mark.parametrize("amount", [Decimal("2.5"), 0.5, -1, "ba"])
def test_calendar_days_are_whole_and_not_negative(amount):
    with pytest.raises(ValueError):
        due_at(at("Mon 05/01/2026 09:00"), amount, CALENDAR_DAY, VN)


def test_whole_decimals_from_the_catalogue_are_accepted():
    assert due_at(at("Mon 05/01/2026 09:00"), Decimal("30.00"), CALENDAR_DAY, VN) == at(
        "Wed 04/02/2026 17:00"
    )


# --- Supplements on a calendar-day limit -------------------------------------------------------
# Received Mon 02/03/2026, 30 days: the last day is Wed 01/04/2026. Paused Tue 10/03 (8 days run:
# 03/03-10/03), 22 days left. Resumed Mon 16/03.


def test_a_paused_calendar_day_limit_keeps_the_days_already_run():
    due = due_after_supplement(
        at("Mon 02/03/2026 09:00"),
        30,
        CALENDAR_DAY,
        at("Tue 10/03/2026 10:00"),
        at("Mon 16/03/2026 08:00"),
        rule="pause",
        calendar=VN,
    )
    assert due == at("Tue 07/04/2026 17:00")  # 16/03 + 22 days


def test_a_restarted_calendar_day_limit_counts_all_days_again():
    due = due_after_supplement(
        at("Mon 02/03/2026 09:00"),
        30,
        CALENDAR_DAY,
        at("Tue 10/03/2026 10:00"),
        at("Mon 16/03/2026 08:00"),
        rule="restart",
        calendar=VN,
    )
    assert due == at("Wed 15/04/2026 17:00")  # 16/03 + 30 days


def test_a_pause_does_not_count_the_tet_move_twice():
    # Received 19/01/2026: last day Wed 18/02 (Tết), due Mon 23/02. Paused Tue 27/01: 22 days
    # to 18/02 are left, not 27 to the moved due. Resumed Mon 02/02 → Tue 24/02/2026.
    due = due_after_supplement(
        at("Mon 19/01/2026 09:00"),
        30,
        CALENDAR_DAY,
        at("Tue 27/01/2026 10:00"),
        at("Mon 02/02/2026 09:00"),
        rule="pause",
        current_due=at("Mon 23/02/2026 17:00"),
        calendar=VN,
    )
    assert due == at("Tue 24/02/2026 17:00")


# --- Properties --------------------------------------------------------------------------------

instants = st.datetimes(
    min_value=datetime(2025, 1, 1),
    max_value=datetime(2027, 12, 31, 23, 59),
    timezones=st.sampled_from([TZ, UTC]),
)
day_counts = st.integers(0, 90)


@given(instants, day_counts)
def test_the_due_is_the_closing_of_a_working_day(received, days):
    due = due_at(received, days, CALENDAR_DAY, VN)
    assert due.tzinfo is TZ
    assert (due.hour, due.minute) == (17, 0)
    assert VN.is_working_day(due.date())


@given(instants, day_counts)
def test_the_due_is_the_last_day_or_the_first_working_day_after_it(received, days):
    last_day = received.astimezone(TZ).date() + timedelta(days=days)
    due_day = due_at(received, days, CALENDAR_DAY, VN).date()
    assert due_day >= last_day
    moved_over = [last_day + timedelta(days=n) for n in range((due_day - last_day).days)]
    assert not any(VN.is_working_day(day) for day in moved_over)


@given(instants, day_counts, day_counts)
def test_the_due_grows_with_the_number_of_days(received, first, second):
    low, high = sorted((first, second))
    assert due_at(received, low, CALENDAR_DAY, VN) <= due_at(received, high, CALENDAR_DAY, VN)


@settings(deadline=None)  # each example builds a calendar of its own: slow on a busy machine
@given(instants, st.integers(2, 60), st.data())
def test_a_day_off_before_the_last_day_changes_nothing(received, days, data):
    first_day = received.astimezone(TZ).date()
    day_off = first_day + timedelta(days=data.draw(st.integers(1, days - 1)))
    calendar = vietnam_calendar(exceptions={day_off: False})
    assert due_at(received, days, CALENDAR_DAY, calendar) == due_at(
        received, days, CALENDAR_DAY, VN
    )


# --- In the database: a procedure of the catalogue ---------------------------------------------


@pytest.mark.django_db
def test_an_adoption_dossier_received_before_tet_is_due_after_it():
    clerk = UserFactory(username="tiepnhan", roles=[roles.CLERK])
    adoption = ProcedureFactory(
        code="2.001263",
        name="Đăng ký việc nuôi con nuôi trong nước",
        processing_time=Decimal("30"),
        processing_time_unit=Procedure.TimeUnit.CALENDAR_DAY,
    )
    with freeze_time(at("Mon 19/01/2026 09:00")):
        dossier = services.register_at_counter(
            adoption,
            clerk,
            applicant=services.Applicant(name="Lê Văn An", phone="0912345678"),
            papers=[services.PaperCount(name="Tờ khai đăng ký nuôi con nuôi", originals=1)],
        )
    assert dossier.due_at == at("Mon 23/02/2026 17:00")
    assert adoption.processing_time_display == "30 ngày (theo lịch)"


@pytest.mark.django_db
def test_the_catalogue_refuses_half_a_calendar_day():
    from django.core.exceptions import ValidationError

    procedure = ProcedureFactory.build(
        processing_time=Decimal("2.5"), processing_time_unit=Procedure.TimeUnit.CALENDAR_DAY
    )
    with pytest.raises(ValidationError, match="số ngày nguyên"):
        procedure.clean()
