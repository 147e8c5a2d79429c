"""The public lookup: code + phone or lookup key, and nothing about a dossier without both."""

import os
import re
import subprocess
import sys
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone, translation
from freezegun import freeze_time

from dossiers import services
from dossiers.lookup import guard, progress
from dossiers.models import LookupAttempt
from dossiers.printing import wording
from dossiers.workflow import Status
from tests.factories import AgencyFactory, DossierFactory, ProcedureFactory, UserFactory

VN = ZoneInfo("Asia/Ho_Chi_Minh")
PHONE = "0912345678"
KEY = "K7M2QP"
ID_NUMBER = "079190000001"
ADDRESS = "Số 12 đường Trần Phú, ấp Bình Lợi"
EMAIL = "hoa.nguyen@example.invalid"
CSRF = re.compile(rb'name="csrfmiddlewaretoken" value="[^"]+"')
URL_ATTRIBUTES = re.compile(r'(?:href|action|src)="([^"]*)"')


def vi(message):
    """`message` as a Vietnamese page shows it (English until the catalogue has it)."""
    with translation.override("vi"):
        return translation.gettext(message)


@pytest.fixture(autouse=True)
def _fast_and_fresh(settings):
    """No padding or slowing in tests (checked separately), and fresh throttle counters."""
    settings.LOOKUP_MIN_SECONDS = 0
    settings.LOOKUP_SLOW_SECONDS = 0
    cache.clear()
    yield
    cache.clear()


# `clerk` and `leader` come from tests/dossiers/conftest.py, working for this `agency`.
@pytest.fixture
def agency(db):
    """The shared office, with the address and phone the lookup shows for collecting results."""
    return AgencyFactory(address="Ấp Mỹ Hòa, xã Mỹ Phong", phone="0294 3855 123")


@pytest.fixture
def procedure(agency):
    return ProcedureFactory(name="Đăng ký khai sinh", agency=agency, processing_time=Decimal("3"))


def receive(procedure, clerk, **applicant):
    """A dossier received at the office (it has its code), with distinctive personal data."""
    fields = {
        "applicant_name": "Nguyễn Thị Hoa",
        "applicant_phone": PHONE,
        "applicant_id_number": ID_NUMBER,
        "applicant_address": ADDRESS,
        "applicant_email": EMAIL,
        "lookup_key": KEY,
        **applicant,
    }
    return services.accept(DossierFactory(procedure=procedure, **fields), clerk)


@pytest.fixture
def dossier(procedure, clerk):
    return receive(procedure, clerk)


def resolve(dossier, leader):
    dossier = services.start_processing(dossier, leader)
    dossier = services.record_result(dossier, leader, number="15/2026/KS")
    dossier = services.approve(dossier, leader)
    return services.mark_resolved(dossier, leader)


def return_result(dossier, leader, clerk):
    dossier = resolve(dossier, leader)
    return services.mark_returned(dossier, clerk, collected_by="Nguyễn Thị Hoa", method="counter")


def look_up(client, code, factor, ip="203.0.113.7", **headers):
    return client.post(
        reverse("dossiers:lookup"), {"code": code, "factor": factor}, REMOTE_ADDR=ip, **headers
    )


def without_csrf(response):
    return CSRF.sub(b"", response.content)


# --- Success -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "factor", [PHONE, "+84 912 345 678", "0912.345.678", "84912345678", "k7m2qp", " K7M-2QP "]
)
def test_code_and_phone_or_key_open_the_dossier(client, dossier, factor):
    response = look_up(client, dossier.code.lower(), factor)
    assert response.status_code == 302
    assert response["Location"] == reverse("dossiers:lookup_result")
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert page.context["dossier"] == dossier


def test_the_result_shows_procedure_agency_status_masked_name_and_timeline(client, dossier):
    look_up(client, dossier.code, PHONE)
    page = client.get(reverse("dossiers:lookup_result")).text
    assert dossier.code in page
    assert "Đăng ký khai sinh" in page
    assert dossier.agency.name in page
    assert str(Status.RECEIVED.label) in page
    assert "Nguyễn T. H." in page
    assert vi("The one-stop office received the dossier.") in page
    assert timezone.localtime(dossier.due_at).strftime("%H:%M, %d/%m/%Y") in page


def test_the_result_never_shows_phone_id_number_address_email_or_key(
    client, dossier, leader, clerk
):
    dossier = return_result(dossier, leader, clerk)
    look_up(client, dossier.code, PHONE)
    page = client.get(reverse("dossiers:lookup_result")).text
    for secret in [PHONE, "912 345 678", ID_NUMBER, ADDRESS, EMAIL, KEY, "Nguyễn Thị Hoa"]:
        assert secret not in page, secret


@pytest.mark.parametrize(
    "name, masked",
    [
        ("Nguyễn Thị Hoa", "Nguyễn T. H."),
        ("Đặng   văn đức", "Đặng V. Đ."),
        ("Lê", "Lê"),
        ("", ""),
    ],
)
def test_names_keep_the_family_name_and_initials(name, masked):
    assert progress.mask_name(name) == masked


def test_the_timeline_says_exactly_which_papers_are_missing(client, dossier, clerk):
    services.request_supplement(
        dossier,
        clerk,
        items=["Giấy chứng sinh (bản rõ nét)", "Bản sao CCCD của mẹ"],
        reason="Ảnh bị mờ.",
    )
    look_up(client, dossier.code, PHONE)
    page = client.get(reverse("dossiers:lookup_result")).text
    assert vi("The office asked you to add papers.") in page
    assert "Giấy chứng sinh (bản rõ nét)" in page
    assert "Bản sao CCCD của mẹ" in page
    assert "Ảnh bị mờ." in page
    assert str(Status.AWAITING_SUPPLEMENT.label) in page


def test_a_transfer_names_the_other_agency(client, dossier, leader):
    province = AgencyFactory(code="000.00.12.H56", name="Sở Tư pháp tỉnh", level="province")
    dossier = services.start_processing(dossier, leader)
    services.transfer_to_agency(dossier, leader, agency=province)
    look_up(client, dossier.code, PHONE)
    page = client.get(reverse("dossiers:lookup_result")).text
    assert vi("The dossier is being processed.") in page
    sentence = vi("The dossier was sent to %(agency)s, which takes part in processing it.")
    assert sentence % {"agency": "Sở Tư pháp tỉnh"} in page


def test_a_ready_result_says_where_and_when_to_collect_it(client, dossier, leader, clerk):
    resolve(dossier, leader)
    look_up(client, dossier.code, PHONE)
    page = client.get(reverse("dossiers:lookup_result")).text
    assert vi("The result is ready: you can collect it.") in page
    assert "Ấp Mỹ Hòa, xã Mỹ Phong" in page
    assert "07:00–11:30" in page and "13:30–17:00" in page
    assert "từ thứ Hai đến thứ Sáu (trừ ngày nghỉ lễ, Tết)" in page


def test_a_returned_result_is_in_the_timeline(client, dossier, leader, clerk):
    return_result(dossier, leader, clerk)
    look_up(client, dossier.code, PHONE)
    page = client.get(reverse("dossiers:lookup_result")).text
    assert vi("The result was handed over.") in page
    assert str(Status.RETURNED.label) in page


def test_the_office_s_internal_steps_are_not_in_the_timeline(client, dossier, leader):
    dossier = services.start_processing(dossier, leader)
    services.record_result(dossier, leader, number="15/2026/KS")
    look_up(client, dossier.code, PHONE)
    rows = client.get(reverse("dossiers:lookup_result")).context["timeline"]
    assert [row["event"].action for row in rows] == ["accept", "start"]


# --- On track, at risk, overdue ------------------------------------------------------------


def monday(hour, day=2):
    # Mon 02/03/2026: no public holiday that week.
    return datetime(2026, 3, day, hour, 0, tzinfo=VN)


@pytest.mark.parametrize(
    "now, state",
    [
        (monday(9), "ok"),  # due Thu 05/03 08:00: more than a working day left
        (monday(9, day=4), "soon"),  # Wed 09:00: 7 working hours left
        (monday(10, day=5), "overdue"),  # Thu 10:00
    ],
)
def test_progress_is_judged_on_the_agency_calendar(procedure, clerk, now, state):
    with freeze_time(monday(8)):
        dossier = receive(procedure, clerk)
    assert timezone.localtime(dossier.due_at) == monday(8, day=5)
    assert progress.progress(dossier, now)["state"] == state


def test_the_page_says_at_risk_in_words(client, procedure, clerk):
    with freeze_time(monday(8)):
        dossier = receive(procedure, clerk)
    with freeze_time(monday(9, day=4)):
        look_up(client, dossier.code, PHONE)
        page = client.get(reverse("dossiers:lookup_result")).text
    assert vi("At risk: one working day or less left") in page


def test_a_dossier_waiting_for_papers_has_its_clock_stopped(dossier, clerk):
    dossier = services.request_supplement(dossier, clerk, items=["Giấy chứng sinh"], reason="Thiếu")
    assert progress.progress(dossier)["state"] == "paused"


# --- One failure, whatever went wrong -------------------------------------------------------


def test_every_failure_gives_the_same_bytes_status_and_headers(client, dossier, procedure, clerk):
    other = receive(procedure, clerk, applicant_phone="0987654321", lookup_key="ZZ9ZZ9")
    with freeze_time(timezone.now()):  # the Expires header carries the time to the second
        failures = {
            "wrong phone": look_up(client, dossier.code, "0987654321"),
            "wrong key": look_up(client, dossier.code, "ZZ9ZZ9"),  # another dossier's key
            "unknown code": look_up(client, "000.17.22.H56-991231-9999", PHONE),
            "other dossier's phone": look_up(client, other.code, PHONE),
            "malformed": look_up(client, "'; DROP TABLE dossiers; --" * 20, "abc" * 100),
            "empty": look_up(client, "", ""),
            "ID number as factor": look_up(client, dossier.code, ID_NUMBER),
        }
    reference = failures["wrong phone"]
    assert reference.status_code == 200
    assert vi(guard.FAILED) in reference.text
    for name, response in failures.items():
        assert response.status_code == reference.status_code, name
        assert without_csrf(response) == without_csrf(reference), name
        assert dict(response.headers) == dict(reference.headers), name
        assert set(response.cookies) == set(reference.cookies), name
        assert "lookup.dossier" not in client.session, name


def test_the_failure_page_does_not_echo_what_was_typed(client, dossier):
    response = look_up(client, dossier.code, "0987654321")
    assert dossier.code not in response.text
    assert "0987654321" not in response.text


def test_the_failure_is_one_message_in_vietnamese(client, dossier):
    response = look_up(client, dossier.code, "0987654321")
    assert response.text.count('role="alert"') == 1
    assert response.context["failure"] == guard.FAILED


def test_a_dossier_not_yet_received_has_no_code_and_cannot_be_looked_up(client, procedure):
    waiting = DossierFactory(procedure=procedure, applicant_phone=PHONE, lookup_key=KEY)
    assert waiting.code is None
    response = look_up(client, "", KEY)
    assert response.status_code == 200
    assert vi(guard.FAILED) in response.text


def test_both_factors_are_compared_in_constant_time_even_for_an_unknown_code(
    client, dossier, monkeypatch
):
    compared = []
    real = guard.hmac.compare_digest

    def spy(a, b):
        compared.append((a, b))
        return real(a, b)

    monkeypatch.setattr(guard.hmac, "compare_digest", spy)
    look_up(client, "000.17.22.H56-991231-9999", PHONE)
    assert len(compared) == 2  # phone and key, against the dummy values
    compared.clear()
    look_up(client, dossier.code, "0987654321")
    assert len(compared) == 2  # phone and key, against the real values


# --- Lookup by ID number alone is not offered ------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        {"cccd": ID_NUMBER},
        {"id_number": ID_NUMBER},
        {"applicant_id_number": ID_NUMBER},
        {"so_cccd": ID_NUMBER, "factor": PHONE},
        {"code": ID_NUMBER, "factor": PHONE},
        {"code": ID_NUMBER, "factor": ID_NUMBER},
    ],
)
def test_an_id_number_alone_never_finds_a_dossier(client, dossier, data):
    response = client.post(reverse("dossiers:lookup"), data)
    assert response.status_code == 200
    assert vi(guard.FAILED) in response.text
    assert "lookup.dossier" not in client.session


def test_nothing_is_looked_up_from_the_query_string(client, dossier):
    query = f"?ma={dossier.code}&factor={PHONE}&cccd={ID_NUMBER}&sdt={PHONE}"
    response = client.get(reverse("dossiers:lookup") + query)
    assert response.status_code == 200
    assert "lookup.dossier" not in client.session
    assert "Nguyễn T. H." not in response.text
    assert client.get(reverse("dossiers:lookup_result")).status_code == 302


# --- Nothing personal in a URL; the QR code --------------------------------------------------


def test_no_factor_or_personal_data_in_any_url(client, dossier):
    response = look_up(client, dossier.code, PHONE)
    urls = [response["Location"]]
    for name in ["dossiers:lookup", "dossiers:lookup_result"]:
        page = client.get(reverse(name)).text
        urls += URL_ATTRIBUTES.findall(page)
        assert 'method="post"' in page or name == "dossiers:lookup_result"
    assert urls
    for url in urls:
        for secret in [PHONE, KEY, ID_NUMBER, "Hoa", "912345678"]:
            assert secret not in url, (secret, url)


def test_the_receipt_qr_url_opens_the_form_with_the_code_filled_in(client, dossier):
    url = wording.lookup_url(dossier.code)
    assert url.startswith(django_settings.PORTAL_BASE_URL + reverse("dossiers:lookup"))
    response = client.get(url.removeprefix(django_settings.PORTAL_BASE_URL))
    assert response.status_code == 200
    assert f'value="{dossier.code}"' in response.text
    factor = response.context["form"]["factor"]
    assert not factor.value()


def test_the_home_page_has_a_lookup_box(client, db):
    page = client.get(reverse("home")).text
    assert f'action="{reverse("dossiers:lookup")}"' in page
    assert 'name="code"' in page and 'name="factor"' in page


def test_the_main_navigation_offers_lookup_and_feedback(client, db):
    page = client.get(reverse("home")).text
    assert f'href="{reverse("dossiers:lookup")}"' in page
    assert f'href="{reverse("dossiers:feedback")}"' in page


# --- Throttling ------------------------------------------------------------------------------


def unknown(n):
    return f"000.17.22.H56-991231-{n:04d}"


def test_failures_from_one_address_are_refused_for_a_while_then_allowed(client, dossier, settings):
    with freeze_time(timezone.now()) as frozen:
        for n in range(settings.LOOKUP_MAX_FAILURES):
            assert look_up(client, unknown(n), PHONE, ip="198.51.100.9").status_code == 200
        refused = look_up(client, dossier.code, PHONE, ip="198.51.100.9")
        assert refused.status_code == 429
        message = vi(guard.LOCKED) % {"minutes": settings.LOOKUP_LOCK_MINUTES}
        assert message in refused.text
        assert "lookup.dossier" not in client.session
        # Another address is not affected.
        assert look_up(client, dossier.code, PHONE, ip="198.51.100.10").status_code == 302
        frozen.tick(timedelta(minutes=settings.LOOKUP_LOCK_MINUTES, seconds=1))
        assert look_up(client, dossier.code, PHONE, ip="198.51.100.9").status_code == 302


def test_failures_against_one_code_from_many_addresses_slow_it_but_never_refuse_the_applicant(
    client, dossier, settings
):
    """Ten strangers' wrong phones must not lock the applicant out of their own dossier."""
    for n in range(settings.LOOKUP_MAX_FAILURES):
        look_up(client, dossier.code, f"09{n:08d}", ip=f"192.0.2.{n + 1}")
    assert look_up(client, dossier.code, PHONE, ip="192.0.2.200").status_code == 302


def test_failures_against_one_code_from_one_address_refuse_that_address_for_that_code(
    rf, dossier, settings
):
    settings.LOOKUP_MAX_FAILURES = 3
    settings.LOOKUP_SLOW_AFTER = 2
    request = rf.post("/tra-cuu/", REMOTE_ADDR="192.0.2.7")
    for _n in range(3):
        guard.record_failure(guard.check_attempt(request, dossier.code), "wrong_factor")
    assert guard.check_attempt(request, dossier.code).locked
    elsewhere = rf.post("/tra-cuu/", REMOTE_ADDR="192.0.2.8")
    attempt = guard.check_attempt(elsewhere, dossier.code)
    assert not attempt.locked
    assert attempt.delay == settings.LOOKUP_SLOW_SECONDS  # the code's own count slows it


def test_an_unknown_code_is_slowed_like_a_known_one(rf, db, settings):
    """The slow-down does not tell which codes exist either."""
    for n in range(settings.LOOKUP_SLOW_AFTER):
        request = rf.post("/tra-cuu/", REMOTE_ADDR=f"192.0.2.{n + 1}")
        guard.record_failure(guard.check_attempt(request, unknown(1)), "unknown_code")
    request = rf.post("/tra-cuu/", REMOTE_ADDR="192.0.2.200")
    assert guard.check_attempt(request, unknown(1)).delay == settings.LOOKUP_SLOW_SECONDS


def test_empty_codes_lock_nobody_out(client, db, settings):
    for n in range(settings.LOOKUP_MAX_FAILURES + 1):
        assert look_up(client, "", PHONE, ip=f"192.0.2.{n + 1}").status_code == 200


def test_answers_are_slowed_after_a_few_failures(rf, db, settings):
    settings.LOOKUP_SLOW_SECONDS = 2
    request = rf.post("/tra-cuu/", REMOTE_ADDR="198.51.100.20")
    assert guard.check_attempt(request, unknown(1)).delay == 0
    for n in range(settings.LOOKUP_SLOW_AFTER):
        guard.record_failure(guard.check_attempt(request, unknown(n)), "unknown_code")
    attempt = guard.check_attempt(request, unknown(99))
    assert attempt.delay == 2
    assert not attempt.locked


def test_the_response_is_padded_to_the_minimum_duration(settings):
    settings.LOOKUP_MIN_SECONDS = 0.4
    slept = []
    clock = iter([100.1]).__next__
    assert guard.pad_response(100.0, sleep=slept.append, clock=clock) == pytest.approx(0.3)
    assert slept == [pytest.approx(0.3)]
    slept.clear()
    clock = iter([100.1]).__next__
    assert guard.pad_response(100.0, extra=2, sleep=slept.append, clock=clock) == (
        pytest.approx(2.3)
    )
    slept.clear()
    clock = iter([100.5]).__next__
    assert guard.pad_response(100.0, sleep=slept.append, clock=clock) == 0
    assert slept == []


def test_every_lookup_is_padded(client, dossier, settings, monkeypatch):
    settings.LOOKUP_MIN_SECONDS = 0.4
    waits = []
    monkeypatch.setattr(guard, "pad_response", lambda started, extra=0: waits.append(extra))
    look_up(client, dossier.code, PHONE)
    look_up(client, dossier.code, "0987654321")
    look_up(client, unknown(1), PHONE)
    assert len(waits) == 3


# --- The log of failures ---------------------------------------------------------------------


def test_failed_attempts_are_logged_without_the_factor(client, dossier, settings):
    look_up(client, dossier.code, "0987654321", ip="203.0.113.50", HTTP_USER_AGENT="Zalo/1")
    look_up(client, " 000.17.22.h56-991231-9999 ", PHONE, ip="203.0.113.51")
    look_up(client, dossier.code, PHONE)  # a success is not logged
    wrong, unknown_code = LookupAttempt.objects.order_by("at", "id")
    assert wrong.reason == LookupAttempt.Reason.WRONG_FACTOR
    assert wrong.code_tried == dossier.code
    assert wrong.ip_address == "203.0.113.50"
    assert wrong.user_agent == "Zalo/1"
    assert unknown_code.reason == LookupAttempt.Reason.UNKNOWN_CODE
    assert unknown_code.code_tried == " 000.17.22.h56-991231-9999 "
    for attempt in LookupAttempt.objects.all():
        assert PHONE not in str(vars(attempt)) and "0987654321" not in str(vars(attempt))


def test_refused_attempts_are_logged_as_locked_and_long_input_is_cut(client, db, settings):
    for n in range(settings.LOOKUP_MAX_FAILURES + 1):
        look_up(client, unknown(n) + "x" * 500, PHONE, ip="203.0.113.60")
    last = LookupAttempt.objects.order_by("-at", "-id").first()
    assert last.reason == LookupAttempt.Reason.LOCKED
    assert len(last.code_tried) == 60


def test_attempts_are_forgotten_after_90_days(db):
    now = timezone.now()
    old = LookupAttempt.objects.create(reason="unknown_code", at=now - timedelta(days=91))
    recent = LookupAttempt.objects.create(reason="unknown_code", at=now - timedelta(days=89))
    assert guard.forget_old_lookup_attempts(now) == 1
    assert list(LookupAttempt.objects.all()) == [recent]
    assert not LookupAttempt.objects.filter(pk=old.pk).exists()


def test_the_admin_shows_attempts_read_only(client, db):
    admin = UserFactory(username="quantri", is_staff=True, is_superuser=True)
    attempt = LookupAttempt.objects.create(reason="unknown_code", code_tried="X")
    client.force_login(admin)
    changelist = reverse("admin:dossiers_lookupattempt_changelist")
    assert client.get(changelist).status_code == 200
    assert client.get(reverse("admin:dossiers_lookupattempt_add")).status_code == 403
    change = reverse("admin:dossiers_lookupattempt_change", args=[attempt.pk])
    assert client.post(change, {"reason": "locked"}).status_code == 403
    delete = reverse("admin:dossiers_lookupattempt_delete", args=[attempt.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert LookupAttempt.objects.get().reason == "unknown_code"


# --- The session grant ---------------------------------------------------------------------


def test_a_lookup_lasts_30_minutes_in_this_browser(client, dossier):
    with freeze_time(timezone.now()) as frozen:
        look_up(client, dossier.code, PHONE)
        frozen.tick(timedelta(minutes=29))
        assert client.get(reverse("dossiers:lookup_result")).status_code == 200
        frozen.tick(timedelta(minutes=1, seconds=1))
        response = client.get(reverse("dossiers:lookup_result"))
    assert response.status_code == 302
    assert response["Location"] == reverse("dossiers:lookup")


def test_the_grant_is_for_this_browser_only(client, dossier):
    from django.test import Client

    look_up(client, dossier.code, PHONE)
    assert Client().get(reverse("dossiers:lookup_result")).status_code == 302


def test_the_session_key_changes_when_the_lookup_succeeds(client, dossier):
    session = client.session
    session["seen"] = True
    session.save()
    before = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    look_up(client, dossier.code, PHONE)
    assert client.cookies[django_settings.SESSION_COOKIE_NAME].value != before
    assert client.session["seen"] is True


def test_a_new_lookup_replaces_the_previous_one(client, dossier, procedure, clerk):
    other = receive(procedure, clerk, applicant_name="Trần Văn Bình", lookup_key="ZZ9ZZ9")
    look_up(client, dossier.code, PHONE)
    look_up(client, other.code, "ZZ9ZZ9")
    assert client.get(reverse("dossiers:lookup_result")).context["dossier"] == other


def test_the_lookup_can_be_closed(client, dossier):
    look_up(client, dossier.code, PHONE)
    response = client.post(reverse("dossiers:lookup_end"))
    assert response.status_code == 302
    assert client.get(reverse("dossiers:lookup_result")).status_code == 302


def test_the_result_page_is_never_cached(client, dossier):
    look_up(client, dossier.code, PHONE)
    response = client.get(reverse("dossiers:lookup_result"))
    assert "no-store" in response["Cache-Control"]


POOLED = """
from django.db import connection
from dossiers.lookup import guard
pool = connection.pool
connection.ensure_connection()
held = pool.get_stats()["pool_available"]
slept = []
guard.pad_response(0.0, sleep=slept.append, clock=lambda: 0.0)
assert slept, "no padding"
print(held, pool.get_stats()["pool_available"])
"""


def test_a_padded_lookup_hands_its_pooled_connection_back_before_sleeping(db):
    """With the web server's pool (DB_POOL_MAX_SIZE, set by gunicorn.conf.py), a thread sleeping
    out the padding holds no database connection. Run in a process of its own: the pool is
    configured when settings load."""
    from django.db import connection

    database = connection.settings_dict
    url = f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}"
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", POOLED],
        cwd=django_settings.BASE_DIR,
        env={**os.environ, "DATABASE_URL": url, "DB_POOL_MAX_SIZE": "4", "DEBUG": "1"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    held, after = map(int, result.stdout.split()[-2:])
    assert after == held + 1
