"""In the browser: the receipt's QR code opens the lookup, the citizen rates, sends feedback."""

from decimal import Decimal

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.utils import translation

from dossiers import services
from dossiers.models import Feedback, Rating
from dossiers.printing import wording
from myphong import roles
from tests.e2e.conftest import axe_violations
from tests.factories import AgencyFactory, DossierFactory, ProcedureFactory, UserFactory

PHONE = "0912345678"


def vi(message):
    """`message` as the Vietnamese page shows it."""
    with translation.override("vi"):
        return translation.gettext(message)


@pytest.fixture
def office(transactional_db, settings, live_server):
    settings.PORTAL_BASE_URL = live_server.url
    settings.LOOKUP_MIN_SECONDS = 0
    cache.clear()
    # transactional_db empties every table after a test, the groups of the data migration too.
    for name in roles.ALL:
        Group.objects.get_or_create(name=name)
    agency = AgencyFactory(address="Ấp Mỹ Hòa, xã Mỹ Phong")
    procedure = ProcedureFactory(
        name="Đăng ký khai sinh", agency=agency, processing_time=Decimal("3")
    )
    clerk = UserFactory(username="tiepnhan", roles=[roles.CLERK], roles__agency=agency)
    leader = UserFactory(username="lanhdao", roles=[roles.LEADER], roles__agency=agency)
    yield {"procedure": procedure, "clerk": clerk, "leader": leader}
    cache.clear()


def received(office, **fields):
    dossier = DossierFactory(
        procedure=office["procedure"],
        applicant_name="Nguyễn Thị Hoa",
        applicant_phone=PHONE,
        **fields,
    )
    return services.accept(dossier, office["clerk"])


def returned(office):
    dossier = received(office, lookup_key="K7M2QP")
    leader, clerk = office["leader"], office["clerk"]
    dossier = services.start_processing(dossier, leader)
    dossier = services.record_result(dossier, leader, number="15/2026/KS")
    dossier = services.approve(dossier, leader)
    dossier = services.mark_resolved(dossier, leader)
    return services.mark_returned(dossier, clerk, collected_by="Nguyễn Thị Hoa", method="counter")


def test_the_receipt_qr_code_opens_the_lookup_and_the_phone_shows_the_timeline(page, office):
    dossier = received(office)
    services.request_supplement(
        dossier, office["clerk"], items=["Giấy chứng sinh (bản rõ nét)"], reason="Ảnh bị mờ."
    )
    url = wording.lookup_url(dossier.code)  # what the receipt's QR code carries
    assert url.startswith(django_settings.PORTAL_BASE_URL)
    page.goto(url)
    assert page.get_by_role("heading", level=1).inner_text() == vi("Look up a dossier")
    assert page.get_by_label(vi("Dossier code")).input_value() == dossier.code
    assert axe_violations(page) == []

    page.get_by_label(vi("Phone number or lookup key")).fill("+84 912 345 678")
    page.get_by_role("button", name=vi("Look up"), exact=True).click()
    assert page.get_by_role("heading", level=1).inner_text() == "Đăng ký khai sinh"
    body = page.locator("main").inner_text()
    assert "Nguyễn T. H." in body
    assert vi("The one-stop office received the dossier.") in body
    assert vi("The office asked you to add papers.") in body
    assert "Giấy chứng sinh (bản rõ nét)" in body
    assert PHONE not in page.content() and "Nguyễn Thị Hoa" not in page.content()
    assert "0912" not in page.url
    assert axe_violations(page) == []


def test_a_wrong_phone_gets_the_one_message(page, office):
    dossier = received(office)
    page.goto(wording.lookup_url(dossier.code))
    page.get_by_label(vi("Phone number or lookup key")).fill("0987654321")
    page.get_by_role("button", name=vi("Look up"), exact=True).click()
    alert = page.get_by_role("alert")
    assert alert.inner_text().strip() == vi(
        "We found no record with this code and this phone number or lookup key. Please check "
        "both and try again."
    )
    assert axe_violations(page) == []


def test_the_citizen_rates_from_the_lookup_page_on_a_phone(phone_page, office):
    page = phone_page
    dossier = returned(office)
    page.goto("/tra-cuu/")
    page.get_by_label(vi("Dossier code")).fill(dossier.code.lower())
    page.get_by_label(vi("Phone number or lookup key")).fill("k7m2qp")
    page.get_by_role("button", name=vi("Look up"), exact=True).click()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.get_by_role("link", name=vi("Rate the service")).click()
    assert page.get_by_role("heading", level=1).inner_text() == vi("Rate the service")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert axe_violations(page) == []

    for group in page.locator("fieldset").all():
        group.locator("input[type=radio]").last.check()
    page.get_by_role("button", name=vi("Send my rating")).click()
    assert vi("Thank you for rating the service.") in page.locator("main").inner_text()
    rating = Rating.objects.get()
    assert (rating.dossier_id, rating.channel, rating.total) == (dossier.pk, "lookup", 18)


def test_anonymous_feedback_in_the_browser(page, office):
    page.goto("/")
    page.get_by_role("link", name=vi("Feedback and petitions")).first.click()
    assert page.get_by_role("heading", level=1).inner_text() == vi("Feedback and petitions")
    assert axe_violations(page) == []
    page.get_by_label(
        vi("Bothering, harassment, or requests for money not required by law")
    ).check()
    page.get_by_label(vi("Your feedback")).fill("Cán bộ yêu cầu nộp thêm 200.000 đồng.")
    page.get_by_role("button", name=vi("Send the feedback")).click()
    feedback = Feedback.objects.get()
    assert feedback.category == Feedback.Category.HARASSMENT
    assert feedback.code in page.locator("main").inner_text()
    assert feedback.lookup_key in page.locator("main").inner_text()
    assert axe_violations(page) == []
