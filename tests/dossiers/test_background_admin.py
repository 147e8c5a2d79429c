"""The admin's page of background work: what is pending or failed, and the retry button."""

import os
from datetime import timedelta

import pytest
from django.utils import timezone
from freezegun import freeze_time

from dossiers import background, reminders, services
from dossiers.models import PeriodicRun, Reminder, Slip
from dossiers.tasks import check_overdue, process_event
from myphong import roles
from myphong.celery import app as celery_app
from tests.doubles import forget_broker_pools
from tests.factories import DossierFactory, UserFactory

URL = "/quan-tri/dossiers/periodicrun/"


@pytest.fixture
def admin_client(client, db):
    admin = UserFactory(username="quantri", is_staff=True, is_superuser=True)
    client.force_login(admin)
    return client


@pytest.fixture
def forgotten_receipt(clerk):
    """A dossier accepted ten minutes ago whose follow-up never ran (the broker lost it: in a
    test transaction the after-commit follow-up does not run)."""
    with freeze_time(timezone.now() - timedelta(minutes=10)):
        return services.accept(DossierFactory(), clerk)


def test_the_page_shows_pending_receipts_failed_reminders_and_periodic_runs(
    admin_client, forgotten_receipt, specialist, django_assert_max_num_queries
):
    check_overdue()
    Reminder.objects.create(
        recipient=specialist,
        reason=Reminder.Reason.OVERDUE,
        dossier=forgotten_receipt,
        email=specialist.email,
        attempts=3,
        last_error="SMTPServerDisconnected: gone",
    )

    with django_assert_max_num_queries(20):
        page = admin_client.get(URL).content.decode()

    assert "Công việc nền" in page
    assert forgotten_receipt.code in page
    assert "SMTPServerDisconnected: gone" in page
    assert "overdue check" in page
    assert PeriodicRun.objects.get(name="overdue check").succeeded


def test_retry_renders_the_missing_receipt_and_sends_the_messages_once(
    admin_client, forgotten_receipt, sms
):
    response = admin_client.post(URL)
    admin_client.post(URL)

    assert response.status_code == 302
    assert Slip.objects.filter(dossier=forgotten_receipt, form="01").count() == 1
    assert len(sms) == 1
    assert forgotten_receipt.code not in admin_client.get(URL).content.decode()


def test_retry_gives_reminders_given_up_another_chance(admin_client, agency, specialist):
    given_up = Reminder.objects.create(
        recipient=specialist,
        reason=Reminder.Reason.DIGEST,
        day=timezone.localdate(),
        email=specialist.email,
        attempts=reminders.MAX_ATTEMPTS,
    )

    admin_client.post(URL)

    given_up.refresh_from_db()
    assert given_up.attempts == 0


def test_only_a_superuser_may_retry(client, agency):
    staff = UserFactory(username="nhanvien", is_staff=True, roles=[roles.LEADER])
    from django.contrib.auth.models import Permission

    staff.user_permissions.add(Permission.objects.get(codename="view_periodicrun"))
    client.force_login(staff)

    assert client.get(URL).status_code == 200
    assert client.post(URL).status_code == 403


@pytest.mark.celery
@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL")
def test_queue_lengths_count_the_tasks_waiting_in_redis(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = os.environ["REDIS_URL"]
    forget_broker_pools()
    celery_app.control.purge()
    try:
        check_overdue.delay()
        process_event.delay("accepted", 1, 1)
        process_event.delay("accepted", 2, 2)

        assert background.queue_lengths() == {"celery": 1, "pdf": 2}
    finally:
        celery_app.control.purge()
        forget_broker_pools()
