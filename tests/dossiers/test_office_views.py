"""The back-office pages: queues, a dossier's page and its action forms, and who may do what."""

import io
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import reverse
from django.utils import translation
from freezegun import freeze_time
from PIL import Image

from dossiers import services, uploads
from dossiers.models import Attachment, Dossier
from dossiers.selectors import QUEUES, queue_counts, work_queue
from dossiers.templatetags.office import time_left
from dossiers.workflow import Status
from myphong import roles
from myphong.models import person_name
from tests.factories import (
    DossierFactory,
    ProcedureFactory,
    SectorFactory,
    UserFactory,
)

VN = ZoneInfo("Asia/Ho_Chi_Minh")


def at(day, hour, minute=0, month=6, year=2025):
    """June 2025 has no public holiday: its working days are Monday to Friday."""
    return datetime(year, month, day, hour, minute, tzinfo=VN)


@pytest.fixture
def procedure(agency):
    sector = SectorFactory(code="ho-tich", name="Hộ tịch")
    return ProcedureFactory(
        name="Đăng ký khai sinh", processing_time=Decimal("5"), agency=agency, sector=sector
    )


@pytest.fixture
def citizen(db):
    return UserFactory(username="congdan", roles=[roles.CITIZEN])


@pytest.fixture
def english(client):
    """Assertions on words read the English pages: the Vietnamese ones may not be merged yet."""
    client.cookies["ngon_ngu"] = "en"
    return client


@pytest.fixture(autouse=True)
def _one_login_for_a_story_of_several_days(settings):
    """These stories span working days with one login; the working-day limit of a staff
    session has its own tests (tests/security/test_deployment.py)."""
    settings.STAFF_SESSION_HOURS = 24 * 30


def as_user(client, user):
    client.force_login(user)
    return client


def receive(procedure, clerk, name="Nguyễn Thị Hoa", when=None, channel=Dossier.Channel.ONLINE):
    dossier = DossierFactory(procedure=procedure, applicant_name=name, channel=channel)
    if when is None:
        return services.accept(dossier, clerk)
    with freeze_time(when):
        return services.accept(dossier, clerk)


def fresh(dossier):
    return Dossier.objects.get(pk=dossier.pk)


def act_url(dossier, action):
    return reverse("dossiers:office_act", args=[dossier.pk, action])


def page_url(dossier):
    return reverse("dossiers:office_dossier", args=[dossier.pk])


def post(client, dossier, action, **data):
    """Post an action's form with the version the user saw (the current one unless given)."""
    data.setdefault("version", fresh(dossier).version)
    return client.post(act_url(dossier, action), data)


def messages_of(response):
    return [str(message) for message in response.context["messages"]]


def png_file(name="ket-qua.png"):
    buffer = io.BytesIO()
    Image.new("RGB", (40, 40), "white").save(buffer, "PNG")
    buffer.name = name
    buffer.seek(0)
    return buffer


# --- Each action through its form ---------------------------------------------------------------


def test_a_dossier_goes_from_assignment_to_return_through_the_action_forms(
    client, procedure, clerk, leader, specialist, province, province_specialist
):
    with freeze_time(at(9, 8)) as frozen:
        dossier = receive(procedure, clerk)
        assert post(as_user(client, leader), dossier, "assign", specialist=specialist.pk).url == (
            page_url(dossier)
        )
        assert fresh(dossier).assigned_to == specialist

        as_user(client, specialist)
        post(client, dossier, "start", note="")
        assert fresh(dossier).status == Status.IN_PROGRESS

        frozen.move_to(at(10, 8))
        post(client, dossier, "request_payment", amount="50.000", note="Lệ phí khai sinh")
        dossier = fresh(dossier)
        assert dossier.status == Status.AWAITING_PAYMENT
        assert dossier.events.get(action="request_payment").data == {"amount": 50_000}

        frozen.move_to(at(12, 8))
        post(as_user(client, clerk), dossier, "confirm_payment")
        assert fresh(dossier).status == Status.IN_PROGRESS
        assert fresh(dossier).due_at == at(18, 8)

        post(as_user(client, specialist), dossier, "transfer", agency=province.pk)
        assert fresh(dossier).transferred_to == province

        # The receiving agency hands it back and no longer sees it: back to its queue.
        response = post(as_user(client, province_specialist), dossier, "take_back")
        assert response.url == reverse("dossiers:office_queue")
        assert fresh(dossier).status == Status.IN_PROGRESS

        as_user(client, specialist)
        post(
            client,
            dossier,
            "record_result",
            number="123/QĐ-UBND",
            date="12/06/2025",
            summary="Cấp giấy khai sinh",
            file=png_file(),
        )
        dossier = fresh(dossier)
        assert dossier.result_number == "123/QĐ-UBND"
        assert dossier.result_date.isoformat() == "2025-06-12"
        assert dossier.attachments.get().kind == Attachment.Kind.RESULT
        post(client, dossier, "send_for_approval")
        assert fresh(dossier).approval_requested_at is not None

        post(as_user(client, leader), dossier, "approve", note="Đồng ý")
        assert fresh(dossier).approved_by == leader

        frozen.move_to(at(13, 9))
        post(as_user(client, specialist), dossier, "resolve")
        dossier = fresh(dossier)
        assert dossier.status == Status.RESOLVED
        assert dossier.events.get(action="resolve").data == {"timeliness": "early"}

        post(
            as_user(client, clerk), dossier, "return", collected_by="Nguyễn Thị Hoa", method="post"
        )
        dossier = fresh(dossier)
        assert dossier.status == Status.RETURNED
        assert (dossier.returned_to, dossier.return_method) == ("Nguyễn Thị Hoa", "post")


def test_the_specialist_asks_for_supplements_one_paper_a_line(
    client, procedure, clerk, leader, specialist
):
    dossier = receive(procedure, clerk)
    services.assign(dossier, leader, specialist=specialist)
    post(
        as_user(client, specialist),
        dossier,
        "request_supplement",
        items="Bản sao giấy chứng sinh\n\n  Giấy xác nhận cư trú  \n",
        note="Thiếu giấy tờ",
    )
    dossier = fresh(dossier)
    assert dossier.status == Status.AWAITING_SUPPLEMENT
    event = dossier.events.get(action="request_supplement")
    assert event.data["items"] == ["Bản sao giấy chứng sinh", "Giấy xác nhận cư trú"]
    assert event.note == "Thiếu giấy tờ"


def test_stopping_needs_a_reason_and_the_form_says_so(
    english, procedure, clerk, leader, specialist
):
    dossier = receive(procedure, clerk)
    services.assign(dossier, leader, specialist=specialist)
    response = post(as_user(english, leader), dossier, "stop", note="")
    assert response.status_code == 200
    assert "This field is required." in response.text
    assert fresh(dossier).status == Status.RECEIVED
    post(
        english,
        dossier,
        "stop",
        note="Người yêu cầu không còn cư trú tại xã",
        ground="legal_ground",
    )
    assert fresh(dossier).status == Status.STOPPED


def test_the_clerk_records_a_withdrawal_for_the_applicant(client, procedure, clerk):
    dossier = receive(procedure, clerk)
    post(as_user(client, clerk), dossier, "withdraw", note="Công dân có đơn xin rút")
    assert fresh(dossier).status == Status.WITHDRAWN


def test_form_04_is_proposed_two_working_days_before_the_due_time_and_issued_once(
    english, procedure, clerk, leader, specialist
):
    with freeze_time(at(9, 8)) as frozen:
        dossier = receive(procedure, clerk)  # due Mon 16/06 08:00
        services.assign(dossier, leader, specialist=specialist)
        services.start_processing(dossier, specialist)
        as_user(english, specialist)
        assert 'id="de-xuat-mau-04"' not in english.get(page_url(dossier)).text

        # Thu 12/06 08:00: 2 working days left → proposed, with the new appointment 2 working
        # days after the current due (Wed 18/06 08:00) filled in.
        frozen.move_to(at(12, 8))
        page = english.get(page_url(dossier)).text
        assert 'id="de-xuat-mau-04"' in page
        assert 'value="18/06/2025"' in page
        assert 'value="08:00"' in page
        assert "2 days of working time left" in page
        queue = english.get(reverse("dossiers:office_queue"), {"hang": "mine"}).text
        assert "Consider Form 04 now" in queue

        post(
            english,
            dossier,
            "reschedule",
            new_date="18/06/2025",
            new_time="08:00",
            note="Chờ kết quả xác minh",
        )
        dossier = fresh(dossier)
        assert dossier.due_before_apology == at(16, 8)
        assert dossier.due_at == at(18, 8)
        page = english.get(page_url(dossier)).text
        assert 'id="de-xuat-mau-04"' not in page
        assert 'id="action-reschedule"' in page  # still listed: the service says "only once"
        response = post(
            english, dossier, "reschedule", new_date="19/06/2025", new_time="08:00", note="Nữa"
        )
        assert response.status_code == 302
        assert fresh(dossier).due_at == at(18, 8)
        follow = english.get(response.url)
        assert "already rescheduled once" in " ".join(messages_of(follow))


def test_less_than_a_working_day_before_the_due_the_page_says_form_04_is_too_late(
    english, procedure, clerk, leader, specialist
):
    with freeze_time(at(9, 8)) as frozen:
        dossier = receive(procedure, clerk)
        services.assign(dossier, leader, specialist=specialist)
        frozen.move_to(at(13, 9))  # 7 working hours before Mon 16/06 08:00
        page = as_user(english, specialist).get(page_url(dossier)).text
        assert "too late to apologise" in page
        assert "7 hours of working time left" in page


# --- Concurrency and refusals -------------------------------------------------------------------


def test_a_stale_form_gets_a_clear_message_and_changes_nothing(
    english, procedure, clerk, leader, specialist, other_specialist
):
    dossier = receive(procedure, clerk)
    seen = dossier.version
    services.assign(dossier, clerk, specialist=other_specialist)  # someone else acts first
    response = post(
        as_user(english, leader), dossier, "assign", specialist=specialist.pk, version=seen
    )
    assert response.status_code == 302
    assert response.url == page_url(dossier)
    assert fresh(dossier).assigned_to == other_specialist
    assert "Someone else changed this dossier" in " ".join(messages_of(english.get(response.url)))


def test_a_stale_form_for_a_status_that_has_passed_gets_the_message_not_a_403(
    english, procedure, clerk, leader, specialist
):
    dossier = receive(procedure, clerk)
    services.assign(dossier, leader, specialist=specialist)
    seen = fresh(dossier).version
    services.start_processing(dossier, specialist)  # in another tab
    response = post(as_user(english, specialist), dossier, "start", version=seen)
    assert response.status_code == 302
    assert "Someone else changed" in " ".join(messages_of(english.get(response.url)))


def test_a_refusal_of_the_service_is_a_message_on_the_dossier_page(
    english, procedure, clerk, leader, specialist
):
    dossier = receive(procedure, clerk)
    services.assign(dossier, leader, specialist=specialist)
    services.start_processing(dossier, specialist)
    response = post(as_user(english, specialist), dossier, "resolve")
    assert response.url == page_url(dossier)
    assert "has not approved the result" in " ".join(messages_of(english.get(response.url)))
    assert fresh(dossier).status == Status.IN_PROGRESS


# --- Who may do what --------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_log_in(client, procedure, clerk):
    dossier = receive(procedure, clerk)
    for url in (reverse("dossiers:office_queue"), page_url(dossier)):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))
    response = client.post(act_url(dossier, "start"), {"version": dossier.version})
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_citizens_get_403_even_on_their_own_dossier(client, procedure, clerk, citizen):
    dossier = DossierFactory(procedure=procedure, applicant=citizen)
    services.accept(dossier, clerk)
    as_user(client, citizen)
    assert client.get(reverse("dossiers:office_queue")).status_code == 403
    assert client.get(page_url(dossier)).status_code == 403
    assert post(client, dossier, "withdraw", note="Rút").status_code == 403
    assert fresh(dossier).status == Status.RECEIVED


def test_a_specialist_acts_only_on_dossiers_assigned_to_them(
    client, procedure, clerk, leader, specialist, other_specialist
):
    dossier = receive(procedure, clerk)
    services.assign(dossier, leader, specialist=specialist)
    as_user(client, other_specialist)
    assert client.get(page_url(dossier)).status_code == 200  # they see their agency's dossiers
    assert post(client, dossier, "start").status_code == 403
    assert fresh(dossier).status == Status.RECEIVED


def test_a_clerk_cannot_approve(client, procedure, clerk, leader, specialist):
    dossier = receive(procedure, clerk)
    services.assign(dossier, leader, specialist=specialist)
    services.start_processing(dossier, specialist)
    services.record_result(dossier, specialist, number="1/QĐ")
    assert post(as_user(client, clerk), dossier, "approve").status_code == 403
    assert fresh(dossier).approved_at is None


def test_the_receiving_agency_cannot_approve_a_transferred_dossier(
    client, procedure, clerk, leader, specialist, province, province_specialist
):
    dossier = receive(procedure, clerk)
    services.assign(dossier, leader, specialist=specialist)
    services.start_processing(dossier, specialist)
    services.transfer_to_agency(dossier, specialist, agency=province)
    province_leader = UserFactory(
        username="so-lanh-dao", roles=[roles.LEADER], roles__agency=province
    )
    as_user(client, province_leader)
    assert client.get(page_url(dossier)).status_code == 200
    assert post(client, dossier, "approve").status_code == 403
    assert post(client, dossier, "record_result", number="45/STP").status_code == 302
    assert fresh(dossier).result_number == "45/STP"


def test_another_agencys_dossier_page_actions_files_and_slips_answer_404(
    client, settings, procedure, clerk, leader, specialist, province_specialist
):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    dossier = receive(procedure, clerk)
    services.assign(dossier, leader, specialist=specialist)
    services.start_processing(dossier, specialist)
    upload = SimpleUploadedFile("ket-qua.png", png_file().read(), content_type="image/png")
    services.record_result(
        dossier, specialist, number="1/QĐ", upload=upload, info=uploads.check_upload(upload)
    )
    attachment = dossier.attachments.get()
    # Their own agency's staff download it.
    assert (
        as_user(client, specialist)
        .get(reverse("dossiers:attachment", args=[dossier.pk, attachment.pk]))
        .status_code
        == 200
    )
    as_user(client, province_specialist)
    assert client.get(page_url(dossier)).status_code == 404
    assert post(client, dossier, "record_result", number="x").status_code == 404
    assert post(client, dossier, "assign", specialist=province_specialist.pk).status_code == 404
    assert (
        client.get(reverse("dossiers:attachment", args=[dossier.pk, attachment.pk])).status_code
        == 404
    )
    assert client.get(reverse("dossiers:slip", args=[dossier.pk, "01"])).status_code == 404
    assert fresh(dossier).result_number == "1/QĐ"


def test_an_unknown_action_answers_404_and_a_get_405(client, procedure, clerk, leader):
    dossier = receive(procedure, clerk)
    as_user(client, leader)
    assert post(client, dossier, "explode").status_code == 404
    assert post(client, dossier, "accept").status_code == 404  # the counter's, not here
    assert client.get(act_url(dossier, "assign")).status_code == 405


def test_a_post_without_a_version_is_a_bad_request(client, procedure, clerk, leader, specialist):
    dossier = receive(procedure, clerk)
    response = as_user(client, leader).post(
        act_url(dossier, "assign"), {"specialist": specialist.pk}
    )
    assert response.status_code == 400
    assert fresh(dossier).assigned_to is None


def test_the_page_offers_only_the_actions_the_user_may_take(
    client, procedure, clerk, leader, specialist
):
    dossier = receive(procedure, clerk)
    services.assign(dossier, leader, specialist=specialist)
    page = as_user(client, specialist).get(page_url(dossier)).text
    assert 'id="action-start"' in page
    assert 'id="action-assign"' not in page
    assert 'id="action-approve"' not in page
    page = as_user(client, clerk).get(page_url(dossier)).text
    assert 'id="action-assign"' in page
    assert 'id="action-withdraw"' in page
    assert 'id="action-start"' not in page
    # Every action form carries the version the user saw.
    assert f'name="version" value="{fresh(dossier).version}"' in page


# --- The dossier page -------------------------------------------------------------------------


def test_the_dossier_page_shows_papers_files_slips_timeline_and_time_left(
    english, settings, procedure, clerk, leader, specialist
):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    with freeze_time(at(9, 8)) as frozen:
        dossier = receive(procedure, clerk)
        services.assign(dossier, leader, specialist=specialist)
        frozen.move_to(at(9, 9, 15))
        services.request_supplement(
            dossier, specialist, items=["Bản sao giấy chứng sinh"], reason="Thiếu"
        )
        frozen.move_to(at(10, 13, 30))
        page = as_user(english, specialist).get(page_url(dossier)).text
    assert "Nguyễn Thị Hoa" in page
    assert "09:15, 09/06/2025" in page  # the event's time, HH:MM, dd/mm/yyyy
    assert "Ask for supplements" in page
    assert "Bản sao giấy chứng sinh" in page
    assert person_name(specialist) in page
    assert reverse("dossiers:slip", args=[dossier.pk, "01"]) in page
    assert reverse("dossiers:slip", args=[dossier.pk, "02"]) in page
    assert reverse("dossiers:slip", args=[dossier.pk, "03"]) not in page
    assert "Clock stopped" in page


def test_time_left_is_counted_in_working_days_and_hours_on_the_agency_calendar(
    procedure, clerk, leader, specialist
):
    with freeze_time(at(9, 8)):
        dossier = receive(procedure, clerk)  # due Mon 16/06 08:00
    with translation.override("en"):
        # Thu 12/06 14:00: Thu 3h (to 17:00) + Fri 8h + Mon 1h (07:00-08:00) = 1 day 4 hours.
        assert time_left(dossier, at(12, 14))["text"] == "1 day 4 hours of working time left"
        assert time_left(dossier, at(12, 14))["state"] == "ok"
        assert time_left(dossier, at(13, 9))["state"] == "soon"
        # Mon 16/06 10:00: 2 working hours late.
        late = time_left(dossier, at(16, 10))
        assert late["state"] == "overdue"
        assert late["text"] == "overdue by 2 hours of working time"
    with translation.override("vi"):
        # The Vietnamese wording once the translations are merged; the English msgid otherwise.
        assert time_left(dossier, at(12, 14))["text"] in (
            "còn 1 ngày 4 giờ làm việc",
            "1 day 4 hours of working time left",
        )


# --- Queues -----------------------------------------------------------------------------------


def test_queues_hold_what_their_names_say(
    procedure, clerk, leader, specialist, other_specialist, province, province_specialist
):
    with freeze_time(at(2, 8)):
        overdue = receive(procedure, clerk, "Quá Hạn")  # due Mon 09/06 08:00
        services.assign(overdue, leader, specialist=specialist)
    with freeze_time(at(5, 10)):
        due_soon = receive(procedure, clerk, "Sắp Hạn")  # due Thu 12/06 10:00
        services.assign(due_soon, leader, specialist=other_specialist)
    with freeze_time(at(11, 8)):
        receive(procedure, clerk, "Chưa Giao")
        waiting = receive(procedure, clerk, "Chờ Bổ Sung")
        services.assign(waiting, leader, specialist=specialist)
        services.request_supplement(waiting, specialist, items=["Giấy"], reason="Thiếu")
        sent = receive(procedure, clerk, "Liên Thông")
        services.assign(sent, leader, specialist=specialist)
        services.start_processing(sent, specialist)
        services.transfer_to_agency(sent, specialist, agency=province)
        done = receive(procedure, clerk, "Đã Xong")
        services.assign(done, leader, specialist=specialist)
        services.start_processing(done, specialist)
        services.record_result(done, specialist, number="1")
        services.approve(done, leader)
        services.mark_resolved(done, specialist)
    now = at(11, 11)  # Wed 11/06 11:00: one working day later is Thu 12/06 11:00

    def names(user, queue):
        return {d.applicant_name for d in work_queue(user, queue, {}, now=now)}

    assert names(specialist, "mine") == {"Quá Hạn", "Chờ Bổ Sung", "Liên Thông"}
    assert names(leader, "unassigned") == {"Chưa Giao"}
    assert names(leader, "due_soon") == {"Sắp Hạn"}
    assert names(leader, "overdue") == {"Quá Hạn"}
    assert names(leader, "supplement") == {"Chờ Bổ Sung"}
    assert names(leader, "transferred") == {"Liên Thông"}
    assert names(leader, "to_return") == {"Đã Xong"}
    assert len(names(leader, "all")) == 6
    # The receiving agency finds the dossier sent to it under "transferred" and "all" only.
    assert names(province_specialist, "transferred") == {"Liên Thông"}
    assert names(province_specialist, "all") == {"Liên Thông"}
    assert names(province_specialist, "unassigned") == set()
    # The tab counts agree with the lists.
    counts = queue_counts(leader, now)
    assert counts == {queue: len(work_queue(leader, queue, {}, now=now)) for queue in QUEUES}
    rows = {d.applicant_name: d for d in work_queue(leader, "all", {}, now=now)}
    assert rows["Quá Hạn"].is_overdue
    assert not rows["Sắp Hạn"].is_overdue
    assert not rows["Chờ Bổ Sung"].is_overdue  # its clock is stopped


def test_queue_filters_and_search_without_diacritics(english, procedure, clerk, leader, agency):
    other = ProcedureFactory(
        name="Chứng thực bản sao", agency=agency, sector=SectorFactory(code="ct", name="Chứng thực")
    )
    with freeze_time(at(9, 8)):
        hoa = receive(procedure, clerk, "Nguyễn Thị Hoa")
    with freeze_time(at(10, 8)):
        binh = receive(other, clerk, "Trần Văn Bình", channel=Dossier.Channel.COUNTER)
    as_user(english, leader)

    def found(**params):
        response = english.get(reverse("dossiers:office_queue"), {"hang": "all", **params})
        assert response.status_code == 200
        return {d.applicant_name for d in response.context["page"].object_list}

    assert found() == {"Nguyễn Thị Hoa", "Trần Văn Bình"}
    assert found(q="nguyen thi hoa") == {"Nguyễn Thị Hoa"}
    assert found(q="TRAN VAN") == {"Trần Văn Bình"}
    assert found(q=binh.code) == {"Trần Văn Bình"}
    assert found(q=hoa.code[-4:]) >= {"Nguyễn Thị Hoa"}
    assert found(sector=procedure.sector.pk) == {"Nguyễn Thị Hoa"}
    assert found(procedure=other.pk) == {"Trần Văn Bình"}
    assert found(channel="counter") == {"Trần Văn Bình"}
    assert found(received_from="10/06/2025") == {"Trần Văn Bình"}
    assert found(received_to="09/06/2025") == {"Nguyễn Thị Hoa"}
    assert found(received_from="11/06/2025") == set()
    # A wrong value is ignored, never a 500.
    assert found(received_from="31/02/2025", sort="drop table") == {
        "Nguyễn Thị Hoa",
        "Trần Văn Bình",
    }
    response = english.get(reverse("dossiers:office_queue"), {"hang": "all", "sort": "code"})
    codes = [d.code for d in response.context["page"].object_list]
    assert codes == sorted(codes)
    response = english.get(reverse("dossiers:office_queue"), {"hang": "all", "sort": "-received"})
    assert [d.applicant_name for d in response.context["page"].object_list] == [
        "Trần Văn Bình",
        "Nguyễn Thị Hoa",
    ]


def test_each_role_opens_its_own_queue_first(client, procedure, clerk, leader, specialist):
    assert as_user(client, specialist).get(reverse("dossiers:office_queue")).context["queue"] == (
        "mine"
    )
    assert as_user(client, leader).get(reverse("dossiers:office_queue")).context["queue"] == (
        "unassigned"
    )
    assert as_user(client, clerk).get(reverse("dossiers:office_queue")).context["queue"] == (
        "to_return"
    )


def test_staff_see_the_processing_item_in_the_menu_and_citizens_do_not(
    client, clerk, specialist, citizen
):
    queue_url = reverse("dossiers:office_queue")
    intake_url = reverse("dossiers:counter_intake")
    page = as_user(client, clerk).get("/").text
    assert queue_url in page and intake_url in page
    page = as_user(client, specialist).get("/").text
    assert queue_url in page and intake_url not in page
    page = as_user(client, citizen).get("/").text
    assert queue_url not in page and intake_url not in page


# --- A fixed number of queries, whatever the size ---------------------------------------------


def make_dossiers(count, procedure, clerk, leader, specialists):
    for number in range(count):
        dossier = receive(procedure, clerk, f"Người nộp {number}")
        services.assign(dossier, leader, specialist=specialists[number % len(specialists)])


def queries_of(client, url, params=None):
    """The queries of a page computed (not from dossiers.workcache)."""
    client.get(url, params)  # warm the working calendar, cached in the process
    with override_settings(WORK_CACHE_SECONDS=0), CaptureQueriesContext(connection) as context:
        response = client.get(url, params)
    assert response.status_code == 200
    return len(context.captured_queries)


@pytest.mark.parametrize("queue", ["mine", "all", "due_soon", "overdue"])
def test_queue_pages_issue_the_same_queries_for_5_and_60_dossiers(
    client, procedure, clerk, leader, specialist, other_specialist, queue
):
    as_user(client, leader)
    url = reverse("dossiers:office_queue")
    params = {"hang": queue, "q": "nguoi nop"}
    make_dossiers(5, procedure, clerk, leader, [specialist, other_specialist])
    few = queries_of(client, url, params)
    make_dossiers(55, procedure, clerk, leader, [specialist, other_specialist])
    many = queries_of(client, url, params)
    assert few == many
    assert many <= 15


def test_the_leaders_unfiltered_queue_counts_its_dossiers_once_on_every_page(
    english, procedure, clerk, leader
):
    """The tabs' one aggregate gives the list's total too: no second COUNT for the pages."""
    as_user(english, leader)
    url = reverse("dossiers:office_queue")
    for number in range(3):
        receive(procedure, clerk, f"Người nộp {number}")
    few = queries_of(english, url)
    for number in range(3, 30):
        receive(procedure, clerk, f"Người nộp {number}")
    with override_settings(WORK_CACHE_SECONDS=0), CaptureQueriesContext(connection) as context:
        response = english.get(url)
    assert response.context["queue"] == "unassigned"
    assert response.context["page"].paginator.count == 30
    assert "Page 1 of 2" in response.text
    statements = [query["sql"] for query in context.captured_queries]
    assert len(statements) == few
    assert sum("COUNT(" in sql for sql in statements) == 1
    second = english.get(url, {"page": 2})
    assert len(second.context["page"].object_list) == 5
    # Filtered, the list is a part of the tab: it is counted on its own.
    filtered = english.get(url, {"q": "nguoi nop 1"})
    assert filtered.context["page"].paginator.count == 11  # 1 and 10-19


def test_the_dossier_page_issues_the_same_queries_for_a_short_and_a_long_history(
    client, procedure, clerk, leader, specialist, other_specialist
):
    dossier = receive(procedure, clerk)
    services.assign(dossier, leader, specialist=specialist)
    as_user(client, leader)
    few = queries_of(client, page_url(dossier))
    for number in range(30):
        services.assign(dossier, leader, specialist=[other_specialist, specialist][number % 2])
    many = queries_of(client, page_url(dossier))
    assert few == many
    assert many <= 16


def test_the_list_shows_time_left_and_the_overdue_flag_from_the_stored_due(
    english, procedure, clerk, leader
):
    with freeze_time(at(2, 8)):
        receive(procedure, clerk, "Quá Hạn")
    with freeze_time(at(10, 9)):
        page = as_user(english, leader).get(reverse("dossiers:office_queue"), {"hang": "overdue"})
    assert "Quá Hạn" in page.text
    assert "overdue by 1 day 1 hour of working time" in page.text


def test_a_clerk_records_missing_papers_brought_to_the_counter(
    client, procedure, clerk, leader, specialist
):
    dossier = receive(procedure, clerk)
    services.assign(dossier, leader, specialist=specialist)
    services.request_supplement(
        dossier, specialist, items=["Bản sao Giấy khai sinh"], reason="Còn thiếu"
    )
    as_user(client, clerk)
    assert "Giấy tờ bổ sung nhận tại quầy" in client.get(page_url(dossier)).text
    scan = io.BytesIO()
    Image.new("RGB", (20, 20), "white").save(scan, "PNG")
    scan.name = "ban-sao.png"
    scan.seek(0)
    response = post(client, dossier, "supplement", note="1 bản sao Giấy khai sinh", scan=scan)
    assert response.status_code == 302
    dossier = fresh(dossier)
    assert dossier.status == Status.IN_PROGRESS
    event = dossier.events.get(action="supplement")
    assert event.actor == clerk and event.note == "1 bản sao Giấy khai sinh"
    assert dossier.attachments.get().kind == "supplement"
    # A specialist does not take papers at the counter.
    other = receive(procedure, clerk)
    services.assign(other, leader, specialist=specialist)
    services.request_supplement(other, specialist, items=["Tờ khai"], reason="Còn thiếu")
    as_user(client, specialist)
    assert post(client, other, "supplement", note="Tờ khai").status_code == 403
