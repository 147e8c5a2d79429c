import pytest

from dossiers.deadlines import forget_default_calendars


@pytest.fixture(autouse=True)
def _fresh_default_calendar():
    """A test's rolled-back CalendarException rows must not live on in the cached calendar."""
    forget_default_calendars()
    yield
    forget_default_calendars()
