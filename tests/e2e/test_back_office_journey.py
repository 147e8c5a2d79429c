"""A dossier's whole life in the back office, in the browser: from the leader's assignment to
the clerk's return, once in time and once late after an apology (Form 04).

The live server keeps the real clock (a browser drops cookies that a frozen past clock would
issue already expired), so dossiers are received now through the services and the steps are
taken in the browser; the late journey then moves the dossier's stored due times back, as if
two weeks had passed.
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone, translation

from dossiers import services
from dossiers.models import Dossier
from dossiers.printing.wording import TIMELINESS_LABELS
from dossiers.workflow import Status
from myphong import roles
from myphong.models import person_name
from tests.e2e.conftest import axe_violations
from tests.factories import AgencyFactory, DossierFactory, ProcedureFactory, UserFactory

PASSWORD = "mat-khau-dai-2026"


@pytest.fixture
def office(transactional_db, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True  # no worker here: slips render in-process
    # transactional_db empties every table after a test, the groups of the data migration too.
    for name in roles.ALL:
        Group.objects.get_or_create(name=name)
    agency = AgencyFactory()
    people = {
        "clerk": UserFactory(username="tiepnhan", roles=[roles.CLERK], roles__agency=agency),
        "specialist": UserFactory(
            username="chuyenvien",
            first_name="Minh",
            last_name="Trần Văn",
            roles=[roles.SPECIALIST],
            roles__agency=agency,
        ),
        "leader": UserFactory(username="lanhdao", roles=[roles.LEADER], roles__agency=agency),
        "citizen": UserFactory(username="congdan", roles=[roles.CITIZEN]),
    }
    return agency, people


def log_in(page, username):
    page.goto("/dang-nhap/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(PASSWORD)
    with page.expect_navigation():
        page.locator("#id_password").press("Enter")
    assert "/dang-nhap/" not in page.url


@pytest.fixture
def open_as(browser, live_server):
    """A browser tab logged in as a user; each user has their own cookies."""
    contexts = []

    def open_as(username):
        context = browser.new_context(base_url=live_server.url, locale="vi-VN")
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        log_in(page, username)
        return page

    yield open_as
    for context in contexts:
        context.close()


def receive(agency, people, processing_days):
    procedure = ProcedureFactory(
        name="Đăng ký khai sinh", agency=agency, processing_time=Decimal(processing_days)
    )
    dossier = DossierFactory(
        procedure=procedure, applicant=people["citizen"], applicant_name="Nguyễn Thị Hoa"
    )
    return services.accept(dossier, people["clerk"])


def take(page, action, fill=None, select=None, uncheck=()):
    """Open the action's form on the dossier page, fill it and send it."""
    page.locator(f"#action-{action} > summary").click()
    for name, value in (fill or {}).items():
        page.locator(f"#id_{action}_{name}").fill(value)
    for name in uncheck:
        page.locator(f"#id_{action}_{name}").uncheck()
    for name, value in (select or {}).items():
        page.locator(f"#id_{action}_{name}").select_option(value)
    with page.expect_navigation():
        page.locator(f"#action-{action} button[type=submit]").click()
    errors = page.locator(".alert-danger, .invalid-feedback").all_inner_texts()
    assert not errors, errors


def open_from_queue(page, queue, dossier):
    page.goto(f"/xu-ly/?hang={queue}")
    assert axe_violations(page) == []
    with page.expect_navigation():
        page.get_by_role("link", name=dossier.code).click()
    assert axe_violations(page) == []


def status_label(status):
    with translation.override("vi"):
        return str(Status(status).label)


def timeliness_label(value):
    with translation.override("vi"):
        return str(TIMELINESS_LABELS[value])


def fresh(dossier):
    return Dossier.objects.get(pk=dossier.pk)


def test_a_dossier_is_assigned_processed_approved_resolved_and_returned_in_time(office, open_as):
    agency, people = office
    dossier = receive(agency, people, "5")

    leader = open_as("lanhdao")
    open_from_queue(leader, "unassigned", dossier)
    take(leader, "assign", select={"specialist": str(people["specialist"].pk)})
    assert leader.locator("#chuyen-vien").inner_text() == person_name(people["specialist"])

    specialist = open_as("chuyenvien")
    open_from_queue(specialist, "mine", dossier)
    take(specialist, "start")
    take(
        specialist,
        "request_supplement",
        fill={"items": "Bản sao giấy chứng sinh\nGiấy xác nhận cư trú", "note": "Thiếu giấy tờ"},
    )
    assert specialist.locator("#trang-thai").inner_text() == status_label(
        Status.AWAITING_SUPPLEMENT
    )
    assert "Bản sao giấy chứng sinh" in specialist.locator("#lich-su + ol").inner_text()

    # The citizen hands the papers in (their own page is another issue's): the clock restarts.
    services.add_supplement(
        fresh(dossier), people["citizen"], pending_uploads=[], note="Đã bổ sung"
    )

    open_from_queue(specialist, "mine", dossier)
    assert specialist.locator("#trang-thai").inner_text() == status_label(Status.IN_PROGRESS)
    today = timezone.localdate().strftime("%d/%m/%Y")
    take(
        specialist,
        "record_result",
        fill={"number": "123/QĐ-UBND", "date": today, "summary": "Cấp giấy khai sinh"},
    )
    take(specialist, "send_for_approval")

    open_from_queue(leader, "all", dossier)
    # The leader only signs here; the specialist marks it resolved (approving may do both).
    take(leader, "approve", fill={"note": "Đồng ý"}, uncheck=["resolve"])

    specialist.reload()
    take(specialist, "resolve")
    assert specialist.locator("#trang-thai").inner_text() == status_label(Status.RESOLVED)
    # Resolved today, days before the due date: early, on the page and in the record.
    assert specialist.locator("#thoi-gian-con-lai").inner_text() == timeliness_label("early")
    assert fresh(dossier).events.get(action="resolve").data == {"timeliness": "early"}

    clerk = open_as("tiepnhan")
    open_from_queue(clerk, "to_return", dossier)
    take(clerk, "return", fill={"collected_by": "Nguyễn Thị Hoa"}, select={"method": "counter"})
    assert clerk.locator("#trang-thai").inner_text() == status_label(Status.RETURNED)
    dossier = fresh(dossier)
    assert (dossier.returned_to, dossier.return_method) == ("Nguyễn Thị Hoa", "counter")


def test_a_late_dossier_gets_one_apology_and_is_judged_against_the_first_appointment(
    office, open_as
):
    agency, people = office
    # A day and a half of working time: Form 04 is proposed at once and still allowed.
    dossier = receive(agency, people, "1.5")
    services.assign(dossier, people["leader"], specialist=people["specialist"])
    services.start_processing(dossier, people["specialist"])
    services.record_result(dossier, people["specialist"], number="9/QĐ-UBND")

    specialist = open_as("chuyenvien")
    open_from_queue(specialist, "mine", dossier)
    assert specialist.locator("#de-xuat-mau-04").is_visible()
    # The proposed new appointment (current due + 2 working days) is already filled in.
    take(specialist, "reschedule", fill={"note": "Chờ kết quả xác minh của công an xã"})
    dossier = fresh(dossier)
    first_due = dossier.due_before_apology
    assert first_due is not None
    assert dossier.due_at > first_due
    assert specialist.locator("#de-xuat-mau-04").count() == 0

    # Two weeks go by: the first appointment (and the new one) are now in the past.
    week = timedelta(days=14)
    Dossier.objects.filter(pk=dossier.pk).update(
        received_at=dossier.received_at - week,
        clock_started_at=dossier.clock_started_at - week,
        due_before_apology=first_due - week,
        due_at=dossier.due_at - week,
    )

    leader = open_as("lanhdao")
    open_from_queue(leader, "overdue", dossier)
    take(leader, "approve")  # signs and resolves in one step
    assert leader.locator("#thoi-gian-con-lai").inner_text() == timeliness_label("late")
    assert fresh(dossier).events.get(action="resolve").data == {"timeliness": "late"}


def test_the_queue_and_the_dossier_page_fit_a_360px_phone(office, browser, live_server):
    agency, people = office
    dossier = receive(agency, people, "5")
    services.assign(dossier, people["leader"], specialist=people["specialist"])
    context = browser.new_context(
        base_url=live_server.url,
        locale="vi-VN",
        viewport={"width": 360, "height": 740},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )
    try:
        page = context.new_page()
        log_in(page, "chuyenvien")
        for path in ("/xu-ly/?hang=mine", f"/xu-ly/ho-so/{dossier.pk}/"):
            page.goto(path)
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 360, f"{path} is {width}px wide"
            assert axe_violations(page) == []
    finally:
        context.close()
