"""What waits for the leader's signature: its own queue, its state on the row, sign and resolve."""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from freezegun import freeze_time

from dossiers import services
from dossiers.models import Dossier
from dossiers.selectors import queue_counts, work_queue
from dossiers.workflow import Event, Status
from tests.factories import DossierFactory, ProcedureFactory

VN = ZoneInfo("Asia/Ho_Chi_Minh")
MONDAY_8H = datetime(2025, 6, 9, 8, 0, tzinfo=VN)


@pytest.fixture
def procedure(agency):
    return ProcedureFactory(name="Đăng ký khai sinh", processing_time=Decimal("5"), agency=agency)


def in_progress(procedure, clerk, leader, specialist, name="Nguyễn Thị Hoa"):
    dossier = DossierFactory(procedure=procedure, applicant_name=name)
    with freeze_time(MONDAY_8H):
        services.accept(dossier, clerk)
        services.assign(dossier, leader, specialist=specialist)
        return services.start_processing(dossier, specialist)


def sent_for_approval(procedure, clerk, leader, specialist, name="Nguyễn Thị Hoa"):
    dossier = in_progress(procedure, clerk, leader, specialist, name)
    services.record_result(dossier, specialist, number="12/QĐ-UBND", date=date(2025, 6, 10))
    return services.send_for_approval(dossier, specialist)


def test_the_approval_queue_holds_what_waits_for_the_leaders_signature(
    procedure, clerk, leader, specialist
):
    waiting = sent_for_approval(procedure, clerk, leader, specialist, "Chờ Ký")
    signed = sent_for_approval(procedure, clerk, leader, specialist, "Đã Ký")
    services.approve(signed, leader)
    in_progress(procedure, clerk, leader, specialist, "Đang Làm")

    rows = list(work_queue(leader, "approval"))
    assert [row.applicant_name for row in rows] == ["Chờ Ký"]
    assert rows[0].awaits_approval
    assert queue_counts(leader)["approval"] == 1
    assert waiting.pk == rows[0].pk


def test_the_leaders_queue_page_shows_the_approval_tab_its_count_and_the_state(
    client, procedure, clerk, leader, specialist
):
    sent_for_approval(procedure, clerk, leader, specialist, "Chờ Ký")
    client.force_login(leader)
    client.cookies["ngon_ngu"] = "en"
    response = client.get(reverse("dossiers:office_queue"), {"hang": "all"})
    tabs = {key: count for key, _label, count in response.context["tabs"]}
    assert tabs["approval"] == 1
    page = response.text
    assert "Waiting for approval" in page
    assert "?hang=approval" in page


def test_approving_with_resolve_signs_and_resolves_in_one_step(
    procedure, clerk, leader, specialist
):
    dossier = sent_for_approval(procedure, clerk, leader, specialist)
    with freeze_time(datetime(2025, 6, 10, 9, 0, tzinfo=VN)):
        services.approve(dossier, leader, resolve=True)
    dossier = Dossier.objects.get(pk=dossier.pk)
    assert dossier.status == Status.RESOLVED
    assert dossier.approved_by == leader
    actions = list(dossier.events.order_by("pk").values_list("action", flat=True))
    assert actions[-2:] == [Event.APPROVE, Event.RESOLVE]
    assert dossier.events.get(action=Event.RESOLVE).data["timeliness"] == "early"


def test_approving_without_resolve_leaves_the_dossier_in_progress(
    procedure, clerk, leader, specialist
):
    dossier = sent_for_approval(procedure, clerk, leader, specialist)
    services.approve(dossier, leader)
    dossier = Dossier.objects.get(pk=dossier.pk)
    assert dossier.status == Status.IN_PROGRESS
    assert dossier.approved_at is not None


def test_the_approve_form_resolves_when_its_box_is_ticked(
    client, procedure, clerk, leader, specialist
):
    dossier = sent_for_approval(procedure, clerk, leader, specialist)
    client.force_login(leader)
    page = client.get(reverse("dossiers:office_dossier", args=[dossier.pk])).text
    assert 'name="resolve"' in page
    client.post(
        reverse("dossiers:office_act", args=[dossier.pk, Event.APPROVE]),
        {"version": Dossier.objects.get(pk=dossier.pk).version, "resolve": "on"},
    )
    assert Dossier.objects.get(pk=dossier.pk).status == Status.RESOLVED


def test_a_leader_opens_the_approval_queue_first_when_something_waits(
    client, procedure, clerk, leader, specialist
):
    client.force_login(leader)
    assert client.get(reverse("dossiers:office_queue")).context["queue"] == "unassigned"
    sent_for_approval(procedure, clerk, leader, specialist)
    assert client.get(reverse("dossiers:office_queue")).context["queue"] == "approval"
