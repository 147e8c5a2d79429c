"""The counter pages: clerks only, one dossier per Save, clear messages, other agencies hidden."""

import io
import uuid

import pytest
from django.urls import reverse
from PIL import Image

from dossiers import services
from dossiers.models import Dossier
from dossiers.workflow import Status
from myphong import roles
from tests.factories import (
    AgencyFactory,
    DossierFactory,
    ProcedureFactory,
    RequiredDocumentFactory,
    UserFactory,
)


@pytest.fixture
def procedure(db):
    procedure = ProcedureFactory(code="1.001193", name="Đăng ký khai sinh", accepts_online=True)
    RequiredDocumentFactory(procedure=procedure, name="Tờ khai đăng ký khai sinh", order=1)
    RequiredDocumentFactory(procedure=procedure, name="Giấy chứng sinh", order=2)
    RequiredDocumentFactory(procedure=procedure, name="Giấy tờ khác", order=3, is_required=False)
    return procedure


@pytest.fixture
def clerk(db, procedure):
    return UserFactory(username="tiepnhan", roles=[roles.CLERK], roles__agency=procedure.agency)


@pytest.fixture
def clerk_client(client, clerk):
    client.force_login(clerk)
    return client


def intake_data(procedure, **overrides):
    data = {
        "procedure": procedure.code,
        "token": str(uuid.uuid4()),
        "applicant_name": "  Nguyễn   Thị Hoa ",
        "applicant_phone": "+84 912 345 678",
        "applicant_id_number": "079190000001",
        "applicant_email": "",
        "applicant_address": "Ấp Mỹ Phong",
        "request_text": "Đăng ký khai sinh cho con",
        "sets": "1",
    }
    for document in procedure.documents.all():
        if document.is_required:
            data[f"paper_{document.pk}_received"] = "on"
        data[f"paper_{document.pk}_originals"] = "1"
        data[f"paper_{document.pk}_copies"] = "0"
        data[f"paper_{document.pk}_certified"] = "0"
    data.update(overrides)
    return data


def png_bytes():
    buffer = io.BytesIO()
    Image.new("RGB", (40, 40), "white").save(buffer, "PNG")
    return buffer.getvalue()


def test_counter_intake_accepts_at_once_and_opens_the_receipt(clerk_client, procedure):
    url = reverse("dossiers:counter_intake")
    assert "Đăng ký khai sinh" in clerk_client.get(url, {"thu-tuc": procedure.code}).text
    response = clerk_client.post(url, intake_data(procedure))
    dossier = Dossier.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("dossiers:counter_receipt", args=[dossier.pk])
    assert dossier.status == Status.RECEIVED
    assert dossier.applicant_name == "Nguyễn Thị Hoa"
    assert dossier.applicant_phone == "0912345678"
    assert [p.name for p in dossier.papers.all()] == [
        "Tờ khai đăng ký khai sinh",
        "Giấy chứng sinh",
    ]
    receipt = clerk_client.get(response.url)
    assert dossier.code in receipt.text
    assert reverse("dossiers:slip", args=[dossier.pk, "01"]) in receipt.text


def test_pressing_save_twice_makes_one_dossier(clerk_client, procedure):
    data = intake_data(procedure)
    first = clerk_client.post(reverse("dossiers:counter_intake"), data)
    second = clerk_client.post(reverse("dossiers:counter_intake"), data)
    assert Dossier.objects.count() == 1
    assert first.url == second.url


def test_missing_required_paper_is_refused_in_vietnamese_and_the_form_kept(clerk_client, procedure):
    document = procedure.documents.get(name="Giấy chứng sinh")
    data = intake_data(procedure)
    del data[f"paper_{document.pk}_received"]
    response = clerk_client.post(reverse("dossiers:counter_intake"), data)
    assert response.status_code == 200
    assert "Giấy chứng sinh" in response.text
    assert "chưa được đánh dấu" in response.text
    assert 'value="Nguyễn Thị Hoa"' in response.text or "Nguyễn   Thị Hoa" in response.text
    assert not Dossier.objects.exists()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("applicant_phone", "12345", "10 chữ số"),
        ("applicant_id_number", "07919", "12 chữ số"),
        ("applicant_id_number", "079190001", "12 chữ số"),  # the old 9-digit card is not valid
        ("applicant_name", "", "bắt buộc"),
    ],
)
def test_bad_applicant_details_get_a_vietnamese_message(
    clerk_client, procedure, field, value, message
):
    response = clerk_client.post(
        reverse("dossiers:counter_intake"), intake_data(procedure, **{field: value})
    )
    assert response.status_code == 200
    assert message in response.text
    assert not Dossier.objects.exists()


def test_scan_is_checked_by_content(clerk_client, procedure):
    document = procedure.documents.first()
    fake = io.BytesIO(b"MZ\x90\x00 this is a program")
    fake.name = "to-khai.pdf"
    data = intake_data(procedure, **{f"paper_{document.pk}_scan": fake})
    response = clerk_client.post(reverse("dossiers:counter_intake"), data)
    assert response.status_code == 200
    assert not Dossier.objects.exists()
    good = io.BytesIO(png_bytes())
    good.name = "to-khai.png"
    data = intake_data(procedure, **{f"paper_{document.pk}_scan": good})
    response = clerk_client.post(reverse("dossiers:counter_intake"), data)
    assert response.status_code == 302
    attachment = Dossier.objects.get().attachments.get()
    assert attachment.content_type == "image/png"
    assert attachment.required_document == document


def test_unknown_procedure_gets_a_message_not_a_500(clerk_client, procedure):
    response = clerk_client.get(reverse("dossiers:counter_intake"), {"thu-tuc": "9.999999"})
    assert response.status_code == 200
    assert "Hãy chọn một thủ tục" in response.text


@pytest.mark.parametrize("url_name", ["dossiers:counter_intake", "dossiers:counter_queue"])
def test_counter_is_for_clerks_only(client, db, procedure, url_name):
    url = reverse(url_name)
    assert client.get(url).status_code == 302  # anonymous: to the login page
    client.force_login(UserFactory(roles=[roles.CITIZEN]))
    assert client.get(url).status_code == 403
    client.force_login(UserFactory(username="chuyenvien", roles=[roles.SPECIALIST]))
    assert client.get(url).status_code == 403


def test_clerk_accepts_an_online_dossier_from_the_queue(clerk_client, procedure):
    dossier = DossierFactory(procedure=procedure)
    queue = clerk_client.get(reverse("dossiers:counter_queue"))
    assert dossier.applicant_name in queue.text
    response = clerk_client.post(
        reverse("dossiers:counter_review", args=[dossier.pk]),
        {"action": "accept", "version": dossier.version},
    )
    assert response.status_code == 302
    dossier.refresh_from_db()
    assert dossier.status == Status.RECEIVED and dossier.code


def test_clerk_asks_for_supplements_once_and_completely(clerk_client, procedure):
    dossier = DossierFactory(procedure=procedure)
    url = reverse("dossiers:counter_review", args=[dossier.pk])
    response = clerk_client.post(
        url,
        {
            "action": "supplement",
            "bs-version": dossier.version,
            "bs-items": "Giấy chứng sinh (bản chính)\nTờ khai có chữ ký",
            "bs-reason": "Bản chụp không đọc được",
        },
    )
    assert response.status_code == 302
    dossier.refresh_from_db()
    assert dossier.status == Status.AWAITING_SUPPLEMENT
    event = dossier.events.get(action="request_supplement")
    assert event.data["items"] == ["Giấy chứng sinh (bản chính)", "Tờ khai có chữ ký"]


def test_clerk_refuses_with_a_reason(clerk_client, procedure):
    dossier = DossierFactory(procedure=procedure)
    url = reverse("dossiers:counter_review", args=[dossier.pk])
    empty = clerk_client.post(
        url, {"action": "refuse", "tc-version": dossier.version, "tc-reason": ""}
    )
    assert empty.status_code == 200
    clerk_client.post(
        url,
        {"action": "refuse", "tc-version": dossier.version, "tc-reason": "Không thuộc thẩm quyền"},
    )
    dossier.refresh_from_db()
    assert dossier.status == Status.REJECTED


def test_second_clerk_acting_on_a_stale_page_gets_a_clear_message(clerk_client, clerk, procedure):
    dossier = DossierFactory(procedure=procedure)
    seen = dossier.version
    services.accept(dossier, clerk)
    response = clerk_client.post(
        reverse("dossiers:counter_review", args=[dossier.pk]),
        {"action": "refuse", "tc-version": seen, "tc-reason": "Trùng"},
        follow=True,
    )
    assert "Người khác" in response.text or "Only a dossier" not in response.text
    dossier.refresh_from_db()
    assert dossier.status == Status.RECEIVED


def test_other_agencys_dossiers_and_slips_are_404(clerk_client, procedure, clerk):
    other_procedure = ProcedureFactory(agency=AgencyFactory(code="000.17.22.H57", name="Xã khác"))
    foreign = DossierFactory(procedure=other_procedure)
    other_clerk = UserFactory(
        username="tiepnhan2", roles=[roles.CLERK], roles__agency=other_procedure.agency
    )
    services.accept(foreign, other_clerk)
    for url in (
        reverse("dossiers:counter_review", args=[foreign.pk]),
        reverse("dossiers:counter_receipt", args=[foreign.pk]),
        reverse("dossiers:slip", args=[foreign.pk, "01"]),
    ):
        assert clerk_client.get(url).status_code == 404
    post = clerk_client.post(
        reverse("dossiers:counter_review", args=[foreign.pk]), {"action": "accept", "version": 0}
    )
    assert post.status_code == 404
