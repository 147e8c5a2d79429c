"""The post channel (Bưu chính): a clerk registers a dossier that arrived by post; the applicant
chose how to receive the result, which the receipt and the return record show."""

from django.urls import reverse

from dossiers import services
from dossiers.forms.office import action_form
from dossiers.models import Dossier, DossierEvent
from dossiers.printing import records, slips
from dossiers.workflow import Event, Status
from tests.dossiers.test_counter import clerk as clerk
from tests.dossiers.test_counter import clerk_client as clerk_client
from tests.dossiers.test_counter import intake_data
from tests.dossiers.test_counter import procedure as procedure
from tests.doubles import poppler
from tests.factories import UserFactory

ADDRESS = "Số 5, ấp Mỹ Hòa, xã Mỹ Phong"


def pdf_text(slip):
    return " ".join(poppler("pdftotext", "-raw", slip.file.path, "-").split())


def test_a_dossier_by_post_end_to_end(clerk_client, clerk, procedure):
    procedure.accepts_post = True
    procedure.shown_documents = "Thẻ căn cước (bản chính)"
    procedure.save()
    data = intake_data(
        procedure, channel="post", result_delivery="post", delivery_address=f"  {ADDRESS} "
    )
    response = clerk_client.post(reverse("dossiers:counter_intake"), data)
    assert response.status_code == 302
    dossier = Dossier.objects.get()
    assert (dossier.channel, dossier.result_delivery) == ("post", "post")
    assert dossier.delivery_address == ADDRESS

    accept = DossierEvent.objects.get(dossier=dossier, action="accept")
    text = pdf_text(slips.render_slip(dossier, "01", accept))
    assert f"Đăng ký nhận kết quả: Qua dịch vụ bưu chính, gửi đến: {ADDRESS}" in text
    assert "Hồ sơ nhận qua dịch vụ bưu chính" in text
    # Shown, not handed in: a list apart from the papers' table.
    assert "Giấy tờ xuất trình để đối chiếu (không nộp): Thẻ căn cước (bản chính)" in text

    leader = UserFactory(username="lanhdao", roles=["Leader"], roles__agency=procedure.agency)
    services.start_processing(dossier, leader)
    services.record_result(dossier, leader, number="15/GKS")
    services.approve(dossier, leader)
    services.mark_resolved(dossier, leader)
    page = clerk_client.get(reverse("dossiers:office_dossier", args=[dossier.pk])).text
    assert ADDRESS in page  # the choice made at intake, on the dossier's page
    dossier.refresh_from_db()
    assert action_form(Event.RETURN, dossier, clerk)["method"].value() == "post"
    services.mark_returned(dossier, clerk, collected_by="Bưu điện xã Mỹ Phong", method="post")
    dossier.refresh_from_db()
    assert dossier.status == Status.RETURNED
    rows = records.hand_overs(dossier, dossier.events.order_by("at", "id"))
    assert rows[-1].note == "Hình thức: qua dịch vụ bưu chính"


def test_post_is_refused_for_a_procedure_that_does_not_take_it(clerk, procedure):
    procedure.accepts_post = False
    procedure.save()
    applicant = services.Applicant(name="Lê Văn An", phone="0912345678")
    try:
        services.register_at_counter(
            procedure, clerk, applicant=applicant, papers=[], channel="post"
        )
    except services.ActionRefused:
        pass
    else:
        raise AssertionError("a post dossier was registered for a counter-only procedure")
    assert not Dossier.objects.exists()


def test_a_result_by_post_needs_an_address(clerk_client, procedure):
    data = intake_data(procedure, result_delivery="post", delivery_address=" ")
    response = clerk_client.post(reverse("dossiers:counter_intake"), data)
    assert response.status_code == 200
    assert not Dossier.objects.exists()


def test_a_result_online_only_where_the_procedure_is_online(clerk, procedure):
    applicant = services.Applicant(name="Lê Văn An", phone="0912345678")
    procedure.online_level = "none"
    procedure.save()
    try:
        services.register_at_counter(
            procedure, clerk, applicant=applicant, papers=[], result_delivery="online"
        )
    except services.ActionRefused:
        pass
    else:
        raise AssertionError("an online result was promised for a procedure not served online")
