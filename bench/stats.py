"""Statistics at scale: server time and query count of the year view, one month, the XLSX
export and the public page, on a database filled by `seed_bulk`.

    createdb -h 127.0.0.1 -U postgres myphong_bench10
    export DEBUG=1 DATABASE_URL=postgres://postgres@127.0.0.1:5432/myphong_bench10
    .venv/bin/python manage.py migrate && .venv/bin/python manage.py seed_bulk --dossiers 100000
    .venv/bin/python bench/stats.py

Each request goes through Django's test client (the whole view, template and middleware);
the best of --repeat runs is printed, after one warm-up. "province" is a superuser's view of
every agency; "commune" is one commune's leader. Then the upkeep of the monthly sums: the time
an action spends on them (each of --changes dossiers gets a new officer, which moves all its
sums and ratings) and folding the rows those changes added; both are rolled back.
"""

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--changes", type=int, default=1000)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "myphong.settings")
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from dossiers.models import Dossier
    from myphong import roles
    from tests.factories import UserFactory

    users = get_user_model()
    admin, _new = users.objects.get_or_create(
        username="bench-admin", defaults={"is_superuser": True, "is_staff": True}
    )
    busiest = Dossier.objects.values("agency_id").order_by("agency_id").first() or {
        "agency_id": None
    }
    from procedures.models import Agency

    agency = Agency.objects.get(pk=busiest["agency_id"])
    leader = UserFactory(username="bench-leader", roles=[roles.LEADER], roles__agency=agency)
    year = timezone.localdate().year - 1
    pages = {
        "year view": {"period": "year", "year": year},
        "one month": {"period": "month", "year": year, "month": 6},
        "year XLSX": {"period": "year", "year": year, "tai": "xlsx"},
    }
    print(f"{Dossier.objects.count():,} dossiers; year {year}; commune {agency.code}")
    for who, user in (("province", admin), ("commune", leader)):
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(user)
        for name, params in pages.items():
            measure(
                client,
                "/xu-ly/thong-ke/",
                params,
                f"{who:8} {name}",
                args.repeat,
                connection,
                CaptureQueriesContext,
            )
    anonymous = Client(HTTP_HOST="127.0.0.1")
    for _run in range(1):
        cache.clear()
        measure(
            anonymous,
            "/cong-khai/",
            {},
            "public   page (cold cache)",
            1,
            connection,
            CaptureQueriesContext,
            warm=False,
        )
    measure(
        anonymous,
        "/cong-khai/",
        {},
        "public   page (cached)",
        args.repeat,
        connection,
        CaptureQueriesContext,
    )
    upkeep(args.changes)


def measure(client, path, params, label, repeat, connection, capture, warm=True):
    if warm:
        client.get(path, params)
    best, queries = None, None
    for _run in range(repeat):
        with capture(connection) as captured:
            started = time.perf_counter()
            response = client.get(path, params)
            elapsed = time.perf_counter() - started
        assert response.status_code == 200, response.status_code
        if best is None or elapsed < best:
            best, queries = elapsed, len(captured.captured_queries)
    print(f"{label:32} {best * 1000:8.0f} ms  {queries:3} queries")


def upkeep(changes):
    """Per-action cost of keeping the sums, and the fold after `changes` actions (rolled back)."""
    from django.db import transaction

    from dossiers import statistics
    from dossiers.models import DossierFigures, FiguresMonth

    rows = list(
        DossierFigures.objects.order_by("?").values("dossier_id", *statistics.FIGURE_FIELDS)[
            :changes
        ]
    )
    officers = list(DossierFigures.objects.values_list("officer_id", flat=True).distinct()[:2])
    with transaction.atomic():
        started = time.perf_counter()
        for row in rows:
            dossier_id = row.pop("dossier_id")
            other = officers[0] if row["officer_id"] != officers[0] else officers[1]
            statistics.store(dossier_id, {**row, "officer_id": other})
        per_change = (time.perf_counter() - started) / max(len(rows), 1)
        added = FiguresMonth.objects.filter(folded=False).count()
        started = time.perf_counter()
        folded = statistics.compact_months()
        fold = time.perf_counter() - started
        transaction.set_rollback(True)
    print(f"{'upkeep: one officer change':32} {per_change * 1000:8.2f} ms  ({len(rows)} changes)")
    label = "upkeep: fold their rows"
    print(f"{label:32} {fold * 1000:8.0f} ms  ({added} rows added, {folded} folded away)")


if __name__ == "__main__":
    main()
