"""Dossier codes: `<agency identifier>-<YYMMDD>-<NNNN>` (Decree 61/2018 art. 26).

The sequence restarts each day per agency and a code is never reused. It is taken from a counter
row with one atomic upsert inside the acceptance's transaction: the row stays locked until that
transaction ends, so concurrent acceptances queue behind each other (no duplicates), and a
rolled-back acceptance rolls its number back too (no gaps). Open Zaak uses an advisory lock for
the same purpose; a counter row works the same on PostgreSQL and on SQLite.
"""

from django.db import connection, transaction
from django.utils import timezone

from .models import DossierCodeCounter


def next_sequence(agency, day):
    """Take the next number for `agency` on `day`; must run inside a transaction."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("A dossier code must be taken inside the acceptance's transaction")
    table = connection.ops.quote_name(DossierCodeCounter._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (agency_id, day, last) VALUES (%s, %s, 1) "  # noqa: S608
            f"ON CONFLICT (agency_id, day) DO UPDATE SET last = {table}.last + 1 "
            "RETURNING last",
            [agency.pk, day],
        )
        return cursor.fetchone()[0]


def format_code(agency_code, day, sequence):
    return f"{agency_code}-{day:%y%m%d}-{sequence:04d}"


def issue_code(agency, received_at):
    """The code of a dossier `agency` accepts at `received_at` (dated in Vietnam's time)."""
    day = timezone.localdate(received_at)
    return format_code(agency.code, day, next_sequence(agency, day))
