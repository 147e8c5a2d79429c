"""How fast the deadline engine is, on one core, without the database.

    DEBUG=1 .venv/bin/python bench/deadlines.py

Prints due dates computed per second for a mix of units over 2025-2027, and the time to
recompute 100,000 open dossiers after a day off is added. Aims (issue 3): at least 100,000 due
dates a second; the recompute under 10 seconds.
"""

import random
import sys
import time
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dossiers.calendar.engine import (
    CALENDAR_DAY,
    SAME_DAY,
    TZ,
    WORKING_DAY,
    WORKING_HOUR,
    OpenDeadline,
    WorkingCalendar,
    recompute_due_dates,
    vietnam_calendar,
)

COUNT = 100_000
FIRST = datetime(2025, 1, 1, tzinfo=TZ)
SPAN_SECONDS = int((datetime(2027, 12, 31, 23, 59, tzinfo=TZ) - FIRST).total_seconds())
# Roughly the catalogue: mostly whole working days, some halves, some hours, some "in the day",
# some calendar days (complaints, adoption, land mediation).
MIX = [
    (Decimal(3), WORKING_DAY),
    (Decimal(5), WORKING_DAY),
    (Decimal(10), WORKING_DAY),
    (Decimal(15), WORKING_DAY),
    (Decimal("0.5"), WORKING_DAY),
    (Decimal(4), WORKING_HOUR),
    (Decimal(8), WORKING_HOUR),
    (None, SAME_DAY),
    (Decimal(30), CALENDAR_DAY),
]


def receipts(count, seed=2026):
    rng = random.Random(seed)
    return [
        (FIRST + timedelta(seconds=rng.randrange(SPAN_SECONDS)), *rng.choice(MIX))
        for _ in range(count)
    ]


def due_dates_per_second(calendar, rounds=5):
    work = receipts(COUNT)
    due_at = calendar.due_at
    for received, amount, unit in work[:1000]:  # number the years first
        due_at(received, amount, unit)
    best = float("inf")
    for _ in range(rounds):
        started = time.perf_counter()
        for received, amount, unit in work:
            due_at(received, amount, unit)
        best = min(best, time.perf_counter() - started)
    return COUNT / best


def recompute_seconds(calendar, new_calendar):
    items = [
        OpenDeadline(number, received, amount, unit, calendar.due_at(received, amount, unit))
        for number, (received, amount, unit) in enumerate(receipts(COUNT, seed=61))
    ]
    started = time.perf_counter()
    moved = recompute_due_dates(items, calendar, new_calendar)
    return time.perf_counter() - started, len(moved)


def main():
    calendar = vietnam_calendar()
    rate = due_dates_per_second(calendar)
    print(f"due dates per second (one core, mixed units, 2025-2027): {rate:,.0f}")
    day_off = vietnam_calendar(exceptions={date(2026, 6, 12): False})
    seconds, moved = recompute_seconds(calendar, day_off)
    print(
        f"recompute of {COUNT:,} open dossiers after a new day off (Fri 12/06/2026): "
        f"{seconds:.3f} s, {moved:,} moved"
    )
    # The worst case: other office hours, so every dossier is recomputed.
    closing_earlier = WorkingCalendar("07:00-11:30,13:30-16:30", country="VN")
    seconds, moved = recompute_seconds(calendar, closing_earlier)
    print(
        f"recompute of {COUNT:,} open dossiers after closing at 16:30 (all recomputed): "
        f"{seconds:.3f} s, {moved:,} moved"
    )


if __name__ == "__main__":
    main()
