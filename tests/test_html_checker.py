"""The Nu HTML checker (vnu-jar from the npm registry, run with the machine's Java) over the
main pages: no errors.

`make test` installs it into var/vnu. Outside CI a machine without Java or the jar skips this
test; under CI=true that is a failure.
"""

import json
import os
import shutil
import subprocess
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from dossiers import services
from dossiers.lookup import feedback as desk
from myphong import roles
from tests.factories import DossierFactory, ProcedureFactory, RequiredDocumentFactory, UserFactory

VNU_JAR = Path(
    os.environ.get("VNU_JAR")
    or Path(settings.BASE_DIR) / "var/vnu/node_modules/vnu-jar/build/dist/vnu.jar"
)


def _checker():
    java = shutil.which("java")
    if java is None or not VNU_JAR.is_file():
        message = (
            f"the HTML checker needs Java and {VNU_JAR} "
            "(npm install --prefix var/vnu vnu-jar, as make test does)"
        )
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return java


@pytest.fixture
def site(db):
    """A small office with a dossier in each place the main pages show one."""
    procedure = ProcedureFactory(
        code="1.001193",
        name="Thủ tục đăng ký khai sinh",
        processing_time=Decimal("3"),
        accepts_online=True,
        online_level="full",
    )
    RequiredDocumentFactory(procedure=procedure, name="Tờ khai đăng ký khai sinh theo mẫu")
    RequiredDocumentFactory(procedure=procedure, name="Giấy chứng sinh")
    agency = procedure.agency
    clerk = UserFactory(username="tiepnhan", roles=[roles.CLERK], roles__agency=agency)
    leader = UserFactory(username="lanhdao", roles=[roles.LEADER], roles__agency=agency)
    citizen = UserFactory(username="hoa@example.invalid", roles=[roles.CITIZEN])
    received = services.accept(DossierFactory(procedure=procedure, applicant=citizen), clerk)
    waiting = services.start_processing(
        services.accept(DossierFactory(procedure=procedure, applicant=citizen), clerk), leader
    )
    services.request_payment(waiting, leader, amount=8000)
    received = services.start_processing(received, leader)
    services.record_result(received, leader, number="12/KS", date=date(2026, 11, 27))
    DossierFactory(procedure=procedure, applicant=citizen)  # waits for the clerk
    feedback = desk.send_feedback(agency, "conduct", "Cán bộ thiếu nhiệt tình.", "Bình")
    return {
        "procedure": procedure,
        "clerk": clerk,
        "leader": leader,
        "citizen": citizen,
        "dossier": received,
        "feedback": feedback,
    }


def _pages(client, site):
    """(name, html) of the main pages, as each kind of reader sees them."""
    procedure, dossier = site["procedure"], site["dossier"]
    public = [
        ("home", reverse("home")),
        ("catalogue", reverse("procedures:list") + "?q=khai+sinh"),
        ("procedure", procedure.get_absolute_url()),
        ("login", reverse("login")),
        ("register", reverse("dossiers:register")),
        ("lookup", reverse("dossiers:lookup")),
        ("feedback", reverse("dossiers:feedback")),
    ]
    pages = []
    for name, url in public:
        pages.append((name, client.get(url)))
    pages.append(("login-error", client.post(reverse("login"), {"username": "x", "password": "y"})))
    pages.append(("feedback-errors", client.post(reverse("dossiers:feedback"), {})))
    client.force_login(site["citizen"])
    pages += [
        ("my-dossiers", client.get(reverse("dossiers:my_dossiers"))),
        ("my-dossier", client.get(reverse("dossiers:my_dossier", args=[dossier.pk]))),
        ("submit", client.get(reverse("procedures:submit_online", args=[procedure.code]))),
    ]
    client.force_login(site["clerk"])
    pages += [
        ("counter-queue", client.get(reverse("dossiers:counter_queue"))),
        ("intake", client.get(reverse("dossiers:counter_intake") + "?thu-tuc=1.001193")),
        ("receipt", client.get(reverse("dossiers:counter_receipt", args=[dossier.pk]))),
    ]
    client.force_login(site["leader"])
    pages += [
        ("office-queue", client.get(reverse("dossiers:office_queue") + "?hang=all")),
        ("office-dossier", client.get(reverse("dossiers:office_dossier", args=[dossier.pk]))),
        ("register-book", client.get(reverse("dossiers:register_book"))),
        ("feedback-queue", client.get(reverse("dossiers:feedback_queue"))),
        (
            "feedback-answer",
            client.get(reverse("dossiers:feedback_answer", args=[site["feedback"].pk])),
        ),
    ]
    for name, response in pages:
        assert response.status_code == 200, (name, response.status_code)
    return [(name, response.content) for name, response in pages]


def test_the_main_pages_have_no_html_errors(client, site, tmp_path):
    java = _checker()
    files = []
    for name, html in _pages(client, site):
        path = tmp_path / f"{name}.html"
        path.write_bytes(html)
        files.append(str(path))
    result = subprocess.run(
        [java, "-jar", str(VNU_JAR), "--errors-only", "--format", "json", *files],
        capture_output=True,
        text=True,
        timeout=300,
    )
    messages = json.loads(result.stderr or '{"messages": []}')["messages"]
    errors = [
        f"{Path(m.get('url', '')).stem}:{m.get('lastLine')}: {m['message']} — "
        f"{m.get('extract', '').strip()[:120]}"
        for m in messages
        if m.get("type") == "error"
    ]
    assert errors == []
    assert result.returncode == 0, result.stderr[-2000:]
