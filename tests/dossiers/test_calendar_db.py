"""The working calendar of the database: the admin's exceptions, the cache, the year view."""

from datetime import date, datetime

import pytest
from django.contrib.auth import get_user_model
from django.contrib.messages import get_messages
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from dossiers.calendar import changes as calendar_changes
from dossiers.calendar import engine, store
from dossiers.calendar.engine import (
    DEFAULT_OFFICE_HOURS,
    DEFAULT_WORKING_WEEKDAYS,
    TZ,
    WORKING_DAY,
    DayKind,
    OpenDeadline,
)
from dossiers.deadlines import default_calendar, due_at
from dossiers.models import CalendarException
from procedures.models import Agency, Procedure

pytestmark = pytest.mark.django_db

# The language is the reader's choice (the switch's cookie), never the browser's.
ENGLISH = {}


@pytest.fixture
def admin_client(admin_client):
    """The administrator reads the admin in English: assertions are on English words."""
    admin_client.cookies["ngon_ngu"] = "en"
    return admin_client


RECEIVED = datetime(2025, 6, 10, 9, tzinfo=TZ)  # Tue 10/06/2025 09:00
# One working day: Tue 6 h, Wed 11/06 07:00 + 2 h = Wed 09:00; Thu 12/06 09:00 with Wed off.
DUE = datetime(2025, 6, 11, 9, tzinfo=TZ)
DUE_WITH_WEDNESDAY_OFF = datetime(2025, 6, 12, 9, tzinfo=TZ)


def day_off(day=date(2025, 6, 11), note="Nghỉ bù theo thông báo của UBND tỉnh"):
    return CalendarException.objects.create(date=day, is_working_day=False, note=note)


def test_units_match_the_catalogue():
    assert {value for value, _label in Procedure.TimeUnit.choices} == set(engine.UNITS)


def test_the_default_calendar_applies_the_admin_exceptions():
    day_off()
    assert not default_calendar().is_working_day(date(2025, 6, 11))
    assert due_at(RECEIVED, 1, WORKING_DAY) == DUE_WITH_WEDNESDAY_OFF


def test_a_cached_due_date_costs_no_query(django_assert_num_queries):
    due_at(RECEIVED, 1, WORKING_DAY)
    with django_assert_num_queries(0):
        for _ in range(100):
            due_at(RECEIVED, 1, WORKING_DAY)


def test_saving_or_deleting_an_exception_refreshes_the_calendar():
    assert due_at(RECEIVED, 1, WORKING_DAY) == DUE
    exception = day_off()
    assert due_at(RECEIVED, 1, WORKING_DAY) == DUE_WITH_WEDNESDAY_OFF
    exception.is_working_day = True
    exception.save()
    assert due_at(RECEIVED, 1, WORKING_DAY) == DUE
    exception.delete()
    assert not CalendarException.objects.exists()
    assert due_at(RECEIVED, 1, WORKING_DAY) == DUE


def test_another_process_s_change_is_noticed_through_the_shared_cache(monkeypatch):
    monkeypatch.setattr(store, "_RECHECK_SECONDS", 0)
    assert due_at(RECEIVED, 1, WORKING_DAY) == DUE
    # bulk_create sends no signal: as if another process had saved the row.
    CalendarException.objects.bulk_create(
        [CalendarException(date=date(2025, 6, 11), is_working_day=False, note="Nghỉ")]
    )
    assert due_at(RECEIVED, 1, WORKING_DAY) == DUE  # still cached
    cache.set(store.CACHE_VERSION_KEY, "bumped by another process", None)
    assert due_at(RECEIVED, 1, WORKING_DAY) == DUE_WITH_WEDNESDAY_OFF


def test_an_agency_s_office_hours_make_its_calendar():
    # 07:30-11:30, 13:00-17:00, Monday-Saturday: 8 h from Fri 13/06/2025 16:00 is Fri 1 h,
    # Sat 14/06 07:30-11:30 4 h, 13:00 + 3 h = 16:00.
    agency = Agency(
        code="000.17.22.H56",
        name="UBND xã Mỹ Phong",
        office_hours="07:30-11:30,13:00-17:00",
        working_weekdays="1,2,3,4,5,6",
    )
    calendar = default_calendar(agency)
    assert calendar is default_calendar(agency)
    received = datetime(2025, 6, 13, 16, tzinfo=TZ)
    assert due_at(received, 1, WORKING_DAY, calendar) == datetime(2025, 6, 14, 16, tzinfo=TZ)
    assert default_calendar().office_hours != calendar.office_hours


def test_the_calendar_covers_years_around_the_receipt():
    for year in range(2024, 2031):
        assert default_calendar().is_working_day(date(year, 1, 1)) is False  # New Year's Day


# --- Recompute ------------------------------------------------------------------------------------


@pytest.fixture
def open_dossiers(monkeypatch):
    """Three open dossiers as the Dossier model will hand them over; collects what moved."""
    items = [
        OpenDeadline(1, RECEIVED, 1, WORKING_DAY, DUE),  # crosses Wed 11/06
        OpenDeadline(2, datetime(2025, 6, 9, 9, tzinfo=TZ), 3, WORKING_DAY, DUE.replace(day=12)),
        OpenDeadline(3, datetime(2025, 6, 12, 9, tzinfo=TZ), 1, WORKING_DAY, DUE.replace(day=13)),
    ]
    applied = []
    rows = [(item.id, item.clock_start, item.current_due) for item in items]
    monkeypatch.setattr(
        calendar_changes,
        "open_dossiers_by_hours",
        lambda: [(DEFAULT_OFFICE_HOURS, DEFAULT_WORKING_WEEKDAYS, rows)],
    )
    monkeypatch.setattr(
        calendar_changes, "apply_moved_deadlines", lambda moved, reason: applied.append(moved)
    )
    return applied


def test_a_new_day_off_moves_the_open_dossiers_that_cross_it(open_dossiers):
    exception = CalendarException(date=date(2025, 6, 11), is_working_day=False, note="Nghỉ")
    moved = calendar_changes.save_exception(exception)
    assert [(item.id, item.new_due) for item in moved] == [
        (1, DUE_WITH_WEDNESDAY_OFF),
        (2, datetime(2025, 6, 13, 9, tzinfo=TZ)),
    ]
    assert open_dossiers == [moved]


def test_removing_a_make_up_day_delays_like_a_day_off(open_dossiers):
    # Sat 14/06/2025 worked, then removed: the dossiers' due dates (computed without it) stay.
    exception = CalendarException.objects.create(
        date=date(2025, 6, 14), is_working_day=True, note="Làm bù"
    )
    assert calendar_changes.delete_exceptions([exception]) == []
    assert not CalendarException.objects.exists()


def test_without_dossiers_nothing_moves():
    exception = CalendarException(date=date(2025, 6, 11), is_working_day=False, note="Nghỉ")
    assert calendar_changes.save_exception(exception) == []
    assert CalendarException.objects.filter(date=date(2025, 6, 11)).exists()


# --- The admin's year view ------------------------------------------------------------------------


def year_url(year):
    return reverse("admin:dossiers_calendarexception_year", args=[year])


def kinds(response):
    """date -> kind of every day cell in the year view."""
    return {
        day.day: day.kind
        for month in response.context["months"]
        for week in month.weeks
        for day in week
        if day
    }


def test_the_year_view_marks_holidays_make_up_days_and_exceptions(admin_client):
    day_off(date(2026, 6, 12))
    response = admin_client.get(year_url(2026), **ENGLISH)
    assert response.status_code == 200
    marked = kinds(response)
    assert len(marked) == 365
    assert marked[date(2026, 2, 17)] == DayKind.HOLIDAY  # Tết
    assert marked[date(2026, 4, 27)] == DayKind.HOLIDAY  # Hùng Kings observed
    assert marked[date(2026, 8, 22)] == DayKind.MAKE_UP  # worked for Mon 31/08
    assert marked[date(2026, 6, 12)] == DayKind.DAY_OFF
    assert marked[date(2026, 6, 13)] == DayKind.WEEKEND
    assert marked[date(2026, 6, 11)] == DayKind.WORKING
    content = response.content.decode()
    assert 'data-date="2026-02-17" data-kind="holiday"' in content
    assert "Tết Nguyên Đán" not in content  # English names for an English reader
    assert "12/06/2026" in content
    assert "Nghỉ bù theo thông báo của UBND tỉnh" in content


def test_the_year_view_shows_vietnamese_holiday_names_in_vietnamese(admin_client):
    admin_client.cookies["ngon_ngu"] = "vi"
    response = admin_client.get(year_url(2026))
    assert "Tết Nguyên Đán" in response.content.decode()


def test_the_changelist_links_to_the_year_view(admin_client):
    response = admin_client.get(reverse("admin:dossiers_calendarexception_changelist"), **ENGLISH)
    assert reverse("admin:dossiers_calendarexception_calendar").encode() in response.content
    response = admin_client.get(reverse("admin:dossiers_calendarexception_calendar"))
    assert response.url == year_url(timezone.localdate().year)


def test_adding_a_day_off_in_the_year_view(admin_client, admin_user):
    response = admin_client.post(
        year_url(2026),
        {"date": "02/01/2026", "note": "Nghỉ Tết Dương lịch theo thông báo"},
        **ENGLISH,
    )
    assert response.status_code == 302
    exception = CalendarException.objects.get()
    assert exception.date == date(2026, 1, 2)  # day first: 2 January, not 1 February
    assert exception.is_working_day is False
    assert exception.created_by == admin_user
    texts = [str(message) for message in get_messages(response.wsgi_request)]
    assert texts == [
        "Saved the exception of 02/01/2026. 0 open dossiers had their due dates moved."
    ]
    assert not default_calendar().is_working_day(date(2026, 1, 2))


def test_adding_in_the_year_view_counts_the_moved_dossiers(admin_client, open_dossiers):
    response = admin_client.post(
        year_url(2025), {"date": "11/06/2025", "note": "Nghỉ đột xuất"}, **ENGLISH
    )
    texts = [str(message) for message in get_messages(response.wsgi_request)]
    assert texts == [
        "Saved the exception of 11/06/2025. 2 open dossiers had their due dates moved."
    ]
    assert len(open_dossiers[0]) == 2


def test_a_make_up_saturday_in_the_year_view(admin_client):
    response = admin_client.post(
        year_url(2026),
        {"date": "10/01/2026", "is_working_day": "on", "note": "Làm bù cho ngày 02/01/2026"},
    )
    assert response.status_code == 302
    assert default_calendar().day_kind(date(2026, 1, 10)) == DayKind.MAKE_UP


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"date": "11/06/2025"}, "note"),  # a note is required
        ({"date": "14/06/2025", "note": "Thứ Bảy"}, "is_working_day"),  # already off
        ({"date": "11/06/2025", "is_working_day": "on", "note": "Thứ Tư"}, "is_working_day"),
        ({"date": "31/02/2025", "note": "Không có ngày này"}, "date"),
    ],
)
def test_the_year_view_refuses_exceptions_that_make_no_sense(admin_client, data, field):
    response = admin_client.post(year_url(2025), data, **ENGLISH)
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not CalendarException.objects.exists()


def test_the_same_date_cannot_be_added_twice(admin_client):
    day_off()
    response = admin_client.post(year_url(2025), {"date": "11/06/2025", "note": "Lại"}, **ENGLISH)
    assert response.status_code == 200
    assert "date" in response.context["form"].errors
    assert CalendarException.objects.count() == 1


def test_removing_an_exception_in_the_year_view(admin_client):
    exception = day_off()
    response = admin_client.post(year_url(2025), {"remove": exception.pk}, **ENGLISH)
    assert response.status_code == 302
    assert not CalendarException.objects.exists()
    texts = [str(message) for message in get_messages(response.wsgi_request)]
    assert texts == [
        "Removed the exception of 11/06/2025. 0 open dossiers had their due dates moved."
    ]
    assert default_calendar().is_working_day(date(2025, 6, 11))


def test_the_ordinary_admin_form_moves_dossiers_too(admin_client, open_dossiers):
    response = admin_client.post(
        reverse("admin:dossiers_calendarexception_add"),
        {"date": "11/06/2025", "note": "Nghỉ đột xuất"},
        **ENGLISH,
    )
    assert response.status_code == 302
    assert CalendarException.objects.get().created_by is not None
    assert len(open_dossiers[0]) == 2


def test_the_ordinary_admin_delete_goes_through_the_service(admin_client, open_dossiers):
    exception = day_off()
    response = admin_client.post(
        reverse("admin:dossiers_calendarexception_changelist"),
        {"action": "delete_selected", "_selected_action": [exception.pk], "post": "yes"},
    )
    assert response.status_code == 302
    assert not CalendarException.objects.exists()
    assert open_dossiers == []  # removing a day off delays nothing


def test_staff_without_permission_cannot_see_the_year_view(client):
    clerk = get_user_model().objects.create_user("canbo", password="x", is_staff=True)
    client.force_login(clerk)
    assert client.get(year_url(2025)).status_code == 403
    assert client.post(year_url(2025), {"date": "11/06/2025", "note": "x"}).status_code == 403
    assert not CalendarException.objects.exists()


def test_a_year_outside_the_calendar_is_not_found(admin_client):
    assert admin_client.get(year_url(1999)).status_code == 404
