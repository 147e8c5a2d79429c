"""The dossier's rules on top of the working calendar: due dates, pauses, timeliness, time left,
and the windows the law sets (supplements, Form 04).

The appointment printed on a receipt is a legal promise, so every due date, pause and
early/on-time/late figure of the portal is decided here and nowhere else (PORTAL.md, "Working
time and deadlines"). The arithmetic of working time is `dossiers.calendar.engine`; this module
says what a dossier's clock does with it. Pages, emails, PDFs and statistics call these functions
and never repeat their formulas.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .calendar.engine import CALENDAR_DAY, TZ, WorkingCalendar, as_local
from .calendar.store import default_calendar
from .workflow import FINISHED, Status

# Form 04 must be issued no later than one working day before the due time (Decree 61/2018
# art. 19); pages propose it from two working days before, so that staff have a working day to
# act, and propose a new appointment two working days after the current one.
RESCHEDULE_NOTICE = timedelta(hours=8)
APOLOGY_PROPOSAL_WORKING_DAYS = 2
PROPOSED_EXTRA_WORKING_DAYS = 2
# A received dossier's supplements may be requested only this many working days after receipt
# (PORTAL.md: "3 working days to ask", unverified).
SUPPLEMENT_REQUEST_WORKING_DAYS = 3


class Timeliness(StrEnum):
    EARLY = "early"
    ON_TIME = "on_time"
    LATE = "late"


# --- The deadline functions the rest of the portal calls ----------------------------------------


def due_at(
    received_at: datetime, amount: Any, unit: str, calendar: WorkingCalendar | None = None
) -> datetime:
    """The due instant (ngày hẹn trả) of a dossier received at `received_at`.

    `unit` is "working_day", "working_hour", "same_day" (the amount is then ignored) or
    "calendar_day" (Civil Code arts. 144-148: from the day after receipt to the closing of the
    last day, moved to the next working day's closing when that day is off; whole days only).
    Working amounts may be fractional (Decimal, int, float): half a working day is 4 hours.
    Counting starts at the receipt instant, or at the next opening when the office is closed;
    a due instant on a period boundary is shown as the earlier closing. The result is an aware
    datetime in Asia/Ho_Chi_Minh. `calendar=None` means `default_calendar()`.
    """
    return (calendar or default_calendar()).due_at(received_at, amount, unit)


def timeliness(resolved_at: datetime, due_at: datetime) -> Timeliness:
    """Early, on time or late, comparing Vietnam dates (Decision 766 practice): resolved on an
    earlier date than due is early even if later in the day's hours; on the due date, on time."""
    resolved_on = as_local(resolved_at, "resolved_at").date()
    due_on = as_local(due_at, "due_at").date()
    if resolved_on < due_on:
        return Timeliness.EARLY
    if resolved_on == due_on:
        return Timeliness.ON_TIME
    return Timeliness.LATE


def is_overdue(due_at: datetime, now: datetime | None = None) -> bool:
    """An open dossier whose due instant has passed (quá hạn)."""
    if now is None:
        now = timezone.now()
    return as_local(now, "now") > as_local(due_at, "due_at")


def working_time_between(
    start: datetime, end: datetime, calendar: WorkingCalendar | None = None
) -> timedelta:
    """Working time from start to end: for pauses, "due within a working day" and statistics."""
    return (calendar or default_calendar()).working_time_between(start, end)


def add_working_time(
    start: datetime, duration: timedelta, calendar: WorkingCalendar | None = None
) -> datetime:
    return (calendar or default_calendar()).add_working_time(start, duration)


def next_opening(instant: datetime, calendar: WorkingCalendar | None = None) -> datetime:
    return (calendar or default_calendar()).next_opening(instant)


def is_office_hours(instant: datetime, calendar: WorkingCalendar | None = None) -> bool:
    return (calendar or default_calendar()).is_office_hours(instant)


def is_working_day(day: date, calendar: WorkingCalendar | None = None) -> bool:
    return (calendar or default_calendar()).is_working_day(day)


# --- Supplements (Chờ bổ sung) ---------------------------------------------------------------


def due_after_supplement(
    received_at: datetime,
    amount: Any,
    unit: str,
    paused_at: datetime,
    resumed_at: datetime,
    *,
    rule: str | None = None,
    current_due: datetime | None = None,
    calendar: WorkingCalendar | None = None,
) -> datetime:
    """The new due instant when the complete dossier arrives after a supplement request.

    "pause" (Decree 61/2018 art. 17(1)(c) as recalled, the default): the working time that was
    left at `paused_at` is added from `resumed_at`; time spent waiting for the applicant is not
    counted, time spent before counts. "restart": the legal time counts again from zero at
    `resumed_at`. The rule defaults to settings.DEADLINE_SUPPLEMENT_RULE; `supplement_rule`
    gives a procedure's own. `current_due` is the due before the pause when it is not
    the plain `due_at(received_at, amount, unit)` (a dossier paused before).
    """
    calendar = calendar or default_calendar()
    rule = rule or settings.DEADLINE_SUPPLEMENT_RULE
    if as_local(resumed_at, "resumed_at") < as_local(paused_at, "paused_at"):
        raise ValueError("a dossier cannot resume before it was paused")
    if rule == "restart":
        return calendar.due_at(resumed_at, amount, unit)
    if rule != "pause":
        raise ValueError(f"unknown supplement rule {rule!r}; use 'restart' or 'pause'")
    if unit == CALENDAR_DAY:
        return _calendar_days_after_pause(
            calendar, received_at, amount, paused_at, resumed_at, current_due
        )
    if current_due is None:
        current_due = calendar.due_at(received_at, amount, unit)
    remaining = calendar.working_time_between(paused_at, current_due)
    if remaining <= timedelta(0):
        # Paused when already overdue: the time was used up before the pause.
        return as_local(current_due, "current_due")
    return calendar.add_working_time(resumed_at, remaining)


def supplement_rule(procedure) -> str:
    """The procedure's own supplement rule, or the portal's (settings.DEADLINE_SUPPLEMENT_RULE)."""
    return getattr(procedure, "supplement_rule", "") or settings.DEADLINE_SUPPLEMENT_RULE


def _calendar_days_after_pause(calendar, received_at, amount, paused_at, resumed_at, current_due):
    """Calendar days under "pause": the days already run before the request are used up, the
    days left count again from the day the complete dossier arrives (Civil Code arts. 144-148).

    The days left are measured to the period's last day as the law counts it (receipt day plus
    the amount), not to a due moved off a day off, so a pause never adds the holiday twice. A due
    moved otherwise (Form 04) is measured as it stands.
    """
    received_on = as_local(received_at, "received_at").date()
    paused_on = as_local(paused_at, "paused_at").date()
    plain_due = calendar.due_at(received_at, amount, CALENDAR_DAY)
    if current_due is None or as_local(current_due, "current_due") == plain_due:
        last_day = received_on + timedelta(days=int(amount))
    else:
        last_day = as_local(current_due, "current_due").date()
    days_left = (last_day - paused_on).days
    if days_left <= 0:
        return as_local(current_due or plain_due, "current_due")
    return calendar.due_at(resumed_at, days_left, CALENDAR_DAY)


# --- Form 04: the one rescheduling ---------------------------------------------------------------


class ReschedulingRefused(ValueError):
    """Form 04 (apology and new appointment) is not allowed; `message` says why, translatable."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message

    def __str__(self):
        return str(self.message)


def reschedule(
    current_due: datetime,
    new_due: datetime,
    *,
    now: datetime,
    already_rescheduled: bool,
    calendar: WorkingCalendar | None = None,
) -> datetime:
    """Check a Form 04 rescheduling and return the new due instant (local time).

    Decree 61/2018 art. 19 and PORTAL.md: the agency apologises and sets a new appointment no
    later than one working day before the due time, only once per dossier, and the new
    appointment is later than the current one. Raises ReschedulingRefused otherwise.
    """
    calendar = calendar or default_calendar()
    if already_rescheduled:
        raise ReschedulingRefused(_("This dossier was already rescheduled once (Form 04)."))
    if as_local(new_due, "new_due") <= as_local(current_due, "current_due"):
        raise ReschedulingRefused(_("The new appointment must be later than the current one."))
    if calendar.working_time_between(now, current_due) < RESCHEDULE_NOTICE:
        raise ReschedulingRefused(
            _(
                "Form 04 must be issued no later than one working day before the due time; "
                "it is too late to reschedule this dossier."
            )
        )
    return as_local(new_due, "new_due")


def supplement_window_closed(dossier, now):
    """True when a received dossier is past the days in which supplements may be requested."""
    if dossier.received_at is None:
        return False
    calendar = default_calendar(dossier.agency)
    window_end = calendar.add_working_time(
        dossier.received_at, SUPPLEMENT_REQUEST_WORKING_DAYS * calendar.working_day_length
    )
    return now > window_end


def apology_window(calendar: WorkingCalendar, now: datetime) -> tuple[datetime, datetime]:
    """(last chance, proposed from): a running dossier due between the two is proposed Form 04
    now. A due before the last chance is too late for Form 04; one after "proposed from" can wait.
    Queues filter the stored due_at between these instants (one indexed filter)."""
    last_chance = calendar.add_working_time(now, RESCHEDULE_NOTICE)
    proposed_from = calendar.add_working_time(
        now, APOLOGY_PROPOSAL_WORKING_DAYS * calendar.working_day_length
    )
    return last_chance, proposed_from


def apology_proposal(dossier, now: datetime | None = None):
    """Whether the dossier's page speaks of Form 04: None, or {"too_late": bool}.

    Only where Form 04 can apply: a dossier whose whole legal time is one working day or less
    ("in the day", a few working hours) could never give a working day's notice, so it is never
    proposed — nor said to be too late. Otherwise proposed when no Form 04 was issued yet and the
    due falls inside `apology_window`; said to be too late (calmly) when less than the legal
    notice is left.
    """
    if dossier.due_before_apology is not None or dossier.due_at is None:
        return None
    if dossier.status in FINISHED or dossier.status in (
        Status.AWAITING_SUPPLEMENT,
        Status.AWAITING_PAYMENT,
    ):
        return None
    now = now or timezone.now()
    calendar = default_calendar(dossier.agency)
    if not form_04_can_apply(dossier, calendar):
        return None
    last_chance, proposed_from = apology_window(calendar, now)
    if dossier.due_at > proposed_from or dossier.due_at < now:
        return None
    return {"too_late": dossier.due_at < last_chance}


def form_04_can_apply(dossier, calendar: WorkingCalendar | None = None) -> bool:
    """False when the dossier's legal time never left a working day's notice before its due
    (same-day or few-hours procedures): Form 04 is not for them."""
    start = dossier.received_at
    if start is None or dossier.due_at is None:
        return False
    calendar = calendar or default_calendar(dossier.agency)
    return calendar.working_time_between(start, dossier.due_at) > RESCHEDULE_NOTICE


def proposed_new_due(dossier) -> datetime | None:
    """The new appointment Form 04 proposes: the current due plus two working days."""
    if dossier.due_at is None:
        return None
    calendar = default_calendar(dossier.agency)
    return calendar.add_working_time(
        dossier.due_at, PROPOSED_EXTRA_WORKING_DAYS * calendar.working_day_length
    ).astimezone(TZ)


def time_left(dossier, now: datetime | None = None):
    """What the deadline looks like now, or None when the dossier has none.

    {"state": …} with "ok" ("left": working time), "soon" (one working day or less left),
    "overdue" ("late": working time past the due), "paused" (clock stopped; "waiting_for"
    "supplement" or "fee", "left" for the fee), "done" ("verdict": early, on time or late against
    the due promised before any Form 04). Computed on the agency's working calendar (no query once
    it is cached); `printing.wording.describe_time_left` puts it in words.
    """
    now = now or timezone.now()
    if dossier.status in FINISHED:
        if dossier.resolved_at is None or dossier.promised_due_at is None:
            return None
        return {
            "state": "done",
            "verdict": timeliness(dossier.resolved_at, dossier.promised_due_at),
        }
    if dossier.due_at is None:
        return None
    calendar = default_calendar(dossier.agency)
    if dossier.status == Status.AWAITING_SUPPLEMENT:
        return {"state": "paused", "waiting_for": "supplement"}
    if dossier.status == Status.AWAITING_PAYMENT:
        paused_at = dossier.clock_paused_at or now
        left = calendar.working_time_between(paused_at, dossier.due_at)
        return {"state": "paused", "waiting_for": "fee", "left": max(left, timedelta(0))}
    if now > dossier.due_at:
        late = calendar.working_time_between(dossier.due_at, now)
        return {"state": "overdue", "late": max(late, timedelta(0))}
    left = calendar.working_time_between(now, dossier.due_at)
    return {"state": "soon" if left <= calendar.working_day_length else "ok", "left": left}
