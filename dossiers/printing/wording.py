"""One wording for PDFs, emails and pages: the office's contact and hours, money, instants,
the place on a form, durations of working time, and the plain words for events and timeliness.

Whatever a citizen reads about their dossier — on a page, in an email or on a printed form — is
worded here once, so the three never disagree. Forms and emails are always Vietnamese (their
callers activate it); pages use the reader's language through gettext.
"""

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.utils import formats, timezone
from django.utils.translation import gettext, ngettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from .. import deadlines
from ..calendar.engine import TZ, parse_office_hours, parse_working_weekdays
from ..deadlines import Timeliness
from ..models import Dossier
from ..workflow import ACTIONS, Event, Status


def one_stop_name():
    """The unit that receives and returns dossiers (settings.PORTAL_ONE_STOP_NAME: Decree
    118/2025's Trung tâm Phục vụ hành chính công, as the commune names it)."""
    return settings.PORTAL_ONE_STOP_NAME


# The register every dossier is entered in (Form 07); Form 01 prints the dossier's row in it.
REGISTER_BOOK = "Sổ theo dõi hồ sơ"

_PLACE_IN_AGENCY_NAME = re.compile(
    r"\b(?:xã|phường|thị trấn|đặc khu|tỉnh|thành phố)\s+(?P<place>.+)$", re.IGNORECASE
)

WEEKDAYS = {
    1: pgettext_lazy("weekday", "Monday"),
    2: pgettext_lazy("weekday", "Tuesday"),
    3: pgettext_lazy("weekday", "Wednesday"),
    4: pgettext_lazy("weekday", "Thursday"),
    5: pgettext_lazy("weekday", "Friday"),
    6: pgettext_lazy("weekday", "Saturday"),
    7: pgettext_lazy("weekday", "Sunday"),
}


def money(amount):
    """8000 → "8.000 đ", as Vietnamese write amounts of đồng (in both languages)."""
    return f"{int(amount):,} đ".replace(",", ".")


def office_contact(agency):
    """Where, by phone and by email the applicant reaches the office that handles the dossier,
    and the one-stop unit's name (settings.PORTAL_ONE_STOP_NAME)."""
    return {
        "one_stop": settings.PORTAL_ONE_STOP_NAME,
        "where": agency.address or settings.PORTAL_ADDRESS,
        "phone": agency.phone or settings.PORTAL_HOTLINE,
        "email": settings.PORTAL_EMAIL,
    }


def office_hours_text(agency):
    """ "07:00–11:30 và 13:30–17:00, từ thứ Hai đến thứ Sáu (trừ ngày nghỉ lễ, Tết)": when to
    come to the counter, from the agency's settings."""
    try:
        periods = parse_office_hours(agency.office_hours)
        days = sorted(parse_working_weekdays(agency.working_weekdays))
    except ValueError:
        return agency.office_hours
    hours = gettext(" and ").join(f"{start:%H:%M}–{end:%H:%M}" for start, end in periods)
    if len(days) > 2 and days == list(range(days[0], days[-1] + 1)):
        day_text = gettext("from %(first)s to %(last)s") % {
            "first": WEEKDAYS[days[0]],
            "last": WEEKDAYS[days[-1]],
        }
    else:
        day_text = ", ".join(str(WEEKDAYS[day]) for day in days)
    return gettext("%(hours)s, %(days)s (except public holidays and Tết)") % {
        "hours": hours,
        "days": day_text,
    }


def lookup_url(code):
    """The public lookup page with the code filled in; the page asks for the second factor."""
    return f"{settings.PORTAL_BASE_URL}/tra-cuu/?{urlencode({'ma': code})}"


@dataclass(frozen=True)
class Moment:
    """An instant as the forms print it, in Vietnam's time: 10 giờ 05 phút, ngày 26/11/2026."""

    hour: str
    minute: str
    day: str
    month: str
    year: str

    @classmethod
    def of(cls, instant):
        if instant is None:
            return None
        local = timezone.localtime(instant, TZ)
        return cls(f"{local:%H}", f"{local:%M}", f"{local:%d}", f"{local:%m}", f"{local:%Y}")

    @property
    def date(self):
        return f"{self.day}/{self.month}/{self.year}"

    @property
    def time(self):
        return f"{self.hour}:{self.minute}"


def local_text(instant):
    """ "14:05, 11/06/2025" in Vietnam's time, in both languages (the pages' DATETIME_FORMAT,
    myphong/formats); "" for None."""
    if instant is None:
        return ""
    return f"{timezone.localtime(instant, TZ):%H:%M, %d/%m/%Y}"


def place_name(agency_name):
    """ "UBND xã Mỹ Phong" → "Mỹ Phong": the place in the form's "…, ngày … tháng … năm …" line."""
    match = _PLACE_IN_AGENCY_NAME.search(agency_name)
    return match["place"].strip() if match else agency_name


def recorded_instant(event, key):
    """An instant the event recorded in its data ("due_at", "old_due_at"), or None."""
    recorded = (event.data or {}).get(key)
    return datetime.fromisoformat(recorded) if recorded else None


def promised_due(dossier, event):
    """The appointment as it stood when the event happened (the dossier's may have moved since)."""
    return recorded_instant(event, "due_at") or dossier.due_at


# --- Durations and the deadline in words ----------------------------------------------------


def working_duration(amount, calendar):
    """ "1 ngày 3 giờ", "5 giờ", "20 phút": working time in days of the calendar and hours."""
    day_length = calendar.working_day_length
    days, rest = divmod(amount, day_length)
    hours, rest = divmod(rest, timedelta(hours=1))
    parts = []
    if days:
        parts.append(ngettext("%(count)d day", "%(count)d days", days) % {"count": days})
    if hours:
        parts.append(ngettext("%(count)d hour", "%(count)d hours", hours) % {"count": hours})
    if not parts:
        minutes = max(1, rest // timedelta(minutes=1))
        parts.append(
            ngettext("%(count)d minute", "%(count)d minutes", minutes) % {"count": minutes}
        )
    return " ".join(parts)


TIMELINESS_LABELS = {
    Timeliness.EARLY: _("Early"),
    Timeliness.ON_TIME: _("On time"),
    Timeliness.LATE: _("Late"),
}


def describe_time_left(info, calendar):
    """The words for `deadlines.time_left`'s answer: the same dict with its "text" added."""
    if info is None:
        return None
    state = info["state"]
    if state == "done":
        text = TIMELINESS_LABELS[info["verdict"]]
    elif state == "paused" and info.get("waiting_for") == "supplement":
        text = _("Clock stopped: waiting for the papers")
    elif state == "paused":
        if info.get("left"):
            text = _("Clock stopped: waiting for the fee (%(time)s left)") % {
                "time": working_duration(info["left"], calendar)
            }
        else:
            text = _("Clock stopped: waiting for the fee")
    elif state == "overdue":
        if info.get("late"):
            text = _("overdue by %(time)s of working time") % {
                "time": working_duration(info["late"], calendar)
            }
        else:
            text = _("overdue")
    else:
        text = _("%(time)s of working time left") % {
            "time": working_duration(info["left"], calendar)
        }
    return {**info, "text": text}


def time_left(dossier, now=None):
    """`deadlines.time_left` with its words: what pages show as the time left."""
    info = deadlines.time_left(dossier, now)
    return describe_time_left(info, deadlines.default_calendar(dossier.agency))


def _paused_due(dossier):
    """Why no due date holds while the clock is stopped, or None when it runs (the procedure's
    supplement rule, deadlines.supplement_rule; services.confirm_payment for the fee)."""
    if dossier.status == Status.AWAITING_SUPPLEMENT:
        if deadlines.supplement_rule(dossier.procedure) == "restart":
            return gettext(
                "Paused — a new due date will be set when all the papers are received "
                "(the legal time then counts again from the start)"
            )
        return gettext(
            "Paused — a new due date will be set when all the papers are received "
            "(the working time that was left then continues)"
        )
    if dossier.status == Status.AWAITING_PAYMENT:
        return gettext(
            "Paused until the fee is paid — the due date then moves by the working time waited"
        )
    return None


def citizen_due(dossier):
    """The result's due as the applicant reads it in one line (lists, the lookup's notes)."""
    shown = appointment(dossier)
    return local_text(shown["at"]) if shown["at"] else str(shown["text"])


def payment_due(dossier, request_event):
    """What the applicant needs to pay the fee (the latest `request_payment` event): the
    amount, what it is for, how and where to pay — or None when no fee is awaited. The email
    and text message of the request say the same (templates/emails/payment_requested*)."""
    if dossier.status != Status.AWAITING_PAYMENT or request_event is None:
        return None
    amount = (request_event.data or {}).get("amount")
    if not amount:
        return None
    agency = dossier.agency
    contact = office_contact(agency)
    purpose = request_event.note or gettext(
        "the fees and charges of the procedure “%(procedure)s”"
    ) % {"procedure": dossier.procedure.name}
    return {
        "amount": money(amount),
        "purpose": purpose,
        "where": contact["where"],
        "hours": office_hours_text(agency),
        "phone": contact["phone"],
        "how": gettext(
            "Pay in person at the one-stop office and give the dossier code %(code)s: the "
            "officer takes the payment and gives you a receipt. Processing continues once the "
            "fee is paid."
        )
        % {"code": dossier.code or dossier.reference},
    }


def apology_advice(proposal, dossier):
    """What the dossier's page says about Form 04 (`deadlines.apology_proposal`), calmly: "" when
    there is nothing to say."""
    if not proposal:
        return ""
    if proposal["too_late"]:
        return gettext(
            "Less than one working day is left, so it is too late to apologise and set a new "
            "appointment (Form 04) for this dossier. Aim to have the result ready by %(due)s."
        ) % {"due": local_text(dossier.due_at)}
    return gettext(
        "Two working days or less are left. If the result cannot be ready in time, apologise "
        "and set a new appointment (Form 04) now: it must be issued at least one working day "
        "before the due time, and only once."
    )


def approval_state(dossier):
    """Where the result stands with the leader, for a queue row and the dossier page: "Waiting
    for approval", "Approved", or "" while nothing was sent."""
    if dossier.status not in (Status.IN_PROGRESS, Status.TRANSFERRED):
        return ""
    if dossier.approved_at is not None:
        return gettext("Approved, ready to mark resolved")
    if dossier.approval_requested_at is not None:
        return gettext("Waiting for approval")
    return ""


# --- Events in plain words --------------------------------------------------------------------

# Events that are not in the workflow's ACTIONS table, or read better in other words there.
EVENT_LABELS = {
    Event.SUBMIT: _("Submitted online"),
    Event.ACCEPT: _("Received at the one-stop office"),
    Event.SUPPLEMENT: _("Missing papers handed in"),
    Event.DUE_MOVED: _("Due time moved by a calendar change"),
    Event.RESCHEDULE: _("Apology and new appointment (Form 04)"),
    Event.NEW_APPOINTMENT: _("New appointment after the supplements (new Form 01)"),
    Event.FORWARD: _("Sent to the competent agency (received on its behalf)"),
}


def event_label(event):
    """The event's action in plain words."""
    if event.action in EVENT_LABELS:
        return EVENT_LABELS[event.action]
    if event.action in ACTIONS:
        return ACTIONS[event.action].label
    return event.action


def _moment(value):
    try:
        instant = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return value
    return local_text(instant)


def _day(value):
    try:
        return formats.date_format(datetime.fromisoformat(value).date(), "d/m/Y")
    except (TypeError, ValueError):
        return value


def _method(value):
    try:
        return Dossier.ReturnMethod(value).label
    except ValueError:
        return value


# What an event's data holds, in the order shown: key, label, how to show the value.
EVENT_DATA = (
    ("items", _("Papers to add"), list),
    ("to", _("Assigned to"), str),
    ("from", _("Previously assigned to"), str),
    ("amount", _("Amount"), money),
    ("agency", _("Agency"), str),
    ("number", _("Result number"), str),
    ("date", _("Result date"), _day),
    ("old_due_at", _("Previous due time"), _moment),
    ("due_at", _("Due"), _moment),
    ("timeliness", _("Timeliness"), lambda value: TIMELINESS_LABELS.get(value, value)),
    ("collected_by", _("Collected by"), str),
    ("method", _("Returned how"), _method),
)


def event_details(event):
    """(label, value) pairs of what the event recorded; a value may be a list (the items)."""
    data = event.data or {}
    return [
        (label, show(data[key]))
        for key, label, show in EVENT_DATA
        if data.get(key) not in (None, "", [])
    ]


def citizen_event_sentence(event):
    """One plain sentence about `event` for the applicant's timeline (pages and lookup)."""
    words = {
        Event.SUBMIT: _("You submitted the dossier online."),
        Event.ACCEPT: _("The one-stop office received the dossier."),
        Event.REQUEST_SUPPLEMENT: _("The office asked you to add papers."),
        Event.SUPPLEMENT: _("You sent the papers asked for."),
        Event.REFUSE: _("The office refused to receive the dossier."),
        Event.START: _("The dossier is being processed."),
        Event.TRANSFER: _("The dossier was sent to %(agency)s, which takes part in processing it.")
        % {"agency": (event.data or {}).get("agency", "")},
        Event.TAKE_BACK: _("The dossier came back from the other agency."),
        Event.REQUEST_PAYMENT: _("The office asked you to pay the fee."),
        Event.CONFIRM_PAYMENT: _("The fee was paid; processing continues."),
        Event.RESCHEDULE: _("The office apologised for a delay and set a new appointment."),
        Event.DUE_MOVED: _("The due date moved because of a change in the working calendar."),
        Event.FORWARD: _("The dossier was sent to %(agency)s, which is competent to decide it.")
        % {"agency": (event.data or {}).get("agency", "")},
        Event.NEW_APPOINTMENT: _(
            "The papers asked for are complete: a new receipt (Form 01) gives the new appointment."
        ),
        Event.RESOLVE: _("The result is ready: you can collect it."),
        Event.RETURN: _("The result was handed over."),
        Event.WITHDRAW: _("The dossier was withdrawn."),
        Event.STOP: _("Processing was stopped."),
    }
    if event.action in words:
        return words[event.action]
    if event.to_status:
        return _("The dossier is now “%(status)s”.") % {"status": Status(event.to_status).label}
    return _("The dossier was updated.")


# --- The appointment as the applicant sees it ------------------------------------------------


def appointment(dossier):
    """The appointment shown to the applicant (my dossiers, lookup): {"at": instant or None,
    "text": words instead of an instant (refused, not received yet, clock stopped),
    "rescheduled": a Form 04 moved it}."""
    if dossier.status == Status.REJECTED:
        return {"at": None, "text": _("Not applicable"), "rescheduled": False}
    if dossier.due_at is None:
        text = _("Set when the office receives the dossier")
        return {"at": None, "text": text, "rescheduled": False}
    paused = _paused_due(dossier)
    if paused is not None:
        return {"at": None, "text": paused, "rescheduled": False}
    rescheduled = dossier.due_before_apology is not None
    return {"at": dossier.due_at, "text": "", "rescheduled": rescheduled}


def result_delivery_text(dossier):
    """Where and how the applicant receives the result, as chosen at intake (Form 01, pages)."""
    method = dossier.result_delivery
    if method == Dossier.ReturnMethod.POST:
        return _("By post, to: %(address)s") % {"address": dossier.delivery_address}
    if method == Dossier.ReturnMethod.ONLINE:
        return _("Online, in the applicant's account on the portal")
    return _("At %(one_stop)s, %(address)s") % {
        "one_stop": one_stop_name(),
        "address": office_contact(dossier.agency)["where"],
    }
