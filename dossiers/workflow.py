"""The statuses of a dossier, the actions on it, and who may take them.

One small table, enforced in one place (`dossiers.services`), as Signalen's workflow.py does:
every action says from which statuses it may start, which status it leads to (None: the status
stays), and which roles may take it. The allowed status changes are derived from it.
Labels are the Vietnamese words citizens see (PORTAL.md, "Life of a dossier"); they are
translatable so the English pages say the same thing in English.
"""

from dataclasses import dataclass
from enum import StrEnum

from django.db import models
from django.utils.translation import gettext_lazy as _

from myphong.roles import CITIZEN, CLERK, LEADER, SPECIALIST


class Status(models.TextChoices):
    SUBMITTED = "submitted", _("Waiting for reception")
    RECEIVED = "received", _("Received")
    IN_PROGRESS = "in_progress", _("In progress")
    AWAITING_SUPPLEMENT = "awaiting_supplement", _("Waiting for supplements")
    TRANSFERRED = "transferred", _("Transferred to another agency")
    AWAITING_PAYMENT = "awaiting_payment", _("Waiting for fee payment")
    RESOLVED = "resolved", _("Result ready")
    RETURNED = "returned", _("Result returned")
    REJECTED = "rejected", _("Refused")
    STOPPED = "stopped", _("Processing stopped")
    WITHDRAWN = "withdrawn", _("Withdrawn by the applicant")


S = Status

# Statuses whose legal clock does not run (PORTAL.md: not counted against the agency).
CLOCK_STOPPED = frozenset({S.SUBMITTED, S.AWAITING_SUPPLEMENT, S.AWAITING_PAYMENT})
# Accepted and not yet finished: what "open", "overdue" and the recompute look at.
OPEN = frozenset(
    {S.RECEIVED, S.IN_PROGRESS, S.AWAITING_SUPPLEMENT, S.TRANSFERRED, S.AWAITING_PAYMENT}
)
FINISHED = frozenset({S.RESOLVED, S.RETURNED, S.REJECTED, S.STOPPED, S.WITHDRAWN})
WORKING = frozenset({S.RECEIVED, S.IN_PROGRESS})
# The result exists: the applicant may download it (and collect it, if not yet returned).
RESULT_READY = frozenset({S.RESOLVED, S.RETURNED})


class Event(StrEnum):
    """What a DossierEvent records (`DossierEvent.action`): the actions of the table below, plus
    the events no person takes from a button (an online submission, a calendar change)."""

    SUBMIT = "submit"
    ACCEPT = "accept"
    REFUSE = "refuse"
    REQUEST_SUPPLEMENT = "request_supplement"
    SUPPLEMENT = "supplement"
    ASSIGN = "assign"
    START = "start"
    REQUEST_PAYMENT = "request_payment"
    CONFIRM_PAYMENT = "confirm_payment"
    TRANSFER = "transfer"
    TAKE_BACK = "take_back"
    RECORD_RESULT = "record_result"
    SEND_FOR_APPROVAL = "send_for_approval"
    APPROVE = "approve"
    RESOLVE = "resolve"
    RETURN = "return"
    STOP = "stop"
    RESCHEDULE = "reschedule"
    WITHDRAW = "withdraw"
    DUE_MOVED = "due_moved"
    # A received dossier came back complete after a supplement request: a new appointment, with
    # a new Form 01 replacing the earlier one (which is kept).
    NEW_APPOINTMENT = "new_appointment"
    # Boundary-free reception: the receiving centre sends the dossier to the competent agency.
    FORWARD = "forward"


E = Event

# What the applicant sees of the history: every event but the office's own steps (assignment,
# approval), which change nothing they wait for; and the notes written for them (other notes may
# be internal). The lookup page leaves out what the applicant wrote themselves.
INTERNAL_EVENTS = frozenset({E.ASSIGN, E.SEND_FOR_APPROVAL, E.APPROVE, E.RECORD_RESULT})
NOTES_FOR_THE_APPLICANT = frozenset({E.REQUEST_SUPPLEMENT, E.REFUSE, E.SUPPLEMENT})


@dataclass(frozen=True)
class Action:
    label: str
    sources: frozenset
    target: str | None  # None: the status stays
    roles: frozenset
    # A specialist may take it only on a dossier assigned to them (leaders and clerks of the
    # agency are not bound by the assignment).
    assignee_only: bool = True


def _action(label, sources, target, roles, assignee_only=True):
    return Action(label, frozenset(sources), target, frozenset(roles), assignee_only)


ACTIONS = {
    # Intake at the one-stop counter (Decree 61/2018 arts. 15-16).
    E.ACCEPT: _action(_("Accept"), {S.SUBMITTED}, S.RECEIVED, {CLERK}),
    E.REFUSE: _action(_("Refuse"), {S.SUBMITTED, S.AWAITING_SUPPLEMENT}, S.REJECTED, {CLERK}),
    E.REQUEST_SUPPLEMENT: _action(
        _("Ask for supplements"),
        {S.SUBMITTED, S.RECEIVED, S.IN_PROGRESS},
        S.AWAITING_SUPPLEMENT,
        {CLERK, SPECIALIST},
    ),
    # The supplemented dossier comes back: to the clerk if never accepted, else to work.
    E.SUPPLEMENT: _action(
        _("Add the missing papers"), {S.AWAITING_SUPPLEMENT}, None, {CITIZEN, CLERK}
    ),
    # Processing.
    E.ASSIGN: _action(_("Assign"), OPEN, None, {LEADER, CLERK}),
    E.START: _action(_("Start processing"), {S.RECEIVED}, S.IN_PROGRESS, {SPECIALIST, LEADER}),
    E.REQUEST_PAYMENT: _action(
        _("Ask for the fee"), {S.IN_PROGRESS}, S.AWAITING_PAYMENT, {SPECIALIST, LEADER}
    ),
    E.CONFIRM_PAYMENT: _action(
        _("Fee paid"), {S.AWAITING_PAYMENT}, S.IN_PROGRESS, {CLERK, SPECIALIST, LEADER}
    ),
    E.TRANSFER: _action(
        _("Transfer to another agency"), WORKING, S.TRANSFERRED, {SPECIALIST, LEADER}
    ),
    E.TAKE_BACK: _action(
        _("Take back from the other agency"),
        {S.TRANSFERRED},
        S.IN_PROGRESS,
        {CLERK, SPECIALIST, LEADER},
        assignee_only=False,
    ),
    E.RECORD_RESULT: _action(
        _("Record the result"), {S.IN_PROGRESS, S.TRANSFERRED}, None, {SPECIALIST, LEADER}
    ),
    E.SEND_FOR_APPROVAL: _action(
        _("Send to the leader for approval"), {S.IN_PROGRESS}, None, {SPECIALIST}
    ),
    E.APPROVE: _action(_("Approve and sign"), {S.IN_PROGRESS}, None, {LEADER}),
    E.RESOLVE: _action(_("Mark resolved"), {S.IN_PROGRESS}, S.RESOLVED, {SPECIALIST, LEADER}),
    E.RETURN: _action(_("Return the result"), {S.RESOLVED}, S.RETURNED, {CLERK}),
    # Dừng giải quyết: decided by a leader, on the applicant's request or a legal ground (Form 05).
    E.STOP: _action(
        _("Stop processing"),
        OPEN - {S.AWAITING_SUPPLEMENT},
        S.STOPPED,
        {LEADER},
    ),
    E.RESCHEDULE: _action(
        _("Apologise and set a new appointment"),
        OPEN - CLOCK_STOPPED,
        None,
        {SPECIALIST, LEADER},
    ),
    E.WITHDRAW: _action(
        _("Withdraw the dossier"),
        {S.SUBMITTED, *OPEN},
        S.WITHDRAWN,
        {CITIZEN, CLERK},
        assignee_only=False,
    ),
}


@dataclass(frozen=True)
class FollowUp:
    """What follows an event once committed (dossiers.tasks): the applicant is told by email and
    text message (templates/emails/<kind>*.txt), and some events issue a form (a Slip)."""

    kind: str
    # Slip.Form: "01" receipt, "02" supplement, "03" refusal, "04" apology, "05" stop notice
    form: str | None = None
    sms: bool = True  # False: an email only (an acknowledgement is not worth a text message)


# The one table of follow-ups: tasks, slips and notifications all read it. Events absent from it
# (an assignment, a request for approval…) are the office's business and send nothing.
FOLLOW_UPS = {
    # An online submission is acknowledged at once; the receipt follows when the clerk accepts.
    E.SUBMIT: FollowUp("submitted", sms=False),
    E.ACCEPT: FollowUp("accepted", form="01"),
    E.REQUEST_SUPPLEMENT: FollowUp("supplement_requested", form="02"),
    E.REFUSE: FollowUp("refused", form="03"),
    E.RESCHEDULE: FollowUp("rescheduled", form="04"),
    E.DUE_MOVED: FollowUp("due_moved"),
    E.NEW_APPOINTMENT: FollowUp("new_appointment", form="01"),
    E.REQUEST_PAYMENT: FollowUp("payment_requested"),
    E.RESOLVE: FollowUp("resolved"),
    E.TRANSFER: FollowUp("transferred"),
    E.STOP: FollowUp("stopped", form="05"),
    E.WITHDRAW: FollowUp("withdrawn"),
}
# Forms the competent body that processes the dossier issues (Circular 03/2025: 04 apology and
# extension, 05 stop); the one-stop unit that received it issues 01-03.
COMPETENT_BODY_FORMS = frozenset({"04", "05"})

# The events that issue each form (Form 01: the receipt, and each new appointment after a
# supplement), and the follow-up kinds the applicant is told about.
EVENTS_OF_FORM = {
    form: tuple(event for event, follow_up in FOLLOW_UPS.items() if follow_up.form == form)
    for form in sorted({follow_up.form for follow_up in FOLLOW_UPS.values() if follow_up.form})
}
NOTIFIED_KINDS = tuple(follow_up.kind for follow_up in FOLLOW_UPS.values())
SMS_KINDS = frozenset(follow_up.kind for follow_up in FOLLOW_UPS.values() if follow_up.sms)
EMAIL_ONLY_EVENTS = frozenset(event for event, follow_up in FOLLOW_UPS.items() if not follow_up.sms)


def _allowed_status_changes():
    changes = {status: set() for status in Status}
    for action in ACTIONS.values():
        if action.target is not None:
            for source in action.sources:
                changes[source].add(action.target)
    # A supplemented dossier goes back to the clerk, or back to work if it was received.
    changes[S.AWAITING_SUPPLEMENT] |= {S.SUBMITTED, S.IN_PROGRESS}
    return {status: frozenset(targets) for status, targets in changes.items()}


ALLOWED_STATUS_CHANGES = _allowed_status_changes()


def is_allowed(from_status, to_status):
    return to_status in ALLOWED_STATUS_CHANGES.get(from_status, frozenset())
