"""`python manage.py seed_bulk --dossiers N [--agencies K] [--years Y]`: a realistic synthetic
history for benchmarks, written with PostgreSQL COPY.

Each dossier is received on a working day in office hours over the last Y years, at one of K
communes, for one of the catalogue's procedures (a small catalogue is made if there is none),
through the channels in about the commune's report's proportions; most are resolved early, some
on time or late, a few after a supplement request (the due moves later) or a Form 04, a few
transferred, refused, withdrawn or stopped; the recent ones are still open. About one in ten
resolved dossiers is rated. Each dossier carries one `seed_bulk` event, and its statistics row
is written with it (the same rules as dossiers.statistics.figures_of).

Due dates are counted in plain weekdays here (no holidays), for speed: these are benchmark
data, not deadlines anyone relies on.
"""

import random
import time as clock
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone

from dossiers import deadlines, statistics
from dossiers.models import Dossier, DossierEvent, DossierFigures, Rating
from myphong import roles
from myphong.models import Profile
from procedures.models import Agency, Procedure, Sector

BATCH = 50_000
NAMES = ("Nguyễn Thị Hoa", "Trần Văn Minh", "Lê Thị Lan", "Phạm Văn Hùng", "Võ Thị Mai")
FOLDED = ("nguyen thi hoa", "tran van minh", "le thi lan", "pham van hung", "vo thi mai")


def _weekdays_after(day, count):
    while count > 0:
        day += timedelta(days=1)
        if day.weekday() < 5:
            count -= 1
    return day


def _copy(table, columns, rows):
    """Stream rows into `table` with COPY (psycopg 3), in PostgreSQL's text format."""
    with connection.cursor() as cursor:
        sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
        with cursor.cursor.copy(sql) as copy:
            for row in rows:
                copy.write("\t".join(_text(value) for value in row) + "\n")


def _text(value):
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value).replace("\\", "\\\\").replace("\t", " ").replace("\n", " ")


class Command(BaseCommand):
    help = "Write N synthetic dossiers (with events, ratings and statistics rows) via COPY."

    def add_arguments(self, parser):
        parser.add_argument("--dossiers", type=int, required=True)
        parser.add_argument("--agencies", type=int, default=10)
        parser.add_argument("--years", type=int, default=2)
        parser.add_argument("--seed", type=int, default=10)

    def handle(self, *args, dossiers, agencies, years, seed, **options):
        if connection.vendor != "postgresql":
            raise CommandError("seed_bulk writes with PostgreSQL COPY: set DATABASE_URL.")
        started = clock.monotonic()
        rng = random.Random(seed)
        with transaction.atomic():
            communes, procedures, officers = self._cast(agencies)
            first_id = self._reserve(Dossier, dossiers)
            event_id = self._reserve(DossierEvent, dossiers)
            rating_id = self._reserve(Rating, dossiers // 5 + 1)
            today = timezone.localdate(timezone=deadlines.TZ)
            first_day = today - timedelta(days=365 * years)
            span = (today - first_day).days
            now = timezone.now().isoformat()
            written = 0
            while written < dossiers:
                size = min(BATCH, dossiers - written)
                rows = [
                    self._dossier(
                        rng,
                        first_id + written + i,
                        communes,
                        procedures,
                        officers,
                        first_day,
                        span,
                        today,
                    )
                    for i in range(size)
                ]
                self._write(rows, event_id + written, now)
                rating_id = self._ratings(rng, rows, rating_id)
                written += size
                self.stdout.write(f"{written} dossiers ({clock.monotonic() - started:.0f} s)")
        months = statistics.rebuild_months()
        self.stdout.write(f"{months} monthly sums ({clock.monotonic() - started:.0f} s)")
        with connection.cursor() as cursor:
            cursor.execute(
                "ANALYZE dossiers_dossier, dossiers_dossierfigures, dossiers_figuresmonth,"
                " dossiers_rating"
            )
        self.stdout.write(f"seed_bulk: {dossiers} dossiers in {clock.monotonic() - started:.1f} s")

    def _cast(self, count):
        communes = []
        for index in range(count):
            agency, _new = Agency.objects.get_or_create(
                code=f"T{index // 100:02d}.{index % 100:02d}.H99",
                defaults={"name": f"UBND xã Thử nghiệm {index + 1}"},
            )
            communes.append(agency)
        procedures = list(Procedure.objects.values_list("pk", "sector_id", "processing_time"))
        if not procedures:
            for number in range(20):
                sector, _new = Sector.objects.get_or_create(
                    code=f"thu-nghiem-{number % 4}", defaults={"name": f"Lĩnh vực {number % 4}"}
                )
                Procedure.objects.create(
                    code=f"9.{990000 + number:06d}",
                    name=f"Thủ tục thử nghiệm {number}",
                    sector=sector,
                    agency=communes[0],
                    processing_time=3 + number % 5,
                )
            procedures = list(Procedure.objects.values_list("pk", "sector_id", "processing_time"))
        group, _new = Group.objects.get_or_create(name=roles.SPECIALIST)
        users = get_user_model()
        officers = {}
        for agency in communes:
            officers[agency.pk] = []
            for number in range(3):
                user, new = users.objects.get_or_create(username=f"cb-{agency.code}-{number}")
                if new:
                    user.groups.add(group)
                    Profile.objects.update_or_create(user=user, defaults={"agency": agency})
                officers[agency.pk].append(user.pk)
        return communes, procedures, officers

    def _reserve(self, model, count):
        """The first of `count` consecutive ids taken from the table's sequence."""
        table = model._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence(%s, 'id'), "
                "nextval(pg_get_serial_sequence(%s, 'id')) + %s)",
                [table, table, count],
            )
            return cursor.fetchone()[0] - count

    def _dossier(self, rng, pk, communes, procedures, officers, first_day, span, today):
        agency = rng.choice(communes)
        procedure, sector, days = rng.choice(procedures)
        day = first_day + timedelta(days=rng.randrange(span))
        if day.weekday() >= 5:
            day -= timedelta(days=day.weekday() - 4)
        received = datetime(
            day.year,
            day.month,
            day.day,
            rng.choice((7, 8, 9, 10, 13, 14, 15, 16)),
            rng.randrange(60),
            tzinfo=deadlines.TZ,
        )
        due_day = _weekdays_after(day, int(days))
        roll = rng.random()
        channel = "online" if roll < 0.1 else ("post" if roll < 0.12 else "counter")
        supplement = rng.random() < 0.05
        if supplement:
            due_day = _weekdays_after(due_day, rng.randint(2, 10))
        due = received.replace(year=due_day.year, month=due_day.month, day=due_day.day)
        apology = None
        fate = rng.random()
        resolved = returned = ended = None
        status = "resolved"
        if fate < 0.01:
            status, ended = "rejected", received
        elif fate < 0.02:
            status, ended = "withdrawn", received + timedelta(days=rng.randint(0, 3))
        elif fate < 0.025:
            status, ended = "stopped", received + timedelta(days=rng.randint(1, 5))
        else:
            timing = rng.random()
            if timing < 0.85:
                resolved = received + timedelta(
                    days=rng.uniform(0.1, max((due - received).days - 0.5, 0.2))
                )
            elif timing < 0.95:
                resolved = due.replace(hour=16, minute=30)
            else:
                if rng.random() < 0.5:
                    apology = due
                    due = due + timedelta(days=5)
                resolved = due + timedelta(days=rng.randint(1, 6))
            if resolved.date() >= today:
                resolved, status = None, rng.choice(("in_progress", "received", "transferred"))
            elif rng.random() < 0.9:
                returned = resolved + timedelta(days=rng.randint(0, 4))
                status = "returned" if returned.date() < today else "resolved"
                if status == "resolved":
                    returned = None
        if status in ("in_progress", "received", "transferred"):
            ended = None
        return {
            "pk": pk,
            "agency": agency,
            "procedure": procedure,
            "sector": sector,
            "channel": channel,
            "status": status,
            "received": None if status == "rejected" else received,
            "submitted": received,
            "due": None if status == "rejected" else due,
            "apology": apology,
            "resolved": resolved,
            "returned": returned,
            "ended": ended,
            "supplement": supplement,
            "officer": rng.choice(officers[agency.pk]) if status != "rejected" else None,
            "name": rng.randrange(len(NAMES)),
        }

    def _write(self, rows, first_event, now):
        _copy(
            "dossiers_dossier",
            (
                "id",
                "code",
                "procedure_id",
                "agency_id",
                "channel",
                "status",
                "applicant_name",
                "applicant_name_folded",
                "applicant_id_number",
                "applicant_phone",
                "applicant_email",
                "applicant_address",
                "request",
                "sets",
                "lookup_key",
                "submitted_at",
                "received_at",
                "clock_started_at",
                "due_at",
                "due_before_apology",
                "resolved_at",
                "returned_at",
                "supplement_requested",
                "assigned_to_id",
                "version",
                "created_at",
                "updated_at",
                "result_number",
                "result_summary",
                "return_method",
                "returned_to",
                "result_delivery",
                "delivery_address",
            ),
            (
                (
                    r["pk"],
                    f"{r['agency'].code}-{r['submitted']:%y%m%d}-S{r['pk']}"
                    if r["received"]
                    else None,
                    r["procedure"],
                    r["agency"].pk,
                    r["channel"],
                    r["status"],
                    NAMES[r["name"]],
                    FOLDED[r["name"]],
                    "",
                    "0912345678",
                    "",
                    "",
                    "",
                    1,
                    "SEED00",
                    r["submitted"],
                    r["received"],
                    r["received"],
                    r["due"],
                    r["apology"],
                    r["resolved"],
                    r["returned"],
                    r["supplement"],
                    r["officer"],
                    1,
                    now,
                    now,
                    "",
                    "",
                    "counter" if r["returned"] else "",
                    NAMES[r["name"]] if r["returned"] else "",
                    "counter",
                    "",
                )
                for r in rows
            ),
        )
        _copy(
            "dossiers_dossierevent",
            (
                "id",
                "dossier_id",
                "action",
                "from_status",
                "to_status",
                "actor_name",
                "at",
                "note",
                "data",
            ),
            (
                (
                    first_event + i,
                    r["pk"],
                    "seed_bulk",
                    "",
                    r["status"],
                    "",
                    r["ended"] or r["received"] or r["submitted"],
                    "Dữ liệu thử nghiệm",
                    "{}",
                )
                for i, r in enumerate(rows)
            ),
        )
        _copy(
            "dossiers_dossierfigures",
            ("dossier_id", *statistics.FIGURE_FIELDS),
            (self._figures(r) for r in rows),
        )

    def _figures(self, r):
        def on(instant):
            return instant.astimezone(deadlines.TZ).date() if instant else None

        received_on, promised = on(r["received"]), on(r["apology"] or r["due"])
        outcome = statistics.OUTCOMES.get(r["status"], "")
        finished_on = on(r["resolved"]) if outcome == "resolved" else on(r["ended"])
        timeliness = ""
        if outcome == "resolved":
            resolved_on = finished_on
            timeliness = (
                "early"
                if resolved_on < promised
                else "on_time"
                if resolved_on == promised
                else "late"
            )
        returned_on = on(r["returned"])
        days = [d for d in (received_on, finished_on, returned_on) if d]
        until = DossierFigures.OPEN_UNTIL if finished_on is None else max(days)
        return (
            r["pk"],
            r["agency"].pk,
            r["procedure"],
            r["sector"],
            r["channel"],
            r["officer"],
            received_on,
            promised,
            finished_on,
            outcome,
            timeliness,
            returned_on,
            min(days),
            until,
        )

    def _ratings(self, rng, rows, next_id):
        rated = [r for r in rows if r["resolved"] is not None and rng.random() < 0.1]
        _copy(
            "dossiers_rating",
            ("id", "dossier_id", *Rating.FIELDS, "comment", "channel", "created_at"),
            (
                (
                    next_id + i,
                    r["pk"],
                    *(rng.choice((1, 2, 2, 2)) for _f in Rating.FIELDS),
                    "",
                    "lookup",
                    (r["returned"] or r["resolved"]) + timedelta(days=1),
                )
                for i, r in enumerate(rated)
            ),
        )
        return next_id + len(rated)
