"""Nobody fills the disk or breaks the online form by sending it again and again (issue 13,
items 5 and 7)."""

import contextlib
import os
import threading
import time
import uuid

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.urls import reverse

from dossiers import tasks, uploads
from dossiers.models import Dossier, Feedback, PendingUpload
from myphong import roles
from myphong.models import Profile
from procedures.models import Procedure
from tests.dossiers.test_uploads import pdf_bytes
from tests.factories import (
    AgencyFactory,
    ProcedureFactory,
    RequiredDocumentFactory,
    UserFactory,
)

MB = 1024 * 1024


def make_citizen(email):
    user = UserFactory(username=email, email=email, roles=[roles.CITIZEN])
    Profile.objects.update_or_create(user=user, defaults={"phone": "0912345678"})
    return user


@pytest.fixture
def procedure(db):
    procedure = ProcedureFactory(accepts_online=True, online_level=Procedure.OnlineLevel.FULL)
    RequiredDocumentFactory(procedure=procedure, name="Tờ khai")
    return procedure


def submit_url(procedure):
    return reverse("procedures:submit_online", args=[procedure.code])


def form(procedure, token=None, size=None, **overrides):
    data = {
        "token": str(token or uuid.uuid4()),
        "applicant_name": "Nguyễn Thị Lan",
        "id_number": "079190000001",
        "phone": "0912345678",
        "email": "lan@example.vn",
        "address": "Ấp Mỹ Phong, xã Mỹ Phong",
        "request_text": "",
    }
    document = procedure.documents.get()
    data[f"paper_{document.pk}"] = SimpleUploadedFile("to-khai.pdf", pdf_bytes(size))
    data.update(overrides)
    return data


def files_under(root):
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def unreferenced_files(settings):
    root = settings.MEDIA_ROOT
    return set(files_under(root)) - uploads.referenced_files() if root.exists() else set()


# --- Request bodies -----------------------------------------------------------------------------


def test_an_anonymous_big_post_is_refused_before_it_is_read(client, db, settings):
    body = SimpleUploadedFile("x.pdf", b"0" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1))
    response = client.post(reverse("dossiers:feedback"), {"content": "x", "file": body})
    assert response.status_code == 413


def test_a_logged_in_body_is_limited_too(procedure, settings):
    settings.REQUEST_BODY_MAX_MB = 1
    client = Client()
    client.force_login(make_citizen("lan@example.vn"))
    response = client.post(submit_url(procedure), form(procedure, size=2 * MB))
    assert response.status_code == 413
    assert not PendingUpload.objects.exists()


# --- Quotas -------------------------------------------------------------------------------------


def test_invalid_forms_cannot_keep_unlimited_files(procedure, settings):
    settings.PENDING_UPLOADS_MAX_MB = 1
    client = Client()
    client.force_login(make_citizen("lan@example.vn"))
    for _attempt in range(3):  # each a new form, each invalid (no ID number)
        response = client.post(submit_url(procedure), form(procedure, size=600_000, id_number=""))
        assert response.status_code == 200
    assert PendingUpload.objects.count() == 1
    assert any(
        response.context["form"].has_error(f"paper_{d.pk}", "pending_quota")
        for d in procedure.documents.all()
    )
    assert unreferenced_files(settings) == set()


def test_a_citizen_may_send_only_so_many_dossiers_a_day(procedure, settings):
    settings.DOSSIERS_PER_DAY = 2
    client = Client()
    client.force_login(make_citizen("lan@example.vn"))
    answers = [client.post(submit_url(procedure), form(procedure)).status_code for _n in range(3)]
    assert answers == [302, 302, 200]
    assert Dossier.objects.count() == 2


# --- Double submission, replayed tokens, orphans --------------------------------------------------


def test_another_citizens_token_replayed_answers_cleanly(procedure, settings):
    token = uuid.uuid4()
    first = Client()
    first.force_login(make_citizen("lan@example.vn"))
    first.post(submit_url(procedure), form(procedure, token=token, id_number=""))
    theirs = PendingUpload.objects.get()
    second = Client()
    second.force_login(make_citizen("hoa@example.vn"))
    response = second.post(submit_url(procedure), form(procedure, token=token))
    assert response.status_code == 302
    dossier = Dossier.objects.get()
    assert dossier.intake_token != token
    assert PendingUpload.objects.get() == theirs  # the first citizen's file is untouched
    assert os.path.exists(theirs.file.path)
    assert unreferenced_files(settings) == set()


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
def test_a_double_click_on_send_answers_cleanly_and_leaves_no_stray_file(
    procedure, settings, monkeypatch
):
    citizen = make_citizen("lan@example.vn")
    token = uuid.uuid4()
    # Both requests reach the moment of writing the kept file's row together.
    barrier = threading.Barrier(2)
    save = PendingUpload.save

    def save_together(self, *args, **kwargs):
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait(timeout=3)
        return save(self, *args, **kwargs)

    monkeypatch.setattr(PendingUpload, "save", save_together)
    statuses = []

    def click():
        client = Client(raise_request_exception=False)
        client.force_login(citizen)
        try:
            statuses.append(
                client.post(submit_url(procedure), form(procedure, token=token)).status_code
            )
        finally:
            connection.close()

    threads = [threading.Thread(target=click) for _n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert 500 not in statuses and len(statuses) == 2
    assert Dossier.objects.count() == 1
    assert unreferenced_files(settings) == set()


def test_the_sweep_removes_old_files_no_row_references(db, settings):
    user, document = UserFactory(), RequiredDocumentFactory()
    kept = PendingUpload(
        token=uuid.uuid4(), user=user, required_document=document, original_name="a.pdf",
        size=10, content_type="application/pdf", sha256="0" * 64,
    )  # fmt: skip
    kept.file.save("a.pdf", ContentFile(b"%PDF-1.4 x"), save=True)
    stray = settings.MEDIA_ROOT / "pending" / "2026" / "01" / "stray.pdf"
    stray.parent.mkdir(parents=True, exist_ok=True)
    stray.write_bytes(b"%PDF-1.4 lost")
    fresh = stray.with_name("just-written.pdf")
    fresh.write_bytes(b"%PDF-1.4 its row comes next")
    two_days_ago = time.time() - 2 * 86400
    for path in (stray, kept.file.path):
        os.utime(path, (two_days_ago, two_days_ago))
    assert tasks.sweep_orphan_files() == 1
    assert not stray.exists()
    assert fresh.exists() and os.path.exists(kept.file.path)


def test_feedback_from_one_ipv6_home_is_limited_however_the_address_ends(db, settings):
    settings.LOOKUP_MAX_FAILURES = 3
    agency = AgencyFactory()
    data = {
        "category": Feedback.Category.PROCEDURE,
        "agency": agency.pk,
        "content": "Đường vào UBND xã bị ngập.",
        "website": "",
    }
    url = reverse("dossiers:feedback")
    for n in range(3):
        Client().post(url, data, REMOTE_ADDR=f"2001:db8:5:6::{n + 1:x}")
    assert Client().post(url, data, REMOTE_ADDR="2001:db8:5:6:ffff::1").status_code == 429
    assert Client().post(url, data, REMOTE_ADDR="2001:db8:5:7::1").status_code == 302
    assert Feedback.objects.count() == 4
