"""Every form a citizen receives (Forms 01-05) can be downloaded from "my dossiers" and from a
successful lookup; the appointment reads "Không áp dụng" for a refused dossier and says when a
Form 04 moved it."""

from datetime import datetime

from django.urls import reverse
from freezegun import freeze_time

from dossiers import services
from dossiers.calendar.engine import TZ
from myphong import roles
from tests.dossiers.test_lookup import KEY, look_up, receive
from tests.dossiers.test_lookup import _fast_and_fresh as _fast_and_fresh
from tests.dossiers.test_lookup import agency as agency
from tests.dossiers.test_lookup import procedure as procedure
from tests.factories import DossierFactory, UserFactory


def test_a_successful_lookup_lists_and_serves_the_forms(
    client, procedure, clerk, leader, django_capture_on_commit_callbacks
):
    with freeze_time(datetime(2026, 3, 2, 9, tzinfo=TZ)):
        dossier = receive(procedure, clerk)
    with freeze_time(datetime(2026, 3, 3, 9, tzinfo=TZ)):
        services.stop_processing(dossier, leader, reason="Người nộp đề nghị dừng")
    look_up(client, dossier.code, KEY)
    page = client.get(reverse("dossiers:lookup_result")).content.decode()
    assert "Giấy tiếp nhận hồ sơ và hẹn trả kết quả (Mẫu 01)" in page
    assert "Thông báo dừng giải quyết hồ sơ (Mẫu 05)" in page
    stop = dossier.events.get(action="stop")
    url = reverse("dossiers:lookup_slip", args=["05", stop.pk])
    assert url in page
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"


def test_without_the_grant_no_form_is_served(client, procedure, clerk):
    dossier = receive(procedure, clerk)
    accept = dossier.events.get(action="accept")
    response = client.get(reverse("dossiers:lookup_slip", args=["01", accept.pk]))
    assert response.status_code == 302  # back to the lookup form
    other = receive(procedure, clerk, applicant_phone="0987654321", lookup_key="ZZZZZZ")
    look_up(client, other.code, "ZZZZZZ")
    # The grant is for the other dossier: this one's form is not found through it.
    assert client.get(reverse("dossiers:lookup_slip", args=["01", accept.pk])).status_code == 404


def test_the_lookup_says_when_form_04_moved_the_appointment(client, procedure, clerk, leader):
    with freeze_time(datetime(2026, 3, 2, 9, tzinfo=TZ)):
        dossier = receive(procedure, clerk)
        services.start_processing(dossier, leader)
        services.reschedule(
            dossier,
            leader,
            new_due=datetime(2026, 3, 10, 9, tzinfo=TZ),
            reason="Chờ xác minh",
        )
    look_up(client, dossier.code, KEY)
    page = client.get(reverse("dossiers:lookup_result")).content.decode()
    assert "Đã hẹn lại ngày trả (Mẫu 04)" in page
    assert "09:00, 10/03/2026" in page


def test_a_refused_dossier_has_no_appointment(client, procedure, clerk):
    citizen = UserFactory(username="an@example.invalid", roles=[roles.CITIZEN])
    dossier = DossierFactory(procedure=procedure, applicant=citizen)
    services.refuse(dossier, clerk, reason="Không thuộc thẩm quyền")
    client.force_login(citizen)
    page = client.get(reverse("dossiers:my_dossier", args=[dossier.pk])).content.decode()
    assert "Không áp dụng" in page
    assert "Phiếu từ chối tiếp nhận giải quyết hồ sơ (Mẫu 03)" in page
