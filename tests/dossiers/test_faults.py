"""Background work that survives: a worker killed mid-render, Redis down while the clerk accepts
dossiers, two beat processes at once. Real `redis-server`, `celery worker` and `celery beat`
processes, started here, on the test database.

Each test starts its OWN redis-server on a free port (never the shared one), so stopping it
harms nobody. Needs PostgreSQL (the workers are other processes) and the redis-server binary;
without them the tests are skipped, except in CI (CI=true), where they must run.
"""

import email
import email.policy
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.urls import reverse
from django.utils import timezone

from dossiers import deadlines, services
from dossiers.models import Dossier, DossierEvent, Notification, Reminder, Slip
from dossiers.workflow import Status
from myphong import roles
from tests.doubles import forget_broker_pools, worker_database_url
from tests.factories import (
    AgencyFactory,
    DossierFactory,
    ProcedureFactory,
    RequiredDocumentFactory,
    UserFactory,
)

CI = os.environ.get("CI") == "true"
WAIT_SECONDS = 90


def _missing():
    if shutil.which("redis-server") is None:
        return "the redis-server binary"
    if django_settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        return "PostgreSQL (set DATABASE_URL)"
    return None


MISSING = _missing()
pytestmark = [
    pytest.mark.celery,
    pytest.mark.skipif(bool(MISSING) and not CI, reason=f"the fault tests need {MISSING}"),
    pytest.mark.django_db(transaction=True),
]


# --- Processes ------------------------------------------------------------------------------


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Redis:
    """A redis-server of the test's own, on a free port; stop() and start() it at will."""

    def __init__(self, folder):
        self.port = _free_port()
        self.folder = folder
        self.process = None

    @property
    def url(self):
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.folder),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None


class Cluster:
    """Workers and beats (each its own OS process) on one Redis and the test database."""

    def __init__(self, settings, tmp_path, redis, **env):
        self.tmp = tmp_path
        self.mail = tmp_path / "mail"
        self.mail.mkdir()
        self.processes = []
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "myphong.settings",
            "DATABASE_URL": worker_database_url(),
            "DB_CONN_MAX_AGE": "0",
            "CELERY_BROKER_URL": redis.url,
            "SECRET_KEY": "fault-test-only",
            "MEDIA_ROOT": str(settings.MEDIA_ROOT),
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "EMAIL_FILE_PATH": str(self.mail),
            "SMS_BACKEND": "dossiers.notifications.LoggingSmsBackend",
            "PORTAL_BASE_URL": settings.PORTAL_BASE_URL,
            # A lost worker's task comes back after 5 s instead of an hour.
            "CELERY_VISIBILITY_TIMEOUT": "5",
            "CELERY_RESTORE_INTERVAL": "2",
            **env,
        }
        # This process (the web side) publishes to the same Redis.
        settings.CELERY_TASK_ALWAYS_EAGER = False
        settings.CELERY_BROKER_URL = redis.url
        forget_broker_pools()

    def _start(self, name, arguments):
        log_path = self.tmp / f"{name}.log"
        with log_path.open("a") as log:
            process = subprocess.Popen(
                [str(Path(sys.executable).with_name("celery")), "-A", "myphong", *arguments],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=django_settings.BASE_DIR,
            )
        process.log_path = log_path
        self.processes.append(process)
        return process

    def worker(self, name="worker"):
        return self._start(
            name,
            [
                "worker",
                "-P",
                "solo",
                "--loglevel=INFO",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "-n",
                f"{name}-{uuid.uuid4().hex[:6]}@%h",
            ],
        )

    def beat(self, name="beat"):
        return self._start(
            name, ["beat", "--loglevel=INFO", "-s", str(self.tmp / f"{name}-schedule")]
        )

    def logs(self):
        return "\n".join(
            f"--- {p.log_path.name}\n{p.log_path.read_text()[-3000:]}" for p in self.processes
        )

    def stop(self):
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        forget_broker_pools()

    def emails(self):
        """Every email the processes sent: (recipient, subject)."""
        sent = []
        for path in self.mail.iterdir():
            for text in path.read_text().split("-" * 79):
                message = email.message_from_string(text.strip(), policy=email.policy.default)
                if message["To"]:
                    sent.append((str(message["To"]), str(message["Subject"])))
        return sent


@pytest.fixture
def redis(tmp_path):
    if MISSING:
        pytest.fail(f"CI must run the fault tests, and they need {MISSING}")
    server = Redis(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def cluster(settings, tmp_path, redis):
    processes = Cluster(settings, tmp_path, redis)
    yield processes
    processes.stop()


def wait_for(condition, cluster, what):
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.25)
    pytest.fail(f"{what} not done after {WAIT_SECONDS} s\n{cluster.logs()}")


@pytest.fixture
def clerk(db):
    agency = AgencyFactory()
    return UserFactory(username="tiepnhan", roles=[roles.CLERK], roles__agency=agency)


def receipts_done(dossier_ids):
    return Slip.objects.filter(dossier_id__in=dossier_ids, form="01").count() == len(dossier_ids)


def emails_done(dossier_ids):
    return Notification.objects.filter(
        event__dossier_id__in=dossier_ids, channel="email", sent_at__isnull=False
    ).count() == len(dossier_ids)


def assert_each_receipt_and_email_once(cluster, dossier_ids):
    for dossier_id in dossier_ids:
        assert Slip.objects.filter(dossier_id=dossier_id, form="01").count() == 1
        event = DossierEvent.objects.get(dossier_id=dossier_id, action="accept")
        assert Notification.objects.filter(event=event, channel="email").count() == 1
    codes = Dossier.objects.filter(pk__in=dossier_ids).values_list("code", flat=True)
    subjects = [subject for _to, subject in cluster.emails()]
    for code in codes:
        assert sum(code in subject for subject in subjects) == 1, (code, subjects)


# --- A worker killed while it renders receipts --------------------------------------------------


def test_a_worker_killed_while_rendering_receipts_loses_none_and_repeats_none(cluster, clerk):
    dossiers = [DossierFactory(procedure=ProcedureFactory()) for _ in range(10)]
    first = cluster.worker("first")
    for dossier in dossiers:
        services.accept(dossier, clerk)  # each commit queues its receipt on the "pdf" queue
    ids = [d.pk for d in dossiers]

    wait_for(lambda: Slip.objects.filter(dossier_id__in=ids).exists(), cluster, "a first receipt")
    os.kill(first.pid, signal.SIGKILL)
    first.wait(timeout=10)
    assert not receipts_done(ids), "the worker finished before it was killed; kill it sooner"

    cluster.worker("second")
    wait_for(lambda: receipts_done(ids) and emails_done(ids), cluster, "every receipt")

    assert_each_receipt_and_email_once(cluster, ids)
    for slip in Slip.objects.filter(dossier_id__in=ids):
        with slip.file.open("rb") as pdf:
            assert pdf.read(5) == b"%PDF-"


# --- Redis down while the clerk accepts dossiers ---------------------------------------------


def intake(procedure, name):
    data = {
        "procedure": procedure.code,
        "token": str(uuid.uuid4()),
        "applicant_name": name,
        "applicant_phone": "0912345678",
        "applicant_id_number": "079190000001",
        "applicant_email": "hoa@example.invalid",
        "applicant_address": "Ấp Mỹ Phong",
        "request_text": procedure.name,
        "sets": "1",
    }
    for document in procedure.documents.all():
        data[f"paper_{document.pk}_received"] = "on"
        data[f"paper_{document.pk}_originals"] = "1"
        data[f"paper_{document.pk}_copies"] = "0"
        data[f"paper_{document.pk}_certified"] = "0"
    return data


def test_redis_down_while_the_clerk_accepts_every_dossier_is_saved_and_followed_up_once(
    cluster, redis, clerk, client
):
    procedure = ProcedureFactory(agency=clerk.profile.agency, name="Chứng thực bản sao")
    RequiredDocumentFactory(procedure=procedure, name="Bản chính", order=1)
    cluster.env["FOLLOW_UP_CATCH_UP_SECONDS"] = "2"
    cluster.worker()
    cluster.beat()
    client.force_login(clerk)

    redis.stop()
    pages = []
    for name in ("Nguyễn Thị Hoa", "Trần Văn Minh", "Lê Thị Lan"):
        response = client.post(reverse("dossiers:counter_intake"), intake(procedure, name))
        assert response.status_code == 302, response.content.decode()[-2000:]
        pages.append(client.get(response.url).content.decode())
    dossiers = list(Dossier.objects.filter(procedure=procedure))

    assert len(dossiers) == 3
    assert all(d.status == Status.RECEIVED and d.code for d in dossiers)
    assert all('id="bien-nhan-se-co"' in page for page in pages)
    assert not Slip.objects.exists()

    redis.start()  # same port: the worker and beat reconnect; the catch-up runs every 2 s
    ids = [d.pk for d in dossiers]
    wait_for(lambda: receipts_done(ids) and emails_done(ids), cluster, "the follow-ups")
    time.sleep(3)  # one more catch-up round: it must find nothing left to do

    assert_each_receipt_and_email_once(cluster, ids)


# --- Two beat processes ---------------------------------------------------------------------


def next_minute():
    local = timezone.localtime(timezone.now(), deadlines.TZ)
    upcoming = (local + timedelta(minutes=1)).replace(second=0, microsecond=0)
    if (upcoming - local).total_seconds() < 8:  # too close: the beats may start after it
        upcoming += timedelta(minutes=1)
    return upcoming


def test_two_beats_and_two_workers_send_no_reminder_twice(cluster):
    agency = AgencyFactory()
    specialist = UserFactory(username="chuyenvien", roles=[roles.SPECIALIST], roles__agency=agency)
    leader = UserFactory(username="lanhdao", roles=[roles.LEADER], roles__agency=agency)
    now = timezone.now()
    for minutes in (5, 10, 20):
        DossierFactory(
            procedure=ProcedureFactory(agency=agency),
            status=Status.IN_PROGRESS,
            code=f"{agency.code}-261130-{minutes:04d}",
            received_at=now - timedelta(days=5),
            due_at=now - timedelta(minutes=minutes),
            assigned_to=specialist,
        )
    digest_at = next_minute()
    cluster.env["REMINDER_CHECK_MINUTES"] = "0.05"  # every 3 s
    cluster.env["REMINDER_DIGEST_TIME"] = f"{digest_at:%H:%M}"
    working_day = deadlines.default_calendar().is_working_day(digest_at.date())

    for name in ("beat-1", "beat-2"):
        cluster.beat(name)
    for name in ("worker-1", "worker-2"):
        cluster.worker(name)

    def overdue_told():
        return Reminder.objects.filter(reason="overdue", sent_at__isnull=False).count() == 6

    wait_for(overdue_told, cluster, "the overdue reminders")
    # Both beats fire the digest at the same minute, and the check every 3 s meanwhile.
    end = digest_at + timedelta(seconds=20)
    while datetime.now(deadlines.TZ) < end:
        assert all(p.poll() is None for p in cluster.processes), cluster.logs()
        time.sleep(1)

    beats = [p for p in cluster.processes if p.log_path.name.startswith("beat")]
    for beat in beats:  # both beats did send the tasks: the once-only is the database's
        log = beat.log_path.read_text()
        assert "Sending due task dossiers: overdue check" in log, log
        if working_day:
            assert "Sending due task dossiers: morning digest" in log, log
    sent = cluster.emails()
    assert len(sent) == len(set(sent)), sent
    overdue = [to for to, subject in sent if "vừa quá hạn" in subject]
    assert sorted(overdue) == sorted([specialist.email, leader.email])
    digests = [to for to, subject in sent if "cần chú ý" in subject.lower()]
    if working_day:
        assert sorted(digests) == sorted([specialist.email, leader.email]), cluster.logs()
    else:
        assert digests == []
    assert Reminder.objects.filter(sent_at__isnull=True).count() == 0
