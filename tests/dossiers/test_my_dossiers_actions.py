"""What a citizen does with their own dossiers: withdraw, download the receipt and the result."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dossiers import services, uploads
from dossiers.models import Rating
from dossiers.workflow import Status
from myphong import roles
from tests.dossiers import test_lookup as shared
from tests.dossiers.test_lookup import PHONE, resolve, return_result, vi
from tests.dossiers.test_uploads import pdf_bytes
from tests.factories import DossierFactory, UserFactory

_fast_and_fresh = shared._fast_and_fresh
agency = shared.agency
procedure = shared.procedure


@pytest.fixture
def citizen(db):
    return UserFactory(username="hoa@example.vn", roles=[roles.CITIZEN])


@pytest.fixture
def citizen_client(client, citizen):
    client.force_login(citizen)
    return client


@pytest.fixture
def received(procedure, clerk, citizen):
    """The citizen's online dossier, received by the office (it has a code and a receipt)."""
    submitted = DossierFactory(procedure=procedure, applicant=citizen, applicant_phone=PHONE)
    return services.accept(submitted, clerk)


def result_upload():
    return SimpleUploadedFile("giay-khai-sinh.pdf", pdf_bytes(), content_type="application/pdf")


def with_result_file(dossier, leader):
    dossier = services.start_processing(dossier, leader)
    return services.record_result(
        dossier,
        leader,
        number="15/2026/KS",
        upload=result_upload(),
        info=uploads.check_upload(result_upload()),
    )


# --- Withdrawal ----------------------------------------------------------------------------


def test_the_citizen_withdraws_after_confirming(citizen_client, received):
    page = citizen_client.get(reverse("dossiers:my_dossier", args=[received.pk])).text
    url = reverse("dossiers:withdraw", args=[received.pk])
    assert url in page
    confirm = citizen_client.get(url)
    assert confirm.status_code == 200
    assert received.status == Status.RECEIVED  # asking does not withdraw
    assert confirm.context["form"].initial["version"] == received.version
    response = citizen_client.post(
        url, {"version": received.version, "reason": "Tôi đã làm ở nơi khác."}
    )
    assert response["Location"] == reverse("dossiers:my_dossier", args=[received.pk])
    received.refresh_from_db()
    assert received.status == Status.WITHDRAWN
    event = received.events.get(action="withdraw")
    assert event.note == "Tôi đã làm ở nơi khác."
    assert event.actor.username == "hoa@example.vn"


def test_a_withdrawal_based_on_an_old_page_is_refused(citizen_client, received, leader):
    seen = received.version
    services.start_processing(received, leader)  # the office moved on meanwhile
    response = citizen_client.post(
        reverse("dossiers:withdraw", args=[received.pk]), {"version": seen}, follow=True
    )
    received.refresh_from_db()
    assert received.status == Status.IN_PROGRESS
    assert response.status_code == 200
    assert "alert-danger" in response.text


def test_a_resolved_dossier_cannot_be_withdrawn(citizen_client, received, leader):
    resolved = resolve(received, leader)
    page = citizen_client.get(reverse("dossiers:my_dossier", args=[resolved.pk])).text
    url = reverse("dossiers:withdraw", args=[resolved.pk])
    assert url not in page
    response = citizen_client.post(url, {"version": resolved.version}, follow=True)
    assert vi("This dossier can no longer be withdrawn.") in response.text
    resolved.refresh_from_db()
    assert resolved.status == Status.RESOLVED


def test_a_counter_dossier_without_an_account_is_not_the_citizen_s(
    citizen_client, procedure, clerk
):
    counter = services.accept(DossierFactory(procedure=procedure), clerk)
    response = citizen_client.post(
        reverse("dossiers:withdraw", args=[counter.pk]), {"version": counter.version}
    )
    assert response.status_code == 404


# --- Downloads -----------------------------------------------------------------------------


def test_the_owner_downloads_the_receipt(citizen_client, received):
    url = reverse("dossiers:slip", args=[received.pk, "01"])
    assert url in citizen_client.get(reverse("dossiers:my_dossier", args=[received.pk])).text
    assert url in citizen_client.get(reverse("dossiers:my_dossiers")).text
    response = citizen_client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF")


def test_a_dossier_not_yet_received_has_no_receipt(citizen_client, procedure, citizen):
    submitted = DossierFactory(procedure=procedure, applicant=citizen)
    page = citizen_client.get(reverse("dossiers:my_dossier", args=[submitted.pk])).text
    assert reverse("dossiers:slip", args=[submitted.pk, "01"]) not in page


def test_the_result_file_is_offered_once_the_result_is_ready(citizen_client, received, leader):
    dossier = with_result_file(received, leader)
    result = dossier.attachments.get(kind="result")
    url = reverse("dossiers:attachment", args=[dossier.pk, result.pk])
    detail = reverse("dossiers:my_dossier", args=[dossier.pk])
    assert url not in citizen_client.get(detail).text  # not signed yet
    services.approve(dossier, leader)
    services.mark_resolved(dossier, leader)
    page = citizen_client.get(detail).text
    assert url in page
    assert vi("The result is ready: where to collect it") in page
    assert "Ấp Mỹ Hòa, xã Mỹ Phong" in page
    response = citizen_client.get(url)
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="giay-khai-sinh.pdf"'
    assert b"".join(response.streaming_content) == pdf_bytes()


def test_another_citizen_gets_404_for_every_action(client, received, leader, clerk):
    dossier = with_result_file(received, leader)
    services.approve(dossier, leader)
    services.mark_resolved(dossier, leader)
    services.mark_returned(dossier, clerk, collected_by="Nguyễn Thị Hoa", method="counter")
    result = dossier.attachments.get(kind="result")
    client.force_login(UserFactory(username="binh@example.vn", roles=[roles.CITIZEN]))
    for url in [
        reverse("dossiers:my_dossier", args=[dossier.pk]),
        reverse("dossiers:withdraw", args=[dossier.pk]),
        reverse("dossiers:rate", args=[dossier.pk]),
        reverse("dossiers:slip", args=[dossier.pk, "01"]),
        reverse("dossiers:attachment", args=[dossier.pk, result.pk]),
    ]:
        assert client.get(url).status_code == 404, url
    assert client.post(reverse("dossiers:withdraw", args=[dossier.pk])).status_code == 404
    assert not Rating.objects.exists()


def test_anonymous_visitors_get_no_receipt_or_result(client, received, leader):
    dossier = with_result_file(received, leader)
    result = dossier.attachments.get(kind="result")
    assert client.get(reverse("dossiers:slip", args=[dossier.pk, "01"])).status_code == 404
    response = client.get(reverse("dossiers:attachment", args=[dossier.pk, result.pk]))
    assert response["Location"].startswith(reverse("login"))


# --- The list ------------------------------------------------------------------------------


def test_the_list_shows_status_due_time_and_actions(citizen_client, received, clerk):
    asked = services.request_supplement(received, clerk, items=["Giấy chứng sinh"], reason="Thiếu")
    page = citizen_client.get(reverse("dossiers:my_dossiers")).text
    assert str(Status.AWAITING_SUPPLEMENT.label) in page
    assert reverse("dossiers:my_dossier", args=[asked.pk]) + "#bo-sung" in page
    assert reverse("dossiers:withdraw", args=[asked.pk]) in page
    assert reverse("dossiers:slip", args=[asked.pk, "01"]) in page


def test_the_list_costs_the_same_queries_with_results_and_ratings(
    citizen_client, citizen, procedure, clerk, leader, received, django_assert_max_num_queries
):
    with CaptureQueriesContext(connection) as one:
        citizen_client.get(reverse("dossiers:my_dossiers"))
    for _n in range(3):
        submitted = DossierFactory(procedure=procedure, applicant=citizen, applicant_phone=PHONE)
        returned = return_result(services.accept(submitted, clerk), leader, clerk)
        Rating.objects.create(
            dossier=returned, channel="account", **dict.fromkeys(Rating.FIELDS, 2)
        )
    with django_assert_max_num_queries(len(one)):
        citizen_client.get(reverse("dossiers:my_dossiers"))


def test_the_result_scan_is_the_applicants_only_once_resolved(client, db):
    """Staff see a recorded result at once; the applicant only after sign-off and resolve."""
    import io

    from PIL import Image

    from dossiers import services, uploads
    from dossiers.models import Attachment
    from tests.factories import DossierFactory, ProcedureFactory, UserFactory

    citizen = UserFactory(roles=["Citizen"])
    procedure = ProcedureFactory()
    clerk = UserFactory(username="tn", roles=["Clerk"], roles__agency=procedure.agency)
    leader = UserFactory(username="ld", roles=["Leader"], roles__agency=procedure.agency)
    dossier = DossierFactory(procedure=procedure, applicant=citizen)
    services.accept(dossier, clerk)
    services.start_processing(dossier, leader)
    from django.core.files.uploadedfile import SimpleUploadedFile

    png = io.BytesIO()
    Image.new("RGB", (20, 20), "white").save(png, "PNG")
    buffer = SimpleUploadedFile("ket-qua.png", png.getvalue(), content_type="image/png")
    services.record_result(
        dossier, leader, number="12/KQ", upload=buffer, info=uploads.check_upload(buffer)
    )
    result = dossier.attachments.get(kind=Attachment.Kind.RESULT)
    url = f"/ho-so/{dossier.pk}/tep/{result.pk}/"
    client.force_login(citizen)
    assert client.get(url).status_code == 404
    client.force_login(leader)
    assert client.get(url).status_code == 200
    services.approve(dossier, leader)
    services.mark_resolved(dossier, leader)
    client.force_login(citizen)
    assert client.get(url).status_code == 200
