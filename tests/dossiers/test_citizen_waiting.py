"""While a dossier waits for the applicant — a fee, missing papers — the pages say what to do
and never show a due date that no longer holds."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dossiers import services
from dossiers.printing import wording
from myphong import roles
from tests.dossiers import test_lookup as shared
from tests.dossiers.test_lookup import KEY, look_up, receive, vi
from tests.factories import DossierFactory, UserFactory

_fast_and_fresh = shared._fast_and_fresh
agency = shared.agency
procedure = shared.procedure


@pytest.fixture
def citizen(db):
    return UserFactory(username="hoa@example.vn", roles=[roles.CITIZEN])


def waiting_for_fee(procedure, clerk, leader, citizen=None, note=""):
    dossier = receive(procedure, clerk, applicant=citizen)
    dossier = services.start_processing(dossier, leader)
    return services.request_payment(dossier, leader, amount=8000, note=note)


def test_the_lookup_shows_the_fee_what_for_and_how_and_where_to_pay(
    client, procedure, clerk, leader
):
    dossier = waiting_for_fee(procedure, clerk, leader, note="Lệ phí đăng ký khai sinh quá hạn")
    look_up(client, dossier.code, KEY)
    page = client.get(reverse("dossiers:lookup_result")).text
    assert "8.000 đ" in page
    assert "Lệ phí đăng ký khai sinh quá hạn" in page
    assert "Ấp Mỹ Hòa, xã Mỹ Phong" in page  # where: the agency's office
    assert "07:00–11:30" in page  # when: its office hours
    assert dossier.code in page


def test_my_dossiers_show_the_fee_in_a_fixed_number_of_queries(
    client, procedure, clerk, leader, citizen
):
    waiting_for_fee(procedure, clerk, leader, citizen)
    client.force_login(citizen)
    with CaptureQueriesContext(connection) as few:
        page = client.get(reverse("dossiers:my_dossiers")).text
    assert "8.000 đ" in page
    assert (
        vi("the fees and charges of the procedure “%(procedure)s”")
        % {"procedure": "Đăng ký khai sinh"}
        in page
    )
    for _ in range(4):
        waiting_for_fee(procedure, clerk, leader, citizen)
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("dossiers:my_dossiers"))
    assert len(many) == len(few)


def test_my_dossier_page_shows_the_fee(client, procedure, clerk, leader, citizen):
    dossier = waiting_for_fee(procedure, clerk, leader, citizen)
    client.force_login(citizen)
    page = client.get(reverse("dossiers:my_dossier", args=[dossier.pk])).text
    assert "8.000 đ" in page
    assert vi("Paused until the fee is paid — the due date then moves by the working time waited")


def test_no_fee_box_once_the_fee_is_paid(client, procedure, clerk, leader, citizen):
    dossier = waiting_for_fee(procedure, clerk, leader, citizen)
    services.confirm_payment(dossier, clerk)
    client.force_login(citizen)
    page = client.get(reverse("dossiers:my_dossier", args=[dossier.pk])).text
    assert "8.000 đ" not in page


@pytest.mark.parametrize("rule", ["restart", "pause"])
def test_while_papers_are_awaited_the_due_date_is_paused_not_the_old_one(
    client, settings, procedure, clerk, leader, rule
):
    settings.DEADLINE_SUPPLEMENT_RULE = rule
    dossier = receive(procedure, clerk)
    old_due = wording.local_text(dossier.due_at)
    dossier = services.request_supplement(dossier, clerk, items=["Giấy chứng sinh"], reason="Thiếu")
    look_up(client, dossier.code, KEY)
    page = client.get(reverse("dossiers:lookup_result")).text
    assert old_due not in page
    assert "Tạm dừng — hạn mới sẽ được tính khi nhận đủ giấy tờ" in page
    # once the papers are in, the new date is shown
    dossier = services.add_supplement(dossier, clerk, pending_uploads=(), note="Đã nộp tại quầy")
    page = client.get(reverse("dossiers:lookup_result")).text
    assert wording.local_text(dossier.due_at) in page
    assert "Tạm dừng" not in page


def test_the_two_rules_read_differently(settings, procedure, clerk):
    dossier = receive(procedure, clerk)
    dossier = services.request_supplement(dossier, clerk, items=["Giấy chứng sinh"], reason="Thiếu")
    settings.DEADLINE_SUPPLEMENT_RULE = "restart"
    restart = wording.citizen_due(dossier)
    settings.DEADLINE_SUPPLEMENT_RULE = "pause"
    assert wording.citizen_due(dossier) != restart


def test_an_online_dossier_not_received_yet_has_no_due(procedure, citizen):
    due = wording.citizen_due(DossierFactory(procedure=procedure, applicant=citizen))
    assert due == "Được xác định khi cơ quan tiếp nhận hồ sơ"
