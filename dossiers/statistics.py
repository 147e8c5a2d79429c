"""The leaders' figures: one definition, reused by the page, its lists, the XLSX, the PDF report,
the `report` command, the monthly email and the public page.

Definitions (issue 10; PORTAL.md "Figures leaders need"), for a period [start, end] of Vietnam
dates, both included:

- carried_over: received before `start` and not finished before it (finished = resolved,
  refused, withdrawn or stopped). received: received in the period, split by channel.
  to_process = carried_over + received.
- resolved in the period, split early / on time / late by date against the due time promised
  before any Form 04 (`Dossier.promised_due_at`, Decision 766's practice: dates compared).
- in_progress at the end of the period: received by then and not finished by then; overdue when
  its promised due date is on or before the last day (its due instant is before the period's
  end), else not_due.
- returned, refused, withdrawn, stopped in the period (refused dossiers were never received:
  they count here only, never in carried_over or in_progress).
- on_time_rate = (early + on time) / resolved (Decision 766); late_rate = (resolved late +
  in progress overdue) / to_process (the province's definition; its on-time rate is
  1 - late_rate). online_rate = received online / received. 0 when the divisor is 0.
- Satisfaction: the nine indicators of Circular 01/2018 art. 13 averaged over the ratings given in
  the period, with their count, and the average total out of 18.

Where the figures come from, and why one row per dossier. Every figure is a condition on a few
dates of a dossier (received, promised due, finished, returned) and its dimensions (agency,
sector, procedure, channel, officer). Those dates live on the dossier and in its history (when it
was withdrawn or stopped is only in its events), so they are copied into one narrow row per
dossier, `DossierFigures`, written in the same transaction as each action (services record every
action through one function, which calls `refresh`). A figure is then one conditional COUNT, and
the list behind a number is the same condition on the same rows, so the list always has exactly
as many rows as the number says. Figures are up to date the moment an action commits; nothing
waits for a periodic job.

Each row carries `active_from`/`active_until` (the first and last day it counts in any figure),
indexed with the agency, so any range of days reads only the dossiers active in it. That is
enough for a commune (a year: ~1,000 rows), not for a province: a year of 50 communes at
1,000,000 dossiers is ~500,000 active rows, and 17 conditional counts over them cost seconds.

So periods of whole months (all the page's picker offers: month, quarter, first N months,
year) are read from monthly sums, `FiguresMonth`: per agency, sector, procedure, channel,
officer and month, the flows of the month (received, resolved by timeliness, returned,
refused, withdrawn, stopped, ratings with each indicator's scores) and, for dossiers that have
finished, how many were in progress (and overdue) at the month's end. A month grain, not a
day grain: a day grain holds about one dossier per cell at a commune's volume, the month
grain ~7 times fewer rows than dossiers (seed_bulk's data). The stock of dossiers still open
is not summed (how long each stays open is not known yet): the report adds the rows of the
dossiers open now (a partial index; a few thousand rows in a province) at each month's end.
The sums are kept in the action's own transaction, so they are never behind; an action
inserts rows of differences (its new contribution minus its old one) instead of updating a
shared sum, so two clerks never wait for each other on it; a periodic task folds them.
`tests/dossiers/test_statistics_sums.py` checks with random histories that both readings give
the same figures.

Past periods do not change when dossiers move on: a dossier resolved in April leaves March's
figures as they were (it was in progress at the end of March). Two things are deliberately
read as they are now, not as they were: the officer (the dossier's current assignee: the monthly
meeting discusses who handles it) and a due date moved later by a new day off in the calendar.
"""

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.apps import apps
from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import connection, connections, transaction
from django.db.models import (
    Count,
    DateField,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import TruncMonth
from django.utils import timezone

from . import deadlines, workcache
from .models import Dossier, DossierEvent, DossierFigures, FiguresMonth, Rating
from .workflow import Status

# --- The keys, in the order tables and files show them -------------------------------------

COUNT_KEYS = (
    "carried_over",
    "received",
    "received_online",
    "received_counter",
    "received_post",
    "to_process",
    "resolved",
    "resolved_early",
    "resolved_on_time",
    "resolved_late",
    "in_progress",
    "in_progress_not_due",
    "in_progress_overdue",
    "returned",
    "refused",
    "withdrawn",
    "stopped",
)
RATE_KEYS = ("on_time_rate", "late_rate", "online_rate")
RATING_KEYS = ("ratings", "rating_average")
KEYS = COUNT_KEYS + RATE_KEYS + RATING_KEYS

# The tables by dimension: DossierFigures' field -> Report's attribute.
GROUPS = {"sector_id": "by_sector", "procedure_id": "by_procedure", "officer_id": "by_officer"}


# How a dossier ended, per final status (a returned dossier was resolved first).
OUTCOMES = {
    Status.RESOLVED: "resolved",
    Status.RETURNED: "resolved",
    Status.REJECTED: "refused",
    Status.WITHDRAWN: "withdrawn",
    Status.STOPPED: "stopped",
}
# The statuses whose finishing time is only in the history (the event that led to them).
ENDED_BY_EVENT = (Status.REJECTED, Status.WITHDRAWN, Status.STOPPED)


def local_date(instant):
    return timezone.localtime(instant, deadlines.TZ).date() if instant is not None else None


def local_midnight(day):
    return datetime.combine(day, time.min, tzinfo=deadlines.TZ)


# --- One row per dossier ------------------------------------------------------------------


def figures_of(dossier, ended_at=None):
    """The DossierFigures values of `dossier` as it stands (`ended_at`: when it was refused,
    withdrawn or stopped, from its history)."""
    received_on = local_date(dossier.received_at)
    outcome = OUTCOMES.get(dossier.status, "")
    timeliness = ""
    finished_on = None
    if outcome == "resolved":
        finished_on = local_date(dossier.resolved_at)
        if dossier.resolved_at and dossier.promised_due_at:
            timeliness = str(deadlines.timeliness(dossier.resolved_at, dossier.promised_due_at))
    elif outcome:
        finished_on = local_date(ended_at)
    returned_on = local_date(dossier.returned_at) if dossier.status == Status.RETURNED else None
    days = [day for day in (received_on, finished_on, returned_on) if day is not None]
    active_from = min(days) if days else None
    if finished_on is None and received_on is not None:
        active_until = DossierFigures.OPEN_UNTIL
    else:
        active_until = max(days) if days else None
    return {
        "agency_id": dossier.agency_id,
        "procedure_id": dossier.procedure_id,
        "sector_id": dossier.procedure.sector_id,
        "channel": dossier.channel,
        "officer_id": dossier.assigned_to_id,
        "received_on": received_on,
        "due_on": local_date(dossier.promised_due_at),
        "finished_on": finished_on,
        "outcome": outcome,
        "timeliness": timeliness,
        "returned_on": returned_on,
        "active_from": active_from,
        "active_until": active_until,
    }


def refresh(dossier, event=None):
    """Bring the dossier's row and the monthly sums up to date after an action (called from
    services' `_record`, in the action's transaction). A dossier that has counted nowhere yet
    (submitted online, not checked) has no row."""
    ended_at = None
    if dossier.status in ENDED_BY_EVENT:
        if event is not None and event.to_status == dossier.status:
            ended_at = event.at
        else:
            ended_at = _ended_at(dossier.pk, dossier.status)
    store(dossier.pk, figures_of(dossier, ended_at))


def store(dossier_id, values):
    """Write a dossier's row (`values` as figures_of gives them) and add the change it makes to
    the monthly sums. Nothing is written when nothing changed."""
    rows = DossierFigures.objects.filter(dossier_id=dossier_id)
    old = rows.values(*FIGURE_FIELDS).first()
    if values["active_from"] is None:
        rows.delete()
        values = None
    elif old is None:
        DossierFigures.objects.create(dossier_id=dossier_id, **values)
    elif old != values:
        rows.update(**values)
    if old == values:
        return
    # The ratings count under the dossier's agency, sector, ... officer: when those change
    # (a new officer, say), they move with them.
    ratings = ()
    if old is not None and (values is None or _dimensions(old) != _dimensions(values)):
        ratings = ratings_of([dossier_id])[dossier_id]
    add_to_months(difference(contributions(values, ratings), contributions(old, ratings)))


def _dimensions(values):
    return tuple(values[name] for name in MONTH_KEY[:-1])


def _ended_at(dossier_id, status):
    return (
        DossierEvent.objects.filter(dossier_id=dossier_id, to_status=status)
        .exclude(from_status=status)
        .order_by("-at", "-id")
        .values_list("at", flat=True)
        .first()
    )


def refresh_due_dates(dossier_ids):
    """A calendar change moved these open dossiers' due times: copy their promised due dates."""
    rows = Dossier.objects.filter(pk__in=list(dossier_ids)).values_list(
        "pk", "due_before_apology", "due_at"
    )
    due = {pk: local_date(before or due) for pk, before, due in rows}
    olds = DossierFigures.objects.filter(dossier_id__in=due).values("dossier_id", *FIGURE_FIELDS)
    changed, sums = [], {}
    for old in olds:
        pk = old.pop("dossier_id")
        if old["due_on"] == due[pk]:
            continue
        new = {**old, "due_on": due[pk]}
        changed.append(DossierFigures(dossier_id=pk, due_on=due[pk]))
        sums = difference(contributions(new), contributions(old), sums)
    DossierFigures.objects.bulk_update(changed, ["due_on"], batch_size=2000)
    add_to_months(sums)


REBUILD_BATCH = 5000


def rebuild(dossiers=None):
    """Write the rows of `dossiers` (default: all) again from the dossiers and their history.

    For imports, seeding and repair; actions keep the rows up to date themselves. Returns the
    number of rows written.
    """
    dossiers = (dossiers if dossiers is not None else Dossier.objects.all()).filter(
        Q(received_at__isnull=False) | Q(status__in=OUTCOMES)
    )
    ended = (
        DossierEvent.objects.filter(dossier=OuterRef("pk"), to_status=OuterRef("status"))
        .exclude(from_status=F("to_status"))
        .order_by("-at", "-id")
        .values("at")[:1]
    )
    dossiers = (
        dossiers.select_related("procedure")
        .annotate(ended_at=Subquery(ended))
        .only(*_REBUILD_FIELDS)
        .order_by("pk")
    )
    written = 0
    batch = []
    agencies = set()
    for dossier in dossiers.iterator(chunk_size=REBUILD_BATCH):
        values = figures_of(dossier, dossier.ended_at)
        agencies.add(dossier.agency_id)
        if values["active_from"] is not None:
            batch.append(DossierFigures(dossier_id=dossier.pk, **values))
        if len(batch) >= REBUILD_BATCH:
            written += _write(batch)
            batch = []
    written += _write(batch)
    rebuild_months(agencies)
    return written


_REBUILD_FIELDS = (
    "pk",
    "agency_id",
    "procedure_id",
    "procedure__sector_id",
    "channel",
    "status",
    "assigned_to_id",
    "received_at",
    "due_at",
    "due_before_apology",
    "resolved_at",
    "returned_at",
)


def _write(rows):
    if not rows:
        return 0
    fields = [f.name for f in DossierFigures._meta.concrete_fields if not f.primary_key]
    DossierFigures.objects.bulk_create(
        rows, update_conflicts=True, unique_fields=["dossier"], update_fields=fields
    )
    return len(rows)


# --- The monthly sums -----------------------------------------------------------------------

# The fields of a DossierFigures row that figures_of computes (its values, as dicts compare).
FIGURE_FIELDS = (
    "agency_id",
    "procedure_id",
    "sector_id",
    "channel",
    "officer_id",
    "received_on",
    "due_on",
    "finished_on",
    "outcome",
    "timeliness",
    "returned_on",
    "active_from",
    "active_until",
)
MONTH_KEY = ("agency_id", "sector_id", "procedure_id", "channel", "officer_id", "month")
RESOLVED_COLUMNS = {
    deadlines.Timeliness.EARLY: "resolved_early",
    deadlines.Timeliness.ON_TIME: "resolved_on_time",
    deadlines.Timeliness.LATE: "resolved_late",
}


def first_of_month(day):
    return day.replace(day=1)


def last_of_month(day):
    return (day.replace(day=1) + timedelta(days=32)).replace(day=1) - timedelta(days=1)


def contributions(values, ratings=()):
    """What one DossierFigures row (its FIGURE_FIELDS values, or None) and the dossier's
    `ratings` ((day given, {indicator: score})) add to the monthly sums: {key of MONTH_KEY:
    Counter of FiguresMonth.COLUMNS}.

    Each flow counts in the month of its own date. A dossier that has finished counts in
    `open_at_end` of every month whose last day it was in progress at (received by then, not
    finished by then), and in `overdue_at_end` when its promised due date was on or before that
    day: the same conditions as `conditions()`, taken at each month's end. A dossier still open
    has no such rows: how long it stays open is not known yet, so the report reads it from its
    own row (few rows: the dossiers open now)."""
    if values is None:
        return {}
    dimensions = _dimensions(values)
    sums = defaultdict(Counter)

    def add(day, column):
        sums[(*dimensions, first_of_month(day))][column] += 1

    received_on, finished_on, due_on = (
        values["received_on"],
        values["finished_on"],
        values["due_on"],
    )
    if received_on is not None:
        add(received_on, "received")
    if finished_on is not None:
        outcome = values["outcome"]
        add(finished_on, outcome)
        if outcome == "resolved" and values["timeliness"] in RESOLVED_COLUMNS:
            add(finished_on, RESOLVED_COLUMNS[values["timeliness"]])
    if values["returned_on"] is not None:
        add(values["returned_on"], "returned")
    if received_on is not None and finished_on is not None:
        month_end = last_of_month(received_on)
        while month_end < finished_on:
            add(month_end, "open_at_end")
            if due_on is not None and due_on <= month_end:
                add(month_end, "overdue_at_end")
            month_end = last_of_month(month_end + timedelta(days=1))
    for key, columns in rating_contributions(values, ratings).items():
        sums[key].update(columns)
    return sums


def rating_contributions(values, ratings):
    """What `ratings` ((day given, {indicator: score})) of the dossier whose row is `values` add
    to the monthly sums: the count and each indicator's scores, in the month given."""
    sums = defaultdict(Counter)
    for given_on, scores in ratings:
        columns = sums[(*_dimensions(values), first_of_month(given_on))]
        columns["ratings"] += 1
        columns.update({f"rating_{name}": score for name, score in scores.items()})
    return sums


def ratings_of(dossier_ids):
    """{dossier id: [(day given, {indicator: score})]} for `contributions`."""
    ratings = defaultdict(list)
    rows = Rating.objects.filter(dossier_id__in=dossier_ids).values(
        "dossier_id", "created_at", *Rating.FIELDS
    )
    for row in rows:
        ratings[row["dossier_id"]].append(_given(row))
    return ratings


def add_rating(rating):
    """A rating was given: count it in the month, under its dossier's row (services'
    transaction)."""
    values = DossierFigures.objects.filter(dossier_id=rating.dossier_id).values(*FIGURE_FIELDS)
    values = values.first()
    if values is None:
        return
    scores = {name: getattr(rating, name) for name in Rating.FIELDS}
    add_to_months(rating_contributions(values, [(local_date(rating.created_at), scores)]))


def difference(new, old, into=None):
    """`into` (a dict of Counters, changed in place) plus new minus old, key by key."""
    into = {} if into is None else into
    for sign, sums in ((1, new), (-1, old)):
        for key, columns in sums.items():
            target = into.setdefault(key, Counter())
            for column, count in columns.items():
                target[column] += sign * count
    return into


def month_rows(sums, folded=False, model=FiguresMonth):
    """The rows of `model` (FiguresMonth, or its historical model) that write `sums`."""
    for key, columns in sums.items():
        if any(columns.values()):
            yield model(
                **dict(zip(MONTH_KEY, key, strict=True)),
                **{column: count for column, count in columns.items() if count},
                folded=folded,
            )


def add_to_months(sums):
    """Insert the differences `sums` (from `difference`) as new rows: inserting never waits for
    another action's transaction, as updating a shared row would."""
    FiguresMonth.objects.bulk_create(month_rows(sums), batch_size=1000)


def rebuild_months(agencies=None):
    """Write the monthly sums of `agencies` (ids; None: all) again from the DossierFigures rows.

    Holds a lock that lets no action add differences meanwhile (actions wait, then add theirs
    to the new sums), so none is counted twice or lost. Returns the number of rows written."""
    months = FiguresMonth.objects.all()
    rows = DossierFigures.objects.all()
    if agencies is not None:
        months = months.filter(agency_id__in=agencies)
        rows = rows.filter(agency_id__in=agencies)
    with transaction.atomic():
        with connection.cursor() as cursor:
            table = connection.ops.quote_name(FiguresMonth._meta.db_table)
            cursor.execute(f"LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE")
        months.delete()
        rated = Rating.objects.filter(dossier__figures__in=rows).values(
            *RATED_FIELDS, "created_at", *Rating.FIELDS
        )
        sums = sum_rows(
            rows.values(*FIGURE_FIELDS).iterator(chunk_size=REBUILD_BATCH),
            rated.iterator(chunk_size=REBUILD_BATCH),
        )
        FiguresMonth.objects.bulk_create(month_rows(sums, folded=True), batch_size=5000)
        workcache.changed_after_commit(agencies)
    return len(sums)


# A rating row's dossier's figures, as `sum_rows` reads them.
RATED_FIELDS = tuple(f"dossier__figures__{name}" for name in FIGURE_FIELDS)


def sum_rows(rows, rated, indicators=Rating.FIELDS):
    """The monthly sums of DossierFigures `rows` (dicts of FIGURE_FIELDS) and of the ratings
    `rated` (dicts of RATED_FIELDS, "created_at" and the `indicators`): {key: Counter}.
    rebuild_months and migration 0013 (on the historical models) both write these."""
    sums = {}
    for values in rows:
        for key, columns in contributions(values).items():
            sums.setdefault(key, Counter()).update(columns)
    for row in rated:
        values = {name: row[field] for name, field in zip(FIGURE_FIELDS, RATED_FIELDS, strict=True)}
        for key, columns in rating_contributions(values, [_given(row, indicators)]).items():
            sums.setdefault(key, Counter()).update(columns)
    return sums


def _given(row, indicators=Rating.FIELDS):
    """(day given, {indicator: score}) of a rating row, as `contributions` takes ratings."""
    return local_date(row["created_at"]), {name: row[name] for name in indicators}


def compact_months():
    """Fold every key's rows into one (a periodic task): the sums do not change, the rows the
    report reads shrink back to one per key. Returns the number of rows folded away."""
    table = connection.ops.quote_name(FiguresMonth._meta.db_table)
    keys = ", ".join(MONTH_KEY)
    sums = ", ".join(f"SUM({column})" for column in FiguresMonth.COLUMNS)
    nonzero = " OR ".join(f"SUM({column}) <> 0" for column in FiguresMonth.COLUMNS)
    same_key = " AND ".join(
        f"t.{name} IS NOT DISTINCT FROM k.{name}"
        if name in ("sector_id", "officer_id")
        else f"t.{name} = k.{name}"
        for name in MONTH_KEY
    )
    with transaction.atomic(), connection.cursor() as cursor:
        # One at a time (two runs would still be exact, but could leave a key in two rows).
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [COMPACT_LOCK])
        if not cursor.fetchone()[0]:
            return 0
        cursor.execute(
            f"WITH touched AS (SELECT DISTINCT {keys} FROM {table} WHERE NOT folded), "  # noqa: S608
            f"gone AS (DELETE FROM {table} t USING touched k WHERE {same_key} RETURNING t.*), "
            f"written AS (INSERT INTO {table} ({keys}, {', '.join(FiguresMonth.COLUMNS)}, folded) "
            f"SELECT {keys}, {sums}, true FROM gone GROUP BY {keys} HAVING {nonzero} "
            "RETURNING 1) "
            "SELECT (SELECT count(*) FROM gone) - (SELECT count(*) FROM written)"
        )
        return cursor.fetchone()[0]


COMPACT_LOCK = 0x4D59_5048  # "MYPH": the advisory lock of compact_months


# --- The figures of a period ----------------------------------------------------------------


def conditions(start, end):
    """Each count's condition on DossierFigures rows, for the period [start, end].

    The counts and the lists behind them both use these, so they always agree.
    """
    received_by_end = Q(received_on__lte=end)
    open_at_end = received_by_end & (Q(finished_on__isnull=True) | Q(finished_on__gt=end))
    carried = Q(received_on__lt=start) & (Q(finished_on__isnull=True) | Q(finished_on__gte=start))
    received = Q(received_on__gte=start, received_on__lte=end)
    finished_in = Q(finished_on__gte=start, finished_on__lte=end)
    resolved = finished_in & Q(outcome="resolved")
    overdue = Q(due_on__lte=end)
    return {
        "carried_over": carried,
        "received": received,
        "received_online": received & Q(channel=Dossier.Channel.ONLINE),
        "received_counter": received & Q(channel=Dossier.Channel.COUNTER),
        "received_post": received & Q(channel=Dossier.Channel.POST),
        "to_process": carried | received,
        "resolved": resolved,
        "resolved_early": resolved & Q(timeliness=deadlines.Timeliness.EARLY),
        "resolved_on_time": resolved & Q(timeliness=deadlines.Timeliness.ON_TIME),
        "resolved_late": resolved & Q(timeliness=deadlines.Timeliness.LATE),
        "in_progress": open_at_end,
        "in_progress_not_due": open_at_end & ~overdue,
        "in_progress_overdue": open_at_end & overdue,
        "returned": Q(returned_on__gte=start, returned_on__lte=end),
        "refused": finished_in & Q(outcome="refused"),
        "withdrawn": finished_in & Q(outcome="withdrawn"),
        "stopped": finished_in & Q(outcome="stopped"),
    }


# The officer filter's value for dossiers nobody is assigned to.
UNASSIGNED = 0


@dataclass(frozen=True)
class Scope:
    """Whose dossiers: agencies (None: all), and the page's filters (ids; None: any)."""

    agencies: tuple | None = None
    sector: int | None = None
    procedure: int | None = None
    channel: str | None = None
    officer: int | None = None

    def rows(self, start, end):
        """The DossierFigures rows that count in some figure of the period, within the scope."""
        rows = DossierFigures.objects.filter(active_until__gte=start, active_from__lte=end)
        return self._narrow(rows, "")

    def ratings(self, start, end):
        ratings = Rating.objects.filter(
            created_at__gte=local_midnight(start),
            created_at__lt=local_midnight(end + timedelta(days=1)),
        )
        return self._narrow(ratings, "dossier__figures__")

    def _narrow(self, queryset, prefix):
        lookups = {
            "agency_id__in": self.agencies,
            "sector_id": self.sector,
            "procedure_id": self.procedure,
            "channel": self.channel,
            "officer_id": self.officer or None,
        }
        if self.officer == UNASSIGNED:
            lookups["officer_id__isnull"] = True
        return queryset.filter(
            **{prefix + name: value for name, value in lookups.items() if value is not None}
        )


def _counts(prefix=""):
    return lambda start, end: {
        prefix + name: Count("pk", filter=condition)
        for name, condition in conditions(start, end).items()
    }


def with_rates(figures):
    """Add the three rates (fractions 0..1) to a dict of counts."""

    def share(part, whole):
        return part / whole if whole else 0.0

    figures["on_time_rate"] = share(
        figures["resolved_early"] + figures["resolved_on_time"], figures["resolved"]
    )
    figures["late_rate"] = share(
        figures["resolved_late"] + figures["in_progress_overdue"], figures["to_process"]
    )
    figures["online_rate"] = share(figures["received_online"], figures["received"])
    return figures


def _rating_figures(ratings):
    figures = {"ratings": ratings.get("count") or 0}
    total = ratings.get("total")
    figures["rating_average"] = round(total, 2) if total is not None else None
    return figures


class RatingSums:
    """The ratings of a period summed per group: ("all", None), ("month", first day), and
    (field of GROUPS, its value), each with the count and the sum of the totals, and each
    indicator's sum over all of them."""

    def __init__(self):
        # (group, value) -> [count, sum of totals]
        self._sums = defaultdict(lambda: [0, 0])
        self._indicators = dict.fromkeys(Rating.FIELDS, 0)

    def add(self, group, value, count, scores):
        """`count` ratings whose indicators sum to `scores` ({indicator: sum}) under `value` of
        `group`; the "all" group's also count in each indicator's average."""
        if not count:
            return
        if group == "month":
            value = value.replace(day=1)
        self._sums[(group, value)][0] += count
        self._sums[(group, value)][1] += sum(scores.values())
        if group == "all":
            for name in Rating.FIELDS:
                self._indicators[name] += scores[name]

    @classmethod
    def read(cls, ratings):
        """Sum the `ratings` (a Rating queryset) in one query: one row per sector, procedure,
        officer and month, added up here into every group (six aggregates would be six
        scans)."""
        rows = (
            ratings.annotate(month=TruncMonth("created_at", tzinfo=deadlines.TZ))
            .values(*(f"dossier__figures__{key}" for key in GROUPS), "month")
            .annotate(count=Count("pk"), **{name: Sum(name) for name in Rating.FIELDS})
            .order_by()
        )
        sums = cls()
        for row in rows:
            scores = {name: row[name] for name in Rating.FIELDS}
            for key in GROUPS:
                sums.add(key, row[f"dossier__figures__{key}"], row["count"], scores)
            sums.add("month", row["month"].date(), row["count"], scores)
            sums.add("all", None, row["count"], scores)
        return sums

    def figures(self, key="all", value=None):
        """{"count", "total"} as the rating figures read them: total is the average total.
        `key` is a field of GROUPS with its `value`, or "month" with a day of the month."""
        if key == "month":
            value = value.replace(day=1)
        count, total = self._sums.get((key, value), (0, 0))
        return {"count": count, "total": total / count if count else None}

    def indicators(self):
        """Each indicator's average over all the ratings (None when there are none)."""
        count = self._sums.get(("all", None), (0, 0))[0]
        return {
            name: (round(value / count, 2) if count else None)
            for name, value in self._indicators.items()
        }

    def values(self, key):
        """The values of `key` (a field of GROUPS) that have ratings in the period."""
        return {value for group, value in self._sums if group == key}


@dataclass
class Report:
    """Every figure of a period for a scope: totals and the four tables."""

    start: date
    end: date
    agency: object = None  # the one agency reported, or None for several
    totals: dict = field(default_factory=dict)
    satisfaction: dict = field(default_factory=dict)
    by_sector: list = field(default_factory=list)
    by_procedure: list = field(default_factory=list)
    by_officer: list = field(default_factory=list)
    by_month: list = field(default_factory=list)

    def as_json(self):
        """The `report` command's JSON (keys fixed: scripts of the province read them)."""

        def strip(row, label_key, label):
            return {label_key: label, **{key: row[key] for key in KEYS}}

        return {
            "agency": self.agency.code if self.agency is not None else None,
            "from": self.start.isoformat(),
            "to": self.end.isoformat(),
            "totals": {
                **{key: self.totals[key] for key in KEYS},
                "satisfaction": self.satisfaction,
            },
            "by_sector": [strip(r, "sector", r["sector_name"]) for r in self.by_sector],
            "by_procedure": [strip(r, "procedure", r["procedure_code"]) for r in self.by_procedure],
            "by_officer": [strip(r, "officer", r["officer_username"]) for r in self.by_officer],
            "by_month": [strip(r, "month", f"{r['start']:%Y-%m}") for r in self.by_month],
        }


def months_of(start, end):
    """The calendar months the period touches, each clipped to the period: [(start, end)]."""
    months = []
    first = start.replace(day=1)
    while first <= end:
        following = (first + timedelta(days=32)).replace(day=1)
        months.append((max(first, start), min(following - timedelta(days=1), end)))
        first = following
    return months


def report(scope, start, end, agency=None):
    """Every figure of [start, end] for `scope`, in about ten queries whatever the data size.

    A period of whole months (every period the page's picker offers) is read from the monthly
    sums plus the rows of the dossiers open now; any other range from the DossierFigures rows
    of the dossiers active in it. Both give the same figures (tests/dossiers/test_statistics.py
    checks one against the other)."""
    if start > end:
        raise ValueError("the period's first day is after its last day")
    if start.day == 1 and end == last_of_month(end):
        counted, ratings = _counted_from_months(scope, start, end)
    else:
        counted = _counted_from_rows(scope, start, end)
        ratings = RatingSums.read(scope.ratings(start, end))
    totals = with_rates(counted["all"][None])
    totals.update(_rating_figures(ratings.figures()))
    result = Report(
        start=start,
        end=end,
        agency=agency,
        totals=totals,
        satisfaction=ratings.indicators(),
    )
    for key, attribute in GROUPS.items():
        setattr(result, attribute, _table(key, counted[key], ratings))
    result.by_month = []
    for first, last in months_of(start, end):
        figures = with_rates(counted["month"][first])
        figures.update(_rating_figures(ratings.figures("month", first)))
        figures.update(start=first, end=last)
        result.by_month.append(figures)
    return result


def _no_counts():
    return dict.fromkeys(COUNT_KEYS, 0)


def _counted():
    """{"all": {None: counts}, "month": {first day: counts}, field of GROUPS: {id: counts}}."""
    return defaultdict(lambda: defaultdict(_no_counts))


def _table(key, counted, ratings):
    """One row per value of `key` with something counted or rated, labelled and in order."""
    rated = ratings.values(key)
    values = set(counted) | rated
    labels = _labels(key, {value for value in values if value is not None})
    result = []
    for value in values:
        figures = with_rates(dict(counted.get(value) or _no_counts()))
        if not any(figures[name] for name in COUNT_KEYS) and value not in rated:
            continue
        figures.update(_rating_figures(ratings.figures(key, value)))
        figures["id"] = value
        figures.update(labels.get(value) or dict.fromkeys(LABELS[key][1]))
        result.append(figures)
    # Named rows first in their usual order, the row without a sector or officer last.
    order = LABELS[key][2]
    result.sort(
        key=lambda row: (
            row[order] is None,
            row[order] if row[order] is not None else 0,
            row["id"] or 0,
        )
    )
    return result


# Each table's labels: (model, {label: its field}, the label it is sorted by).
LABELS = {
    "sector_id": (
        "procedures.Sector",
        {"sector_name": "name", "sector_order": "order"},
        "sector_order",
    ),
    "procedure_id": (
        "procedures.Procedure",
        {"procedure_code": "code", "procedure_name": "name"},
        "procedure_code",
    ),
    "officer_id": (
        settings.AUTH_USER_MODEL,
        {
            "officer_username": "username",
            "officer_last_name": "last_name",
            "officer_first_name": "first_name",
        },
        "officer_username",
    ),
}


def _labels(key, ids):
    if not ids:
        return {}
    model, fields, _order = LABELS[key]
    rows = apps.get_model(model).objects.filter(pk__in=ids).values("pk", *fields.values())
    return {row["pk"]: {label: row[path] for label, path in fields.items()} for row in rows}


def _counted_from_rows(scope, start, end):
    """The counts from the DossierFigures rows active in the period: one conditional COUNT
    each, as `conditions` defines them (any range of days)."""
    rows = scope.rows(start, end)
    counts = _counts()(start, end)
    counted = _counted()
    counted["all"][None] = rows.aggregate(**counts)
    for key in GROUPS:
        for row in rows.values(key).annotate(**counts).order_by():
            counted[key][row[key]] = {name: row[name] for name in COUNT_KEYS}
    aggregates = {}
    months = months_of(start, end)
    for index, (first, last) in enumerate(months):
        aggregates.update(_counts(f"m{index}_")(first, last))
    by_month = rows.aggregate(**aggregates)
    for index, (first, _last) in enumerate(months):
        counted["month"][first] = {name: by_month[f"m{index}_{name}"] for name in COUNT_KEYS}
    return counted


def _counted_from_months(scope, start, end):
    """The counts of a period of whole months, from the monthly sums and the open dossiers.

    Month i of [the month before `start`, ..., the last month]: flows are the sums of month i;
    in progress at the end of month i are the finished dossiers' `open_at_end` of month i plus
    the dossiers open now received by its last day (overdue: due by then too); carried over
    into month i is what was in progress at the end of month i - 1. Two grouped queries; the first
    also gives the period's ratings (a RatingSums)."""
    months = [first_of_month(start - timedelta(days=1))]
    months += [first for first, _last in months_of(start, end)]
    ends = [last_of_month(first) for first in months]
    # [month index][group][value] -> Counter of FiguresMonth columns, and received per channel.
    sums = [defaultdict(lambda: defaultdict(Counter)) for _month in months]
    index_of = {first: index for index, first in enumerate(months)}
    group_names = ("all", *GROUPS)

    monthly = scope._narrow(
        FiguresMonth.objects.filter(month__gte=months[0], month__lte=months[-1]), ""
    ).values("month", "channel", *GROUPS, *FiguresMonth.COLUMNS)
    ratings = RatingSums()
    for row in _grouping_sets(monthly, ("month", "channel"), FiguresMonth.COLUMNS):
        group, value, index = row["group"], row["value"], index_of[row["month"]]
        target = sums[index][group][value]
        target.update({column: row[column] for column in FiguresMonth.COLUMNS})
        target[f"received_{row['channel']}"] += row["received"]
        if index:  # the month before the period only tells what was carried over
            scores = {name: row[f"rating_{name}"] for name in Rating.FIELDS}
            ratings.add(group, value, row["ratings"], scores)
            if group == "all":
                ratings.add("month", row["month"], row["ratings"], scores)

    # Dossiers open now: received_bucket is the first month whose end they were received by;
    # due_bucket the first month whose end their promised due date is on or before.
    thresholds = [last + timedelta(days=1) for last in ends]
    open_now = (
        scope._narrow(
            DossierFigures.objects.filter(
                finished_on__isnull=True, received_on__isnull=False, received_on__lte=end
            ),
            "",
        )
        .annotate(
            received_bucket=_bucket("received_on", thresholds),
            due_bucket=_bucket("due_on", thresholds),
        )
        .values("received_bucket", "due_bucket", *GROUPS)
    )
    for row in _grouping_sets(open_now, ("received_bucket", "due_bucket"), ()):
        for index in range(row["received_bucket"], len(months)):
            target = sums[index][row["group"]][row["value"]]
            target["open_at_end"] += row["count"]
            if row["due_bucket"] is not None and row["due_bucket"] <= index:
                target["overdue_at_end"] += row["count"]

    counted = _counted()
    last_index = len(months) - 1
    for index in range(1, len(months)):
        month, before = sums[index], sums[index - 1]
        for group in group_names:
            for value in set(month[group]) | set(before[group]):
                figures = _figures_of_month(month[group][value], before[group][value])
                if group == "all":
                    counted["month"][months[index]] = figures
                _add(counted[group][value], figures, first=index == 1, last=index == last_index)
    return counted, ratings


def _bucket(field, thresholds):
    """How many of the ascending `thresholds` are on or before the date `field` (NULL: NULL)."""
    return Func(
        F(field),
        Value(thresholds, ArrayField(DateField())),
        function="width_bucket",
        output_field=IntegerField(),
    )


def _figures_of_month(month, before):
    """A month's counts from its sums and the sums of the month before it."""
    figures = {
        "carried_over": before["open_at_end"],
        "received": month["received"],
        "received_online": month[f"received_{Dossier.Channel.ONLINE}"],
        "received_counter": month[f"received_{Dossier.Channel.COUNTER}"],
        "received_post": month[f"received_{Dossier.Channel.POST}"],
        "resolved": month["resolved"],
        "resolved_early": month["resolved_early"],
        "resolved_on_time": month["resolved_on_time"],
        "resolved_late": month["resolved_late"],
        "in_progress": month["open_at_end"],
        "in_progress_overdue": month["overdue_at_end"],
        "returned": month["returned"],
        "refused": month["refused"],
        "withdrawn": month["withdrawn"],
        "stopped": month["stopped"],
    }
    figures["to_process"] = figures["carried_over"] + figures["received"]
    figures["in_progress_not_due"] = figures["in_progress"] - figures["in_progress_overdue"]
    return figures


# Counts that are a state at an instant, not a flow: the period's are its first month's
# (carried over) or its last month's (in progress at the end).
STOCKS_AT_START = ("carried_over",)
STOCKS_AT_END = ("in_progress", "in_progress_not_due", "in_progress_overdue")


def _add(total, month, first, last):
    """Add a month's counts into the period's: flows add up, stocks are taken at the ends."""
    for name in COUNT_KEYS:
        if name in STOCKS_AT_START:
            total[name] += month[name] if first else 0
        elif name in STOCKS_AT_END:
            total[name] += month[name] if last else 0
        elif name == "to_process":
            continue
        else:
            total[name] += month[name]
    total["to_process"] = total["carried_over"] + total["received"]


def _grouping_sets(queryset, keys, columns):
    """Rows of `queryset` summed (or counted, when `columns` is empty) by `keys` alone and by
    `keys` with each field of GROUPS: dicts with the keys, "group" ("all" or the field), "value"
    (the field's value) and the sums (or "count")."""
    # The queryset's database: inside myphong.routers.reading_reports() that is the replica.
    sql, params = queryset.query.get_compiler(using=queryset.db).as_sql()
    names = tuple(GROUPS)
    listed = ", ".join(keys)
    sets = ", ".join([f"({listed})", *(f"({listed}, {name})" for name in names)])
    summed = ", ".join(f"SUM({column})" for column in columns) or "COUNT(*)"
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(
            f"SELECT GROUPING({', '.join(names)}), {', '.join(names)}, {listed}, {summed} "  # noqa: S608
            f"FROM ({sql}) AS rows GROUP BY GROUPING SETS ({sets})",
            params,
        )
        for grouping, *values in cursor.fetchall():
            dimensions, rest = values[: len(names)], values[len(names) :]
            # GROUPING() has a 0 bit for each field the row is grouped by (first field first).
            group = next(
                (
                    name
                    for position, name in enumerate(names)
                    if not grouping & (1 << (len(names) - 1 - position))
                ),
                "all",
            )
            row = dict(zip(keys, rest[: len(keys)], strict=True))
            sums = rest[len(keys) :]
            if columns:
                row.update(zip(columns, sums, strict=True))
            else:
                row["count"] = sums[0]
            row["group"] = group
            row["value"] = dimensions[names.index(group)] if group != "all" else None
            yield row


def dossiers_behind(scope, figure, start, end):
    """The dossiers a count stands for: exactly as many as the count says."""
    if figure not in COUNT_KEYS:
        raise ValueError(f"unknown figure {figure!r}")
    ids = scope.rows(start, end).filter(conditions(start, end)[figure]).values("dossier_id")
    return Dossier.objects.filter(pk__in=ids)


# --- The public transparency page -------------------------------------------------------------


def public_figures(year, today=None):
    """This year's received and on-time share per agency, sector and procedure: no personal
    data. [(agency, [(sector, totals, [(procedure, totals)])], totals)], agencies by name.

    Two grouped queries whatever the data size. The on-time share is Decision 766's
    (early + on time) / resolved, as the national portal's agency rankings show it.
    """
    from procedures.models import Agency, Procedure, Sector

    start = date(year, 1, 1)
    end = min(date(year, 12, 31), today or date(year, 12, 31))
    c = conditions(start, end)
    counts = {
        "received": Count("pk", filter=c["received"]),
        "resolved": Count("pk", filter=c["resolved"]),
        "in_time": Count("pk", filter=c["resolved_early"] | c["resolved_on_time"]),
    }
    rows = (
        Scope()
        .rows(start, end)
        .values("agency_id", "sector_id", "procedure_id")
        .annotate(**counts)
        .order_by()
    )
    agencies = {a.pk: a for a in Agency.objects.all()}
    sectors = {s.pk: s for s in Sector.objects.all()}
    names = dict(Procedure.objects.values_list("pk", "name"))
    codes = dict(Procedure.objects.values_list("pk", "code"))

    def total(items):
        summed = {key: sum(item[key] for item in items) for key in counts}
        summed["on_time_rate"] = summed["in_time"] / summed["resolved"] if summed["resolved"] else 0
        return summed

    tree = {}
    for row in rows:
        if not (row["received"] or row["resolved"]):
            continue
        tree.setdefault(row["agency_id"], {}).setdefault(row["sector_id"], []).append(row)
    result = []
    for agency_id, by_sector in tree.items():
        sectors_out = []
        for sector_id, items in by_sector.items():
            procedures = sorted(
                (
                    (
                        f"{codes[item['procedure_id']]} — {names[item['procedure_id']]}",
                        total([item]),
                    )
                    for item in items
                ),
            )
            sector = sectors.get(sector_id)
            sectors_out.append((sector.name if sector else "—", total(items), procedures))
        sectors_out.sort(key=lambda entry: entry[0])
        everything = [item for items in by_sector.values() for item in items]
        result.append((agencies[agency_id], sectors_out, total(everything)))
    result.sort(key=lambda entry: entry[0].name)
    return result
