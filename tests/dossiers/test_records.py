"""Form 04 (apology and new appointment), the applicant's messages about every event they must
know of, Form 05 (the control sheet) and Form 06 (the register, as page, XLSX and PDF).

Histories are played through the services with the clock frozen at real office instants. June
2025 has no public holiday: a dossier received Mon 09/06/2025 08:00 for 3 working days is due
Thu 12/06/2025 08:00; resolved Wed 11/06 it is early, Thu 12/06 16:00 on time, Fri 13/06 late.
PDF text is read back with poppler's pdftotext (skipped when missing, except under CI=true).
"""

import io
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from freezegun import freeze_time

from dossiers import services, tasks
from dossiers.models import DossierEvent, Notification, Slip
from dossiers.printing import records
from myphong import roles
from tests.doubles import poppler
from tests.factories import (
    AgencyFactory,
    DossierFactory,
    ProcedureFactory,
    SectorFactory,
    UserFactory,
)

VN = ZoneInfo("Asia/Ho_Chi_Minh")
ID_NUMBER = "079190000001"  # DossierFactory's applicant_id_number
ADDRESS = "Số 1 đường Trung tâm, ấp Mỹ Hòa, xã Mỹ Phong"


def at(day, hour, minute=0, month=6):
    return datetime(2025, month, day, hour, minute, tzinfo=VN)


RECEIVED = at(9, 8)  # Monday
DUE = at(12, 8)  # Thursday, 3 working days later


# --- Helpers ------------------------------------------------------------------------------------


def pdf_text(content, tmp_path, name="phieu.pdf"):
    """The text of PDF bytes, with every run of spaces and line breaks made one space."""
    assert content[:5] == b"%PDF-"
    path = tmp_path / name
    path.write_bytes(content)
    # -raw: the text in the order it was laid out, so a wrapped table cell reads as one phrase.
    return " ".join(poppler("pdftotext", "-raw", str(path), "-").split())


def pdf_page_size(content, tmp_path):
    path = tmp_path / "size.pdf"
    path.write_bytes(content)
    info = poppler("pdfinfo", str(path))
    line = next(line for line in info.splitlines() if line.startswith("Page size:"))
    width, _x, height = line.split()[2:5]
    return round(float(width)), round(float(height))


@pytest.fixture
def agency(db):
    return AgencyFactory(address=ADDRESS, phone="0236 3812 345")


@pytest.fixture
def neighbour(db):
    return AgencyFactory(code="000.17.23.H56", name="UBND xã Mỹ Hòa")


@pytest.fixture
def procedure(agency):
    return ProcedureFactory(
        name="Đăng ký khai sinh",
        processing_time=Decimal("3"),
        agency=agency,
        sector=SectorFactory(code="ho-tich", name="Hộ tịch"),
    )


@pytest.fixture
def clerk(agency):
    return UserFactory(
        username="tiepnhan",
        first_name="Lan",
        last_name="Trần Thị",
        roles=[roles.CLERK],
        roles__agency=agency,
    )


@pytest.fixture
def leader(agency):
    return UserFactory(
        username="lanhdao",
        first_name="Hùng",
        last_name="Phạm Văn",
        roles=[roles.LEADER],
        roles__agency=agency,
    )


@pytest.fixture
def specialist(agency):
    return UserFactory(
        username="chuyenvien",
        first_name="Minh",
        last_name="Lê Văn",
        roles=[roles.SPECIALIST],
        roles__agency=agency,
    )


@pytest.fixture
def province_specialist(province):
    return UserFactory(
        username="sotuphap",
        first_name="Tâm",
        last_name="Đỗ Thị",
        roles=[roles.SPECIALIST],
        roles__agency=province,
    )


@pytest.fixture
def citizen(db):
    return UserFactory(username="congdan", roles=[roles.CITIZEN])


def receive(procedure, clerk, when=RECEIVED, name="Nguyễn Thị Hoa", **fields):
    dossier = DossierFactory(procedure=procedure, applicant_name=name, **fields)
    with freeze_time(when):
        return services.accept(dossier, clerk)


def assign_and_start(dossier, leader, specialist, when):
    with freeze_time(when):
        dossier = services.assign(dossier, leader, specialist=specialist)
        return services.start_processing(dossier, specialist)


def resolve(dossier, leader, specialist, when):
    """Record the result, have it approved and mark it resolved, all at `when`."""
    with freeze_time(when):
        dossier = services.record_result(dossier, specialist, number="12/GKS", summary="Cấp GKS")
        dossier = services.send_for_approval(dossier, specialist)
        dossier = services.approve(dossier, leader)
        return services.mark_resolved(dossier, specialist)


def processed(procedure, clerk, leader, specialist, resolved_at, received=RECEIVED, **fields):
    dossier = receive(procedure, clerk, received, **fields)
    dossier = assign_and_start(dossier, leader, specialist, received + timedelta(hours=1))
    return resolve(dossier, leader, specialist, resolved_at)


def last_event(dossier, action):
    return DossierEvent.objects.filter(dossier=dossier, action=action).latest("at", "id")


def as_user(client, user):
    client.force_login(user)
    return client


# --- Form 04 --------------------------------------------------------------------------------------


APOLOGISED = at(10, 10)  # Tuesday: more than a working day before the due
NEW_DUE = at(16, 10)


def reschedule(dossier, specialist, capture):
    with freeze_time(APOLOGISED), capture(execute=True):
        dossier = services.reschedule(
            dossier,
            specialist,
            new_due=NEW_DUE,
            reason="Chờ kết quả xác minh của Công an xã Mỹ Phong",
        )
    return dossier, last_event(dossier, "reschedule")


def test_form_04_prints_the_reason_the_original_and_the_new_appointment(
    procedure, clerk, leader, specialist, tmp_path, mailoutbox, django_capture_on_commit_callbacks
):
    dossier = receive(procedure, clerk)
    dossier = assign_and_start(dossier, leader, specialist, at(9, 9))
    dossier, event = reschedule(dossier, specialist, django_capture_on_commit_callbacks)
    assert (dossier.due_before_apology, dossier.due_at) == (DUE, at(16, 10))

    # The follow-up rendered and stored it, once, for this event.
    slip = Slip.objects.get(dossier=dossier, form="04")
    assert slip.event == event
    text = pdf_text(slip.file.read(), tmp_path)

    assert "UBND XÃ MỸ PHONG" in text
    assert "Mỹ Phong, ngày 10 tháng 06 năm 2025" in text
    assert "VĂN BẢN XIN LỖI VÀ ĐỀ NGHỊ GIA HẠN THỜI GIAN GIẢI QUYẾT" in text
    assert "Số: 1/2025" in text
    assert "TRUNG TÂM PHỤC VỤ" not in text  # issued by the competent body, not the centre
    assert f"Mã hồ sơ: {dossier.code}" in text
    assert "tiếp nhận hồ sơ của Ông/Bà: Nguyễn Thị Hoa" in text
    assert "Nội dung yêu cầu giải quyết: Đăng ký khai sinh" in text
    assert "Thời gian nhận hồ sơ: 08 giờ 00 phút, ngày 09/06/2025" in text
    assert "Thời gian hẹn trả kết quả: 08 giờ 00 phút, ngày 12/06/2025" in text
    assert "Lý do: Chờ kết quả xác minh của Công an xã Mỹ Phong" in text
    assert "thành thật xin lỗi Ông/Bà" in text
    new_due = "hẹn lại thời gian trả kết quả giải quyết hồ sơ vào: 10 giờ 00 phút, ngày 16/06/2025"
    assert new_due in text
    assert "Lê Văn Minh" in text  # who drew it up
    assert ID_NUMBER not in text


def test_form_04_is_served_with_the_other_slips_and_listed_on_the_dossier_page(
    client, procedure, clerk, leader, specialist, django_capture_on_commit_callbacks
):
    dossier = receive(procedure, clerk)
    dossier = assign_and_start(dossier, leader, specialist, at(9, 9))
    as_user(client, leader)
    assert client.get(reverse("dossiers:slip", args=[dossier.pk, "04"])).status_code == 404

    reschedule(dossier, specialist, django_capture_on_commit_callbacks)

    response = client.get(reverse("dossiers:slip", args=[dossier.pk, "04"]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content)[:5] == b"%PDF-"
    page = client.get(reverse("dossiers:office_dossier", args=[dossier.pk])).text
    assert reverse("dossiers:slip", args=[dossier.pk, "04"]) in page


# --- Messages to the applicant ------------------------------------------------------------------


def _reschedule(dossier, people, capture):
    dossier = assign_and_start(dossier, people["leader"], people["specialist"], at(9, 9))
    return reschedule(dossier, people["specialist"], capture)[1]


def _due_moved(dossier, people, capture):
    with freeze_time(at(10, 9)), capture(execute=True), transaction.atomic():
        services.record_due_moved([(dossier.pk, DUE, at(13, 8))], "Nghỉ bù")
    return last_event(dossier, "due_moved")


def _payment(dossier, people, capture):
    dossier = assign_and_start(dossier, people["leader"], people["specialist"], at(9, 9))
    with freeze_time(at(10, 9)), capture(execute=True):
        services.request_payment(
            dossier, people["specialist"], amount=8000, note="Lệ phí khai sinh"
        )
    return last_event(dossier, "request_payment")


def _resolved(dossier, people, capture):
    dossier = assign_and_start(dossier, people["leader"], people["specialist"], at(9, 9))
    with capture(execute=True):
        resolve(dossier, people["leader"], people["specialist"], at(11, 10))
    return last_event(dossier, "resolve")


def _transferred(dossier, people, capture):
    dossier = assign_and_start(dossier, people["leader"], people["specialist"], at(9, 9))
    with freeze_time(at(10, 9)), capture(execute=True):
        services.transfer_to_agency(dossier, people["specialist"], agency=people["province"])
    return last_event(dossier, "transfer")


def _stopped(dossier, people, capture):
    dossier = assign_and_start(dossier, people["leader"], people["specialist"], at(9, 9))
    with freeze_time(at(10, 9)), capture(execute=True):
        services.stop_processing(
            dossier, people["leader"], reason="Người yêu cầu không còn cư trú tại xã"
        )
    return last_event(dossier, "stop")


def _withdrawn(dossier, people, capture):
    with freeze_time(at(10, 9)), capture(execute=True):
        services.withdraw(dossier, people["clerk"], reason="Công dân có đơn xin rút")
    return last_event(dossier, "withdraw")


# kind, how to get there, what the email must say, what the text message must say
MESSAGES = [
    (
        "rescheduled",
        _reschedule,
        [
            "thành thật xin lỗi",
            "Thời gian hẹn trả kết quả trước đây: 08:00 ngày 12/06/2025",
            "Lý do: Chờ kết quả xác minh của Công an xã Mỹ Phong",
            "Thời gian hẹn trả kết quả mới: 10:00 ngày 16/06/2025",
        ],
        ["xin lỗi", "10:00 ngày 16/06/2025"],
    ),
    (
        "due_moved",
        _due_moved,
        [
            "Thời gian hẹn trả kết quả trước đây: 08:00 ngày 12/06/2025",
            "Thời gian hẹn trả kết quả mới: 08:00 ngày 13/06/2025",
        ],
        ["08:00 ngày 12/06/2025", "08:00 ngày 13/06/2025"],
    ),
    (
        "payment_requested",
        _payment,
        [
            "Số tiền phải nộp: 8.000 đ",
            f"nộp trực tiếp tại {ADDRESS}",
            "07:00–11:30 và 13:30–17:00, từ thứ Hai đến thứ Sáu",
        ],
        ["8.000 đ"],
    ),
    (
        "resolved",
        _resolved,
        [
            "đã có kết quả",
            f"Mời Ông/Bà đến nhận kết quả tại: {ADDRESS}",
            "Giờ làm việc: 07:00–11:30 và 13:30–17:00, từ thứ Hai đến thứ Sáu",
        ],
        ["đã có kết quả", ADDRESS],
    ),
    (
        "transferred",
        _transferred,
        [
            "Cơ quan đang giải quyết: Sở Tư pháp tỉnh",
            "Thời gian hẹn trả kết quả không thay đổi: 08:00 ngày 12/06/2025",
        ],
        ["Sở Tư pháp tỉnh", "08:00 ngày 12/06/2025"],
    ),
    (
        "stopped",
        _stopped,
        ["dừng giải quyết", "Lý do dừng giải quyết: Người yêu cầu không còn cư trú tại xã"],
        ["dừng giải quyết", "Mẫu 05", "Người yêu cầu không còn cư trú"],
    ),
    (
        "withdrawn",
        _withdrawn,
        ["xác nhận đã rút hồ sơ", "Ghi chú: Công dân có đơn xin rút"],
        ["đã rút hồ sơ"],
    ),
]


@pytest.mark.parametrize(
    ("kind", "happen", "email_says", "sms_says"), MESSAGES, ids=[m[0] for m in MESSAGES]
)
def test_the_applicant_is_told_once_in_vietnamese(
    kind,
    happen,
    email_says,
    sms_says,
    procedure,
    clerk,
    leader,
    specialist,
    province,
    mailoutbox,
    sms,
    django_capture_on_commit_callbacks,
):
    dossier = receive(procedure, clerk)
    people = {"clerk": clerk, "leader": leader, "specialist": specialist, "province": province}
    event = happen(dossier, people, django_capture_on_commit_callbacks)

    assert len(mailoutbox) == 1
    email = mailoutbox[0]
    assert email.to == ["hoa@example.invalid"]
    assert dossier.code in email.subject
    assert "Kính gửi Ông/Bà Nguyễn Thị Hoa" in email.body
    assert f"Mã hồ sơ: {dossier.code}" in email.body
    for words in email_says:
        assert words in email.body
    assert len(sms) == 1
    phone, text = sms[0]
    assert phone == "0912345678"
    assert dossier.code in text
    for words in sms_says:
        assert words in text
    for message in (email.subject, email.body, text):
        assert ID_NUMBER not in message
        assert dossier.lookup_key not in message

    # Once: a retried task sends nothing more, and the catch-up does not see it as undone.
    tasks.follow_up(kind, dossier.pk, event.pk)
    tasks.run_follow_up(kind, event)
    assert len(mailoutbox) == 1 and len(sms) == 1
    with freeze_time(event.at + timedelta(minutes=10)):
        undone = tasks.events_missing_follow_up(event.at - timedelta(days=1))
        assert event not in undone
    assert Notification.objects.filter(event=event, sent_at__isnull=False).count() == 2


@pytest.mark.parametrize("kind", ["assigned", "approval_requested", "supplemented"])
def test_kinds_the_applicant_need_not_hear_of_send_nothing(
    kind, procedure, clerk, leader, specialist, mailoutbox, sms, monkeypatch
):
    dossier = receive(procedure, clerk)
    services.assign(dossier, leader, specialist=specialist)
    event = last_event(dossier, "assign")
    monkeypatch.setattr(
        tasks.process_event, "apply_async", lambda *a, **k: pytest.fail("nothing to do")
    )

    tasks.follow_up(kind, dossier.pk, event.pk)

    assert mailoutbox == [] and sms == []
    assert not Notification.objects.exists()


def test_an_assignment_and_a_request_for_approval_send_nothing(
    procedure, clerk, leader, specialist, mailoutbox, sms, django_capture_on_commit_callbacks
):
    dossier = receive(procedure, clerk)
    with django_capture_on_commit_callbacks(execute=True):
        dossier = assign_and_start(dossier, leader, specialist, at(9, 9))
        with freeze_time(at(9, 10)):
            dossier = services.record_result(dossier, specialist, number="12/GKS")
            services.send_for_approval(dossier, specialist)
    assert mailoutbox == [] and sms == []


# --- Form 05 --------------------------------------------------------------------------------------


@pytest.fixture
def travelled(procedure, clerk, leader, specialist, province, province_specialist):
    """Received online, assigned, transferred to the province and back, signed, resolved late
    and returned."""
    dossier = receive(procedure, clerk)
    dossier = assign_and_start(dossier, leader, specialist, at(9, 9))
    with freeze_time(at(10, 9)):
        dossier = services.transfer_to_agency(dossier, specialist, agency=province, note="Xác minh")
    with freeze_time(at(11, 9)):
        dossier = services.take_back(dossier, province_specialist, note="Đã xác minh")
    with freeze_time(at(11, 10, 30)):
        dossier = services.record_result(dossier, specialist, number="12/GKS")
        dossier = services.send_for_approval(dossier, specialist)
    with freeze_time(at(12, 14)):
        dossier = services.approve(dossier, leader)
    with freeze_time(at(13, 9)):
        dossier = services.mark_resolved(dossier, specialist)
    with freeze_time(at(13, 10)):
        return services.mark_returned(
            dossier, clerk, collected_by="Nguyễn Văn An", method="counter"
        )


EXPECTED_STEPS = [
    # step, agency, when, giver, receiver, result
    (
        "Tiếp nhận hồ sơ (nộp trực tuyến)",
        "UBND xã Mỹ Phong",
        "08:00, 09/06/2025",
        "Nguyễn Thị Hoa",
        "Trần Thị Lan",
        "",
    ),
    (
        "Phân công xử lý",
        "UBND xã Mỹ Phong",
        "09:00, 09/06/2025",
        "Phạm Văn Hùng",
        "Lê Văn Minh",
        "",
    ),
    (
        "Chuyển liên thông",
        "Sở Tư pháp tỉnh",
        "09:00, 10/06/2025",
        "Lê Văn Minh",
        "Sở Tư pháp tỉnh",
        "",
    ),
    (
        "Nhận lại hồ sơ liên thông",
        "UBND xã Mỹ Phong",
        "09:00, 11/06/2025",
        "Sở Tư pháp tỉnh",
        "UBND xã Mỹ Phong",
        "",
    ),
    (
        "Trình lãnh đạo ký duyệt",
        "UBND xã Mỹ Phong",
        "10:30, 11/06/2025",
        "Lê Văn Minh",
        "Phạm Văn Hùng",
        "",
    ),
    (
        "Lãnh đạo ký duyệt",
        "UBND xã Mỹ Phong",
        "14:00, 12/06/2025",
        "Phạm Văn Hùng",
        "Lê Văn Minh",
        "",
    ),
    (
        "Có kết quả, chuyển trả",
        "UBND xã Mỹ Phong",
        "09:00, 13/06/2025",
        "Lê Văn Minh",
        "Trung tâm Phục vụ hành chính công xã Mỹ Phong",
        "Quá hạn",
    ),
    (
        "Trả kết quả",
        "UBND xã Mỹ Phong",
        "10:00, 13/06/2025",
        "Trần Thị Lan",
        "Nguyễn Văn An",
        "",
    ),
]


def test_form_06_lists_every_hand_over_in_order_with_the_overall_result(travelled):
    events = travelled.events.order_by("at", "id")
    rows = records.hand_overs(travelled, events)
    assert [
        (row.step, row.agency, row.when, row.giver, row.receiver, row.result) for row in rows
    ] == EXPECTED_STEPS
    assert rows[2].note == "Xác minh"
    assert rows[3].note == "Người thực hiện: Đỗ Thị Tâm. Đã xác minh"


def test_form_06_pdf_is_always_up_to_date_and_for_staff_who_see_the_dossier(
    client, travelled, leader, clerk, citizen, neighbour, tmp_path
):
    url = reverse("dossiers:control_sheet", args=[travelled.pk])
    assert url == f"/xu-ly/ho-so/{travelled.pk}/mau-06/"

    with freeze_time(at(13, 11)):
        response = as_user(client, leader).get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Cache-Control"] == "private, no-store"
    text = pdf_text(response.content, tmp_path)
    assert "PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ" in text
    assert f"Mã hồ sơ: {travelled.code}" in text
    assert "Cơ quan phối hợp giải quyết hồ sơ: Sở Tư pháp tỉnh" in text
    assert "hẹn trả kết quả: 08:00, 12/06/2025" in text
    # Each step in the history's order, with its result.
    positions = [text.index(step) for step, *_rest in EXPECTED_STEPS]
    assert positions == sorted(positions)
    for _step, _agency, when, *_rest in EXPECTED_STEPS:
        assert when in text
    # No step has a time of its own in the catalogue: only the overall result is given.
    assert text.count("Trước hạn") == 0
    assert text.count("Đúng hạn") == 0
    assert text.count("Quá hạn") == 1
    assert "Bên giao" in text and "Bên nhận" in text  # a signature cell for each party
    assert not Slip.objects.filter(form="06").exists()  # rendered on request, never stored

    # The dossier page links to it.
    with freeze_time(at(13, 11)):
        page = client.get(reverse("dossiers:office_dossier", args=[travelled.pk])).text
    assert url in page

    assert as_user(client, clerk).get(url).status_code == 200
    other = UserFactory(username="xa-ben", roles=[roles.LEADER], roles__agency=neighbour)
    assert as_user(client, other).get(url).status_code == 404
    assert as_user(client, citizen).get(url).status_code == 403
    client.logout()
    response = client.get(url)
    assert response.status_code == 302 and reverse("login") in response.url


def test_form_06_of_a_dossier_not_yet_received_answers_404(client, procedure, leader):
    dossier = DossierFactory(procedure=procedure)
    url = reverse("dossiers:control_sheet", args=[dossier.pk])
    assert as_user(client, leader).get(url).status_code == 404


def test_form_06_judges_steps_against_the_due_promised_before_form_04(
    procedure, clerk, leader, specialist, django_capture_on_commit_callbacks
):
    dossier = receive(procedure, clerk)
    dossier = assign_and_start(dossier, leader, specialist, at(9, 9))
    dossier, _event = reschedule(dossier, specialist, django_capture_on_commit_callbacks)
    dossier = resolve(dossier, leader, specialist, at(13, 9))  # before the new due, after the old
    rows = records.hand_overs(dossier, dossier.events.order_by("at", "id"))
    apology = next(row for row in rows if row.action == "reschedule")
    assert apology.note.startswith("Hẹn mới: 10:00, 16/06/2025")
    assert rows[-1].result == "Quá hạn"


# --- Form 06 --------------------------------------------------------------------------------------


REGISTER = "/xu-ly/so-theo-doi/"
JUNE = {"received_from": "01/06/2025", "received_to": "30/06/2025"}
NOW = at(20, 9)  # when the register is asked for


@pytest.fixture
def june(agency, procedure, clerk, leader, specialist, province, neighbour):
    """Our agency's June: early, on time, late (returned), overdue, transferred and on time; plus
    what the register must leave out."""
    early = processed(procedure, clerk, leader, specialist, at(11, 10), name="Trước Hạn")
    on_time = processed(procedure, clerk, leader, specialist, at(12, 16), name="Đúng Hạn")
    late = processed(procedure, clerk, leader, specialist, at(13, 9), name="Trễ Hạn")
    with freeze_time(at(13, 10)):
        late = services.mark_returned(late, clerk, collected_by="Nguyễn Văn An", method="counter")
    overdue = receive(procedure, clerk, at(10, 14), name="Quá Hạn", channel="counter")
    transferred = receive(procedure, clerk, at(18, 9), name="Liên Thông")  # due Mon 23/06
    transferred = assign_and_start(transferred, leader, specialist, at(18, 10))
    with freeze_time(at(19, 9)):
        transferred = services.transfer_to_agency(transferred, specialist, agency=province)
    # Received on 31/05 and on 01/07: outside June.
    receive(procedure, clerk, at(30, 9, month=5), name="Tháng Năm")
    receive(procedure, clerk, at(1, 9, month=7), name="Tháng Bảy")
    # The neighbouring commune's dossier, even one transferred to us, is in its own register.
    theirs = ProcedureFactory(name="Chứng thực bản sao", agency=neighbour)
    their_clerk = UserFactory(username="xa-ben", roles=[roles.CLERK], roles__agency=neighbour)
    their_leader = UserFactory(username="xa-ben-ld", roles=[roles.LEADER], roles__agency=neighbour)
    their_specialist = UserFactory(
        username="xa-ben-cv", roles=[roles.SPECIALIST], roles__agency=neighbour
    )
    sent_to_us = receive(theirs, their_clerk, at(11, 9), name="Xã Bên")
    sent_to_us = assign_and_start(sent_to_us, their_leader, their_specialist, at(11, 10))
    with freeze_time(at(11, 11)):
        services.transfer_to_agency(sent_to_us, their_specialist, agency=agency)
    return {
        "early": early,
        "on_time": on_time,
        "late": late,
        "overdue": overdue,
        "transferred": transferred,
    }


def register_xlsx(client, params=JUNE):
    with freeze_time(NOW):
        response = client.get(REGISTER, {**params, "tai": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert 'filename="so-theo-doi-ho-so-20250601-20250630.xlsx"' in response["Content-Disposition"]
    return openpyxl.load_workbook(io.BytesIO(response.content)).active


def naive(instant):
    return instant.astimezone(VN).replace(tzinfo=None)


def test_the_register_xlsx_has_one_row_per_dossier_received_in_the_period(client, june, leader):
    sheet = register_xlsx(as_user(client, leader))

    assert sheet["A1"].value == "SỔ THEO DÕI HỒ SƠ"
    assert sheet["A1"].font.b
    assert sheet["A2"].value == "UBND xã Mỹ Phong"
    assert sheet["A3"].value == "Từ ngày 01/06/2025 đến ngày 30/06/2025"
    headers = [cell.value for cell in sheet[5]]
    assert headers[:4] == ["STT", "Mã hồ sơ", "Tên thủ tục hành chính", "Người nộp hồ sơ"]
    assert "Ngày, giờ hẹn trả kết quả" in headers and "Trạng thái, kết quả" in headers
    assert [cell.value for cell in sheet[6]][3:5] == ["Họ và tên", "Số điện thoại"]
    assert all(cell.font.b for cell in [*sheet[5], *sheet[6]] if cell.value)
    assert sheet["B5"].alignment.wrap_text
    assert sheet.freeze_panes == "A7"
    assert sheet.print_title_rows == "$5:$6"
    assert sheet.page_setup.orientation == "landscape"
    assert int(sheet.page_setup.paperSize) == int(sheet.PAPERSIZE_A4)
    assert sheet.column_dimensions["C"].width >= 20

    rows = [[cell.value for cell in row] for row in sheet.iter_rows(min_row=7)]
    by_name = {row[3]: row for row in rows}
    assert [row[0] for row in rows] == [1, 2, 3, 4, 5]
    assert list(by_name) == ["Trước Hạn", "Đúng Hạn", "Trễ Hạn", "Quá Hạn", "Liên Thông"]
    assert by_name["Trước Hạn"][10] == "Trước hạn"
    assert by_name["Đúng Hạn"][10] == "Đúng hạn"
    assert by_name["Trễ Hạn"][10] == "Trễ hạn"
    assert by_name["Quá Hạn"][10] == "Đang giải quyết (quá hạn)"
    assert by_name["Liên Thông"][10] == "Đang giải quyết"

    late = june["late"]
    row = by_name["Trễ Hạn"]
    assert row[1] == late.code
    assert row[2] == "Đăng ký khai sinh"
    assert row[4] == "0912345678"
    assert row[5] == naive(RECEIVED) == datetime(2025, 6, 9, 8, 0)
    assert row[6] == datetime(2025, 6, 12, 8, 0)
    assert row[9] == datetime(2025, 6, 13, 9, 0)
    assert row[11] == datetime(2025, 6, 13, 10, 0)
    assert row[12] == "Nguyễn Văn An"
    assert row[13] is None  # signed on paper
    date_cell = sheet.cell(row=7 + rows.index(row), column=6)
    assert date_cell.is_date and date_cell.number_format == "dd/mm/yyyy hh:mm"
    transferred = by_name["Liên Thông"]
    assert transferred[7] == "Sở Tư pháp tỉnh"
    assert transferred[8] == datetime(2025, 6, 19, 9, 0)
    assert by_name["Quá Hạn"][7] is None


def test_the_register_judges_against_the_due_promised_before_form_04(
    client, procedure, clerk, leader, specialist, django_capture_on_commit_callbacks
):
    dossier = receive(procedure, clerk, name="Hẹn Lại")
    dossier = assign_and_start(dossier, leader, specialist, at(9, 9))
    reschedule(dossier, specialist, django_capture_on_commit_callbacks)
    resolve(dossier, leader, specialist, at(13, 9))
    sheet = register_xlsx(as_user(client, leader))
    (row,) = sheet.iter_rows(min_row=7, values_only=True)
    assert row[6] == datetime(2025, 6, 12, 8, 0)
    assert row[10] == "Trễ hạn"


def test_the_register_pdf_is_a4_landscape_with_the_rows(client, june, leader, tmp_path):
    with freeze_time(NOW):
        response = as_user(client, leader).get(REGISTER, {**JUNE, "tai": "pdf"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert pdf_page_size(response.content, tmp_path) == (842, 595)
    text = pdf_text(response.content, tmp_path)
    assert "SỔ THEO DÕI HỒ SƠ" in text
    assert "Từ ngày 01/06/2025 đến ngày 30/06/2025" in text
    for dossier in june.values():
        assert f"{dossier.code} Đăng ký khai sinh {dossier.applicant_name} 0912345678" in text
    for words in ("Trước hạn", "Đúng hạn", "Trễ hạn", "Đang giải quyết (quá hạn)"):
        assert words in text
    assert "Sở Tư pháp tỉnh" in text
    assert "Xã Bên" not in text and "Tháng Năm" not in text and "Tháng Bảy" not in text


def test_the_register_page_shows_this_month_by_default_and_links_from_the_queue(
    client, june, clerk
):
    as_user(client, clerk)
    client.cookies["ngon_ngu"] = "en"
    queue = client.get(reverse("dossiers:office_queue")).text
    assert reverse("dossiers:register_book") in queue
    with freeze_time(NOW):
        response = client.get(REGISTER)
    assert response.status_code == 200
    page = response.text
    assert 'value="01/06/2025"' in page and 'value="30/06/2025"' in page
    assert "Download XLSX" in page and "Download PDF" in page
    for dossier in june.values():
        assert dossier.code in page
    assert "In progress (overdue)" in page and "Late" in page
    assert "Xã Bên" not in page and "Tháng Bảy" not in page


def test_a_wrong_period_is_explained_and_nothing_is_listed(client, june, leader):
    client.cookies["ngon_ngu"] = "en"
    as_user(client, leader)
    response = client.get(REGISTER, {"received_from": "30/06/2025", "received_to": "01/06/2025"})
    assert response.status_code == 200
    assert "The first day must not be after the last day." in response.text
    assert june["early"].code not in response.text
    response = client.get(REGISTER, {"received_from": "31/02/2025", "received_to": "01/06/2025"})
    assert "Enter a valid date." in response.text
    response = client.get(
        REGISTER, {"received_from": "01/01/2024", "received_to": "30/06/2025", "tai": "xlsx"}
    )
    assert response["Content-Type"].startswith("text/html")
    assert "Choose a period of at most one year." in response.text


def test_the_register_is_for_staff_only(client, june, citizen):
    response = client.get(REGISTER)
    assert response.status_code == 302 and reverse("login") in response.url
    assert as_user(client, citizen).get(REGISTER).status_code == 403
    assert client.get(REGISTER, {**JUNE, "tai": "xlsx"}).status_code == 403


def test_another_agency_sees_only_its_own_register(client, june, neighbour):
    their_leader = UserFactory(username="xa-ben-ld", roles=[roles.LEADER], roles__agency=neighbour)
    sheet = register_xlsx(as_user(client, their_leader))
    names = [row[3] for row in sheet.iter_rows(min_row=7, values_only=True)]
    assert names == ["Xã Bên"]
    assert sheet["A2"].value == "UBND xã Mỹ Hòa"


def make_dossiers(count, procedure, clerk, leader, specialist, province):
    """`count` June dossiers; every fifth transferred, every third resolved."""
    for number in range(count):
        received = at(2 + number % 20, 8 + number % 8)
        dossier = receive(procedure, clerk, received, name=f"Người nộp {number}")
        if number % 5 == 0 or number % 3 == 0:
            dossier = assign_and_start(dossier, leader, specialist, received + timedelta(hours=1))
        if number % 5 == 0:
            with freeze_time(received + timedelta(hours=2)):
                services.transfer_to_agency(dossier, specialist, agency=province)
        elif number % 3 == 0:
            resolve(dossier, leader, specialist, received + timedelta(days=1))


def queries_of(client, params):
    with freeze_time(NOW):
        client.get(REGISTER, params)  # warm what is cached in the process
        with CaptureQueriesContext(connection) as context:
            response = client.get(REGISTER, params)
    assert response.status_code == 200
    return len(context.captured_queries)


@pytest.mark.parametrize("download", [None, "xlsx", "pdf"])
def test_the_register_issues_the_same_queries_for_3_and_40_dossiers(
    client, procedure, clerk, leader, specialist, province, download
):
    as_user(client, leader)
    params = {**JUNE, **({"tai": download} if download else {})}
    make_dossiers(3, procedure, clerk, leader, specialist, province)
    few = queries_of(client, params)
    make_dossiers(37, procedure, clerk, leader, specialist, province)
    many = queries_of(client, params)
    assert few == many
    assert many <= 8


def test_the_register_preview_is_paginated(client, procedure, clerk, leader, specialist, province):
    make_dossiers(55, procedure, clerk, leader, specialist, province)
    as_user(client, leader)
    with freeze_time(NOW):
        first = client.get(REGISTER, JUNE).text
        second = client.get(REGISTER, {**JUNE, "page": 2}).text
    assert first.count('<th scope="row"') == 50
    assert second.count('<th scope="row"') == 5
    assert "received_from=01%2F06%2F2025&amp;received_to=30%2F06%2F2025&amp;page=2" in first


def test_the_current_month_runs_from_its_first_to_its_last_day():
    assert records.current_month(date(2025, 2, 14)) == (date(2025, 2, 1), date(2025, 2, 28))
    assert records.current_month(date(2024, 12, 31)) == (date(2024, 12, 1), date(2024, 12, 31))


def test_the_old_address_of_the_control_sheet_leads_to_form_06(client, travelled, leader):
    old = f"/xu-ly/ho-so/{travelled.pk}/mau-05/"
    response = as_user(client, leader).get(old)
    assert response.status_code == 301
    assert response.url == reverse("dossiers:control_sheet", args=[travelled.pk])
