"""Emails and text messages to the applicant, and "nothing is lost" when Redis, a worker or
WeasyPrint fails: the dossier stays accepted and the work is done later, once."""

import logging
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from freezegun import freeze_time

from dossiers import notifications, services, tasks
from dossiers.models import DossierEvent, Notification, Slip
from dossiers.printing import slips
from dossiers.workflow import Status
from myphong import roles
from myphong.celery import app as celery_app
from tests.doubles import forget_broker_pools
from tests.factories import DossierFactory, ProcedureFactory, UserFactory

VN = ZoneInfo("Asia/Ho_Chi_Minh")
RECEIVED = datetime(2026, 11, 10, 9, 30, tzinfo=VN)  # a Tuesday
LATER = RECEIVED + timedelta(minutes=10)  # when the periodic catch-up runs
ID_NUMBER = "079190000001"  # DossierFactory's applicant_id_number
UNREACHABLE_BROKER = "redis://127.0.0.1:1/0"


class BrokenEmailBackend:
    """An email backend whose server is down."""

    def __init__(self, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionRefusedError("SMTP server unreachable")


def _forget_broker_connections():
    forget_broker_pools()


@pytest.fixture
def eager(settings):
    """Tasks run in-process, as when no broker is configured.

    Celery reads its configuration through Django's settings object on every access
    (config_from_object), so the `settings` fixture is what takes effect; checked here so that a
    change there fails loudly instead of silently sending tasks to Redis.
    """
    settings.CELERY_TASK_ALWAYS_EAGER = True
    assert celery_app.conf.task_always_eager is True


@pytest.fixture
def broker_down(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = UNREACHABLE_BROKER
    _forget_broker_connections()
    assert celery_app.conf.task_always_eager is False
    assert celery_app.conf.broker_url == UNREACHABLE_BROKER
    yield
    _forget_broker_connections()


@pytest.fixture
def clerk(db):
    return UserFactory(
        username="canbo", first_name="Lan", last_name="Trần Thị", roles=[roles.CLERK]
    )


@pytest.fixture
def dossier(db):
    procedure = ProcedureFactory(name="Đăng ký khai sinh", processing_time=Decimal("3"))
    return DossierFactory(procedure=procedure)


def accept(dossier, clerk, capture):
    """Accept as the counter does: the follow-up starts when the transaction commits."""
    with freeze_time(RECEIVED), capture(execute=True):
        dossier = services.accept(dossier, clerk)
    return dossier, DossierEvent.objects.get(dossier=dossier, action="accept")


def all_text(email):
    headers = "\n".join(f"{name}: {value}" for name, value in email.message().items())
    alternatives = [content for content, _type in getattr(email, "alternatives", [])]
    return "\n".join([email.subject, email.body, headers, *alternatives])


def test_accepting_sends_one_vietnamese_email_with_code_and_due_time(
    eager, clerk, dossier, mailoutbox, sms, django_capture_on_commit_callbacks
):
    dossier, event = accept(dossier, clerk, django_capture_on_commit_callbacks)

    assert len(mailoutbox) == 1
    email = mailoutbox[0]
    assert email.to == ["hoa@example.invalid"]
    assert dossier.code in email.subject
    assert "13/11/2026" in email.subject
    assert "Kính gửi Ông/Bà Nguyễn Thị Hoa" in email.body
    assert f"Mã hồ sơ: {dossier.code}" in email.body
    assert "Thủ tục: Đăng ký khai sinh" in email.body
    assert "Thời gian hẹn trả kết quả: 09:30 ngày 13/11/2026" in email.body
    assert f"http://127.0.0.1:8000/tra-cuu/?ma={dossier.code}" in email.body
    assert ID_NUMBER not in all_text(email)
    # The lookup key is the receipt's second factor: not in a message that can be forwarded.
    assert dossier.lookup_key not in all_text(email)

    assert len(sms) == 1
    phone, text = sms[0]
    assert phone == "0912345678"
    assert dossier.code in text and "09:30 ngày 13/11/2026" in text
    assert ID_NUMBER not in text

    assert Slip.objects.filter(dossier=dossier, form="01", event=event).count() == 1
    rows = Notification.objects.filter(event=event).order_by("channel")
    assert [(n.channel, n.recipient, n.attempts, n.sent_at is not None) for n in rows] == [
        ("email", "hoa@example.invalid", 1, True),
        ("sms", "0912345678", 1, True),
    ]


def test_running_the_follow_up_again_sends_nothing_more(
    eager, clerk, dossier, mailoutbox, sms, django_capture_on_commit_callbacks
):
    dossier, event = accept(dossier, clerk, django_capture_on_commit_callbacks)

    tasks.process_event.delay("accepted", dossier.pk, event.pk)
    tasks.follow_up("accepted", dossier.pk, event.pk)
    with freeze_time(LATER):
        assert tasks.retry_missing_follow_ups() == 0

    assert len(mailoutbox) == 1
    assert len(sms) == 1
    assert Slip.objects.filter(dossier=dossier).count() == 1
    assert set(Notification.objects.values_list("attempts", flat=True)) == {1}


def test_no_email_address_means_only_a_text_message(
    eager, clerk, dossier, mailoutbox, sms, django_capture_on_commit_callbacks
):
    dossier.applicant_email = ""
    dossier.save()
    accept(dossier, clerk, django_capture_on_commit_callbacks)
    assert mailoutbox == []
    assert len(sms) == 1


def test_supplement_request_email_lists_what_to_add_and_why(
    eager, clerk, dossier, mailoutbox, sms, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.request_supplement(
            dossier,
            clerk,
            items=["Bản chính Giấy chứng sinh"],
            reason="Bản nộp kèm là bản chụp mờ.",
        )

    assert len(mailoutbox) == 1
    email = mailoutbox[0]
    assert email.subject == "Hồ sơ Đăng ký khai sinh cần bổ sung, hoàn thiện"
    assert "1. Bản chính Giấy chứng sinh" in email.body
    assert "Lý do: Bản nộp kèm là bản chụp mờ." in email.body
    # Not received yet: no code, so the citizen is sent to their account, not the lookup page.
    assert "Hồ sơ chưa được tiếp nhận" in email.body
    assert "http://127.0.0.1:8000" in email.body and "tra-cuu" not in email.body
    assert ID_NUMBER not in all_text(email)
    assert len(sms) == 1 and "bổ sung 1 nội dung" in sms[0][1]
    assert Slip.objects.filter(dossier=dossier, form="02").count() == 1


def test_refusal_email_gives_the_reason(
    eager, clerk, dossier, mailoutbox, sms, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.refuse(dossier, clerk, reason="Không thuộc thẩm quyền của UBND xã Mỹ Phong.")

    assert len(mailoutbox) == 1
    email = mailoutbox[0]
    assert email.subject == "Hồ sơ Đăng ký khai sinh không được tiếp nhận"
    assert "từ chối tiếp nhận, giải quyết hồ sơ" in email.body
    assert "Lý do: Không thuộc thẩm quyền của UBND xã Mỹ Phong." in email.body
    assert ID_NUMBER not in all_text(email)
    assert len(sms) == 1 and "Không thuộc thẩm quyền" in sms[0][1]
    assert Slip.objects.filter(dossier=dossier, form="03").count() == 1


def test_events_without_a_form_or_message_queue_nothing(dossier, monkeypatch):
    def must_not_publish(*args, **kwargs):
        pytest.fail("nothing to do for this kind, nothing should be queued")

    monkeypatch.setattr(tasks.process_event, "apply_async", must_not_publish)
    tasks.follow_up("assigned", dossier.pk, 1)
    tasks.follow_up("supplemented", dossier.pk, 1)


def test_broker_down_keeps_the_dossier_accepted_and_the_catch_up_does_the_work(
    broker_down, clerk, dossier, mailoutbox, sms, django_capture_on_commit_callbacks, caplog
):
    with caplog.at_level(logging.WARNING, logger="dossiers.tasks"):
        dossier, event = accept(dossier, clerk, django_capture_on_commit_callbacks)
        tasks.follow_up("accepted", dossier.pk, event.pk)  # called directly: does not raise

    dossier.refresh_from_db()
    assert dossier.status == Status.RECEIVED
    assert dossier.code
    assert "broker unreachable" in caplog.text
    assert not Slip.objects.filter(dossier=dossier).exists()
    assert mailoutbox == [] and sms == []

    # Later, the periodic task (called directly here) finds the event and does the work.
    with freeze_time(LATER):
        assert tasks.retry_missing_follow_ups() == 1

    assert Slip.objects.filter(dossier=dossier, form="01", event=event).count() == 1
    assert len(mailoutbox) == 1 and dossier.code in mailoutbox[0].subject
    assert len(sms) == 1
    with freeze_time(LATER):
        assert tasks.retry_missing_follow_ups() == 0
    assert len(mailoutbox) == 1


def test_weasyprint_failing_still_accepts_and_emails_and_the_slip_comes_on_retry(
    eager, clerk, dossier, mailoutbox, sms, django_capture_on_commit_callbacks, monkeypatch
):
    def weasyprint_fails(html):
        raise RuntimeError("WeasyPrint crashed")

    monkeypatch.setattr(slips, "write_pdf", weasyprint_fails)
    dossier, event = accept(dossier, clerk, django_capture_on_commit_callbacks)

    dossier.refresh_from_db()
    assert dossier.status == Status.RECEIVED
    assert len(mailoutbox) == 1
    assert len(sms) == 1
    assert not Slip.objects.filter(dossier=dossier).exists()

    monkeypatch.undo()
    with freeze_time(LATER):
        assert tasks.retry_missing_follow_ups() == 1

    assert Slip.objects.filter(dossier=dossier, form="01", event=event).count() == 1
    assert len(mailoutbox) == 1
    assert len(sms) == 1


def test_mail_server_down_is_recorded_and_the_email_sent_on_retry(
    eager, clerk, dossier, mailoutbox, sms, django_capture_on_commit_callbacks, settings
):
    locmem = settings.EMAIL_BACKEND
    settings.EMAIL_BACKEND = f"{__name__}.BrokenEmailBackend"
    dossier, event = accept(dossier, clerk, django_capture_on_commit_callbacks)

    row = Notification.objects.get(event=event, channel="email")
    assert row.sent_at is None
    assert row.attempts == 1
    assert "SMTP server unreachable" in row.last_error
    assert len(sms) == 1  # the other channel went out
    assert Slip.objects.filter(dossier=dossier).count() == 1

    settings.EMAIL_BACKEND = locmem
    with freeze_time(LATER):
        assert tasks.retry_missing_follow_ups() == 1

    row.refresh_from_db()
    assert row.sent_at is not None and row.attempts == 2 and row.last_error == ""
    assert len(mailoutbox) == 1
    assert len(sms) == 1


def test_a_message_that_keeps_failing_is_left_to_a_person(
    eager, clerk, dossier, mailoutbox, django_capture_on_commit_callbacks, settings
):
    settings.EMAIL_BACKEND = f"{__name__}.BrokenEmailBackend"
    dossier, event = accept(dossier, clerk, django_capture_on_commit_callbacks)
    Notification.objects.filter(event=event, channel="email").update(
        attempts=notifications.MAX_ATTEMPTS
    )
    assert list(tasks.events_missing_follow_up(since=RECEIVED - timedelta(days=1))) == []


def test_follow_up_never_raises_into_the_request(eager, dossier, settings, monkeypatch, caplog):
    settings.CELERY_TASK_EAGER_PROPAGATES = True

    def bug(*args, **kwargs):
        raise RuntimeError("a bug in the follow-up")

    monkeypatch.setattr(tasks, "run_follow_up", bug)
    event = DossierEvent.objects.create(dossier=dossier, action="accept", to_status="received")
    with caplog.at_level(logging.ERROR, logger="dossiers.tasks"):
        assert tasks.follow_up("accepted", dossier.pk, event.pk) is None
    assert "the periodic catch-up retries" in caplog.text
    assert DossierEvent.objects.filter(pk=event.pk).exists()


def test_the_scheduled_catch_up_renders_a_receipt_the_broker_lost(eager, dossier):
    """Every periodic task of the beat schedule exists; the catch-up does the lost work."""
    event = DossierEvent.objects.create(dossier=dossier, action="accept", to_status="received")
    schedule = celery_app.conf.beat_schedule
    for entry in schedule.values():
        assert entry["task"] in celery_app.tasks
    (catch_up,) = [e for e in schedule.values() if e["task"].endswith("retry_missing_follow_ups")]
    celery_app.tasks[catch_up["task"]].apply().get()
    assert Slip.objects.filter(event=event, form="01").exists()


def test_default_sms_backend_logs_a_masked_number(settings, caplog):
    settings.SMS_BACKEND = "dossiers.notifications.LoggingSmsBackend"
    backend = notifications.get_sms_backend()
    assert isinstance(backend, notifications.LoggingSmsBackend)
    with caplog.at_level(logging.INFO, logger="dossiers.notifications"):
        backend.send("0912345678", "Hồ sơ 000.17.22.H56-261110-0001 đã được tiếp nhận.")
    assert "0912***678" in caplog.text
    assert "0912345678" not in caplog.text
    assert "đã được tiếp nhận" in caplog.text
