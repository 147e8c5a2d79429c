"""The monthly sums behind a period of whole months (dossiers.statistics, FiguresMonth).

A period of whole months is read from the sums plus the dossiers open now; any other range
from one row per dossier. The two must agree on every figure of every table, whatever history
the dossiers went through: hypothesis writes random histories through the same `store` the
actions use, and compares both readings.
"""

import threading
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dossiers import statistics
from dossiers.models import Dossier, DossierFigures, FiguresMonth, Rating
from myphong import roles
from tests.factories import DossierFactory, ProcedureFactory, SectorFactory, UserFactory

FIRST_DAY = date(2025, 10, 1)
CHANNELS = [choice for choice, _label in Dossier.Channel.choices]
DOSSIERS = 6
VN = ZoneInfo("Asia/Ho_Chi_Minh")


@pytest.fixture
def world(agency):
    sectors = [SectorFactory(), SectorFactory()]
    procedures = [ProcedureFactory(agency=agency, sector=sector) for sector in sectors]
    officers = [
        UserFactory(roles=[roles.SPECIALIST], roles__agency=agency) for _officer in range(2)
    ]
    dossiers = [DossierFactory(procedure=procedures[n % 2]) for n in range(DOSSIERS)]
    return {"agency": agency, "procedures": procedures, "officers": officers, "dossiers": dossiers}


@st.composite
def day_after(draw, base, longest):
    """A day from `base` to `base` + `longest` days; often a month's first or last day, where
    "on or before the end of the month" and "after it" part."""
    day = base + timedelta(days=draw(st.integers(0, longest)))
    edge = draw(st.sampled_from(["any", "any", "last", "first"]))
    if edge == "last":
        return statistics.last_of_month(day)
    if edge == "first" and day.day != 1:
        return statistics.last_of_month(day) + timedelta(days=1)
    return day


@st.composite
def states(draw):
    """One state of a dossier's figures row, as figures_of would write it."""
    outcome = draw(st.sampled_from(["", "resolved", "refused", "withdrawn", "stopped"]))
    received_on = None
    if outcome != "refused" or draw(st.booleans()):
        received_on = draw(day_after(FIRST_DAY, 150))
    start = received_on or draw(day_after(FIRST_DAY, 150))
    finished_on = draw(day_after(start, 80)) if outcome else None
    returned_on = None
    timeliness = ""
    if outcome == "resolved":
        timeliness = draw(st.sampled_from(["early", "on_time", "late", ""]))
        if draw(st.booleans()):
            returned_on = draw(day_after(finished_on, 20))
    due_on = None
    if received_on is not None and draw(st.integers(0, 9)):
        due_on = draw(day_after(received_on, 45))
    days = [day for day in (received_on, finished_on, returned_on) if day is not None]
    return {
        "procedure": draw(st.integers(0, 1)),
        "channel": draw(st.sampled_from(CHANNELS)),
        "officer": draw(st.sampled_from([None, 0, 1])),
        "received_on": received_on,
        "due_on": due_on,
        "finished_on": finished_on,
        "outcome": outcome,
        "timeliness": timeliness,
        "returned_on": returned_on,
        "active_from": min(days),
        "active_until": (
            DossierFigures.OPEN_UNTIL
            if finished_on is None and received_on is not None
            else max(days)
        ),
    }


def write(world, dossier, state):
    procedure = world["procedures"][state["procedure"]]
    officer = world["officers"][state["officer"]] if state["officer"] is not None else None
    values = {key: value for key, value in state.items() if key not in ("procedure", "officer")}
    statistics.store(
        dossier.pk,
        {
            **values,
            "agency_id": world["agency"].pk,
            "procedure_id": procedure.pk,
            "sector_id": procedure.sector_id,
            "officer_id": officer.pk if officer else None,
        },
    )


RATINGS = st.lists(
    st.tuples(st.integers(0, DOSSIERS - 1), st.integers(0, 180), st.integers(0, 2)),
    max_size=4,
    unique_by=lambda rating: rating[0],
)


def play(world, histories, ratings):
    """Each dossier's first state, then the ratings (given on their day), then the later
    states: a later state may move a rated dossier to another officer or procedure."""
    DossierFigures.objects.all().delete()
    FiguresMonth.objects.all().delete()
    Rating.objects.all().delete()
    pairs = list(zip(world["dossiers"], histories, strict=False))
    for dossier, history in pairs:
        write(world, dossier, history[0])
    for index, day, score in ratings:
        dossier = world["dossiers"][index]
        if index >= len(pairs) or not DossierFigures.objects.filter(dossier=dossier).exists():
            continue
        rating = Rating.objects.create(
            dossier=dossier, channel="lookup", **dict.fromkeys(Rating.FIELDS, score)
        )
        given = datetime.combine(FIRST_DAY + timedelta(days=day), time(9), tzinfo=VN)
        Rating.objects.filter(pk=rating.pk).update(created_at=given)
        rating.refresh_from_db()
        statistics.add_rating(rating)
    for dossier, history in pairs:
        for state in history[1:]:
            write(world, dossier, state)


def plain(counted):
    """The counts without the empty rows, as plain dicts (for comparing both readings)."""
    result = {}
    for group, by_value in counted.items():
        rows = {
            value: dict(figures)
            for value, figures in by_value.items()
            if any(figures[name] for name in statistics.COUNT_KEYS)
        }
        if rows:
            result[group] = rows
    return result


def sums_by_key():
    rows = FiguresMonth.objects.values_list(*statistics.MONTH_KEY, *FiguresMonth.COLUMNS)
    totals = {}
    for row in rows:
        key, columns = row[: len(statistics.MONTH_KEY)], row[len(statistics.MONTH_KEY) :]
        current = totals.setdefault(key, [0] * len(columns))
        totals[key] = [a + b for a, b in zip(current, columns, strict=True)]
    return {key: columns for key, columns in totals.items() if any(columns)}


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    histories=st.lists(st.lists(states(), min_size=1, max_size=3), min_size=1, max_size=DOSSIERS),
    first=st.integers(0, 5),
    length=st.integers(1, 4),
    ratings=RATINGS,
    compact=st.booleans(),
    narrow=st.sampled_from(["agency", "officer", "unassigned", "channel", "sector"]),
)
def test_whole_months_from_the_sums_equal_the_rows(
    world, histories, first, length, ratings, compact, narrow
):
    play(world, histories, ratings)
    if compact:
        statistics.compact_months()
    month = date(2025, 10 + first, 1) if first < 3 else date(2026, first - 2, 1)
    start = month
    end = statistics.last_of_month(
        date(month.year + (month.month + length - 2) // 12, (month.month + length - 2) % 12 + 1, 1)
    )
    agencies = (world["agency"].pk,)
    scope = {
        "agency": statistics.Scope(agencies=agencies),
        "officer": statistics.Scope(agencies=agencies, officer=world["officers"][0].pk),
        "unassigned": statistics.Scope(agencies=agencies, officer=statistics.UNASSIGNED),
        "channel": statistics.Scope(agencies=agencies, channel=Dossier.Channel.COUNTER),
        "sector": statistics.Scope(agencies=agencies, sector=world["procedures"][1].sector_id),
    }[narrow]

    counted, ratings = statistics._counted_from_months(scope, start, end)
    read = statistics.RatingSums.read(scope.ratings(start, end))

    assert plain(counted) == plain(statistics._counted_from_rows(scope, start, end))
    assert dict(ratings._sums) == dict(read._sums)
    assert ratings.indicators() == read.indicators()


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    histories=st.lists(st.lists(states(), min_size=1, max_size=3), max_size=DOSSIERS),
    ratings=RATINGS,
)
def test_sums_kept_by_each_change_equal_the_sums_rebuilt_from_the_rows(world, histories, ratings):
    play(world, histories, ratings)
    kept = sums_by_key()

    statistics.compact_months()
    assert sums_by_key() == kept
    assert FiguresMonth.objects.filter(folded=False).count() == 0

    statistics.rebuild_months()
    assert sums_by_key() == kept


def test_folding_leaves_one_row_per_key_and_the_report_unchanged(world):
    dossier = world["dossiers"][0]
    opened = {
        "procedure": 0,
        "channel": "counter",
        "officer": None,
        "received_on": date(2025, 10, 20),
        "due_on": date(2025, 10, 23),
        "finished_on": None,
        "outcome": "",
        "timeliness": "",
        "returned_on": None,
        "active_from": date(2025, 10, 20),
        "active_until": DossierFigures.OPEN_UNTIL,
    }
    assigned = {**opened, "officer": 0}
    resolved = {
        **assigned,
        "finished_on": date(2025, 11, 3),
        "outcome": "resolved",
        "timeliness": "late",
        "active_until": date(2025, 11, 3),
    }
    for state in (opened, assigned, resolved):
        write(world, dossier, state)
    scope = statistics.Scope(agencies=(world["agency"].pk,))
    before = statistics.report(scope, date(2025, 10, 1), date(2025, 11, 30)).as_json()
    assert FiguresMonth.objects.filter(folded=False).count() > 2

    folded = statistics.compact_months()

    assert folded > 0
    assert statistics.compact_months() == 0
    # Received in October, in progress (and overdue) at its end, resolved late in November.
    rows = FiguresMonth.objects.order_by("month")
    assert [(r.month, r.received, r.open_at_end, r.overdue_at_end) for r in rows] == [
        (date(2025, 10, 1), 1, 1, 1),
        (date(2025, 11, 1), 0, 0, 0),
    ]
    assert (rows[1].resolved, rows[1].resolved_late, rows[0].officer_id) == (
        1,
        1,
        world["officers"][0].pk,
    )
    assert statistics.report(scope, date(2025, 10, 1), date(2025, 11, 30)).as_json() == before
    assert before["by_month"][1]["carried_over"] == 1
    assert before["totals"]["resolved_late"] == 1


@pytest.mark.django_db(transaction=True)
def test_two_actions_on_the_same_sums_do_not_wait_for_each_other(agency):
    """Each action inserts its differences: a second action on the same agency, procedure,
    channel, officer and month goes through while the first one's transaction is still open
    (with a lock timeout of one second it would fail if it had to wait)."""
    procedure = ProcedureFactory(agency=agency)
    first, second = DossierFactory(procedure=procedure), DossierFactory(procedure=procedure)

    def values(day):
        return {
            "agency_id": agency.pk,
            "procedure_id": procedure.pk,
            "sector_id": procedure.sector_id,
            "channel": "counter",
            "officer_id": None,
            "received_on": day,
            "due_on": day + timedelta(days=3),
            "finished_on": None,
            "outcome": "",
            "timeliness": "",
            "returned_on": None,
            "active_from": day,
            "active_until": DossierFigures.OPEN_UNTIL,
        }

    holding, release, outcome = threading.Event(), threading.Event(), {}

    def first_action():
        try:
            with transaction.atomic():
                statistics.store(first.pk, values(date(2025, 10, 6)))
                holding.set()
                release.wait(10)
        finally:
            connection.close()

    thread = threading.Thread(target=first_action)
    thread.start()
    assert holding.wait(10)
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL lock_timeout = '1s'")
            statistics.store(second.pk, values(date(2025, 10, 7)))
        outcome["second"] = "committed"
    finally:
        release.set()
        thread.join(10)

    assert outcome == {"second": "committed"}
    october = statistics.report(
        statistics.Scope(agencies=(agency.pk,)), date(2025, 10, 1), date(2025, 10, 31)
    )
    assert (october.totals["received"], october.totals["in_progress"]) == (2, 2)


def test_a_dossier_due_on_the_last_day_of_a_month_is_overdue_at_its_end(world):
    """Received 20/10, due Fri 31/10/2025, resolved 05/11: in progress and overdue at the end of
    October (due on or before that day), read alike from the sums and from the rows."""
    write(
        world,
        world["dossiers"][0],
        {
            "procedure": 0,
            "channel": "counter",
            "officer": 0,
            "received_on": date(2025, 10, 20),
            "due_on": date(2025, 10, 31),
            "finished_on": date(2025, 11, 5),
            "outcome": "resolved",
            "timeliness": "late",
            "returned_on": None,
            "active_from": date(2025, 10, 20),
            "active_until": date(2025, 11, 5),
        },
    )
    scope = statistics.Scope(agencies=(world["agency"].pk,))
    counted, _ratings = statistics._counted_from_months(
        scope, date(2025, 10, 1), date(2025, 11, 30)
    )
    october = counted["month"][date(2025, 10, 1)]
    assert (october["in_progress"], october["in_progress_overdue"]) == (1, 1)
    assert plain(counted) == plain(
        statistics._counted_from_rows(scope, date(2025, 10, 1), date(2025, 11, 30))
    )
