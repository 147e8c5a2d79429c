"""The signed-in user of each request (myphong.roles.PortalBackend): read with their profile,
agency and roles in one query, and read again at every request, so a role taken away or an
account switched off counts at once."""

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from myphong import roles
from tests.factories import AgencyFactory, UserFactory

QUEUE = reverse("dossiers:office_queue")


@pytest.fixture
def leader(db):
    return UserFactory(username="lanhdao", roles=[roles.LEADER], roles__agency=AgencyFactory())


def test_one_query_reads_the_user_profile_agency_and_roles(client, leader):
    client.force_login(leader)
    assert client.session["_auth_user_backend"] == "myphong.roles.PortalBackend"
    client.get(QUEUE)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(QUEUE)  # from the work cache: what is left is signing in
    user = response.wsgi_request.user
    assert roles.user_roles(user) == {roles.LEADER}
    assert user.profile.agency.name
    sources = [q["sql"].split(" FROM ", 1)[1].split()[0] for q in queries.captured_queries]
    assert sources == ['"django_session"', '"auth_user"']


def test_a_role_taken_away_counts_at_the_next_request(client, leader):
    client.force_login(leader)
    assert client.get(QUEUE).status_code == 200
    leader.groups.remove(Group.objects.get(name=roles.LEADER))
    assert client.get(QUEUE).status_code == 403


def test_an_account_switched_off_is_signed_out(client, leader):
    client.force_login(leader)
    leader.is_active = False
    leader.save()
    response = client.get(QUEUE)
    assert response.status_code == 302
    assert not response.wsgi_request.user.is_authenticated


def test_a_user_without_profile_or_role_and_a_superuser(client, db):
    plain = UserFactory(username="khach")
    client.force_login(plain)
    user = client.get(reverse("home")).wsgi_request.user
    assert roles.user_roles(user) == frozenset()
    assert getattr(user, "profile", None) is None
    admin = UserFactory(username="quantri", is_superuser=True, is_staff=True)
    client.force_login(admin)
    assert roles.user_roles(client.get(reverse("home")).wsgi_request.user) == set(roles.ALL)
