"""Dossier codes: `<agency identifier>-<YYMMDD>-<NNNN>` (Decree 61/2018 art. 26).

The sequence restarts each day per agency and a code is never reused. It is taken from a counter
row with one atomic upsert inside the acceptance's transaction: the row stays locked until that
transaction ends, so concurrent acceptances queue behind each other (no duplicates), and a
rolled-back acceptance rolls its number back too (no gaps). Open Zaak uses an advisory lock for
the same purpose; a counter row works the same on PostgreSQL and on SQLite.
"""

from django.db import connection, transaction
from django.utils import timezone

from .models import DossierCodeCounter, FormNumberCounter


def take_next(counter, **key):
    """Take the next number of the `counter` model's row for `key`; inside a transaction only.

    One atomic upsert: the row stays locked until the caller's transaction ends, so concurrent
    callers queue (no duplicates) and a rolled-back one gives its number back (no gaps). Used for
    dossier codes (per agency and day) and feedback codes (per day).
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("A sequence number must be taken inside the transaction that uses it")
    table = connection.ops.quote_name(counter._meta.db_table)
    columns = [connection.ops.quote_name(counter._meta.get_field(name).column) for name in key]
    values = [getattr(value, "pk", value) for value in key.values()]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({', '.join(columns)}, last) "  # noqa: S608
            f"VALUES ({', '.join(['%s'] * len(values))}, 1) "
            f"ON CONFLICT ({', '.join(columns)}) DO UPDATE SET last = {table}.last + 1 "
            "RETURNING last",
            values,
        )
        return cursor.fetchone()[0]


def next_sequence(agency, day):
    """Take the next number for `agency` on `day`; must run inside a transaction."""
    return take_next(DossierCodeCounter, agency=agency, day=day)


def next_form_number(agency, form, instant):
    """The "Số" of a form `agency` issues at `instant`: per agency, form and year (Vietnam's
    year), never repeated; inside the transaction that issues the form only. Form "07" numbers
    the register's rows (the dossier's row, printed on Form 01)."""
    return take_next(
        FormNumberCounter, agency=agency, form=form, year=timezone.localdate(instant).year
    )


def format_code(agency_code, day, sequence):
    return f"{agency_code}-{day:%y%m%d}-{sequence:04d}"


def issue_code(agency, received_at):
    """The code of a dossier `agency` accepts at `received_at` (dated in Vietnam's time)."""
    day = timezone.localdate(received_at)
    return format_code(agency.code, day, next_sequence(agency, day))
