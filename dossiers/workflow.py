"""The statuses of a dossier, the actions on it, and who may take them.

One small table, enforced in one place (`dossiers.services`), as Signalen's workflow.py does:
every action says from which statuses it may start, which status it leads to (None: the status
stays), and which roles may take it. The allowed status changes are derived from it.
Labels are the Vietnamese words citizens see (PORTAL.md, "Life of a dossier"); they are
translatable so the English pages say the same thing in English.
"""

from dataclasses import dataclass

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
    "accept": _action(_("Accept"), {S.SUBMITTED}, S.RECEIVED, {CLERK}),
    "refuse": _action(_("Refuse"), {S.SUBMITTED, S.AWAITING_SUPPLEMENT}, S.REJECTED, {CLERK}),
    "request_supplement": _action(
        _("Ask for supplements"),
        {S.SUBMITTED, S.RECEIVED, S.IN_PROGRESS},
        S.AWAITING_SUPPLEMENT,
        {CLERK, SPECIALIST},
    ),
    # The supplemented dossier comes back: to the clerk if never accepted, else to work.
    "supplement": _action(
        _("Add the missing papers"), {S.AWAITING_SUPPLEMENT}, None, {CITIZEN, CLERK}
    ),
    # Processing.
    "assign": _action(_("Assign"), OPEN, None, {LEADER, CLERK}),
    "start": _action(_("Start processing"), {S.RECEIVED}, S.IN_PROGRESS, {SPECIALIST, LEADER}),
    "request_payment": _action(
        _("Ask for the fee"), {S.IN_PROGRESS}, S.AWAITING_PAYMENT, {SPECIALIST, LEADER}
    ),
    "confirm_payment": _action(
        _("Fee paid"), {S.AWAITING_PAYMENT}, S.IN_PROGRESS, {CLERK, SPECIALIST, LEADER}
    ),
    "transfer": _action(
        _("Transfer to another agency"), WORKING, S.TRANSFERRED, {SPECIALIST, LEADER}
    ),
    "take_back": _action(
        _("Take back from the other agency"),
        {S.TRANSFERRED},
        S.IN_PROGRESS,
        {CLERK, SPECIALIST, LEADER},
        assignee_only=False,
    ),
    "record_result": _action(
        _("Record the result"), {S.IN_PROGRESS, S.TRANSFERRED}, None, {SPECIALIST, LEADER}
    ),
    "send_for_approval": _action(
        _("Send to the leader for approval"), {S.IN_PROGRESS}, None, {SPECIALIST}
    ),
    "approve": _action(_("Approve and sign"), {S.IN_PROGRESS}, None, {LEADER}),
    "resolve": _action(_("Mark resolved"), {S.IN_PROGRESS}, S.RESOLVED, {SPECIALIST, LEADER}),
    "return": _action(_("Return the result"), {S.RESOLVED}, S.RETURNED, {CLERK}),
    "stop": _action(
        _("Stop processing"),
        OPEN - {S.AWAITING_SUPPLEMENT},
        S.STOPPED,
        {SPECIALIST, LEADER},
    ),
    "reschedule": _action(
        _("Apologise and set a new appointment"),
        OPEN - CLOCK_STOPPED,
        None,
        {SPECIALIST, LEADER},
    ),
    "withdraw": _action(
        _("Withdraw the dossier"),
        {S.SUBMITTED, *OPEN},
        S.WITHDRAWN,
        {CITIZEN, CLERK},
        assignee_only=False,
    ),
}


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
