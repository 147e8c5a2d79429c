"""A calendar change moves real open dossiers later, records it, and never moves one earlier."""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from freezegun import freeze_time

from dossiers import services
from dossiers.calendar import changes as calendar_changes
from dossiers.models import CalendarException
from dossiers.workflow import Status
from tests.factories import DossierFactory, ProcedureFactory, UserFactory

VN = ZoneInfo("Asia/Ho_Chi_Minh")


@pytest.fixture
def received(db):
    """Two dossiers received Mon 09/06/2025 09:00 for 3 working days: due Thu 12/06 09:00."""
    procedure = ProcedureFactory(processing_time=Decimal("3"))
    clerk = UserFactory(roles=["Clerk"])
    dossiers = [DossierFactory(procedure=procedure) for _ in range(2)]
    with freeze_time(datetime(2025, 6, 9, 9, 0, tzinfo=VN)):
        for dossier in dossiers:
            services.accept(dossier, clerk)
    for dossier in dossiers:
        dossier.refresh_from_db()
        assert dossier.due_at == datetime(2025, 6, 12, 9, 0, tzinfo=VN)
    return dossiers


def test_a_new_day_off_delays_open_dossiers_and_records_why(received):
    open_one, finished = received
    finished.status = Status.RESOLVED
    finished.save()
    moved = calendar_changes.save_exception(
        CalendarException(date=date(2025, 6, 11), is_working_day=False, note="Nghỉ đột xuất")
    )
    assert [item.id for item in moved] == [open_one.pk]
    open_one.refresh_from_db()
    finished.refresh_from_db()
    assert open_one.due_at == datetime(2025, 6, 13, 9, 0, tzinfo=VN)  # Wed off: Fri 09:00
    assert finished.due_at == datetime(2025, 6, 12, 9, 0, tzinfo=VN)
    event = open_one.events.get(action="due_moved")
    assert "Nghỉ đột xuất" in event.note
    assert event.data["old_due_at"].startswith("2025-06-12T09:00")
    assert event.to_status == event.from_status == Status.RECEIVED


def test_a_new_working_day_never_brings_a_due_time_forward(received):
    moved = calendar_changes.save_exception(
        CalendarException(date=date(2025, 6, 14), is_working_day=True, note="Làm bù")
    )
    assert moved == []
    for dossier in received:
        dossier.refresh_from_db()
        assert dossier.due_at == datetime(2025, 6, 12, 9, 0, tzinfo=VN)


def test_a_day_off_outside_the_span_moves_nothing(received):
    moved = calendar_changes.save_exception(
        CalendarException(date=date(2025, 6, 16), is_working_day=False, note="Nghỉ")
    )
    assert moved == []
    assert not received[0].events.filter(action="due_moved").exists()
