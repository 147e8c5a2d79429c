"""Reports read from a PostgreSQL replica, when REPLICA_DATABASE_URL names one.

The leaders' statistics, exports and the public transparency figures scan many rows; on a busy
day they can run on a streaming replica instead of the database that takes the writes. Only
code that asks for it goes there — a page that has just saved a dossier must read its own
write, which a replica may not have yet:

    from myphong.routers import reading_reports

    with reading_reports():
        figures = statistics.compute(period)

Without a replica (the default) `reading_reports()` changes nothing. Writes always go to the
primary. Settings: REPLICA_DATABASE_URL adds the "replica" alias and this router
(myphong/settings.py).
"""

import contextlib
from contextvars import ContextVar

from django.conf import settings

REPLICA = "replica"
_reports = ContextVar("reading_reports", default=False)


@contextlib.contextmanager
def reading_reports():
    """Within this block, reads go to the replica (if there is one)."""
    token = _reports.set(True)
    try:
        yield
    finally:
        _reports.reset(token)


class ReportsOnReplica:
    def db_for_read(self, model, **hints):
        if _reports.get() and REPLICA in settings.DATABASES:
            return REPLICA
        return None

    def db_for_write(self, model, **hints):
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        # The replica is a copy of the primary: rows of either belong together.
        return True

    def allow_migrate(self, db, app_label, **hints):
        return db != REPLICA
