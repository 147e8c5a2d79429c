"""The calendar-change recompute end to end: 100,000 open dossiers in PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/recompute_db.py

bench/deadlines.py times the arithmetic alone; this adds what the admin waits for when saving a
new day off: reading the open dossiers, recomputing, storing the moved due times and recording
one DossierEvent on each moved dossier. Works in a throwaway database `myphong_bench_recompute`
(created and dropped here). Follow-up notifications are queued after the commit and not timed.
"""

import argparse
import os
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BENCH_DB = "myphong_bench_recompute"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dossiers", type=int, default=100_000)
    args = parser.parse_args()
    base = os.environ.get("DATABASE_URL", "")
    if not base.startswith("postgres"):
        sys.exit("Set DATABASE_URL to a PostgreSQL server (the bench creates its own database).")
    parts = urlsplit(base)
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    import psycopg

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
        }
    )
    os.environ.pop("REDIS_URL", None)
    try:
        import django

        django.setup()
        from django.core.management import call_command
        from django.test.utils import override_settings

        call_command("migrate", verbosity=0)
        started = time.perf_counter()
        create_open_dossiers(args.dossiers)
        print(f"created {args.dossiers:,} open dossiers in {time.perf_counter() - started:.1f} s")
        from dossiers import calendar_admin
        from dossiers.models import CalendarException

        # The notifications are queued after the commit (one message per 500 moved dossiers,
        # to an in-memory broker here) and sent by the worker: queued, not sent, is timed.
        with override_settings(CELERY_TASK_ALWAYS_EAGER=False, CELERY_BROKER_URL="memory://"):
            started = time.perf_counter()
            moved = calendar_admin.save_exception(
                CalendarException(
                    date=date(2026, 6, 12), is_working_day=False, note="Nghỉ đột xuất"
                )
            )
            elapsed = time.perf_counter() - started
        print(
            f"recompute after a new day off (Fri 12/06/2026), {args.dossiers:,} open dossiers: "
            f"{elapsed:.2f} s, {len(moved):,} moved, each with its event"
        )
    finally:
        from django.db import connections

        connections.close_all()
        with psycopg.connect(admin_url, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')


def create_open_dossiers(count):
    """Open dossiers received over May-June 2026, due dates from the real engine."""
    import random

    from django.utils import timezone

    from dossiers import deadlines
    from dossiers.models import Dossier
    from procedures.models import Agency, Procedure, Sector

    agency = Agency.objects.create(code="000.17.22.H56", name="UBND xã Mỹ Phong")
    sector = Sector.objects.create(code="ho-tich", name="Hộ tịch")
    procedure = Procedure.objects.create(
        code="1.004884",
        name="Đăng ký lại khai sinh",
        sector=sector,
        agency=agency,
        processing_time=5,
    )
    calendar = deadlines.default_calendar(agency)
    rng = random.Random(2026)
    first = timezone.make_aware(datetime(2026, 5, 4, 7, 0))
    batch = []
    for number in range(count):
        received = first + timedelta(minutes=rng.randrange(0, 60 * 24 * 45))
        due = calendar.due_at(received, rng.choice([3, 5, 10, 15]), "working_day")
        batch.append(
            Dossier(
                code=f"000.17.22.H56-B-{number:06d}",
                procedure=procedure,
                agency=agency,
                channel="counter",
                status="in_progress",
                applicant_name="Nguyễn Thị Hoa",
                applicant_phone="0912345678",
                received_at=received,
                clock_started_at=received,
                due_at=due,
            )
        )
        if len(batch) == 5000:
            Dossier.objects.bulk_create(batch)
            batch = []
    Dossier.objects.bulk_create(batch)


if __name__ == "__main__":
    main()
