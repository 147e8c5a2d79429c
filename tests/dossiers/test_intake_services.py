"""Intake services: every state change is atomic, allowed by the workflow and recorded."""

import uuid
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import IntegrityError
from freezegun import freeze_time

from dossiers import services
from dossiers.models import Dossier, DossierEvent
from dossiers.workflow import ALLOWED_STATUS_CHANGES, Status
from myphong import roles
from tests.factories import DossierFactory, ProcedureFactory, UserFactory

VN = ZoneInfo("Asia/Ho_Chi_Minh")
APPLICANT = services.Applicant(
    name="Trần Văn Bình", phone="0912345678", id_number="079190000002", address="Ấp 3"
)


@pytest.fixture
def clerk(db):
    user = UserFactory(
        username="tiepnhan", first_name="Lan", last_name="Nguyễn Thị", roles=[roles.CLERK]
    )
    return user


@pytest.fixture
def five_day_procedure(db):
    return ProcedureFactory(processing_time=Decimal("5"), accepts_online=True, online_level="full")


def test_accepting_gives_code_receipt_time_and_due_time(clerk, five_day_procedure):
    dossier = DossierFactory(procedure=five_day_procedure)
    # Fri 13/02/2026 10:00; Tết off Mon 16 – Fri 20/02 → 5 working days end Fri 27/02 10:00.
    with freeze_time(datetime(2026, 2, 13, 10, 0, tzinfo=VN)):
        services.accept(dossier, clerk)
    dossier.refresh_from_db()
    assert dossier.status == Status.RECEIVED
    assert dossier.code == "000.17.22.H56-260213-0001"
    assert dossier.received_at == datetime(2026, 2, 13, 10, 0, tzinfo=VN)
    assert dossier.due_at == datetime(2026, 2, 27, 10, 0, tzinfo=VN)
    assert dossier.received_by == clerk


def test_every_change_is_recorded_with_who_when_and_why(clerk, five_day_procedure):
    dossier = DossierFactory(procedure=five_day_procedure)
    services.request_supplement(
        dossier, clerk, items=["Giấy chứng sinh (bản chính)"], reason="Thiếu giấy"
    )
    event = DossierEvent.objects.get(dossier=dossier, action="request_supplement")
    assert (event.from_status, event.to_status) == (Status.SUBMITTED, Status.AWAITING_SUPPLEMENT)
    assert event.actor == clerk
    assert event.actor_name == "Nguyễn Thị Lan"  # Vietnamese order: family name first
    assert event.note == "Thiếu giấy"
    assert event.data["items"] == ["Giấy chứng sinh (bản chính)"]


def test_events_cannot_be_edited_or_deleted(clerk, five_day_procedure):
    dossier = DossierFactory(procedure=five_day_procedure)
    services.accept(dossier, clerk)
    event = dossier.events.get()
    event.note = "sửa lại"
    with pytest.raises(ValueError):
        event.save()
    with pytest.raises(ValueError):
        event.delete()


def test_supplements_are_asked_for_only_once(clerk, five_day_procedure):
    dossier = DossierFactory(procedure=five_day_procedure)
    services.request_supplement(dossier, clerk, items=["Tờ khai"], reason="Thiếu tờ khai")
    dossier.refresh_from_db()
    dossier.status = Status.SUBMITTED  # as if the citizen had supplemented
    dossier.save()
    with pytest.raises(services.ActionRefused, match="một lần"):
        services.request_supplement(dossier, clerk, items=["Giấy khác"], reason="Lại thiếu")


def test_supplement_request_needs_at_least_one_item(clerk, five_day_procedure):
    with pytest.raises(services.ActionRefused):
        services.request_supplement(
            DossierFactory(procedure=five_day_procedure), clerk, items=[" "], reason="x"
        )


def test_refusal_needs_a_reason_and_ends_the_dossier(clerk, five_day_procedure):
    dossier = DossierFactory(procedure=five_day_procedure)
    with pytest.raises(services.ActionRefused):
        services.refuse(dossier, clerk, reason="  ")
    services.refuse(dossier, clerk, reason="Không thuộc thẩm quyền của xã")
    dossier.refresh_from_db()
    assert dossier.status == Status.REJECTED
    assert dossier.code is None  # codes are issued at acceptance only
    with pytest.raises(services.ActionRefused):
        services.accept(dossier, clerk)


def test_a_transition_outside_the_table_is_refused_and_nothing_changes(clerk, five_day_procedure):
    dossier = DossierFactory(procedure=five_day_procedure)
    services.accept(dossier, clerk)
    with pytest.raises(services.ActionRefused):
        services.accept(dossier, clerk)
    assert Status.RETURNED not in ALLOWED_STATUS_CHANGES[Status.SUBMITTED]
    assert dossier.events.count() == 1


def test_stale_version_is_refused_with_a_clear_message(clerk, five_day_procedure):
    dossier = DossierFactory(procedure=five_day_procedure)
    seen = dossier.version
    services.request_supplement(dossier, clerk, items=["Tờ khai"], reason="Thiếu")
    with pytest.raises(services.ActionRefused, match=r"Someone else|Người khác"):
        services.refuse(dossier, clerk, reason="Lý do", expected_version=seen)


def test_counter_dossier_is_accepted_at_once_with_its_papers(clerk, five_day_procedure):
    papers = [
        services.PaperCount(name="Tờ khai", originals=1),
        services.PaperCount(name="Giấy chứng sinh", originals=1, copies=1),
    ]
    with freeze_time(datetime(2025, 4, 25, 9, 0, tzinfo=VN)):
        dossier = services.register_at_counter(
            five_day_procedure, clerk, applicant=APPLICANT, papers=papers
        )
    assert dossier.status == Status.RECEIVED
    assert dossier.channel == Dossier.Channel.COUNTER
    assert dossier.code.endswith("-250425-0001")
    assert [(p.name, p.originals, p.copies) for p in dossier.papers.all()] == [
        ("Tờ khai", 1, 0),
        ("Giấy chứng sinh", 1, 1),
    ]
    assert dossier.events.get().action == "accept"


def test_counter_dossier_belongs_to_the_clerks_agency(clerk, five_day_procedure):
    from tests.factories import AgencyFactory

    other = AgencyFactory(code="000.17.22.H57", name="Trung tâm Phục vụ hành chính công")
    clerk = UserFactory(username="tiepnhan2", roles=[roles.CLERK], roles__agency=other)
    dossier = services.register_at_counter(
        five_day_procedure, clerk, applicant=APPLICANT, papers=[]
    )
    assert dossier.agency == other
    assert dossier.code.startswith("000.17.22.H57-")


def test_saving_the_same_counter_form_twice_makes_one_dossier(clerk, five_day_procedure):
    token = uuid.uuid4()
    first = services.register_at_counter(
        five_day_procedure, clerk, applicant=APPLICANT, papers=[], token=token
    )
    again = services.register_at_counter(
        five_day_procedure, clerk, applicant=APPLICANT, papers=[], token=token
    )
    assert first.pk == again.pk
    assert Dossier.objects.count() == 1


def test_online_submission_waits_for_the_clerk(five_day_procedure):
    citizen = UserFactory(roles=[roles.CITIZEN])
    dossier = services.submit_online(
        five_day_procedure, citizen, applicant=APPLICANT, request="Cấp bản sao"
    )
    assert dossier.status == Status.SUBMITTED
    assert dossier.code is None and dossier.due_at is None
    assert dossier.applicant == citizen


def test_counter_only_procedure_refuses_online_submission(db):
    procedure = ProcedureFactory(accepts_online=False)
    with pytest.raises(services.ActionRefused):
        services.submit_online(procedure, UserFactory(), applicant=APPLICANT)


def test_supplemented_online_dossier_goes_back_to_the_clerk(clerk, five_day_procedure):
    citizen = UserFactory(roles=[roles.CITIZEN])
    dossier = services.submit_online(five_day_procedure, citizen, applicant=APPLICANT)
    services.request_supplement(dossier, clerk, items=["Tờ khai"], reason="Thiếu")
    services.add_supplement(dossier, citizen, pending_uploads=[], note="Đã bổ sung")
    dossier.refresh_from_db()
    assert dossier.status == Status.SUBMITTED
    assert list(dossier.events.values_list("action", flat=True)) == [
        "submit",
        "request_supplement",
        "supplement",
    ]


def _supplemented_on_friday(clerk, procedure):
    dossier = DossierFactory(procedure=procedure)
    with freeze_time(datetime(2025, 4, 21, 8, 0, tzinfo=VN)):  # Mon
        services.accept(dossier, clerk)
    with freeze_time(datetime(2025, 4, 22, 8, 0, tzinfo=VN)):  # Tue, within 3 working days
        services.request_supplement(dossier, clerk, items=["Tờ khai"], reason="Thiếu")
    with freeze_time(datetime(2025, 4, 25, 9, 0, tzinfo=VN)):
        services.add_supplement(dossier, None, pending_uploads=[])
    dossier.refresh_from_db()
    return dossier


def test_received_dossier_pauses_its_clock_during_supplements(clerk, five_day_procedure):
    # The default rule (Decree 61/2018 art. 17(1)(c)): 8 working hours were spent before the
    # request (Mon 07:00 h from 08:00, Tue 1 h), 32 are left from Fri 25/04/2025 09:00: Fri 6 h,
    # Sat 26/04 (make-up) 8, Mon 28 8, Tue 29 8, then 30/4–2/5 off, Mon 05/05 2 h → 09:00.
    dossier = _supplemented_on_friday(clerk, five_day_procedure)
    assert dossier.status == Status.IN_PROGRESS
    assert dossier.due_at == datetime(2025, 5, 5, 9, 0, tzinfo=VN)


def test_a_procedure_whose_law_restarts_the_clock_counts_from_zero(clerk, five_day_procedure):
    # Restart from zero on Fri 25/04/2025 09:00: 5 working days counting Sat 26/04 (make-up
    # day), Mon 28, Tue 29, then 30/4–2/5 off, Mon 05/05, Tue 06/05 → due 06/05 09:00.
    five_day_procedure.supplement_rule = "restart"
    five_day_procedure.save()
    dossier = _supplemented_on_friday(clerk, five_day_procedure)
    assert dossier.due_at == datetime(2025, 5, 6, 9, 0, tzinfo=VN)


def test_the_portal_setting_restarts_procedures_without_their_own_rule(
    clerk, five_day_procedure, settings
):
    settings.DEADLINE_SUPPLEMENT_RULE = "restart"
    assert _supplemented_on_friday(clerk, five_day_procedure).due_at == datetime(
        2025, 5, 6, 9, 0, tzinfo=VN
    )
    pausing = ProcedureFactory(processing_time=Decimal("5"), supplement_rule="pause")
    assert _supplemented_on_friday(clerk, pausing).due_at == datetime(2025, 5, 5, 9, 0, tzinfo=VN)


def test_supplements_cannot_be_requested_after_three_working_days(clerk, five_day_procedure):
    dossier = DossierFactory(procedure=five_day_procedure)
    with freeze_time(datetime(2025, 4, 21, 8, 0, tzinfo=VN)):
        services.accept(dossier, clerk)
    with freeze_time(datetime(2025, 4, 25, 9, 0, tzinfo=VN)), pytest.raises(services.ActionRefused):
        services.request_supplement(dossier, clerk, items=["Tờ khai"], reason="Thiếu")


def test_a_replayed_form_token_never_hands_over_someone_elses_dossier(five_day_procedure):
    token = uuid.uuid4()
    owner = UserFactory(roles=[roles.CITIZEN])
    services.submit_online(five_day_procedure, owner, applicant=APPLICANT, token=token)
    intruder = UserFactory(roles=[roles.CITIZEN])
    with pytest.raises(IntegrityError):
        services.submit_online(five_day_procedure, intruder, applicant=APPLICANT, token=token)
    assert Dossier.objects.get().applicant == owner
