"""Lockouts cannot be turned against the people they protect (issue 13, items 3 and 4)."""

import pytest
from django.test import Client
from django.urls import reverse

from dossiers import services
from dossiers.lookup import feedback as desk
from dossiers.lookup import guard
from dossiers.models import Feedback
from myphong import accounts, roles, throttle
from tests.factories import AgencyFactory, DossierFactory, ProcedureFactory, UserFactory

PHONE = "0912345678"


@pytest.fixture
def dossier(agency, clerk):
    dossier = DossierFactory(procedure=ProcedureFactory(agency=agency), applicant_phone=PHONE)
    return services.accept(dossier, clerk)


def look_up(code, factor, ip):
    return Client().post(
        reverse("dossiers:lookup"), {"code": code, "factor": factor}, REMOTE_ADDR=ip
    )


# --- The public lookup --------------------------------------------------------------------------


def test_ten_strangers_cannot_lock_the_applicant_out_of_their_dossier(dossier, settings):
    settings.LOOKUP_MIN_SECONDS = 0
    settings.LOOKUP_SLOW_SECONDS = 0
    for n in range(settings.LOOKUP_MAX_FAILURES + 2):
        look_up(dossier.code, f"09{n:08d}", ip=f"192.0.2.{n + 1}")
    assert look_up(dossier.code, PHONE, ip="198.51.100.1").status_code == 302


def test_one_address_guessing_one_code_is_refused_for_that_code(dossier, settings):
    settings.LOOKUP_MIN_SECONDS = 0
    settings.LOOKUP_SLOW_SECONDS = 0
    for n in range(settings.LOOKUP_MAX_FAILURES):
        look_up(dossier.code, f"09{n:08d}", ip="192.0.2.1")
    assert look_up(dossier.code, PHONE, ip="192.0.2.1").status_code == 429


def test_ipv6_clients_are_counted_by_their_64(dossier, settings):
    settings.LOOKUP_MIN_SECONDS = 0
    settings.LOOKUP_SLOW_SECONDS = 0
    for n in range(settings.LOOKUP_MAX_FAILURES):
        look_up(f"000.17.22.H56-991231-{n:04d}", PHONE, ip=f"2001:db8:1:2::{n + 1:x}")
    assert look_up(dossier.code, PHONE, ip="2001:db8:1:2:ffff::9").status_code == 429
    assert look_up(dossier.code, PHONE, ip="2001:db8:1:3::1").status_code == 302


def test_the_feedback_lookup_is_not_a_weapon_either(db, settings):
    settings.LOOKUP_MIN_SECONDS = 0
    settings.LOOKUP_SLOW_SECONDS = 0
    feedback = desk.send_feedback(
        AgencyFactory(), Feedback.Category.PROCEDURE, "Đường tối", sender_phone=PHONE
    )
    url = reverse("dossiers:feedback_lookup")
    for n in range(settings.LOOKUP_MAX_FAILURES + 2):
        Client().post(
            url, {"code": feedback.code, "factor": f"09{n:08d}"}, REMOTE_ADDR=f"192.0.2.{n + 1}"
        )
    response = Client().post(
        url, {"code": feedback.code, "factor": PHONE}, REMOTE_ADDR="198.51.100.1"
    )
    assert response.status_code == 302


# --- The client's address -----------------------------------------------------------------------


def test_forwarded_for_is_ignored_without_trusted_proxies(rf, settings):
    settings.TRUSTED_PROXIES = []
    request = rf.get("/", REMOTE_ADDR="198.51.100.7", HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert throttle.client_ip(request) == "198.51.100.7"


def test_behind_a_trusted_proxy_the_address_it_saw_is_the_client(rf, settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    forged_then_real = "1.2.3.4, 203.0.113.9"
    request = rf.get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=forged_then_real)
    assert throttle.client_ip(request) == "203.0.113.9"
    untrusted = rf.get("/", REMOTE_ADDR="198.51.100.7", HTTP_X_FORWARDED_FOR=forged_then_real)
    assert throttle.client_ip(untrusted) == "198.51.100.7"


def test_the_lookup_throttle_reads_the_address_through_the_proxy(dossier, settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    settings.LOOKUP_MIN_SECONDS = 0
    settings.LOOKUP_SLOW_SECONDS = 0
    url = reverse("dossiers:lookup")
    for n in range(settings.LOOKUP_MAX_FAILURES):
        Client().post(url, {"code": f"000.17.22.H56-991231-{n:04d}", "factor": PHONE},
                      REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.9")  # fmt: skip
    behind_same_proxy = Client().post(
        url, {"code": dossier.code, "factor": PHONE},
        REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.10",
    )  # fmt: skip
    assert behind_same_proxy.status_code == 302


# --- Staff login ------------------------------------------------------------------------------


def log_in(username, password, ip, **headers):
    client = Client()
    response = client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=ip, **headers
    )
    return response, client


def test_wrong_passwords_from_one_address_do_not_lock_the_account_elsewhere(db, settings):
    UserFactory(username="admin", is_staff=True, is_superuser=True)
    for _n in range(settings.AXES_FAILURE_LIMIT):
        log_in("admin", "sai", ip="198.51.100.66")
    locked, _client = log_in("admin", "mat-khau-dai-2026", ip="198.51.100.66")
    assert locked.status_code == 429
    response, client = log_in("admin", "mat-khau-dai-2026", ip="203.0.113.5")
    assert response.status_code == 302
    assert client.session.get("_auth_user_id")


def test_failures_from_a_shared_address_do_not_lock_everyone_behind_it(db, settings):
    UserFactory(username="tiepnhan", roles=[roles.CLERK])
    for n in range(settings.AXES_FAILURE_LIMIT):
        log_in(f"nguoila{n}", "sai", ip="100.64.0.1")  # a carrier's NAT
    response, _client = log_in("tiepnhan", "mat-khau-dai-2026", ip="100.64.0.1")
    assert response.status_code == 302


def test_failures_from_many_addresses_slow_a_username_but_never_lock_it(db, settings, monkeypatch):
    UserFactory(username="admin", is_staff=True, is_superuser=True)
    settings.LOGIN_SLOW_AFTER = 3
    slept = []
    monkeypatch.setattr("myphong.views.time.sleep", slept.append)
    for n in range(3):
        log_in("admin", "sai", ip=f"198.51.100.{n + 1}")
    assert accounts.login_delay("ADMIN") == settings.LOGIN_SLOW_SECONDS
    response, _client = log_in("admin", "mat-khau-dai-2026", ip="203.0.113.5")
    assert response.status_code == 302
    assert slept[-1] == settings.LOGIN_SLOW_SECONDS


def test_the_login_lockout_reads_the_address_through_the_trusted_proxy(db, settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    UserFactory(username="admin", is_staff=True, is_superuser=True)
    for _n in range(settings.AXES_FAILURE_LIMIT):
        log_in("admin", "sai", ip="10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.66")
    other, _client = log_in(
        "admin", "mat-khau-dai-2026", ip="10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.5"
    )
    assert other.status_code == 302


def test_the_lockout_counts_ipv6_clients_by_their_64(rf):
    request = rf.get("/", REMOTE_ADDR="2001:db8:1:2:aaaa:bbbb:cccc:dddd")
    assert throttle.axes_client_ip(request) == "2001:db8:1:2::"
    # The lookup log keeps the whole address for the admin.
    assert guard.client_ip(request) == "2001:db8:1:2:aaaa:bbbb:cccc:dddd"
