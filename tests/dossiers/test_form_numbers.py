"""Forms of Circular 03/2025/TT-VPCP: "Số" is a real document number per agency, form and year,
never repeated; Form 01 gives the dossier's row in the register (Form 07) of the year; Form 05
(Thông báo dừng giải quyết hồ sơ) is issued when a leader stops the processing."""

import threading
from datetime import datetime

import pytest
from django.db import connection, connections
from django.urls import reverse
from freezegun import freeze_time

from dossiers import services
from dossiers.calendar.engine import TZ
from dossiers.models import Dossier, DossierEvent, Slip
from dossiers.printing import slips
from myphong import roles
from tests.doubles import poppler
from tests.factories import AgencyFactory, DossierFactory, ProcedureFactory, UserFactory


def at(day, month, year, hour=9):
    return datetime(year, month, day, hour, tzinfo=TZ)


def numbers(action):
    return [event.data["form_number"] for event in DossierEvent.objects.filter(action=action)]


def pdf_text(slip):
    return " ".join(poppler("pdftotext", "-raw", slip.file.path, "-").split())


def test_each_form_has_its_own_series_that_restarts_each_year(clerk):
    procedure = ProcedureFactory(agency=clerk.profile.agency)
    with freeze_time(at(29, 12, 2025)):
        first = DossierFactory(procedure=procedure)
        services.accept(first, clerk)
        refused = DossierFactory(procedure=procedure)
        services.refuse(refused, clerk, reason="Không thuộc thẩm quyền")
    with freeze_time(at(5, 1, 2026)):
        second = DossierFactory(procedure=procedure)
        services.accept(second, clerk)
        third = DossierFactory(procedure=procedure)
        services.accept(third, clerk)
    accepted = DossierEvent.objects.filter(action="accept").order_by("at", "id")
    assert [(e.data["form_number"], e.data["form_year"]) for e in accepted] == [
        (1, 2025),
        (1, 2026),
        (2, 2026),
    ]
    assert numbers("refuse") == [1]  # Form 03 counts apart from Form 01
    rows = [Dossier.objects.get(pk=d.pk).register_number for d in (first, second, third)]
    assert rows == [1, 1, 2]  # the register's rows restart with the year too


def test_forms_04_and_05_are_numbered_by_the_competent_body(clerk, leader, specialist, province):
    """A centre receives for the province (boundary-free): Form 01 is the centre's, the stop
    notice the province department's, each in its own series."""
    procedure = ProcedureFactory(agency=province)
    dossier = services.register_at_counter(
        procedure,
        clerk,
        applicant=services.Applicant(name="Lê Văn An", phone="0912345678"),
        papers=[services.PaperCount(name="Tờ khai", originals=1)],
    )
    province_leader = UserFactory(
        username="lanhdao-so", roles=[roles.LEADER], roles__agency=province
    )
    assert dossier.agency == clerk.profile.agency
    services.stop_processing(
        dossier, province_leader, reason="Người nộp đề nghị dừng", ground="applicant_request"
    )
    stop = DossierEvent.objects.get(action="stop")
    assert stop.data["form_number"] == 1
    slip = slips.render_slip(Dossier.objects.get(pk=dossier.pk), "05", stop)
    text = pdf_text(slip)
    assert "THÔNG BÁO DỪNG GIẢI QUYẾT HỒ SƠ" in text
    assert "SỞ TƯ PHÁP TỈNH" in text
    assert f"Số: 1/{stop.at.astimezone(TZ).year}" in text
    assert "Lý do dừng giải quyết: Người nộp đề nghị dừng" in text
    assert "Căn cứ dừng giải quyết: theo đề nghị của người nộp hồ sơ" in text
    assert "tại UBND xã Mỹ Phong" in text  # where it was received


def test_only_a_leader_stops_and_the_applicant_can_download_form_05(
    clerk, leader, specialist, client, django_capture_on_commit_callbacks
):
    citizen = UserFactory(username="an@example.invalid", roles=[roles.CITIZEN])
    procedure = ProcedureFactory(agency=clerk.profile.agency)
    dossier = DossierFactory(procedure=procedure, applicant=citizen)
    services.accept(dossier, clerk)
    with pytest.raises(services.ActionRefused):
        services.stop_processing(dossier, specialist, reason="Thiếu căn cứ")
    with django_capture_on_commit_callbacks(execute=True):
        services.stop_processing(dossier, leader, reason="Người nộp đề nghị dừng")
    assert Slip.objects.filter(dossier=dossier, form="05").exists()
    client.force_login(citizen)
    page = client.get(reverse("dossiers:my_dossier", args=[dossier.pk])).content.decode()
    assert "Thông báo dừng giải quyết hồ sơ (Mẫu 05)" in page
    assert "Dừng giải quyết" in page
    stop = dossier.events.get(action="stop")
    response = client.get(reverse("dossiers:slip_of_event", args=[dossier.pk, "05", stop.pk]))
    assert response.status_code == 200


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
def test_thirty_concurrent_supplement_requests_get_thirty_distinct_numbers(transactional_db):
    agency = AgencyFactory()
    clerk = UserFactory(username="tiepnhan", roles=[roles.CLERK], roles__agency=agency)
    procedure = ProcedureFactory(agency=agency)
    dossiers = [DossierFactory(procedure=procedure) for _ in range(30)]
    barrier = threading.Barrier(30)
    errors = []

    def ask(dossier):
        try:
            barrier.wait(timeout=30)
            services.request_supplement(dossier, clerk, items=["Tờ khai"], reason="Thiếu")
        except Exception as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=ask, args=(d,)) for d in dossiers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sorted(numbers("request_supplement")) == list(range(1, 31))


def test_a_rolled_back_action_gives_its_number_back(clerk):
    procedure = ProcedureFactory(agency=clerk.profile.agency)
    dossier = DossierFactory(procedure=procedure)
    with pytest.raises(services.ActionRefused):
        services.request_supplement(dossier, clerk, items=[], reason="Thiếu")
    services.request_supplement(dossier, clerk, items=["Tờ khai"], reason="Thiếu")
    assert numbers("request_supplement") == [1]
