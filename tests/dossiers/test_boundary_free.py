"""Boundary-free reception (Decree 118/2025): a commune's centre receives a dossier of a
province procedure, issues the receipt and sends it to the province department; both see it,
the centre as "received on behalf of"; the department processes it."""

import pytest
from django.conf import settings
from django.urls import reverse

from dossiers import services
from dossiers.selectors import visible_dossiers
from dossiers.workflow import Event, Status
from myphong import roles
from tests.factories import ProcedureFactory, UserFactory

ENGLISH = "en"  # the language the reader chose (cookie); the browser's is ignored


@pytest.fixture
def province_staff(province):
    leader = UserFactory(username="lanhdao-so", roles=[roles.LEADER], roles__agency=province)
    specialist = UserFactory(
        username="chuyenvien-so", roles=[roles.SPECIALIST], roles__agency=province
    )
    return leader, specialist


@pytest.fixture
def received_for_the_province(clerk, province):
    procedure = ProcedureFactory(name="Cấp phiếu lý lịch tư pháp", agency=province)
    return services.register_at_counter(
        procedure,
        clerk,
        applicant=services.Applicant(name="Lê Văn An", phone="0912345678"),
        papers=[services.PaperCount(name="Tờ khai", originals=1)],
    )


def test_the_centre_issues_the_receipt_and_sends_the_dossier_on(received_for_the_province):
    dossier = received_for_the_province
    assert dossier.status == Status.RECEIVED
    assert dossier.code.startswith("000.17.22.H56-")  # the centre's code and receipt
    forward = dossier.events.get(action=Event.FORWARD)
    assert forward.data["agency"] == "Sở Tư pháp tỉnh"


def test_both_agencies_see_it(received_for_the_province, clerk, province_staff):
    leader, _specialist = province_staff
    assert visible_dossiers(clerk).filter(pk=received_for_the_province.pk).exists()
    assert visible_dossiers(leader).filter(pk=received_for_the_province.pk).exists()


def test_the_centre_page_says_received_on_behalf(received_for_the_province, clerk, client):
    client.force_login(clerk)
    url = reverse("dossiers:office_dossier", args=[received_for_the_province.pk])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = ENGLISH
    page = client.get(url).content.decode()
    assert "received on behalf of Sở Tư pháp tỉnh" in page


def test_the_competent_agency_processes_the_centre_only_returns(
    received_for_the_province, leader, specialist, province_staff, clerk
):
    province_leader, province_specialist = province_staff
    dossier = received_for_the_province
    with pytest.raises(services.ActionRefused):
        services.assign(dossier, leader, specialist=specialist)  # not the centre's to process
    services.assign(dossier, province_leader, specialist=province_specialist)
    services.start_processing(dossier, province_specialist)
    services.record_result(dossier, province_specialist, number="12/LLTP")
    services.send_for_approval(dossier, province_specialist)
    services.approve(dossier, province_leader)
    services.mark_resolved(dossier, province_specialist)
    with pytest.raises(services.ActionRefused):
        services.mark_returned(dossier, province_leader, collected_by="Lê Văn An", method="counter")
    services.mark_returned(dossier, clerk, collected_by="Lê Văn An", method="counter")
    dossier.refresh_from_db()
    assert dossier.status == Status.RETURNED
