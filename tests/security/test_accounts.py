"""Accounts cannot be taken over before first use, reveal nobody's address and flood nobody's
inbox (issue 13, items 2 and 6)."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client
from django.urls import reverse

from myphong import roles
from tests.factories import UserFactory

User = get_user_model()
PASSWORD = "Tre-xanh-2026!"
NEW_PASSWORD = "Sen-hong-2027!"


def register(client, email="lan.nguyen@example.vn", password=PASSWORD, ip="203.0.113.1"):
    return client.post(
        reverse("dossiers:register"),
        {
            "full_name": "Nguyễn Thị Lan",
            "email": email,
            "phone": "0912345678",
            "password1": password,
            "password2": password,
        },
        REMOTE_ADDR=ip,
    )


def link_in(message, path):
    match = re.search(rf"https?://\S+{path}\S+", message.body)
    assert match, message.body
    return match.group(0)


def main_of(response):
    return re.search(r"<main.*</main>", response.text, re.S).group(0)


# --- Confirmation needs a button --------------------------------------------------------------


def test_opening_the_confirmation_link_activates_nothing(client, db):
    """A mail scanner opens every link with a GET: the account stays inactive."""
    register(client)
    link = link_in(mail.outbox[0], "/dang-ky/xac-nhan/")
    page = Client().get(link)
    assert page.status_code == 200
    assert '<form method="post">' in page.text
    assert not User.objects.get().is_active


def test_the_button_on_the_page_activates_the_account(client, db):
    register(client)
    link = link_in(mail.outbox[0], "/dang-ky/xac-nhan/")
    response = client.post(link)
    assert response.status_code == 302
    assert User.objects.get().is_active


def test_the_email_says_what_to_do_when_you_did_not_register(client, db):
    register(client)
    body = mail.outbox[0].body
    assert "Nếu ông/bà không tạo tài khoản này" in body
    assert "Xác nhận thư điện tử" in body  # the button the page shows


def test_a_strangers_unconfirmed_registration_never_blocks_the_owner(client, db, settings):
    settings.ACCOUNT_MAIL_INTERVAL_MINUTES = 0
    register(Client(), password="Ke-gian-2026!", ip="198.51.100.66")
    register(client)
    owner_link = link_in(mail.outbox[-1], "/dang-ky/xac-nhan/")
    client.post(owner_link)
    user = User.objects.get()
    assert user.is_active and user.check_password(PASSWORD)


# --- The same answer for every address -----------------------------------------------------------


def test_registration_answers_the_same_for_a_new_and_a_taken_address(db):
    UserFactory(username="da-co@example.vn", email="da-co@example.vn", roles=[roles.CITIZEN])
    answers = []
    for email in ["moi@example.vn", "da-co@example.vn"]:
        response = register(Client(), email=email)
        followed = Client().get(response["Location"])
        answers.append((response.status_code, response["Location"], main_of(followed)))
    assert answers[0] == answers[1]
    assert (
        User.objects.filter(username="da-co@example.vn").get().check_password("mat-khau-dai-2026")
    )


def test_password_reset_answers_the_same_for_a_known_and_an_unknown_address(citizen):
    answers = []
    for email in ["nobody@example.vn", citizen.email]:
        response = Client().post(reverse("password_reset"), {"email": email}, follow=True)
        answers.append((response.redirect_chain, main_of(response)))
    assert answers[0] == answers[1]
    (message,) = mail.outbox
    assert message.to == [citizen.email]


def test_password_reset_link_points_at_the_portal_not_at_the_host_header(citizen, settings):
    settings.PORTAL_BASE_URL = "https://motcua.myphong.example"
    settings.ALLOWED_HOSTS = ["*"]
    Client().post(reverse("password_reset"), {"email": citizen.email}, HTTP_HOST="evil.example")
    link = link_in(mail.outbox[0], "/quen-mat-khau/")
    assert link.startswith("https://motcua.myphong.example/quen-mat-khau/")


def test_a_citizen_chooses_a_new_password_through_the_emailed_link(citizen):
    client = Client()
    client.post(reverse("password_reset"), {"email": citizen.email})
    form_page = client.get(link_in(mail.outbox[0], "/quen-mat-khau/"), follow=True)
    assert form_page.status_code == 200
    response = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response["Location"] == reverse("password_reset_complete")
    citizen.refresh_from_db()
    assert citizen.check_password(NEW_PASSWORD)


def test_a_logged_in_user_changes_their_password(client, citizen):
    client.force_login(citizen)
    response = client.post(
        reverse("password_change"),
        {
            "old_password": "mat-khau-dai-2026",
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    )
    assert response["Location"] == reverse("password_change_done")
    citizen.refresh_from_db()
    assert citizen.check_password(NEW_PASSWORD)


def test_password_change_needs_a_login(client, db):
    assert client.get(reverse("password_change"))["Location"].startswith(reverse("login"))


# --- One mail per address per few minutes, on every path ------------------------------------


def test_five_registrations_of_one_address_send_one_mail(db):
    for n in range(5):
        register(Client(), ip=f"203.0.113.{n + 1}")
    assert len(mail.outbox) == 1


@pytest.mark.parametrize("path", ["register", "resend", "reset"])
def test_every_account_path_shares_the_one_mail_per_address(citizen, db, path):
    unconfirmed = "cho@example.vn"
    register(Client(), email=unconfirmed)
    assert len(mail.outbox) == 1
    client = Client()
    if path == "register":
        register(client, email=unconfirmed, password="Khac-han-2026!")
    elif path == "resend":
        client.post(reverse("dossiers:resend_confirmation"), {"email": unconfirmed})
    else:
        client.post(reverse("password_reset"), {"email": citizen.email})
        client.post(reverse("password_reset"), {"email": citizen.email})
        assert len(mail.outbox) == 2  # the citizen's first reset, not the second
        return
    assert len(mail.outbox) == 1


def test_one_address_may_register_only_so_many_times_an_hour(db, settings):
    settings.ACCOUNT_LIMIT_PER_HOUR = 3
    for n in range(3):
        assert register(Client(), email=f"a{n}@example.vn").status_code == 302
    refused = register(Client(), email="a9@example.vn")
    assert refused.status_code == 429
    assert not User.objects.filter(username="a9@example.vn").exists()
    assert register(Client(), email="a9@example.vn", ip="203.0.113.99").status_code == 302


def test_password_reset_is_throttled_per_address(citizen, settings):
    settings.ACCOUNT_LIMIT_PER_HOUR = 2
    for _n in range(2):
        Client().post(reverse("password_reset"), {"email": "x@example.vn"})
    response = Client().post(reverse("password_reset"), {"email": citizen.email})
    assert response.status_code == 429
    assert mail.outbox == []
