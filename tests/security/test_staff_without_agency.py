"""Staff whose account names no agency can do nothing agency-bound; the admin's user page sets
the agency (issue 13, item 8)."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from dossiers import services
from dossiers.models import Dossier
from myphong import roles
from myphong.models import Profile
from tests.factories import AgencyFactory, ProcedureFactory, UserFactory

APPLICANT = services.Applicant(name="Nguyễn Thị Hoa", phone="0912345678")


@pytest.fixture
def homeless_clerk(db):
    """A clerk made in the admin: the Clerk group, but no agency yet."""
    user = UserFactory(username="moi-vao")
    user.groups.add(Group.objects.get_or_create(name=roles.CLERK)[0])
    return user


def test_a_clerk_without_agency_cannot_register_into_the_procedures_agency(homeless_clerk):
    procedure = ProcedureFactory(agency=AgencyFactory())
    with pytest.raises(services.ActionRefused):
        services.register_at_counter(procedure, homeless_clerk, applicant=APPLICANT, papers=[])
    assert not Dossier.objects.exists()


@pytest.mark.parametrize(
    "url",
    ["/quay/", "/quay/tiep-nhan/", "/xu-ly/", "/xu-ly/so-theo-doi/"],
)
def test_staff_pages_refuse_a_clerk_without_agency(client, homeless_clerk, url):
    client.force_login(homeless_clerk)
    response = client.get(url)
    assert response.status_code == 403


def test_a_leader_without_agency_reads_no_feedback(client, db):
    leader = UserFactory(username="ld-moi")
    leader.groups.add(Group.objects.get_or_create(name=roles.LEADER)[0])
    client.force_login(leader)
    assert client.get(reverse("dossiers:feedback_queue")).status_code == 403


def test_the_clerk_works_once_the_admin_sets_the_agency_on_the_user_page(
    client, admin_user, homeless_clerk
):
    agency = AgencyFactory()
    client.force_login(admin_user)
    url = reverse("admin:auth_user_change", args=[homeless_clerk.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert 'name="profile-0-agency"' in page.text
    form = page.context["adminform"].form
    data = {
        name: value
        for name, value in form.initial.items()
        if value is not None and name not in ("password", "groups", "user_permissions")
    }
    data.update(
        {
            "date_joined_0": "01/01/2026",
            "date_joined_1": "08:00:00",
            "groups": [g.pk for g in homeless_clerk.groups.all()],
            "profile-TOTAL_FORMS": "1",
            "profile-INITIAL_FORMS": "0",
            "profile-MIN_NUM_FORMS": "0",
            "profile-MAX_NUM_FORMS": "1",
            "profile-0-agency": str(agency.pk),
            "profile-0-phone": "",
            "profile-0-user": str(homeless_clerk.pk),
        }
    )
    data.pop("last_login", None)
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert Profile.objects.get(user=homeless_clerk).agency == agency
    client.force_login(homeless_clerk)
    assert client.get("/quay/tiep-nhan/").status_code == 200
