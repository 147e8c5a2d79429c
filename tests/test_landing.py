"""After logging in, everyone lands on their own work; an explicit ?next= still wins."""

import pytest
from django.urls import reverse

from myphong import roles
from tests.factories import UserFactory


def log_in(client, username, **params):
    url = reverse("login")
    if params:
        url += "?" + "&".join(f"{key}={value}" for key, value in params.items())
    return client.post(url, {"username": username, "password": "mat-khau-dai-2026"})


@pytest.mark.parametrize(
    ("role", "landing"),
    [
        (roles.CLERK, "/quay/"),
        (roles.SPECIALIST, "/xu-ly/"),
        (roles.LEADER, "/xu-ly/"),
        (roles.CITIZEN, "/ho-so-cua-toi/"),
    ],
)
def test_each_role_lands_on_its_work_after_login(client, db, role, landing):
    UserFactory(username="nguoidung", roles=[role])
    response = log_in(client, "nguoidung")
    assert response.status_code == 302
    assert response.url == landing


def test_an_explicit_next_wins_over_the_landing_page(client, db):
    UserFactory(username="tiepnhan", roles=[roles.CLERK])
    response = log_in(client, "tiepnhan", next="/xu-ly/so-theo-doi/")
    assert response.url == "/xu-ly/so-theo-doi/"


def test_a_next_to_another_site_is_ignored(client, db):
    UserFactory(username="tiepnhan", roles=[roles.CLERK])
    response = log_in(client, "tiepnhan", next="https://example.com/")
    assert response.url == "/quay/"


def test_the_administrator_lands_on_the_administration(client, db):
    UserFactory(username="admin", is_superuser=True, is_staff=True)
    assert log_in(client, "admin").url == reverse("admin:index")
