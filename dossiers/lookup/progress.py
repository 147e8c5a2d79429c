"""What the public lookup shows of a dossier: a masked name, whether it is on track, where to
collect the result. Never more than that: the lookup page is reached with a code and a factor."""

from django.utils.translation import gettext_lazy as _

from .. import deadlines
from ..printing.wording import (
    citizen_event_sentence,
    office_contact,
    office_hours_text,
    time_left,
)
from ..workflow import INTERNAL_EVENTS, NOTES_FOR_THE_APPLICANT, Event

# --- What the lookup page shows ------------------------------------------------------------


def mask_name(name):
    """ "Nguyễn Thị Hoa" → "Nguyễn T. H.": the family name, then initials."""
    words = (name or "").split()
    if not words:
        return ""
    return " ".join([words[0], *(f"{word[0].upper()}." for word in words[1:])])


PROGRESS = {
    "ok": (_("On track"), "text-bg-success"),
    "soon": (_("At risk: one working day or less left"), "text-bg-warning"),
    "overdue": (_("Overdue"), "text-bg-danger"),
}
DONE = {
    deadlines.Timeliness.EARLY: (_("Resolved early"), "text-bg-success"),
    deadlines.Timeliness.ON_TIME: (_("Resolved on time"), "text-bg-success"),
    deadlines.Timeliness.LATE: (_("Resolved late"), "text-bg-danger"),
}


def progress(dossier, now=None):
    """Whether the dossier is on track, on the agency's calendar: {label, css, detail} or None.

    The same computation as the office's "time left" (deadlines.time_left).
    """
    info = time_left(dossier, now)
    if info is None:
        return None
    if info["state"] == "done":
        label, css = DONE[info["verdict"]]
        return {"state": "done", "label": label, "css": css, "detail": ""}
    if info["state"] == "paused":
        return {
            "state": "paused",
            "label": info["text"],
            "css": "text-bg-light border",
            "detail": "",
        }
    label, css = PROGRESS[info["state"]]
    return {"state": info["state"], "label": label, "css": css, "detail": info["text"]}


def where_to_collect(dossier):
    """Where and when the result is handed over: the receiving agency's one-stop office."""
    agency = dossier.agency
    contact = office_contact(agency)
    return {
        "one_stop": contact["one_stop"],
        "agency": agency.name,
        "address": contact["where"],
        "hours": office_hours_text(agency),
        "phone": contact["phone"],
    }


def citizen_timeline(events, public=False):
    """The rows of the applicant's timeline (templates/dossiers/citizen/_timeline.html).

    Each row: the event, its sentence, the office's note and the papers asked for. `public`
    is the lookup page, which whoever holds the code and a factor sees: it leaves out what the
    applicant wrote themselves.
    """
    rows = []
    for event in events:
        if event.action in INTERNAL_EVENTS:
            continue
        note = event.note if event.action in NOTES_FOR_THE_APPLICANT else ""
        if public and event.action == Event.SUPPLEMENT:
            note = ""
        asked = event.action == Event.REQUEST_SUPPLEMENT
        items = (event.data or {}).get("items", []) if asked else []
        sentence = citizen_event_sentence(event)
        rows.append({"event": event, "sentence": sentence, "note": note, "items": items})
    return rows
