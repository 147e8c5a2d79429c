"""Back-office services: every transition of a dossier after reception, and every refusal."""

import io
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from freezegun import freeze_time
from PIL import Image

from dossiers import services, uploads
from dossiers.models import Attachment, Dossier
from dossiers.selectors import visible_dossiers
from dossiers.workflow import Status
from tests.factories import DossierFactory, ProcedureFactory

VN = ZoneInfo("Asia/Ho_Chi_Minh")
# Mon 09/06/2025 08:00: no public holiday in June 2025, so working days are Monday–Friday.
MONDAY_8H = datetime(2025, 6, 9, 8, 0, tzinfo=VN)


def at(day, hour, minute=0, month=6, year=2025):
    return datetime(year, month, day, hour, minute, tzinfo=VN)


@pytest.fixture
def procedure(agency):
    return ProcedureFactory(name="Đăng ký khai sinh", processing_time=Decimal("5"), agency=agency)


def receive(procedure, clerk, when=MONDAY_8H):
    """A dossier received at `when`: 5 working days from Mon 09/06 08:00 → Mon 16/06 08:00."""
    dossier = DossierFactory(procedure=procedure)
    with freeze_time(when):
        return services.accept(dossier, clerk)


def in_progress(procedure, clerk, leader, specialist, when=MONDAY_8H):
    dossier = receive(procedure, clerk, when)
    with freeze_time(when):
        services.assign(dossier, leader, specialist=specialist)
        return services.start_processing(dossier, specialist)


def fresh(dossier):
    return Dossier.objects.get(pk=dossier.pk)


def png_upload(name="ket-qua.png"):
    buffer = io.BytesIO()
    Image.new("RGB", (40, 40), "white").save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def approved(dossier, specialist, leader):
    services.record_result(dossier, specialist, number="123/QĐ-UBND", date=date(2025, 6, 12))
    services.send_for_approval(dossier, specialist)
    return services.approve(dossier, leader)


# --- Assignment -------------------------------------------------------------------------------


def test_leader_assigns_and_reassigns_and_the_history_says_from_whom_to_whom(
    procedure, clerk, leader, specialist, other_specialist
):
    dossier = receive(procedure, clerk)
    services.assign(dossier, leader, specialist=specialist)
    services.assign(dossier, clerk, specialist=other_specialist, note="Chuyên viên Minh nghỉ phép")
    dossier = fresh(dossier)
    assert dossier.assigned_to == other_specialist
    assert dossier.status == Status.RECEIVED
    last = dossier.events.filter(action="assign").last()
    assert last.data["from_id"] == specialist.pk
    assert last.data["to_id"] == other_specialist.pk
    assert last.note == "Chuyên viên Minh nghỉ phép"


def test_assigning_a_specialist_of_another_agency_is_refused(
    procedure, clerk, leader, province_specialist
):
    dossier = receive(procedure, clerk)
    with pytest.raises(services.ActionRefused):
        services.assign(dossier, leader, specialist=province_specialist)
    assert fresh(dossier).assigned_to is None


def test_a_specialist_cannot_assign(procedure, clerk, specialist, other_specialist):
    dossier = receive(procedure, clerk)
    with pytest.raises(services.ActionRefused):
        services.assign(dossier, specialist, specialist=other_specialist)


# --- Processing -------------------------------------------------------------------------------


def test_only_the_assigned_specialist_starts_processing(
    procedure, clerk, leader, specialist, other_specialist
):
    dossier = receive(procedure, clerk)
    services.assign(dossier, leader, specialist=specialist)
    with pytest.raises(services.ActionRefused):
        services.start_processing(dossier, other_specialist)
    assert fresh(dossier).status == Status.RECEIVED
    services.start_processing(dossier, specialist)
    assert fresh(dossier).status == Status.IN_PROGRESS


def test_specialist_asks_for_supplements_within_three_working_days_and_the_clock_stops(
    procedure, clerk, leader, specialist
):
    dossier = in_progress(procedure, clerk, leader, specialist)
    # Thu 12/06 07:30 is 2 working days 7.5 hours after the receipt: still in time.
    with freeze_time(at(12, 7, 30)):
        services.request_supplement(
            dossier, specialist, items=["Bản sao giấy chứng sinh"], reason="Thiếu"
        )
    dossier = fresh(dossier)
    assert dossier.status == Status.AWAITING_SUPPLEMENT
    assert dossier.supplement_requested
    event = dossier.events.get(action="request_supplement")
    assert event.data["items"] == ["Bản sao giấy chứng sinh"]
    assert (event.data["form_number"], event.data["form_year"]) == (1, 2025)  # Form 02's "Số"


def test_supplements_after_three_working_days_are_refused(procedure, clerk, leader, specialist):
    dossier = in_progress(procedure, clerk, leader, specialist)
    # Thu 12/06 08:01 is past 3 working days from Mon 09/06 08:00.
    with freeze_time(at(12, 8, 1)), pytest.raises(services.ActionRefused):
        services.request_supplement(dossier, specialist, items=["Bản sao"], reason="Thiếu")
    assert fresh(dossier).status == Status.IN_PROGRESS


def test_payment_pauses_the_clock_and_the_due_moves_by_the_working_time_waited(
    procedure, clerk, leader, specialist
):
    # Received Mon 09/06 08:00 with 5 working days: due Mon 16/06 08:00.
    # Fee asked Tue 10/06 08:00: 4 working days are left (Tue, Wed, Thu, Fri → Mon 08:00).
    # Paid Thu 12/06 08:00: the 4 days count again from then → Thu, Fri, Mon, Tue → Wed 18/06
    # 08:00, two working days later than promised: exactly the Tue 08:00 – Thu 08:00 wait.
    dossier = in_progress(procedure, clerk, leader, specialist)
    assert fresh(dossier).due_at == at(16, 8)
    with freeze_time(at(10, 8)):
        services.request_payment(dossier, specialist, amount=50_000)
    dossier = fresh(dossier)
    assert dossier.status == Status.AWAITING_PAYMENT
    assert dossier.clock_paused_at == at(10, 8)
    assert dossier.events.get(action="request_payment").data == {"amount": 50_000}
    with freeze_time(at(12, 8)):
        services.confirm_payment(dossier, clerk)
    dossier = fresh(dossier)
    assert dossier.status == Status.IN_PROGRESS
    assert dossier.clock_paused_at is None
    assert dossier.due_at == at(18, 8)


def test_asking_for_no_fee_is_refused(procedure, clerk, leader, specialist):
    dossier = in_progress(procedure, clerk, leader, specialist)
    with pytest.raises(services.ActionRefused):
        services.request_payment(dossier, specialist, amount=0)


# --- Inter-agency transfer (liên thông) -------------------------------------------------------


def test_a_transferred_dossier_is_seen_and_worked_on_by_the_receiving_agency(
    procedure, clerk, leader, specialist, province, province_specialist, province_leader
):
    dossier = in_progress(procedure, clerk, leader, specialist)
    assert not visible_dossiers(province_specialist).filter(pk=dossier.pk).exists()
    services.transfer_to_agency(dossier, specialist, agency=province, note="Cần Sở xác minh")
    dossier = fresh(dossier)
    assert dossier.status == Status.TRANSFERRED
    assert dossier.transferred_to == province
    assert visible_dossiers(province_specialist).filter(pk=dossier.pk).exists()

    services.record_result(dossier, province_specialist, number="45/STP", summary="Đã xác minh")
    with pytest.raises(services.ActionRefused):
        services.approve(dossier, province_leader)
    services.take_back(dossier, province_specialist)
    dossier = fresh(dossier)
    assert dossier.status == Status.IN_PROGRESS
    assert dossier.transferred_to is None
    assert dossier.result_number == "45/STP"
    assert not visible_dossiers(province_specialist).filter(pk=dossier.pk).exists()


def test_transferring_to_the_own_agency_is_refused(procedure, clerk, leader, specialist, agency):
    dossier = in_progress(procedure, clerk, leader, specialist)
    with pytest.raises(services.ActionRefused):
        services.transfer_to_agency(dossier, specialist, agency=agency)
    assert fresh(dossier).status == Status.IN_PROGRESS


# --- Result, approval, resolution, return -----------------------------------------------------


def test_result_approval_and_resolution_record_the_timeliness(procedure, clerk, leader, specialist):
    dossier = in_progress(procedure, clerk, leader, specialist)
    with freeze_time(at(12, 9)):
        services.record_result(
            dossier,
            specialist,
            number="123/QĐ-UBND",
            date=date(2025, 6, 12),
            summary="Cấp giấy khai sinh",
            upload=png_upload(),
            info=uploads.check_upload(png_upload()),
        )
        services.send_for_approval(dossier, specialist)
        services.approve(dossier, leader)
        services.mark_resolved(dossier, specialist)
    dossier = fresh(dossier)
    assert dossier.status == Status.RESOLVED
    assert dossier.resolved_at == at(12, 9)
    assert dossier.approved_by == leader
    assert dossier.attachments.filter(kind=Attachment.Kind.RESULT).count() == 1
    # Thu 12/06 is before the due date Mon 16/06: early.
    assert dossier.events.get(action="resolve").data == {"timeliness": "early"}


def test_resolving_without_the_leaders_approval_is_refused(procedure, clerk, leader, specialist):
    dossier = in_progress(procedure, clerk, leader, specialist)
    services.record_result(dossier, specialist, number="1/QĐ")
    with pytest.raises(services.ActionRefused):
        services.mark_resolved(dossier, specialist)
    assert fresh(dossier).status == Status.IN_PROGRESS


def test_sending_for_approval_needs_a_result(procedure, clerk, leader, specialist):
    dossier = in_progress(procedure, clerk, leader, specialist)
    with pytest.raises(services.ActionRefused):
        services.send_for_approval(dossier, specialist)


def test_a_new_result_needs_a_new_approval(procedure, clerk, leader, specialist):
    dossier = in_progress(procedure, clerk, leader, specialist)
    approved(dossier, specialist, leader)
    services.record_result(dossier, specialist, number="124/QĐ-UBND")
    assert fresh(dossier).approved_at is None
    with pytest.raises(services.ActionRefused):
        services.mark_resolved(dossier, specialist)


def test_a_specialist_cannot_approve(procedure, clerk, leader, specialist):
    dossier = in_progress(procedure, clerk, leader, specialist)
    services.record_result(dossier, specialist, number="1/QĐ")
    with pytest.raises(services.ActionRefused):
        services.approve(dossier, specialist)


def test_the_clerk_returns_the_result_saying_who_collected_it_and_how(
    procedure, clerk, leader, specialist
):
    dossier = in_progress(procedure, clerk, leader, specialist)
    approved(dossier, specialist, leader)
    services.mark_resolved(dossier, leader)
    with pytest.raises(services.ActionRefused):
        services.mark_returned(
            dossier, clerk, collected_by="  ", method=Dossier.ReturnMethod.COUNTER
        )
    with pytest.raises(services.ActionRefused):
        services.mark_returned(dossier, clerk, collected_by="Nguyễn Thị Hoa", method="pigeon")
    with freeze_time(at(13, 10)):
        services.mark_returned(
            dossier, clerk, collected_by=" Nguyễn Thị Hoa ", method=Dossier.ReturnMethod.COUNTER
        )
    dossier = fresh(dossier)
    assert dossier.status == Status.RETURNED
    assert (dossier.returned_to, dossier.return_method) == ("Nguyễn Thị Hoa", "counter")
    assert dossier.returned_at == at(13, 10)


def test_a_specialist_cannot_return_the_result(procedure, clerk, leader, specialist):
    dossier = in_progress(procedure, clerk, leader, specialist)
    approved(dossier, specialist, leader)
    services.mark_resolved(dossier, leader)
    with pytest.raises(services.ActionRefused):
        services.mark_returned(
            dossier, specialist, collected_by="Hoa", method=Dossier.ReturnMethod.COUNTER
        )


# --- Side exits ---------------------------------------------------------------------------------


def test_stopping_is_a_leaders_decision_with_a_reason(procedure, clerk, leader, specialist):
    dossier = in_progress(procedure, clerk, leader, specialist)
    with pytest.raises(services.ActionRefused):
        services.stop_processing(dossier, leader, reason="   ")
    with pytest.raises(services.ActionRefused):
        services.stop_processing(dossier, specialist, reason="Người yêu cầu đã chết")
    services.stop_processing(dossier, leader, reason="Người yêu cầu đã chết")
    dossier = fresh(dossier)
    assert dossier.status == Status.STOPPED
    assert dossier.events.get(action="stop").note == "Người yêu cầu đã chết"


def test_the_clerk_records_the_applicants_withdrawal(procedure, clerk, leader, specialist):
    dossier = in_progress(procedure, clerk, leader, specialist)
    services.withdraw(dossier, clerk, reason="Công dân có đơn xin rút hồ sơ")
    assert fresh(dossier).status == Status.WITHDRAWN


# --- Form 04: the one rescheduling --------------------------------------------------------------


def test_rescheduling_once_in_time_keeps_the_promised_due_for_the_statistics(
    procedure, clerk, leader, specialist
):
    dossier = in_progress(procedure, clerk, leader, specialist)
    # Thu 12/06 08:00: 2 working days before the due Mon 16/06 08:00 — in time.
    with freeze_time(at(12, 8)):
        services.reschedule(dossier, specialist, new_due=at(18, 8), reason="Chờ xác minh")
    dossier = fresh(dossier)
    assert dossier.due_before_apology == at(16, 8)
    assert dossier.due_at == at(18, 8)
    assert dossier.promised_due_at == at(16, 8)
    with freeze_time(at(13, 8)), pytest.raises(services.ActionRefused):
        services.reschedule(dossier, specialist, new_due=at(20, 8), reason="Lần nữa")
    # Resolved Tue 17/06, before the new appointment but after the one promised first: late.
    with freeze_time(at(17, 9)):
        approved(dossier, specialist, leader)
        services.mark_resolved(dossier, specialist)
    assert fresh(dossier).events.get(action="resolve").data == {"timeliness": "late"}


def test_rescheduling_less_than_a_working_day_before_the_due_is_refused(
    procedure, clerk, leader, specialist
):
    dossier = in_progress(procedure, clerk, leader, specialist)
    # Fri 13/06 09:00: 7 working hours before Mon 16/06 08:00 — too late.
    with freeze_time(at(13, 9)), pytest.raises(services.ActionRefused):
        services.reschedule(dossier, specialist, new_due=at(18, 8), reason="Chờ xác minh")
    assert fresh(dossier).due_before_apology is None


def test_the_new_appointment_must_be_later(procedure, clerk, leader, specialist):
    dossier = in_progress(procedure, clerk, leader, specialist)
    with freeze_time(at(10, 8)), pytest.raises(services.ActionRefused):
        services.reschedule(dossier, specialist, new_due=at(13, 8), reason="Sớm hơn")


# --- Concurrency ------------------------------------------------------------------------------


def test_an_action_on_an_outdated_version_is_refused_and_changes_nothing(
    procedure, clerk, leader, specialist, other_specialist
):
    dossier = receive(procedure, clerk)
    seen = dossier.version
    services.assign(dossier, leader, specialist=specialist, expected_version=seen)
    with pytest.raises(services.ActionRefused) as refused:
        services.assign(dossier, clerk, specialist=other_specialist, expected_version=seen)
    with translation.override("en"):
        assert "Someone else changed this dossier" in str(refused.value.message)
    assert fresh(dossier).assigned_to == specialist
    assert fresh(dossier).events.filter(action="assign").count() == 1
