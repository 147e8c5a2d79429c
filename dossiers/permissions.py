"""Who may take which action on a dossier, decided in one place for pages and services alike.

Staff act on their own agency's dossiers (and on dossiers transferred to their agency, where
the receiving agency records the result and hands the dossier back); a specialist acts only on
dossiers assigned to them; leaders on everything of their agency; clerks receive and return;
a citizen on their own dossier only.
"""

from django.utils.translation import gettext_lazy as _

from myphong import roles
from myphong.roles import user_roles

from . import deadlines
from .workflow import ACTIONS, Event, Status

# What the agency a dossier was transferred to may do with it.
RECEIVING_AGENCY_ACTIONS = frozenset({Event.TAKE_BACK, Event.RECORD_RESULT})
# Boundary-free reception (Decree 118/2025): a centre receives a dossier of another commune's or
# the province's procedure on its behalf. The centre keeps the one-stop work (intake, guidance,
# return, withdrawal); the competent agency processes it.
ONE_STOP_ACTIONS = frozenset(
    {
        Event.ACCEPT,
        Event.REFUSE,
        Event.REQUEST_SUPPLEMENT,
        Event.SUPPLEMENT,
        Event.RETURN,
        Event.WITHDRAW,
    }
)


def competent_agency_id(dossier):
    """The agency whose procedure it is, which processes the dossier (Forms 04 and 05)."""
    return dossier.procedure.agency_id


def received_on_behalf(dossier):
    """True when the receiving centre is not the competent agency (boundary-free reception)."""
    return dossier.agency_id != competent_agency_id(dossier)


def user_agency_id(user):
    profile = getattr(user, "profile", None)
    return profile.agency_id if profile is not None else None


def not_ready(dossier, action_name):
    """Why the action makes no sense yet (beyond the status), or None when it does."""
    if action_name in (Event.SEND_FOR_APPROVAL, Event.APPROVE) and not has_result(dossier):
        return _("Record the result first (its number or a summary).")
    if action_name == Event.SEND_FOR_APPROVAL and dossier.approval_requested_at is not None:
        return _("The result was already sent for approval.")
    if action_name == Event.APPROVE and dossier.approved_at is not None:
        return _("The result is already approved.")
    if action_name == Event.RESOLVE and dossier.approved_at is None:
        return _("The leader has not approved the result yet.")
    if action_name == Event.RESCHEDULE and not deadlines.form_04_can_apply(dossier):
        return _(
            "Form 04 does not apply: the legal time of this dossier is one working day or less."
        )
    if action_name == Event.REQUEST_PAYMENT:
        return fee_pause_refused(dossier)
    return None


def fee_pause_refused(dossier):
    """Why the processing may not pause for the fee, or None: at most once per dossier, and
    never for a procedure whose fee is paid when the dossier is handed in."""
    if dossier.procedure.fee_paid_at_submission:
        return _("This procedure's fee is paid at submission: processing does not pause for it.")
    if dossier.events.filter(action=Event.REQUEST_PAYMENT).exists():
        return _("The fee was already asked for once on this dossier.")
    return None


def has_result(dossier):
    return bool(dossier.result_number or dossier.result_summary)


def may(user, dossier, action_name, check_ready=True):
    """True when `user` may take the action on `dossier` now (status, role, agency, assignment).

    With check_ready=False, only whether the action is theirs to take: what must be done
    first (`not_ready`) is left out, so the caller can say that instead.
    """
    action = ACTIONS[action_name]
    if dossier.status not in action.sources:
        return False
    if check_ready and not_ready(dossier, action_name) is not None:
        return False
    held = user_roles(user) & action.roles
    if not held:
        return False
    if user.is_superuser:
        return True
    if held == {roles.CITIZEN}:
        return dossier.applicant_id is not None and dossier.applicant_id == user.pk
    agency_id = user_agency_id(user)
    if agency_id is None:
        return False
    competent_id = competent_agency_id(dossier)
    if agency_id not in (dossier.agency_id, competent_id):
        return (
            dossier.status == Status.TRANSFERRED
            and agency_id == dossier.transferred_to_id
            and action_name in RECEIVING_AGENCY_ACTIONS
        )
    if competent_id != dossier.agency_id:
        if agency_id == dossier.agency_id and action_name not in ONE_STOP_ACTIONS:
            return False  # the receiving centre does not process another agency's dossier
        if agency_id == competent_id and action_name in (Event.ACCEPT, Event.REFUSE):
            return False  # reception is the centre's
    if held == {roles.SPECIALIST} and action.assignee_only:
        return dossier.assigned_to_id == user.pk
    return True


def allowed_actions(user, dossier):
    """The names of the actions `user` may take on `dossier` now, in the table's order."""
    return [name for name in ACTIONS if may(user, dossier, name)]
