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

A day-grain aggregate (agency × procedure × channel × officer × day) was considered: at a
commune's volume (~100 dossiers a month spread over ~30 procedures) almost every cell holds one
dossier, so it is no smaller than one row per dossier, and "in progress and overdue at the end"
needs a dossier's due and finish dates together, which day sums cannot give without a second
table. Instead each row carries `active_from`/`active_until` (the first and last day it counts
in any figure), indexed with the agency, so a period reads only the dossiers active in it, not
the whole history.

Past periods do not change when dossiers move on: a dossier resolved in April leaves March's
figures as they were (it was in progress at the end of March). Two things are deliberately
read as they are now, not as they were: the officer (the dossier's current assignee: the monthly
meeting discusses who handles it) and a due date moved later by a new day off in the calendar.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import Count, F, OuterRef, Q, Subquery, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from . import deadlines
from .models import Dossier, DossierEvent, DossierFigures, Rating
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
    """Bring the dossier's row up to date after an action (called from services' `_record`, in
    the action's transaction). A dossier that has counted nowhere yet (submitted online, not
    checked) has no row."""
    ended_at = None
    if dossier.status in ENDED_BY_EVENT:
        if event is not None and event.to_status == dossier.status:
            ended_at = event.at
        else:
            ended_at = _ended_at(dossier.pk, dossier.status)
    values = figures_of(dossier, ended_at)
    if values["active_from"] is None:
        DossierFigures.objects.filter(dossier_id=dossier.pk).delete()
        return
    DossierFigures.objects.update_or_create(dossier_id=dossier.pk, defaults=values)


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
    changed = [
        DossierFigures(dossier_id=pk, due_on=local_date(before or due)) for pk, before, due in rows
    ]
    DossierFigures.objects.bulk_update(changed, ["due_on"], batch_size=2000)


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
    for dossier in dossiers.iterator(chunk_size=REBUILD_BATCH):
        values = figures_of(dossier, dossier.ended_at)
        if values["active_from"] is not None:
            batch.append(DossierFigures(dossier_id=dossier.pk, **values))
        if len(batch) >= REBUILD_BATCH:
            written += _write(batch)
            batch = []
    return written + _write(batch)


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
    """The ratings of a period, read once: one row per sector, procedure, officer and month with
    the count and the sums of each indicator, added up here into every table's figures.

    Six aggregate queries over the same ratings (totals, the nine indicators, by sector,
    procedure, officer and month) cost six scans; this is one, summed in one pass."""

    KEYS = ("sector_id", "procedure_id", "officer_id")

    def __init__(self, ratings):
        total = sum((F(name) for name in Rating.FIELDS[1:]), F(Rating.FIELDS[0]))
        rows = (
            ratings.annotate(month=TruncMonth("created_at", tzinfo=deadlines.TZ))
            .values(*(f"dossier__figures__{key}" for key in self.KEYS), "month")
            .annotate(count=Count("pk"), total=Sum(total), **{n: Sum(n) for n in Rating.FIELDS})
            .order_by()
        )
        # (group, value) -> [count, sum of totals]; group is a key of KEYS, "month" or "all".
        self._sums = defaultdict(lambda: [0, 0])
        self._indicators = dict.fromkeys(Rating.FIELDS, 0)
        for row in rows:
            groups = [(key, row[f"dossier__figures__{key}"]) for key in self.KEYS]
            groups += [("month", row["month"].date().replace(day=1)), ("all", None)]
            for group in groups:
                self._sums[group][0] += row["count"]
                self._sums[group][1] += row["total"]
            for name in Rating.FIELDS:
                self._indicators[name] += row[name]

    def figures(self, key="all", value=None):
        """{"count", "total"} as the rating figures read them: total is the average total.
        `key` is one of KEYS with its `value`, or "month" with the month's first day."""
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
        """The values of `key` (one of KEYS) that have ratings in the period."""
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
    """Every figure of [start, end] for `scope`: about ten queries, whatever the data size."""
    if start > end:
        raise ValueError("the period's first day is after its last day")
    rows = scope.rows(start, end)
    counts = _counts()(start, end)
    totals = with_rates(rows.aggregate(**counts))
    ratings = RatingSums(scope.ratings(start, end))
    totals.update(_rating_figures(ratings.figures()))
    satisfaction = ratings.indicators()
    result = Report(start=start, end=end, agency=agency, totals=totals, satisfaction=satisfaction)
    result.by_sector = _grouped(
        rows, ratings, counts, "sector_id", {"sector_name": "sector__name"}, "sector__order"
    )
    result.by_procedure = _grouped(
        rows,
        ratings,
        counts,
        "procedure_id",
        {"procedure_code": "procedure__code", "procedure_name": "procedure__name"},
        "procedure__code",
    )
    result.by_officer = _grouped(
        rows,
        ratings,
        counts,
        "officer_id",
        {
            "officer_username": "officer__username",
            "officer_last_name": "officer__last_name",
            "officer_first_name": "officer__first_name",
        },
        "officer__username",
    )
    result.by_month = _by_month(rows, ratings, start, end)
    return result


def _grouped(rows, ratings, counts, key, labels, order):
    """One row of figures per value of `key` (only values with something to count)."""
    grouped = (
        rows.values(key, *labels.values())
        .annotate(**counts)
        .order_by(F(order).asc(nulls_last=True), key)
    )
    rated = ratings.values(key)
    result = []
    for row in grouped:
        figures = with_rates({name: row[name] for name in COUNT_KEYS})
        if not any(figures[name] for name in COUNT_KEYS) and row[key] not in rated:
            continue
        figures.update(_rating_figures(ratings.figures(key, row[key])))
        figures["id"] = row[key]
        figures.update({label: row[path] for label, path in labels.items()})
        result.append(figures)
    return result


def _by_month(rows, ratings, start, end):
    """One row per month of the period, each with the month's own figures, in one query."""
    months = months_of(start, end)
    aggregates = {}
    for index, (first, last) in enumerate(months):
        aggregates.update(_counts(f"m{index}_")(first, last))
    counted = rows.aggregate(**aggregates)
    result = []
    for index, (first, last) in enumerate(months):
        figures = with_rates({name: counted[f"m{index}_{name}"] for name in COUNT_KEYS})
        figures.update(_rating_figures(ratings.figures("month", first)))
        figures.update(start=first, end=last)
        result.append(figures)
    return result


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
