"""Queries compiled once (myphong.compiled): the signed-in user and the session read through them
are the same objects the ORM reads, for every shape of account, and still read the database at
every call."""

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.sessions.models import Session
from django.db.models import Count
from django.forms.models import model_to_dict
from django.utils import timezone

from myphong import roles
from myphong.compiled import CompiledQuery
from myphong.models import Profile
from myphong.roles import PortalBackend, _signed_in
from myphong.sessions import SessionStore
from procedures.models import Agency
from tests.factories import AgencyFactory, UserFactory

pytestmark = pytest.mark.django_db


def _accounts():
    other = Agency.objects.create(code="000.00.99.H56", name="UBND xã Mỹ Đức Tây")
    no_agency = UserFactory(username="chuacoquan")
    Profile.objects.create(user=no_agency, phone="0912345678")
    switched_off = UserFactory(username="danghi", roles=[roles.CLERK])
    switched_off.is_active = False
    switched_off.save()
    return [
        UserFactory(username="khach"),  # no profile, no role
        no_agency,  # a profile without agency
        UserFactory(username="congdan", roles=[roles.CITIZEN]),
        UserFactory(username="tiepnhan", roles=[roles.CLERK], roles__agency=AgencyFactory()),
        UserFactory(username="kiemnhiem", roles=[roles.CLERK, roles.SPECIALIST, roles.LEADER]),
        UserFactory(username="quantri", is_superuser=True, is_staff=True),
        UserFactory(username="xakhac", roles=[roles.SPECIALIST], roles__agency=other),
        switched_off,
    ]


def _shape(user):
    profile = getattr(user, "profile", None)
    agency = profile.agency if profile is not None else None
    return (
        model_to_dict(user, exclude=["groups", "user_permissions"]),
        model_to_dict(profile) if profile is not None else None,
        model_to_dict(agency) if agency is not None else None,
    )


def test_the_signed_in_user_is_what_the_orm_reads_for_every_kind_of_account():
    accounts = _accounts()
    compiled = CompiledQuery(get_user_model(), _signed_in, pk=int)
    for account in accounts:
        through_orm = _signed_in(account.pk).get()
        read = compiled.first(pk=account.pk)
        assert _shape(read) == _shape(through_orm), account.username
        held = set(account.groups.values_list("name", flat=True))
        assert read.portal_roles == through_orm.portal_roles or set(read.portal_roles) == held
        assert set(read.portal_roles or ()) == held, account.username
        assert read._state.db == "default" and not read._state.adding
    assert compiled.first(pk=-1) is None


def test_the_backend_gives_roles_and_refuses_what_it_should():
    accounts = {user.username: user for user in _accounts()}
    backend = PortalBackend()
    assert roles.user_roles(backend.get_user(accounts["kiemnhiem"].pk)) == set(roles.STAFF)
    assert roles.user_roles(backend.get_user(accounts["quantri"].pk)) == set(roles.ALL)
    assert roles.user_roles(backend.get_user(str(accounts["congdan"].pk))) == {roles.CITIZEN}
    assert backend.get_user(accounts["danghi"].pk) is None  # switched off
    assert backend.get_user("not-a-number") is None
    assert backend.get_user(10**9) is None


def test_every_call_reads_the_database():
    """Compiled is not cached: a change counts at the next call."""
    clerk = UserFactory(username="tiepnhan", roles=[roles.CLERK], roles__agency=AgencyFactory())
    compiled = CompiledQuery(get_user_model(), _signed_in, pk=int)
    assert compiled.first(pk=clerk.pk).portal_roles == [roles.CLERK]
    clerk.groups.add(Group.objects.get(name=roles.LEADER))
    Agency.objects.filter(pk=clerk.profile.agency_id).update(name="UBND xã Mỹ Phong (mới)")
    again = compiled.first(pk=clerk.pk)
    assert sorted(again.portal_roles) == sorted([roles.CLERK, roles.LEADER])
    assert again.profile.agency.name == "UBND xã Mỹ Phong (mới)"
    clerk.delete()
    assert compiled.first(pk=clerk.pk) is None


def test_annotations_and_several_values():
    AgencyFactory()
    Agency.objects.create(code="000.00.99.H56", name="UBND xã Mỹ Đức Tây")
    compiled = CompiledQuery(
        Agency,
        lambda code, name: (
            Agency.objects.filter(code=code)
            .exclude(name=name)
            .annotate(people=Count("staff_profiles"))
        ),
        code=str,
        name=str,
    )
    found = compiled.first(code="000.17.22.H56", name="không có")
    assert found.name == "UBND xã Mỹ Phong" and found.people == 0
    assert compiled.first(code="000.17.22.H56", name="UBND xã Mỹ Phong") is None


def test_a_value_that_does_not_reach_the_sql_as_is_is_refused():
    """`contains` wraps the value in %…%: the compiled SQL could not take a new value."""
    compiled = CompiledQuery(
        Agency, lambda code: Agency.objects.filter(code__contains=code), code=str
    )
    with pytest.raises(ValueError, match="placeholders not found"):
        compiled.first(code="x")


def test_the_session_store_reads_current_sessions_only(client):
    user = UserFactory(username="congdan", roles=[roles.CITIZEN])
    store = SessionStore()
    store["_auth_user_id"] = str(user.pk)
    store.create()
    key = store.session_key
    assert SessionStore(key).load()["_auth_user_id"] == str(user.pk)
    Session.objects.filter(session_key=key).update(
        expire_date=timezone.now() - datetime.timedelta(seconds=1)
    )
    expired = SessionStore(key)
    assert expired.load() == {}
    assert expired.session_key is None  # a new one is made, as Django's own store does
    assert SessionStore("no-such-session-key-0123456789").load() == {}
