"""REPLICA_DATABASE_URL: reports read from the replica, everything else from the primary."""

import pytest

from dossiers.models import Dossier
from myphong.routers import ReportsOnReplica, reading_reports

# The test settings gain a "replica" alias as REPLICA_DATABASE_URL would add it; Django warns that
# overriding DATABASES does not reconnect, which these router tests do not need.
pytestmark = pytest.mark.filterwarnings("ignore:Overriding setting DATABASES")


@pytest.fixture
def with_replica(settings):
    """A "replica" alias as REPLICA_DATABASE_URL makes (here: the test database itself)."""
    settings.DATABASES = {**settings.DATABASES, "replica": {**settings.DATABASES["default"]}}


def test_reports_read_from_the_replica_when_there_is_one(with_replica):
    router = ReportsOnReplica()
    assert router.db_for_read(Dossier) is None  # an ordinary page: the primary
    with reading_reports():
        assert router.db_for_read(Dossier) == "replica"
    assert router.db_for_read(Dossier) is None


def test_without_a_replica_reports_read_from_the_primary():
    with reading_reports():
        assert ReportsOnReplica().db_for_read(Dossier) is None


def test_writes_and_migrations_never_go_to_the_replica(with_replica):
    router = ReportsOnReplica()
    with reading_reports():
        assert router.db_for_write(Dossier) == "default"
    assert router.allow_migrate("replica", "dossiers") is False
    assert router.allow_migrate("default", "dossiers") is True
