"""After a supplement request: the clock pauses by default (Decree 61/2018 art. 17(1)(c)),
`restart` stays a per-procedure option, and the applicant gets a new appointment — a new Form 01
that replaces the earlier one (kept) and an email and text message with the new date."""

from datetime import datetime
from decimal import Decimal

import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse
from freezegun import freeze_time

from dossiers import services
from dossiers.calendar.engine import TZ
from dossiers.models import Slip
from dossiers.printing import slips
from dossiers.workflow import Event, Status
from myphong import roles
from procedures.catalogue_io import export_csv, import_catalogue, read_rows
from procedures.models import Procedure
from tests.doubles import poppler
from tests.factories import DossierFactory, ProcedureFactory, UserFactory

ENGLISH = "en"  # the language the reader chose (cookie); the browser's is ignored


def at(day, month, hour, minute=0, year=2025):
    return datetime(year, month, day, hour, minute, tzinfo=TZ)


def pdf_text(slip):
    return " ".join(poppler("pdftotext", "-raw", slip.file.path, "-").split())


@pytest.fixture
def citizen(db):
    return UserFactory(username="hoa@example.invalid", roles=[roles.CITIZEN])


@pytest.fixture
def supplemented(clerk, citizen, django_capture_on_commit_callbacks):
    """Received online Mon 21/04/2025 08:00 (5 working days: due Sat 26/04 08:00, a make-up
    day), asked for papers Tue 22/04 08:00 after 8 working hours, completed Fri 25/04 09:00:
    the 32 hours left run to Mon 05/05/2025 09:00."""
    procedure = ProcedureFactory(
        processing_time=Decimal("5"), accepts_online=True, online_level="full"
    )
    dossier = DossierFactory(procedure=procedure, applicant=citizen)
    with freeze_time(at(21, 4, 8)), django_capture_on_commit_callbacks(execute=True):
        services.accept(dossier, clerk)
    with freeze_time(at(22, 4, 8)):
        services.request_supplement(dossier, clerk, items=["Tờ khai"], reason="Thiếu tờ khai")
    mail.outbox.clear()
    with freeze_time(at(25, 4, 9)), django_capture_on_commit_callbacks(execute=True):
        services.add_supplement(dossier, citizen, pending_uploads=[])
    dossier.refresh_from_db()
    return dossier


def test_the_applicant_gets_a_new_form_01_with_the_new_appointment(supplemented):
    receipts = Slip.objects.filter(dossier=supplemented, form="01").order_by("created_at", "id")
    assert receipts.count() == 2  # the first receipt is kept
    first, new = receipts
    assert first.event.action == Event.ACCEPT
    assert new.event.action == Event.NEW_APPOINTMENT
    text = pdf_text(new)
    assert "Thay thế Giấy tiếp nhận hồ sơ và hẹn trả kết quả cấp lúc 08:00 ngày 21/04/2025" in text
    assert "09 giờ 00 phút, ngày 05/05/2025" in text
    old_text = pdf_text(first)
    assert "08 giờ 00 phút, ngày 26/04/2025" in old_text
    assert "Thay thế" not in old_text


def test_the_new_appointment_is_emailed_and_texted(supplemented, sms):
    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert "hẹn trả kết quả mới 09:00 ngày 05/05/2025" in email.subject
    assert "Thời gian hẹn trả kết quả trước đây: 08:00 ngày 26/04/2025" in email.body
    assert "thời gian chờ Ông/Bà bổ sung không tính" in email.body
    assert any("05/05/2025" in text for _phone, text in sms)


def test_my_dossier_lists_both_receipts_the_earlier_one_marked_replaced(supplemented, client):
    client.force_login(supplemented.applicant)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = ENGLISH
    page = client.get(reverse("dossiers:my_dossier", args=[supplemented.pk]))
    html = page.content.decode()
    assert html.count("Receipt and appointment (Form 01)") == 2
    assert html.count("replaced by a later one") == 1
    new = supplemented.events.get(action=Event.NEW_APPOINTMENT)
    download = client.get(reverse("dossiers:slip_of_event", args=[supplemented.pk, "01", new.pk]))
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    latest = client.get(reverse("dossiers:slip", args=[supplemented.pk, "01"]))
    newest = slips.ensure_slip(supplemented, "01", new)
    assert b"".join(latest.streaming_content) == newest.file.read()


def test_a_dossier_supplemented_before_receipt_gets_no_new_appointment(clerk, citizen):
    procedure = ProcedureFactory(accepts_online=True, online_level="full")
    dossier = DossierFactory(procedure=procedure, applicant=citizen)
    services.request_supplement(dossier, clerk, items=["Tờ khai"], reason="Thiếu")
    services.add_supplement(dossier, citizen, pending_uploads=[])
    dossier.refresh_from_db()
    assert dossier.status == Status.SUBMITTED
    assert not dossier.events.filter(action=Event.NEW_APPOINTMENT).exists()


def test_the_admin_calendar_page_shows_the_active_rule(admin_client, settings):
    ProcedureFactory(code="2.002409", supplement_rule="restart")
    settings.DEADLINE_SUPPLEMENT_RULE = "pause"
    url = reverse("admin:dossiers_calendarexception_year", args=[2026])
    admin_client.cookies[settings.LANGUAGE_COOKIE_NAME] = ENGLISH
    html = admin_client.get(url).content.decode()
    assert "Portal rule (DEADLINE_SUPPLEMENT_RULE): the legal time pauses and resumes." in html
    assert "2.002409 (restart)" in html
    settings.DEADLINE_SUPPLEMENT_RULE = "restart"
    admin_client.cookies[settings.LANGUAGE_COOKIE_NAME] = ENGLISH
    html = admin_client.get(url).content.decode()
    assert "the legal time restarts from zero." in html


def test_the_supplement_rule_travels_through_the_catalogue_file(db):
    own = ProcedureFactory(code="1.000001", supplement_rule="restart")
    ProcedureFactory(code="1.000002", sector=own.sector, agency=own.agency)
    data = export_csv(Procedure.objects.all())
    Procedure.objects.all().delete()
    import_catalogue(read_rows(data))
    assert Procedure.objects.get(code="1.000001").supplement_rule == "restart"
    assert Procedure.objects.get(code="1.000002").supplement_rule == ""
