"""The officers' reminders at scale: 1,000,000 dossiers, 200,000 of them open, in PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/reminders.py
    ... bench/reminders.py --dossiers 200000 --open 40000      # a smaller fixture

Builds its own database `myphong_bench_reminders` (COPY, a minute or two for 1M rows; dropped at
the end unless --keep), then times, with the queries counted:
- the morning digest for every officer (compute the lists, record one row per recipient, email
  each; the locmem email backend stands in for SMTP),
- the overdue check (dossiers that became overdue in the last 48 hours, plus the Form 04 window),
- both again (nothing left to send: the steady state of a beat every 15 minutes),
- one officer's "Cần chú ý" page data and the header badge count.
"""

import argparse
import os
import random
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BENCH_DB = "myphong_bench_reminders"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dossiers", type=int, default=1_000_000)
    parser.add_argument("--open", type=int, default=200_000)
    parser.add_argument("--agencies", type=int, default=20)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--reuse", action="store_true", help="reuse a kept database")
    args = parser.parse_args()
    base = os.environ.get("DATABASE_URL", "")
    if not base.startswith("postgres"):
        sys.exit("Set DATABASE_URL to a PostgreSQL server (the bench creates its own database).")
    parts = urlsplit(base)
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    import psycopg

    if not args.reuse:
        with psycopg.connect(admin_url, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')
            connection.execute(f'CREATE DATABASE "{BENCH_DB}"')
    os.environ.update(
        {
            "DATABASE_URL": urlunsplit(parts._replace(path=f"/{BENCH_DB}")),
            "DEBUG": "1",
            "LOG_LEVEL": "WARNING",
            "DJANGO_SETTINGS_MODULE": "myphong.settings",
            "VAR_DIR": str(ROOT / "var" / "bench"),
            "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        }
    )
    os.environ.pop("REDIS_URL", None)
    try:
        import django

        django.setup()
        from django.core.management import call_command

        if not args.reuse:
            call_command("migrate", verbosity=0)
            started = time.perf_counter()
            seed(args.dossiers, args.open, args.agencies)
            print(
                f"seeded {args.dossiers:,} dossiers ({args.open:,} open) in "
                f"{time.perf_counter() - started:.1f} s"
            )
        measure()
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            with psycopg.connect(admin_url, autocommit=True) as connection:
                connection.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')


NOW = datetime(2026, 12, 1, 7, 30)  # Tue 01/12/2026 07:30, Vietnam time


def seed(total, open_count, agency_count):
    """Agencies with 10 specialists, 2 leaders and 2 clerks each; dossiers by COPY."""
    from django.contrib.auth.models import Group, User
    from django.db import connection

    from dossiers.deadlines import TZ
    from dossiers.models import Dossier
    from dossiers.workflow import Status
    from myphong import roles
    from myphong.models import Profile
    from procedures.models import Agency, Procedure, Sector

    rng = random.Random(11)
    now = NOW.replace(tzinfo=TZ)
    sectors = Sector.objects.bulk_create(
        [Sector(code=f"bench-{n}", name=f"Lĩnh vực {n}") for n in range(10)]
    )
    agencies = Agency.objects.bulk_create(
        [Agency(code=f"000.{n:02d}.22.H56", name=f"UBND xã {n}") for n in range(agency_count)]
    )
    procedures = Procedure.objects.bulk_create(
        [
            Procedure(
                code=f"1.{900000 + n}",
                name=f"Thủ tục {n}",
                sector=sectors[n % len(sectors)],
                agency=agencies[n % len(agencies)],
                processing_time=3,
                processing_time_unit="working_day",
            )
            for n in range(10 * agency_count)
        ]
    )
    groups = {name: Group.objects.get_or_create(name=name)[0] for name in roles.STAFF}
    staff = {agency.pk: {} for agency in agencies}
    for agency in agencies:
        for role, count in ((roles.SPECIALIST, 10), (roles.LEADER, 2), (roles.CLERK, 2)):
            users = User.objects.bulk_create(
                [
                    User(
                        username=f"{role.lower()}-{agency.pk}-{n}",
                        last_name="Nguyễn Văn",
                        first_name=f"{role[:3]}{n}",
                        email=f"{role.lower()}-{agency.pk}-{n}@example.invalid",
                    )
                    for n in range(count)
                ]
            )
            groups[role].user_set.add(*users)
            Profile.objects.bulk_create([Profile(user=u, agency=agency) for u in users])
            staff[agency.pk][role] = [u.pk for u in users]

    fields = [f for f in Dossier._meta.concrete_fields if not f.primary_key]
    columns = [f.column for f in fields]
    template = {f.attname: f.get_default() for f in fields}
    running = [Status.RECEIVED, Status.IN_PROGRESS, Status.TRANSFERRED]
    stopped = [Status.AWAITING_SUPPLEMENT, Status.AWAITING_PAYMENT]
    by_agency = {}
    for procedure in procedures:
        by_agency.setdefault(procedure.agency_id, []).append(procedure.pk)
    agency_ids = list(by_agency)
    with connection.cursor() as cursor:
        copy_sql = f"COPY dossiers_dossier ({', '.join(columns)}) FROM STDIN"
        with cursor.connection.cursor().copy(copy_sql) as copy:
            for n in range(total):
                agency_id = agency_ids[n % len(agency_ids)]
                row = dict(template)
                received = now - timedelta(days=rng.uniform(1, 700 if n >= open_count else 40))
                due = received + timedelta(days=rng.uniform(3, 50))
                row.update(
                    code=f"B{n:08d}",
                    procedure_id=rng.choice(by_agency[agency_id]),
                    agency_id=agency_id,
                    channel="counter",
                    applicant_name="Nguyễn Thị Hoa",
                    applicant_name_folded="nguyen thi hoa",
                    applicant_phone="0912345678",
                    lookup_key="ABCDEF",
                    submitted_at=received,
                    received_at=received,
                    clock_started_at=received,
                    due_at=due,
                    created_at=received,
                    updated_at=received,
                )
                if n < open_count:
                    row["status"] = (
                        rng.choice(running) if rng.random() < 0.9 else rng.choice(stopped)
                    )
                    if rng.random() < 0.9:
                        row["assigned_to_id"] = rng.choice(staff[agency_id][roles.SPECIALIST])
                else:
                    resolved = min(due + timedelta(days=rng.uniform(-3, 1)), now)
                    row["resolved_at"] = resolved
                    if rng.random() < 0.01:
                        row["status"] = Status.RESOLVED  # result waiting to be collected
                    else:
                        row["status"] = Status.RETURNED
                        row["returned_at"] = resolved
                    row["assigned_to_id"] = rng.choice(staff[agency_id][roles.SPECIALIST])
                copy.write_row([row[f.attname] for f in fields])
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def measure():
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from dossiers import reminders
    from dossiers.deadlines import TZ
    from dossiers.models import Dossier, Reminder
    from dossiers.workflow import OPEN
    from myphong import roles

    now = NOW.replace(tzinfo=TZ)
    people = reminders.officers(roles.STAFF)
    print(
        f"{Dossier.objects.count():,} dossiers, {Dossier.objects.filter(status__in=OPEN).count():,}"
        f" open, {len(people)} officers"
    )
    Reminder.objects.all().delete()

    def timed(label, run):
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            outcome = run()
            elapsed = time.perf_counter() - started
        print(f"{label}: {elapsed:.2f} s, {len(queries.captured_queries)} queries — {outcome}")

    timed("morning digest, all officers", lambda: reminders.send_morning_digests(now))
    timed(
        "overdue check, first run (48 h of newly overdue dossiers)",
        lambda: reminders.check_overdue(now),
    )
    timed("morning digest again (all sent)", lambda: reminders.send_morning_digests(now))
    later = now + timedelta(minutes=15)
    timed("overdue check 15 min later", lambda: reminders.check_overdue(later))
    # Production: the check ran every 15 minutes until yesterday's closing; the first check of
    # the morning tells what became overdue overnight and since.
    Reminder.objects.all().delete()
    evening = now - timedelta(hours=14, minutes=30)  # Mon 30/11 17:00
    reminders.check_overdue(evening)
    timed("overdue check next morning after the evening's", lambda: reminders.check_overdue(now))
    leader = next(o for o in people.values() if roles.LEADER in o.roles)
    timed(
        "one leader's Cần chú ý page data",
        lambda: reminders.collect(now, {leader.id: leader})[leader.id].total,
    )
    timed(
        "one leader's badge count",
        lambda: reminders.collect(now, {leader.id: leader}, with_rows=False)[leader.id].total,
    )


if __name__ == "__main__":
    main()
