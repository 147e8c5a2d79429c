"""Form 04 is offered, or said to be too late, only where it can apply at all."""

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from freezegun import freeze_time

from dossiers import deadlines, permissions, services
from dossiers.workflow import Event
from procedures.models import Procedure
from tests.factories import DossierFactory, ProcedureFactory

VN = ZoneInfo("Asia/Ho_Chi_Minh")


def at(day, hour, minute=0):
    return datetime(2025, 6, day, hour, minute, tzinfo=VN)


def received_and_started(procedure, clerk, leader, specialist, when):
    dossier = DossierFactory(procedure=procedure)
    with freeze_time(when):
        services.accept(dossier, clerk)
        services.assign(dossier, leader, specialist=specialist)
        return services.start_processing(dossier, specialist)


@pytest.fixture
def same_day(agency):
    return ProcedureFactory(
        name="Đăng ký khai sinh",
        processing_time=Decimal("0"),
        processing_time_unit=Procedure.TimeUnit.SAME_DAY,
        agency=agency,
    )


def test_a_same_day_dossier_just_received_shows_no_form_04_alarm(
    client, same_day, clerk, leader, specialist
):
    dossier = received_and_started(same_day, clerk, leader, specialist, at(9, 8))
    with freeze_time(at(9, 8, 5)):
        assert deadlines.apology_proposal(dossier) is None
        assert not permissions.may(specialist, dossier, Event.RESCHEDULE)
        client.force_login(specialist)
        page = client.get(reverse("dossiers:office_dossier", args=[dossier.pk])).text
    assert 'id="de-xuat-mau-04"' not in page
    assert 'id="action-reschedule"' not in page
    assert "alert-danger" not in page


def test_a_five_day_dossier_near_its_due_is_told_calmly_it_is_too_late(
    client, agency, clerk, leader, specialist
):
    procedure = ProcedureFactory(processing_time=Decimal("5"), agency=agency)
    dossier = received_and_started(procedure, clerk, leader, specialist, at(9, 8))
    with freeze_time(at(13, 9)):  # 7 working hours before Mon 16/06 08:00
        assert deadlines.apology_proposal(dossier) == {"too_late": True}
        client.force_login(specialist)
        client.cookies["ngon_ngu"] = "en"
        page = client.get(reverse("dossiers:office_dossier", args=[dossier.pk])).text
    assert 'id="de-xuat-mau-04"' in page
    assert "alert-info" in page
    assert "Aim to have the result ready by 08:00" in page
