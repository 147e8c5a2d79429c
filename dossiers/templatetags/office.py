"""Template helpers of the back office: roles in the menu, the timeline's words, time left.

The plain-language label of every event action is decided here, in one place: the workflow's
action labels, plus the events that are not actions a person takes from a button.
"""

from datetime import datetime, timedelta

from django import template
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .. import deadlines, permissions
from ..models import Dossier, Slip
from ..workflow import ACTIONS, FINISHED, Status

register = template.Library()

# Events that are not in the workflow's ACTIONS table, or read better in other words there.
EVENT_LABELS = {
    "submit": _("Submitted online"),
    "accept": _("Received at the one-stop office"),
    "supplement": _("Missing papers handed in"),
    "due_moved": _("Due time moved by a calendar change"),
    "reschedule": _("Apology and new appointment (Form 04)"),
}

TIMELINESS_LABELS = {
    deadlines.Timeliness.EARLY: _("Early"),
    deadlines.Timeliness.ON_TIME: _("On time"),
    deadlines.Timeliness.LATE: _("Late"),
}

# Badge colours; the badge always carries the status in words as well.
STATUS_CLASSES = {
    Status.SUBMITTED: "text-bg-light border",
    Status.RECEIVED: "text-bg-info",
    Status.IN_PROGRESS: "text-bg-primary",
    Status.AWAITING_SUPPLEMENT: "text-bg-warning",
    Status.AWAITING_PAYMENT: "text-bg-warning",
    Status.TRANSFERRED: "text-bg-secondary",
    Status.RESOLVED: "text-bg-success",
    Status.RETURNED: "text-bg-dark",
}


@register.filter
def has_role(user, names):
    """{% if user|has_role:"Clerk,Specialist,Leader" %}: the user holds one of these roles."""
    wanted = {name.strip() for name in names.split(",")}
    return bool(permissions.user_roles(user) & wanted)


@register.filter
def status_class(status):
    return STATUS_CLASSES.get(status, "text-bg-light border")


@register.filter
def slip_label(form):
    """ "02" → "Supplement request (Form 02)"."""
    return Slip.Form(form).label


@register.filter
def is_list(value):
    return isinstance(value, list)


@register.filter
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
    return formats.date_format(timezone.localtime(instant), "H:i d/m/Y")


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


def _amount(value):
    return f"{formats.number_format(value, force_grouping=True)} đ"


# What an event's data holds, in the order shown: key, label, how to show the value.
EVENT_DATA = (
    ("items", _("Papers to add"), list),
    ("to", _("Assigned to"), str),
    ("from", _("Previously assigned to"), str),
    ("amount", _("Amount"), _amount),
    ("agency", _("Agency"), str),
    ("number", _("Result number"), str),
    ("date", _("Result date"), _day),
    ("old_due_at", _("Previous due time"), _moment),
    ("due_at", _("Due"), _moment),
    ("timeliness", _("Timeliness"), lambda value: TIMELINESS_LABELS.get(value, value)),
    ("collected_by", _("Collected by"), str),
    ("method", _("Returned how"), _method),
)


@register.filter
def event_details(event):
    """(label, value) pairs of what the event recorded; a value may be a list (the items)."""
    data = event.data or {}
    return [
        (label, show(data[key]))
        for key, label, show in EVENT_DATA
        if data.get(key) not in (None, "", [])
    ]


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


@register.simple_tag
def time_left(dossier, now=None):
    """What the deadline looks like now: {"state": …, "text": …}, or None when it has none.

    States: "ok", "soon" (one working day or less), "overdue", "paused" (clock stopped),
    "done" (resolved: early, on time or late against the due promised before any Form 04).
    Computed on the agency's working calendar (no query once it is cached).
    """
    now = now or timezone.now()
    if dossier.status in FINISHED:
        if dossier.resolved_at is None or dossier.promised_due_at is None:
            return None
        verdict = deadlines.timeliness(dossier.resolved_at, dossier.promised_due_at)
        return {"state": "done", "verdict": verdict, "text": TIMELINESS_LABELS[verdict]}
    if dossier.due_at is None:
        return None
    calendar = deadlines.default_calendar(dossier.agency)
    if dossier.status == Status.AWAITING_SUPPLEMENT:
        return {"state": "paused", "text": _("Clock stopped: waiting for the papers")}
    if dossier.status == Status.AWAITING_PAYMENT:
        paused_at = dossier.clock_paused_at or now
        left = calendar.working_time_between(paused_at, dossier.due_at)
        if left > timedelta(0):
            text = _("Clock stopped: waiting for the fee (%(time)s left)") % {
                "time": working_duration(left, calendar)
            }
        else:
            text = _("Clock stopped: waiting for the fee")
        return {"state": "paused", "text": text}
    if now > dossier.due_at:
        late = calendar.working_time_between(dossier.due_at, now)
        if late <= timedelta(0):
            return {"state": "overdue", "text": _("overdue")}
        return {
            "state": "overdue",
            "text": _("overdue by %(time)s of working time")
            % {"time": working_duration(late, calendar)},
        }
    left = calendar.working_time_between(now, dossier.due_at)
    return {
        "state": "soon" if left <= calendar.working_day_length else "ok",
        "text": _("%(time)s of working time left") % {"time": working_duration(left, calendar)},
        "left": left,
    }


TIME_LEFT_CLASSES = {
    "ok": "text-bg-light border",
    "soon": "text-bg-warning",
    "overdue": "text-bg-danger",
    "paused": "text-bg-light border",
    "done": "text-bg-success",
}


@register.filter
def time_left_class(info):
    if not info:
        return ""
    if info["state"] == "done" and info.get("verdict") == deadlines.Timeliness.LATE:
        return "text-bg-danger"
    return TIME_LEFT_CLASSES[info["state"]]
