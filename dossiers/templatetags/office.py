"""Template helpers of the back office: presentation only, never a rule.

Roles in the menu, badge colours, and the words of the timeline and of the time left, which come
from `printing.wording` (decided once for pages, emails and PDFs) and `deadlines` (the rules).
"""

from django import template

from myphong.roles import user_roles

from .. import deadlines
from ..models import Slip
from ..printing import wording
from ..workflow import Status

register = template.Library()

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
    return bool(user_roles(user) & wanted)


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
    return wording.event_label(event)


@register.filter
def event_details(event):
    """(label, value) pairs of what the event recorded; a value may be a list (the items)."""
    return wording.event_details(event)


@register.filter
def citizen_due(dossier):
    """The due date, or "Paused — …" while the clock is stopped (printing.wording)."""
    return wording.citizen_due(dossier)


@register.filter
def approval_state(dossier):
    """ "Waiting for approval" / "Approved…" / "" (printing.wording.approval_state)."""
    return wording.approval_state(dossier)


@register.simple_tag
def time_left(dossier, now=None):
    """The deadline in words (deadlines.time_left, described by printing.wording)."""
    return wording.time_left(dossier, now)


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
