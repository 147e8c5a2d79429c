"""The people of two offices and a citizen or two, shared by the security regression tests."""

import pytest

from myphong import roles
from tests.doubles import RecordingSms
from tests.factories import AgencyFactory, UserFactory


@pytest.fixture(autouse=True)
def sms(settings):
    settings.SMS_BACKEND = "tests.doubles.RecordingSms"
    RecordingSms.sent = []
    return RecordingSms.sent


@pytest.fixture
def agency(db):
    return AgencyFactory()


@pytest.fixture
def clerk(agency):
    return UserFactory(username="tiepnhan", roles=[roles.CLERK], roles__agency=agency)


@pytest.fixture
def leader(agency):
    return UserFactory(username="lanhdao", roles=[roles.LEADER], roles__agency=agency)


@pytest.fixture
def citizen(db):
    return UserFactory(
        username="lan@example.invalid", email="lan@example.invalid", roles=[roles.CITIZEN]
    )
