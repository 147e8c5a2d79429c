"""In the browser: a citizen registers, confirms the email, logs in and submits online."""

import re

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import Group
from django.core import mail
from django.test import Client
from django.utils import translation
from playwright.sync_api import expect

from dossiers import services
from dossiers.models import Dossier
from dossiers.workflow import Status
from myphong import roles
from myphong.models import Profile
from procedures.models import Procedure
from tests.dossiers.test_uploads import pdf_bytes
from tests.e2e.conftest import axe_violations
from tests.factories import ProcedureFactory, RequiredDocumentFactory, UserFactory

PASSWORD = "Tre-xanh-2026!"


def vi(message):
    """`message` as the Vietnamese page shows it."""
    with translation.override("vi"):
        return translation.gettext(message)


def exactly(label):
    """A field's label exactly, with the asterisk crispy adds to required fields."""
    return re.compile(rf"^\s*{re.escape(label)}\s*\*?\s*$")


@pytest.fixture
def khai_sinh(transactional_db, settings, live_server):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.PORTAL_BASE_URL = live_server.url
    mail.outbox = []
    # transactional_db empties every table after a test, the groups of the data migration too.
    for name in roles.ALL:
        Group.objects.get_or_create(name=name)
    procedure = ProcedureFactory(
        code="1.001193",
        name="Đăng ký khai sinh",
        accepts_online=True,
        online_level=Procedure.OnlineLevel.FULL,
    )
    RequiredDocumentFactory(procedure=procedure, name="Tờ khai đăng ký khai sinh", order=1)
    RequiredDocumentFactory(
        procedure=procedure, name="Văn bản ủy quyền", order=2, is_required=False
    )
    return procedure


def test_citizen_registers_confirms_logs_in_and_submits_with_a_pdf(page, khai_sinh):
    page.goto("/")
    page.get_by_role("link", name=vi("Register")).click()
    page.get_by_label(vi("Full name")).fill("Nguyễn Thị Lan")
    page.get_by_label(vi("Email")).fill("lan.nguyen@example.vn")
    page.get_by_label(vi("Mobile phone")).fill("0912 345 678")
    page.get_by_label(exactly(vi("Password"))).fill(PASSWORD)
    page.get_by_label(vi("Password again")).fill(PASSWORD)
    page.get_by_role("button", name=vi("Create the account")).click()
    assert page.get_by_role("heading", level=1).inner_text() == vi("Check your email")

    link = re.search(r"http\S+/dang-ky/xac-nhan/\S+", mail.outbox[-1].body).group(0)
    page.goto(link)  # a page with a button: a mail scanner's GET activates nothing
    assert axe_violations(page) == []
    page.get_by_role("button", name=vi("Confirm my email")).click()
    assert page.get_by_role("heading", level=1).inner_text() == vi("My dossiers")

    # Log out, and back in with the email typed in capitals.
    page.locator("form[action='/dang-xuat/'] button").click()
    page.goto("/dang-nhap/")
    page.get_by_label(vi("Email or username")).fill("LAN.NGUYEN@EXAMPLE.VN")
    page.get_by_label(vi("Password")).fill(PASSWORD)
    page.get_by_role("button", name=vi("Log in"), exact=True).click()

    page.goto(khai_sinh.get_absolute_url())
    page.get_by_role("link", name=vi("Submit online")).click()
    assert page.get_by_label(vi("Full name")).input_value() == "Nguyễn Thị Lan"
    assert page.get_by_label(vi("Mobile phone")).input_value() == "0912345678"
    assert axe_violations(page) == []

    # Sent without the required paper: the form says so, keeps what was typed, stays accessible.
    page.get_by_label(vi("Personal identification number (12 digits)")).fill("079190000001")
    page.get_by_label(vi("Permanent or current address")).fill("Ấp Mỹ Phong, xã Mỹ Phong")
    page.get_by_role("button", name=vi("Send the dossier")).click()
    assert page.get_by_role("alert").is_visible()
    assert page.get_by_label(vi("Permanent or current address")).input_value() == (
        "Ấp Mỹ Phong, xã Mỹ Phong"
    )
    assert axe_violations(page) == []

    page.get_by_label("Tờ khai đăng ký khai sinh").set_input_files(
        files=[{"name": "Tờ khai.pdf", "mimeType": "application/pdf", "buffer": pdf_bytes()}]
    )
    page.get_by_role("button", name=vi("Send the dossier")).click()

    assert page.get_by_role("heading", level=1).inner_text() == vi("Your dossier has been sent")
    assert page.get_by_text("To_khai.pdf").is_visible()
    assert page.get_by_text(vi("Waiting for reception")).first.is_visible()
    assert axe_violations(page) == []
    dossier = Dossier.objects.get()
    assert dossier.status == Status.SUBMITTED
    assert dossier.applicant.username == "lan.nguyen@example.vn"
    assert dossier.attachments.get().original_name == "To_khai.pdf"


def _log_in(page, live_server, user):
    """Put a logged-in session cookie into the browser (the login page has its own tests)."""
    client = Client()
    client.force_login(user)
    cookie = client.cookies[django_settings.SESSION_COOKIE_NAME]
    page.context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])


def test_the_submission_form_fits_a_360px_phone(phone_page, khai_sinh, live_server):
    citizen = UserFactory(username="lan@example.vn", roles=[roles.CITIZEN])
    Profile.objects.create(user=citizen, phone="0912345678")
    _log_in(phone_page, live_server, citizen)
    phone_page.goto(f"{khai_sinh.get_absolute_url()}nop-truc-tuyen/")
    expect(phone_page.get_by_role("button", name=vi("Send the dossier"))).to_be_visible()
    overflow = phone_page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0


def test_account_and_dossier_pages_pass_axe(page, khai_sinh, live_server):
    for path in ["/dang-ky/", "/dang-ky/gui-lai/", "/dang-ky/da-gui/"]:
        page.goto(path)
        assert axe_violations(page) == [], path
    page.goto("/dang-ky/")
    with page.expect_navigation():
        page.get_by_role("button", name=vi("Create the account")).click()  # every field in error
    assert axe_violations(page) == []

    citizen = UserFactory(username="lan@example.vn", roles=[roles.CITIZEN])
    Profile.objects.create(user=citizen, phone="0912345678")
    dossier = services.submit_online(
        khai_sinh, citizen, applicant=services.Applicant("Nguyễn Thị Lan", "0912345678")
    )
    clerk = UserFactory(username="tiepnhan", roles=[roles.CLERK])
    Profile.objects.update_or_create(user=clerk, defaults={"agency": khai_sinh.agency})
    services.request_supplement(
        dossier, clerk, items=["Tờ khai đăng ký khai sinh"], reason="Thiếu chữ ký."
    )
    _log_in(page, live_server, citizen)
    for path in ["/ho-so-cua-toi/", f"/ho-so-cua-toi/{dossier.pk}/"]:
        page.goto(path)
        assert axe_violations(page) == [], path
    with page.expect_navigation():
        page.get_by_role("button", name=vi("Send the supplements")).click()  # nothing attached
    assert page.get_by_role("alert").is_visible()
    assert axe_violations(page) == []
