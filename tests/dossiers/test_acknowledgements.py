"""People are told at once: an online submission is acknowledged by email, and a feedback's
sender learns that the leader answered (by email and by text message, when they left them)."""

from decimal import Decimal

import pytest

from dossiers import services
from dossiers.lookup import feedback
from dossiers.models import Feedback, Notification
from dossiers.services import Applicant
from myphong import roles
from tests.factories import AgencyFactory, ProcedureFactory, UserFactory

PHONE = "0912345678"


@pytest.fixture
def agency(db):
    return AgencyFactory()


@pytest.fixture
def leader(agency):
    return UserFactory(username="lanhdao", roles=[roles.LEADER], roles__agency=agency)


def submit(procedure, citizen, email="hoa@example.invalid"):
    return services.submit_online(
        procedure,
        citizen,
        applicant=Applicant(
            name="Nguyễn Thị Hoa",
            phone=PHONE,
            id_number="079190000001",
            email=email,
            address="Ấp Mỹ Phong",
        ),
    )


def test_an_online_submission_is_acknowledged_by_email_at_once(
    agency, mailoutbox, sms, django_capture_on_commit_callbacks
):
    procedure = ProcedureFactory(
        name="Đăng ký khai sinh",
        processing_time=Decimal("3"),
        agency=agency,
        accepts_online=True,
        online_level="full",
    )
    citizen = UserFactory(username="hoa@example.invalid", roles=[roles.CITIZEN])
    with django_capture_on_commit_callbacks(execute=True):
        dossier = submit(procedure, citizen)
    assert len(mailoutbox) == 1
    email = mailoutbox[0]
    assert email.to == ["hoa@example.invalid"]
    assert dossier.reference in email.subject
    assert "Thủ tục: Đăng ký khai sinh" in email.body
    assert "chờ cán bộ" in email.body
    assert "079190000001" not in email.body
    # an acknowledgement is worth an email, not a text message
    assert sms == []
    assert list(Notification.objects.values_list("channel", flat=True)) == ["email"]


def test_the_catch_up_does_not_wait_for_a_text_message_never_sent(
    agency, mailoutbox, sms, django_capture_on_commit_callbacks
):
    from django.utils import timezone

    from dossiers import tasks

    procedure = ProcedureFactory(agency=agency, accepts_online=True, online_level="full")
    citizen = UserFactory(username="hoa@example.invalid", roles=[roles.CITIZEN])
    with django_capture_on_commit_callbacks(execute=True):
        submit(procedure, citizen)
    assert not tasks.events_missing_follow_up(timezone.now() - timezone.timedelta(days=1))


def answered(agency, leader, **sender):
    sent = feedback.send_feedback(agency, "conduct", "Cán bộ thiếu nhiệt tình.", "Bình", **sender)
    return feedback.answer_feedback(sent, leader, "UBND xã đã nhắc nhở cán bộ.")


def test_the_sender_is_told_by_email_and_text_when_the_leader_answers(
    agency, leader, mailoutbox, sms, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        done = answered(agency, leader, sender_phone=PHONE, sender_email="binh@example.invalid")
    assert len(mailoutbox) == 1
    assert done.code in mailoutbox[0].subject
    assert "/phan-anh/tra-cuu/" in mailoutbox[0].body
    # the answer itself is read with the code and a factor, not sent around
    assert "UBND xã đã nhắc nhở cán bộ." not in mailoutbox[0].body
    assert [phone for phone, _text in sms] == [PHONE]
    assert done.code in sms[0][1]
    done.refresh_from_db()
    assert done.answer_emailed_at is not None and done.answer_texted_at is not None


def test_the_sender_is_told_once(
    agency, leader, mailoutbox, sms, django_capture_on_commit_callbacks
):
    from dossiers import notifications

    with django_capture_on_commit_callbacks(execute=True):
        done = answered(agency, leader, sender_email="binh@example.invalid")
    notifications.tell_feedback_answered(done.pk)
    assert len(mailoutbox) == 1
    assert sms == []


def test_an_anonymous_sender_is_told_nothing(
    agency, leader, mailoutbox, sms, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        answered(agency, leader)
    assert callbacks == []
    assert mailoutbox == [] and sms == []


def test_the_feedback_form_takes_an_optional_email(client, agency):
    client.post(
        "/phan-anh/",
        {
            "category": "conduct",
            "agency": agency.pk,
            "content": "Cán bộ thiếu nhiệt tình.",
            "sender_email": "Binh@Example.invalid",
        },
        REMOTE_ADDR="203.0.113.31",
    )
    assert Feedback.objects.get().sender_email == "binh@example.invalid"
