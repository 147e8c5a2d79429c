import pytest

from dossiers.calendar.store import forget_default_calendars
from myphong import roles
from tests.doubles import RecordingSms
from tests.factories import AgencyFactory, UserFactory


@pytest.fixture(autouse=True)
def sms(settings):
    """Text messages are recorded, not logged; the list of (phone, text) sent so far."""
    settings.SMS_BACKEND = "tests.doubles.RecordingSms"
    RecordingSms.sent = []
    return RecordingSms.sent


@pytest.fixture(autouse=True)
def _fresh_default_calendar():
    """A test's rolled-back CalendarException rows must not live on in the cached calendar."""
    forget_default_calendars()
    yield
    forget_default_calendars()


# --- The people of an office, shared by the back-office tests (a test module may override one).


@pytest.fixture
def agency(db):
    return AgencyFactory()


@pytest.fixture
def province(db):
    return AgencyFactory(code="000.00.12.H56", name="Sở Tư pháp tỉnh", level="province")


@pytest.fixture
def clerk(agency):
    return UserFactory(username="tiepnhan", roles=[roles.CLERK], roles__agency=agency)


@pytest.fixture
def specialist(agency):
    return UserFactory(
        username="chuyenvien",
        first_name="Minh",
        last_name="Trần Văn",
        roles=[roles.SPECIALIST],
        roles__agency=agency,
    )


@pytest.fixture
def other_specialist(agency):
    return UserFactory(username="chuyenvien2", roles=[roles.SPECIALIST], roles__agency=agency)


@pytest.fixture
def leader(agency):
    return UserFactory(username="lanhdao", roles=[roles.LEADER], roles__agency=agency)


@pytest.fixture
def province_specialist(province):
    return UserFactory(username="so-tu-phap", roles=[roles.SPECIALIST], roles__agency=province)


@pytest.fixture
def province_leader(province):
    return UserFactory(username="so-lanh-dao", roles=[roles.LEADER], roles__agency=province)
