"""A real Celery worker, on the real Redis and the test database, renders the receipt and emails
the citizen after a clerk accepts a dossier.

Needs REDIS_URL and PostgreSQL (the worker is another process: it cannot see an in-memory SQLite
test database). Without them the test is skipped, except in CI (CI=true), where it must run.
"""

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import Group

from dossiers import services
from dossiers.models import DossierEvent, Notification, Slip
from myphong import roles
from myphong.celery import app as celery_app
from tests.doubles import forget_broker_pools, worker_database_url
from tests.factories import DossierFactory, UserFactory

REDIS_URL = os.environ.get("REDIS_URL", "")
CI = os.environ.get("CI") == "true"
# A Redis database of its own: tasks queued by other tests (or runs) are not this worker's.
BROKER_DB = "15"
WAIT_SECONDS = 45


def _missing():
    if not REDIS_URL:
        return "Redis (set REDIS_URL)"
    if django_settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        return "PostgreSQL (set DATABASE_URL)"
    return None


MISSING = _missing()
pytestmark = [
    pytest.mark.celery,
    # Decided before the database is set up, so a skipped test costs no flush.
    pytest.mark.skipif(bool(MISSING) and not CI, reason=f"the worker test needs {MISSING}"),
    # The worker reads committed rows: no test transaction around the test.
    pytest.mark.django_db(transaction=True),
]


def _broker_url():
    return urlunsplit(urlsplit(REDIS_URL)._replace(path=f"/{BROKER_DB}"))


def _use_broker(settings, url):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = url
    forget_broker_pools()


@pytest.fixture
def worker(settings, tmp_path):
    """A `celery worker` subprocess on its own Redis database and the test database."""
    if MISSING:
        pytest.fail(f"CI must run the worker test, and it needs {MISSING}")
    database_url = worker_database_url()
    broker_url = _broker_url()
    _use_broker(settings, broker_url)
    celery_app.control.purge()  # leftovers of an earlier, interrupted run

    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    log_path = tmp_path / "worker.log"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "myphong.settings",
        "DATABASE_URL": database_url,
        "DB_CONN_MAX_AGE": "0",
        "CELERY_BROKER_URL": broker_url,
        "SECRET_KEY": "worker-test-only",
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(mail_dir),
        "SMS_BACKEND": "dossiers.notifications.LoggingSmsBackend",
        "PORTAL_BASE_URL": settings.PORTAL_BASE_URL,
    }
    command = [
        str(Path(sys.executable).with_name("celery")),
        "-A",
        "myphong",
        "worker",
        "-P",
        "solo",
        "--concurrency=1",
        "--loglevel=WARNING",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
        "-n",
        f"test-{uuid.uuid4().hex[:8]}@%h",
    ]
    with log_path.open("w") as log:
        process = subprocess.Popen(
            command, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=settings.BASE_DIR
        )
    try:
        yield process, mail_dir, log_path
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        forget_broker_pools()


def test_a_real_worker_renders_the_receipt_and_emails_the_citizen(worker):
    process, mail_dir, log_path = worker
    # An earlier transactional test may have flushed the groups the migrations made.
    Group.objects.get_or_create(name=roles.CLERK)
    clerk = UserFactory(username="canbo", roles=[roles.CLERK])
    dossier = DossierFactory()

    services.accept(dossier, clerk)  # commits: the follow-up goes to the broker

    dossier.refresh_from_db()
    event = DossierEvent.objects.get(dossier=dossier, action="accept")
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        assert process.poll() is None, f"the worker stopped:\n{log_path.read_text()}"
        slip = Slip.objects.filter(dossier=dossier, form="01", event=event).first()
        sent = set(
            Notification.objects.filter(event=event, sent_at__isnull=False).values_list(
                "channel", flat=True
            )
        )
        if slip is not None and sent == {"email", "sms"}:
            break
        time.sleep(0.25)
    else:
        pytest.fail(f"no receipt or messages after {WAIT_SECONDS} s; log:\n{log_path.read_text()}")

    with slip.file.open("rb") as pdf:
        assert pdf.read(5) == b"%PDF-"
    mails = list(mail_dir.iterdir())
    assert len(mails) == 1
    message = mails[0].read_text()
    assert "To: hoa@example.invalid" in message
    assert dossier.code in message
    assert dossier.applicant_id_number not in message
