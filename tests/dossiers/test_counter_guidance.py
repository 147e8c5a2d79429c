"""A walk-in applicant with papers missing: Form 02 (guidance) or Form 03 (refusal) printed at
the counter there and then, without a received dossier; a record of it is kept with its number."""

from django.urls import reverse

from dossiers import services
from dossiers.models import CounterGuidance, Dossier
from dossiers.printing import slips
from tests.dossiers.test_counter import clerk as clerk
from tests.dossiers.test_counter import clerk_client as clerk_client
from tests.dossiers.test_counter import procedure as procedure
from tests.doubles import poppler
from tests.factories import AgencyFactory, UserFactory

WALK_IN = {
    "applicant_name": "Trần Văn Bình",
    "applicant_phone": "0912345678",
    "applicant_id_number": "",
    "applicant_email": "",
    "applicant_address": "Ấp 3, xã Mỹ Phong",
}


def pdf_text(file):
    return " ".join(poppler("pdftotext", "-raw", file.path, "-").split())


def test_the_clerk_prints_form_02_and_no_dossier_is_received(clerk_client, procedure):
    url = reverse("dossiers:counter_guidance") + f"?thu-tuc={procedure.code}"
    data = {
        **WALK_IN,
        "procedure": procedure.code,
        "kind": "02",
        "items": "Giấy chứng sinh (bản chính)\nTờ khai có chữ ký của người đi đăng ký",
        "reason": "Thiếu giấy chứng sinh",
    }
    response = clerk_client.post(url, data)
    guidance = CounterGuidance.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("dossiers:counter_guidance_done", args=[guidance.pk])
    assert not Dossier.objects.exists()
    assert (guidance.kind, guidance.number) == ("02", 1)
    assert guidance.items == [
        "Giấy chứng sinh (bản chính)",
        "Tờ khai có chữ ký của người đi đăng ký",
    ]
    pdf = clerk_client.get(reverse("dossiers:counter_guidance_pdf", args=[guidance.pk]))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    text = pdf_text(CounterGuidance.objects.get().file)
    assert "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ" in text
    assert f"Số: 1/{guidance.year}" in text
    assert "Hồ sơ của: Trần Văn Bình" in text
    assert "Giấy chứng sinh (bản chính)" in text
    assert "Mã hồ sơ" not in text  # no dossier, no code


def test_the_counter_refusal_needs_a_reason_and_prints_form_03(clerk, procedure):
    applicant = services.Applicant(name="Trần Văn Bình", phone="0912345678")
    try:
        services.guide_at_counter(procedure, clerk, kind="03", applicant=applicant, reason=" ")
    except services.ActionRefused:
        pass
    else:
        raise AssertionError("a refusal without a reason was printed")
    refusal = services.guide_at_counter(
        procedure, clerk, kind="03", applicant=applicant, reason="Không thuộc thẩm quyền của xã"
    )
    text = pdf_text(slips.guidance_slip(refusal))
    assert "PHIẾU TỪ CHỐI TIẾP NHẬN GIẢI QUYẾT HỒ SƠ" in text
    assert "Không thuộc thẩm quyền của xã" in text
    assert not Dossier.objects.exists()


def test_counter_forms_share_the_agency_s_series_with_dossier_forms(clerk, procedure):
    applicant = services.Applicant(name="Trần Văn Bình", phone="0912345678")
    first = services.guide_at_counter(
        procedure, clerk, kind="02", applicant=applicant, items=["Tờ khai"]
    )
    from tests.factories import DossierFactory

    online = DossierFactory(procedure=procedure)
    services.request_supplement(online, clerk, items=["Tờ khai"], reason="Thiếu")
    second = services.guide_at_counter(
        procedure, clerk, kind="02", applicant=applicant, items=["Tờ khai"]
    )
    asked = online.events.get(action="request_supplement")
    assert [first.number, asked.data["form_number"], second.number] == [1, 2, 3]


def test_another_agency_cannot_open_the_guidance(client, clerk, procedure):
    applicant = services.Applicant(name="Trần Văn Bình", phone="0912345678")
    issued = services.guide_at_counter(
        procedure, clerk, kind="02", applicant=applicant, items=["Tờ khai"]
    )
    elsewhere = UserFactory(
        username="tiepnhan-xa-ben",
        roles=["Clerk"],
        roles__agency=AgencyFactory(code="000.17.22.H57", name="UBND xã bên"),
    )
    client.force_login(elsewhere)
    assert client.get(reverse("dossiers:counter_guidance_pdf", args=[issued.pk])).status_code == 404


def test_the_one_stop_unit_is_named_by_the_setting(clerk, procedure, settings):
    settings.PORTAL_ONE_STOP_NAME = "Trung tâm Phục vụ hành chính công phường Bến Thành"
    applicant = services.Applicant(name="Trần Văn Bình", phone="0912345678")
    issued = services.guide_at_counter(
        procedure, clerk, kind="02", applicant=applicant, items=["Tờ khai"]
    )
    text = pdf_text(slips.guidance_slip(issued))
    assert "TRUNG TÂM PHỤC VỤ HÀNH CHÍNH CÔNG PHƯỜNG BẾN THÀNH" in text
    assert "Trung tâm Phục vụ hành chính công phường Bến Thành chỉ yêu cầu bổ sung" in text
    assert "Bộ phận tiếp nhận" not in text
