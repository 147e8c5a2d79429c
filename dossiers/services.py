"""Every change of a dossier's state: one function per action, atomic, recording a DossierEvent.

Nothing else writes `Dossier.status`. Each action locks the dossier's row, checks the workflow
table, saves, records who did what and why, and asks (after the commit) for the slips and
notifications that follow. If the broker is down the dossier is still saved: the follow-up work is
retried by a periodic task or done when first asked for.
"""

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy

from myphong import roles
from myphong.models import person_name

from . import clock, codes, deadlines, permissions, statistics, tasks
from .models import Attachment, CounterGuidance, Dossier, DossierEvent, DossierPaper
from .workflow import (
    ACTIONS,
    COMPETENT_BODY_FORMS,
    EVENTS_OF_FORM,
    FOLLOW_UPS,
    Event,
    Status,
    is_allowed,
)

log = logging.getLogger(__name__)

FORM_RECEIPT = "01"
FORM_REGISTER = "07"


class ActionRefused(Exception):
    """The action is not possible now; `message` says why, in the user's language."""

    def __init__(self, message):
        self.message = message
        super().__init__(str(message))


@dataclass(frozen=True)
class Applicant:
    name: str
    phone: str
    id_number: str = ""
    email: str = ""
    address: str = ""


@dataclass(frozen=True)
class PaperCount:
    """A paper handed in at the counter, with its counts, for the receipt's table."""

    name: str
    originals: int = 0
    copies: int = 0
    certified_copies: int = 0
    required_document_id: int | None = None


def actor_name(user):
    if user is None or not user.is_authenticated:
        return ""
    return person_name(user)


def _record(dossier, action, actor, from_status, note="", data=None, at=None):
    """Record the event, and bring the dossier's statistics row up to date in the same
    transaction (dossiers.statistics explains why there)."""
    event = _event(dossier, action, actor, from_status, note, data, at)
    statistics.refresh(dossier, event)
    return event


def _event(dossier, action, actor, from_status, note="", data=None, at=None):
    """Write the event. An event that issues a form (01-05) takes the form's number here, in the
    action's transaction, so a rolled-back action gives its number back."""
    at = at or clock.now()
    data = dict(data or {})
    follow_up = FOLLOW_UPS.get(action)
    if follow_up is not None and follow_up.form:
        issuer = issuing_agency(dossier, follow_up.form)
        data["form_number"] = codes.next_form_number(issuer, follow_up.form, at)
        data["form_year"] = timezone.localdate(at).year
    return DossierEvent.objects.create(
        dossier=dossier,
        action=action,
        from_status=from_status or "",
        to_status=dossier.status,
        actor=actor if actor is not None and actor.is_authenticated else None,
        actor_name=actor_name(actor),
        at=at,
        note=note,
        data=data,
    )


def issuing_agency(dossier, form):
    """Who issues a form: the one-stop unit that received the dossier (01-03), the competent
    body that processes it (04 apology and extension, 05 stop; Circular 03/2025)."""
    if form in COMPETENT_BODY_FORMS:
        return dossier.procedure.agency
    return dossier.agency


def _locked(dossier, expected_version=None):
    """The dossier's row, locked until the transaction ends.

    With `expected_version` (from the form the user saw), a change someone else saved meanwhile
    is refused instead of silently overwritten.
    """
    locked = (
        Dossier.objects.select_for_update().select_related("procedure", "agency").get(pk=dossier.pk)
    )
    if expected_version is not None and locked.version != int(expected_version):
        raise ActionRefused(
            gettext_lazy(
                "Someone else changed this dossier while you were working on it. "
                "The page now shows the latest state; please check and try again."
            )
        )
    return locked


def _required(text, message):
    """The text without surrounding spaces; refused with `message` when nothing is left."""
    text = (text or "").strip()
    if not text:
        raise ActionRefused(message)
    return text


def _authorize(dossier, user, action):
    """Refuse with a clear message when `user` may not take `action` on `dossier` now."""
    if user is None:  # the system itself (a periodic task, a calendar change)
        return
    if not permissions.may(user, dossier, action, check_ready=False):
        raise ActionRefused(
            gettext_lazy("You cannot “%(action)s” on this dossier while it is “%(status)s”.")
            % {"action": ACTIONS[action].label, "status": Status(dossier.status).label}
        )
    reason = permissions.not_ready(dossier, action)
    if reason is not None:
        raise ActionRefused(reason)


def _move(dossier, to_status, action, actor, note="", data=None, at=None):
    """Change the status if the workflow table allows it, and record the event."""
    from_status = dossier.status
    _change_status(dossier, to_status)
    dossier.save()
    return _record(dossier, action, actor, from_status, note, data, at)


def _change_status(dossier, to_status):
    """Set the new status (and the version) if the workflow table allows it; not saved."""
    if not is_allowed(dossier.status, to_status):
        raise ActionRefused(
            gettext_lazy("A dossier that is “%(from)s” cannot become “%(to)s”.")
            % {"from": Status(dossier.status).label, "to": Status(to_status).label}
        )
    dossier.status = to_status
    dossier.version += 1


def _after_commit(dossier, event):
    """The event's follow-up (workflow.FOLLOW_UPS: slip and messages), queued on commit.

    robust=True: a failure there is logged and never breaks the action already committed.
    """
    follow_up = FOLLOW_UPS.get(event.action)
    if follow_up is not None:
        kind, pairs = follow_up.kind, (dossier.pk, event.pk)
        transaction.on_commit(lambda: tasks.follow_up(kind, *pairs), robust=True)


def _start_clock(dossier, at):
    procedure = dossier.procedure
    dossier.clock_started_at = at
    dossier.due_at = deadlines.due_at(
        at,
        procedure.processing_time,
        procedure.processing_time_unit,
        deadlines.default_calendar(dossier.agency),
    )


# --- Intake -------------------------------------------------------------------------------


def submit_online(
    procedure,
    citizen,
    *,
    applicant,
    request="",
    token=None,
    pending_uploads=(),
    result_delivery="",
    delivery_address="",
):
    """A citizen's online dossier: it waits as `submitted` until a clerk checks it.

    `pending_uploads` are checked PendingUpload rows of the form; they become attachments.
    Submitting the same form twice (same `token`) returns the first dossier.
    """
    if not procedure.allows_online_submission:
        raise ActionRefused(gettext_lazy("This procedure cannot be submitted online."))
    delivery_address = check_result_delivery(procedure, result_delivery, delivery_address)
    if token is not None:
        existing = Dossier.objects.filter(intake_token=token, applicant=citizen).first()
        if existing is not None:
            return existing
    now = clock.now()
    if submitted_today(citizen, now) >= settings.DOSSIERS_PER_DAY:
        raise ActionRefused(
            gettext_lazy(
                "You have sent the most dossiers one person may send online in a day. Please "
                "send this one tomorrow, or bring it to the one-stop office."
            )
        )
    try:
        with transaction.atomic():
            dossier = Dossier.objects.create(
                procedure=procedure,
                agency=procedure.agency,
                channel=Dossier.Channel.ONLINE,
                status=Status.SUBMITTED,
                applicant=citizen,
                applicant_name=applicant.name,
                applicant_phone=applicant.phone,
                applicant_id_number=applicant.id_number,
                applicant_email=applicant.email,
                applicant_address=applicant.address,
                request=request,
                intake_token=token,
                submitted_at=now,
                result_delivery=result_delivery,
                delivery_address=delivery_address,
            )
            for order, upload in enumerate(pending_uploads, start=1):
                _attach_pending(dossier, upload, citizen, Attachment.Kind.APPLICATION)
                DossierPaper.objects.create(
                    dossier=dossier,
                    required_document=upload.required_document,
                    name=upload.required_document.name,
                    copies=1,
                    order=order,
                )
            event = _record(dossier, Event.SUBMIT, citizen, "", at=now)
            _after_commit(dossier, event)
    except IntegrityError:
        # The same form arrived twice at once: the other request made the dossier.
        existing = (
            Dossier.objects.filter(intake_token=token, applicant=citizen).first() if token else None
        )
        if existing is None:
            raise
        return existing
    return dossier


def submitted_today(citizen, now):
    """Online dossiers the citizen sent since the office's midnight (DOSSIERS_PER_DAY caps it)."""
    midnight = timezone.localtime(now, deadlines.TZ).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    return Dossier.objects.filter(
        applicant=citizen, channel=Dossier.Channel.ONLINE, submitted_at__gte=midnight
    ).count()


def _attach_pending(dossier, upload, user, kind):
    attachment = Attachment(
        dossier=dossier,
        required_document=upload.required_document,
        requested_item=upload.item,
        kind=kind,
        original_name=upload.original_name,
        size=upload.size,
        content_type=upload.content_type,
        sha256=upload.sha256,
        uploaded_by=user,
    )
    with upload.file.open("rb") as source:
        attachment.file.save(upload.original_name, source, save=False)
    attachment.save()
    upload.file.delete(save=False)
    upload.delete()
    return attachment


def accept(dossier, clerk, *, note="", expected_version=None):
    """The clerk accepts a complete dossier: code, receipt and due times, receipt (Form 01)."""
    with transaction.atomic():
        dossier = _locked(dossier, expected_version)
        if dossier.status != Status.SUBMITTED:
            raise ActionRefused(
                gettext_lazy("Only a dossier waiting for reception can be accepted.")
            )
        _authorize(dossier, clerk, Event.ACCEPT)
        now = clock.now()
        from_status = dossier.status
        _receive(dossier, clerk, now)
        _change_status(dossier, Status.RECEIVED)
        dossier.save()
        _number_reception(dossier, clerk, from_status, note, now)
    return dossier


def _forward_if_received_on_behalf(dossier, clerk, now):
    """Boundary-free reception (Decree 118/2025): a centre that received a dossier of another
    agency's procedure sends it there at once; both see it, the centre as "received on behalf"."""
    if not permissions.received_on_behalf(dossier):
        return None
    competent = dossier.procedure.agency
    # Not _record: forwarding changes nothing the statistics row holds.
    return _event(
        dossier,
        Event.FORWARD,
        clerk,
        dossier.status,
        data={"agency": competent.name, "agency_code": competent.code},
        at=now,
    )


def _receive(dossier, clerk, now):
    """Received now: the receipt time and the due time (the numbers come last:
    `_number_reception`)."""
    dossier.received_at = now
    dossier.received_by = clerk
    _start_clock(dossier, now)


def _number_reception(dossier, clerk, from_status, note, now):
    """Last in a reception's transaction (the dossier is saved): its statistics row, then the
    code, the register row (Form 07) and the receipt's number (Form 01, on the ACCEPT event),
    then the forward of a dossier received on behalf.

    Each number is the next of a counter row that stays locked until the commit (dossiers.codes):
    every other reception of the agency waits for it meanwhile. So everything else is written
    before, and after the numbers only the dossier's update and the events remain. A rollback
    still gives every number back: no gaps.
    """
    statistics.refresh(dossier)
    dossier.code = codes.issue_code(dossier.agency, now)
    dossier.register_number = codes.next_form_number(dossier.agency, FORM_REGISTER, now)
    Dossier.objects.filter(pk=dossier.pk).update(
        code=dossier.code, register_number=dossier.register_number
    )
    event = _event(dossier, Event.ACCEPT, clerk, from_status, note, _due_data(dossier), now)
    _after_commit(dossier, event)
    _forward_if_received_on_behalf(dossier, clerk, now)
    return event


def _due_data(dossier):
    return {"due_at": dossier.due_at.isoformat() if dossier.due_at else None}


def register_at_counter(
    procedure,
    clerk,
    *,
    applicant,
    papers,
    request="",
    sets=1,
    token=None,
    scans=(),
    channel=Dossier.Channel.COUNTER,
    result_delivery="",
    delivery_address="",
):
    """A dossier handed in at the counter, or arrived by post (`channel`), is accepted at once
    (Form 01 is printed, and posted back for a dossier that came by post).

    `papers` are PaperCount rows; `scans` are (required_document or None, UploadedFile, checked
    file info) triples; `result_delivery` is how the applicant chose to receive the result.
    Saving the same form twice (same `token`) returns the first dossier.
    """
    if roles.CLERK not in permissions.user_roles(clerk):
        raise ActionRefused(gettext_lazy("Only a reception clerk registers dossiers."))
    if channel not in (Dossier.Channel.COUNTER, Dossier.Channel.POST):
        raise ActionRefused(gettext_lazy("A clerk registers dossiers from the counter or post."))
    if channel == Dossier.Channel.POST and not procedure.accepts_post:
        raise ActionRefused(gettext_lazy("This procedure does not accept dossiers by post."))
    delivery_address = check_result_delivery(procedure, result_delivery, delivery_address)
    if roles.lacks_agency(clerk):
        raise ActionRefused(
            gettext_lazy(
                "Your account is not attached to an agency yet: it cannot register dossiers."
            )
        )
    # The clerk's own agency; only an administrator (no agency) registers for the procedure's.
    agency = clerk.profile.agency if hasattr(clerk, "profile") and clerk.profile.agency else None
    try:
        with transaction.atomic():
            now = clock.now()
            dossier = Dossier(
                procedure=procedure,
                agency=agency or procedure.agency,
                channel=channel,
                status=Status.RECEIVED,
                result_delivery=result_delivery,
                delivery_address=delivery_address,
                applicant_name=applicant.name,
                applicant_phone=applicant.phone,
                applicant_id_number=applicant.id_number,
                applicant_email=applicant.email,
                applicant_address=applicant.address,
                request=request,
                sets=sets,
                intake_token=token,
                submitted_at=now,
            )
            _receive(dossier, clerk, now)
            # A second Save of the same form (same token) stops here, on the unique token,
            # before taking any number: the first dossier is returned below.
            dossier.save()
            DossierPaper.objects.bulk_create(
                DossierPaper(
                    dossier=dossier,
                    required_document_id=p.required_document_id,
                    name=p.name,
                    originals=p.originals,
                    copies=p.copies,
                    certified_copies=p.certified_copies,
                    order=order,
                )
                for order, p in enumerate(papers, start=1)
            )
            _store_scans(dossier, scans, clerk, Attachment.Kind.APPLICATION)
            _number_reception(dossier, clerk, "", "", now)
    except IntegrityError:
        existing = Dossier.objects.filter(intake_token=token).first() if token else None
        if existing is None:
            raise
        return existing
    return dossier


def _store_scans(dossier, scans, user, kind):
    """Save (required document or None, upload, checked info) triples scanned at the counter."""
    for document, upload, info in scans:
        store_attachment(dossier, document=document, upload=upload, info=info, user=user, kind=kind)


def check_result_delivery(procedure, method, address):
    """The address to post the result to (cleaned), or refused: by post needs an address, online
    only where the procedure is served online (PORTAL.md, "Channels")."""
    address = (address or "").strip()
    if method and method not in Dossier.ReturnMethod.values:
        raise ActionRefused(gettext_lazy("Choose how the applicant receives the result."))
    if method == Dossier.ReturnMethod.POST and not address:
        raise ActionRefused(gettext_lazy("Write the address to post the result to."))
    if method == Dossier.ReturnMethod.ONLINE and not procedure.allows_online_submission:
        raise ActionRefused(gettext_lazy("This procedure's result is not given online."))
    return address if method == Dossier.ReturnMethod.POST else ""


def guide_at_counter(procedure, clerk, *, kind, applicant, items=(), reason="", request=""):
    """A walk-in applicant's papers are incomplete or cannot be received: the clerk prints Form 02
    (what to add, once, completely) or Form 03 (the refusal and its reason) there and then, and
    no dossier is created (Decree 61/2018 art. 16). The guidance is recorded with its number."""
    if roles.CLERK not in permissions.user_roles(clerk):
        raise ActionRefused(gettext_lazy("Only a reception clerk guides applicants."))
    if kind not in CounterGuidance.Kind.values:
        raise ActionRefused(gettext_lazy("Choose Form 02 (guidance) or Form 03 (refusal)."))
    items = [item.strip() for item in items if item and item.strip()]
    if kind == CounterGuidance.Kind.GUIDANCE and not items:
        raise ActionRefused(gettext_lazy("List at least one paper the applicant must add."))
    reason = (reason or "").strip()
    if kind == CounterGuidance.Kind.REFUSAL and not reason:
        raise ActionRefused(gettext_lazy("Give the reason for refusing the dossier."))
    agency = clerk.profile.agency if hasattr(clerk, "profile") and clerk.profile.agency else None
    agency = agency or procedure.agency
    with transaction.atomic():
        now = clock.now()
        return CounterGuidance.objects.create(
            agency=agency,
            procedure=procedure,
            kind=kind,
            number=codes.next_form_number(agency, kind, now),
            year=timezone.localdate(now).year,
            applicant_name=applicant.name,
            applicant_phone=applicant.phone,
            applicant_email=applicant.email,
            applicant_address=applicant.address,
            request=request,
            items=items,
            reason=reason,
            officer=clerk,
            officer_name=actor_name(clerk),
            created_at=now,
        )


def store_attachment(dossier, *, document, upload, info, user, kind):
    """Save a checked upload (`info` from dossiers.uploads.check_upload) as an attachment."""
    attachment = Attachment(
        dossier=dossier,
        required_document=document,
        kind=kind,
        original_name=info.name,
        size=info.size,
        content_type=info.content_type,
        sha256=info.sha256,
        uploaded_by=user,
    )
    upload.seek(0)
    attachment.file.save(info.name, upload, save=False)
    attachment.save()
    return attachment


def request_supplement(dossier, actor, *, items, reason, expected_version=None):
    """Ask once, completely, for what is missing (Form 02); the legal clock stops.

    `items` is a list of what to add (one line each), printed on Form 02 and shown to the citizen.
    """
    items = [item.strip() for item in items if item and item.strip()]
    if not items:
        raise ActionRefused(gettext_lazy("List at least one paper the applicant must add."))
    with transaction.atomic():
        dossier = _locked(dossier, expected_version)
        _authorize(dossier, actor, Event.REQUEST_SUPPLEMENT)
        # Two stages, one request each (Decree 61/2018 arts. 16-17): the clerk's guidance
        # before receipt, and the competent body's request while processing. One does not use
        # up the other; `supplement_requested` is the processing one.
        if dossier.received_at is None:
            already = dossier.events.filter(action=Event.REQUEST_SUPPLEMENT).exists()
        else:
            already = dossier.supplement_requested
        if already:
            raise ActionRefused(
                gettext_lazy(
                    "Supplements were already requested for this dossier: the office asks once, "
                    "completely."
                )
            )
        if deadlines.supplement_window_closed(dossier, clock.now()):
            raise ActionRefused(
                gettext_lazy(
                    "Supplements can be requested only within %(days)s working days of receipt."
                )
                % {"days": deadlines.SUPPLEMENT_REQUEST_WORKING_DAYS}
            )
        dossier.supplement_requested = dossier.received_at is not None
        event = _move(
            dossier,
            Status.AWAITING_SUPPLEMENT,
            Event.REQUEST_SUPPLEMENT,
            actor,
            note=reason,
            data={"items": items},
        )
        _after_commit(dossier, event)
    return dossier


def refuse(dossier, clerk, *, reason, expected_version=None):
    """Refuse to receive the dossier, with the reason (Form 03)."""
    reason = _required(reason, gettext_lazy("Give the reason for refusing the dossier."))
    with transaction.atomic():
        dossier = _locked(dossier, expected_version)
        if dossier.received_at is not None:
            raise ActionRefused(gettext_lazy("A dossier already received cannot be refused."))
        _authorize(dossier, clerk, Event.REFUSE)
        event = _move(dossier, Status.REJECTED, Event.REFUSE, clerk, note=reason)
        _after_commit(dossier, event)
    return dossier


def add_supplement(dossier, citizen, *, pending_uploads, note="", scans=(), expected_version=None):
    """The applicant hands in what was asked for; the dossier goes back to the office.

    Online, `pending_uploads` are the citizen's checked files; at the counter the clerk records
    the papers in `note` and may attach `scans` ((document, upload, checked info) triples).
    A dossier not yet received goes back to the clerk's queue; a received one goes back to work,
    its legal time resumes (or restarts) by the procedure's rule, and the applicant gets a new
    appointment: a new Form 01 replacing the earlier one (which is kept), by email and text.
    """
    with transaction.atomic():
        dossier = _locked(dossier, expected_version)
        if dossier.status != Status.AWAITING_SUPPLEMENT:
            raise ActionRefused(gettext_lazy("This dossier is not waiting for supplements."))
        _authorize(dossier, citizen, Event.SUPPLEMENT)
        for upload in pending_uploads:
            _attach_pending(dossier, upload, citizen, Attachment.Kind.SUPPLEMENT)
        _store_scans(dossier, scans, citizen, Attachment.Kind.SUPPLEMENT)
        now = clock.now()
        if dossier.received_at is None:
            event = _move(dossier, Status.SUBMITTED, Event.SUPPLEMENT, citizen, note, at=now)
        else:
            paused_at = (
                dossier.events.filter(action=Event.REQUEST_SUPPLEMENT).order_by("-at").first().at
            )
            old_due = dossier.due_at
            dossier.due_at = deadlines.due_after_supplement(
                dossier.clock_started_at,
                dossier.procedure.processing_time,
                dossier.procedure.processing_time_unit,
                paused_at,
                now,
                rule=deadlines.supplement_rule(dossier.procedure),
                current_due=old_due,
                calendar=deadlines.default_calendar(dossier.agency),
            )
            dossier.clock_started_at = now
            event = _move(
                dossier,
                Status.IN_PROGRESS,
                Event.SUPPLEMENT,
                citizen,
                note,
                _due_data(dossier),
                now,
            )
            _after_commit(dossier, event)
            # The new appointment: a new Form 01 that replaces the last one (kept), and messages.
            receipts = dossier.events.filter(action__in=EVENTS_OF_FORM[FORM_RECEIPT])
            replaced = receipts.order_by("-at", "-id").first()
            event = _record(
                dossier,
                Event.NEW_APPOINTMENT,
                citizen,
                dossier.status,
                data={
                    "old_due_at": old_due.isoformat() if old_due else None,
                    "due_at": dossier.due_at.isoformat(),
                    "replaces": replaced.pk if replaced else None,
                    "rule": deadlines.supplement_rule(dossier.procedure),
                },
                at=now,
            )
        _after_commit(dossier, event)
    return dossier


def record_due_moved(moves, reason):
    """A calendar change delayed these dossiers: store each new due time, record it, tell them.

    `moves` is a list of (dossier id, old due, new due); run inside the calendar change's
    transaction. A new day off can move tens of thousands of dossiers at once, so this writes
    in set-based batches instead of saving dossiers one by one. The status does not change.
    """
    now = clock.now()
    moves = list(moves)
    statuses = {}
    for start in range(0, len(moves), MOVE_BATCH):
        batch = moves[start : start + MOVE_BATCH]
        ids = [ident for ident, _old, _new in batch]
        statuses.update(Dossier.objects.filter(pk__in=ids).values_list("pk", "status"))
        _update_due_times([(ident, new) for ident, _old, new in batch])
        statistics.refresh_due_dates(ids)
    events = DossierEvent.objects.bulk_create(
        (
            DossierEvent(
                dossier_id=ident,
                action=Event.DUE_MOVED,
                from_status=statuses[ident],
                to_status=statuses[ident],
                at=now,
                note=reason,
                data={"old_due_at": old_due.isoformat(), "due_at": new_due.isoformat()},
            )
            for ident, old_due, new_due in moves
        ),
        batch_size=MOVE_BATCH,
    )
    pairs = [(event.dossier_id, event.pk) for event in events]
    kind = FOLLOW_UPS[Event.DUE_MOVED].kind
    transaction.on_commit(lambda: tasks.follow_up_many(kind, pairs), robust=True)


MOVE_BATCH = 2000


def _update_due_times(rows):
    """UPDATE … FROM (VALUES …): one statement per batch, on PostgreSQL and SQLite alike."""
    table = connection.ops.quote_name(Dossier._meta.db_table)
    cast = "::timestamptz" if connection.vendor == "postgresql" else ""
    values = ", ".join(f"(%s, %s{cast})" for _row in rows)
    params = [item for ident, due in rows for item in (ident, due)]
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET due_at = moved.due, version = {table}.version + 1 "  # noqa: S608
            f"FROM (SELECT column1 AS id, column2 AS due FROM (VALUES {values}) AS v) AS moved "
            f"WHERE {table}.id = moved.id",
            params,
        )


# --- The back office ------------------------------------------------------------------------


def _begin(dossier, user, action, expected_version):
    """Lock the row, check the version the user saw, and check the user may act."""
    dossier = _locked(dossier, expected_version)
    _authorize(dossier, user, action)
    return dossier


def assign(dossier, actor, *, specialist, note="", expected_version=None):
    """A leader or clerk gives the dossier to a specialist of the agency (or another one)."""
    with transaction.atomic():
        dossier = _begin(dossier, actor, Event.ASSIGN, expected_version)
        if not (
            specialist.is_active
            and roles.SPECIALIST in permissions.user_roles(specialist)
            and permissions.user_agency_id(specialist) == permissions.competent_agency_id(dossier)
        ):
            raise ActionRefused(
                gettext_lazy("Choose a specialist of the agency that handles this dossier.")
            )
        previous = dossier.assigned_to
        dossier.assigned_to = specialist
        dossier.version += 1
        dossier.save()
        data = {"to": actor_name(specialist), "to_id": specialist.pk}
        if previous is not None:
            data.update({"from": actor_name(previous), "from_id": previous.pk})
        event = _record(dossier, Event.ASSIGN, actor, dossier.status, note, data)
        _after_commit(dossier, event)
    return dossier


def start_processing(dossier, actor, *, note="", expected_version=None):
    with transaction.atomic():
        dossier = _begin(dossier, actor, Event.START, expected_version)
        _move(dossier, Status.IN_PROGRESS, Event.START, actor, note)
    return dossier


def request_payment(dossier, actor, *, amount, note="", expected_version=None):
    """Ask the applicant to pay the fee; the legal clock stops until it is paid."""
    if amount is None or int(amount) <= 0:
        raise ActionRefused(gettext_lazy("Enter the amount to pay, in đồng."))
    with transaction.atomic():
        dossier = _begin(dossier, actor, Event.REQUEST_PAYMENT, expected_version)
        dossier.clock_paused_at = clock.now()
        event = _move(
            dossier,
            Status.AWAITING_PAYMENT,
            Event.REQUEST_PAYMENT,
            actor,
            note,
            {"amount": int(amount)},
            at=dossier.clock_paused_at,
        )
        _after_commit(dossier, event)
    return dossier


def confirm_payment(dossier, actor, *, note="", expected_version=None):
    """The fee is paid: the clock runs again and the due time moves by the time spent waiting."""
    with transaction.atomic():
        dossier = _begin(dossier, actor, Event.CONFIRM_PAYMENT, expected_version)
        now = clock.now()
        calendar = deadlines.default_calendar(dossier.agency)
        paused_at = dossier.clock_paused_at or now
        remaining = calendar.working_time_between(paused_at, dossier.due_at)
        if remaining > timedelta(0):
            dossier.due_at = calendar.add_working_time(max(now, paused_at), remaining)
        dossier.clock_paused_at = None
        _move(
            dossier, Status.IN_PROGRESS, Event.CONFIRM_PAYMENT, actor, note, _due_data(dossier), now
        )
    return dossier


def transfer_to_agency(dossier, actor, *, agency, note="", expected_version=None):
    """Liên thông: the other agency sees the dossier in its queue until it hands it back."""
    with transaction.atomic():
        dossier = _begin(dossier, actor, Event.TRANSFER, expected_version)
        if agency is None or agency.pk == dossier.agency_id:
            raise ActionRefused(gettext_lazy("Choose another agency to transfer the dossier to."))
        dossier.transferred_to = agency
        event = _move(
            dossier,
            Status.TRANSFERRED,
            Event.TRANSFER,
            actor,
            note,
            {"agency": agency.name, "agency_code": agency.code},
        )
        _after_commit(dossier, event)
    return dossier


def take_back(dossier, actor, *, note="", expected_version=None):
    """The dossier comes back from the agency it was transferred to."""
    with transaction.atomic():
        dossier = _begin(dossier, actor, Event.TAKE_BACK, expected_version)
        agency = dossier.transferred_to
        dossier.transferred_to = None
        _move(
            dossier,
            Status.IN_PROGRESS,
            Event.TAKE_BACK,
            actor,
            note,
            {"agency": agency.name if agency else ""},
        )
    return dossier


def record_result(
    dossier,
    actor,
    *,
    number="",
    date=None,
    summary="",
    upload=None,
    info=None,
    expected_version=None,
):
    """The result (its number, date, a scan); recording it again needs a new approval."""
    if not ((number or "").strip() or (summary or "").strip()):
        raise ActionRefused(gettext_lazy("Enter the result's number or a summary."))
    with transaction.atomic():
        dossier = _begin(dossier, actor, Event.RECORD_RESULT, expected_version)
        dossier.result_number = number
        dossier.result_date = date
        dossier.result_summary = summary
        dossier.approved_by = None
        dossier.approved_at = None
        dossier.approval_requested_at = None
        dossier.version += 1
        dossier.save()
        data = {"number": number, "date": date.isoformat() if date else None}
        if upload is not None:
            attachment = store_attachment(
                dossier,
                document=None,
                upload=upload,
                info=info,
                user=actor,
                kind=Attachment.Kind.RESULT,
            )
            data["attachment"] = attachment.pk
        _record(dossier, Event.RECORD_RESULT, actor, dossier.status, summary, data)
    return dossier


def send_for_approval(dossier, actor, *, note="", expected_version=None):
    with transaction.atomic():
        dossier = _begin(dossier, actor, Event.SEND_FOR_APPROVAL, expected_version)
        dossier.approval_requested_at = clock.now()
        dossier.version += 1
        dossier.save()
        event = _record(dossier, Event.SEND_FOR_APPROVAL, actor, dossier.status, note)
        _after_commit(dossier, event)
    return dossier


def approve(dossier, leader, *, note="", resolve=False, expected_version=None):
    """The leader approves and signs the result; with `resolve`, the signed result is ready
    at once: one step for the leader, the same two events in the history, all or nothing."""
    with transaction.atomic():
        dossier = _begin(dossier, leader, Event.APPROVE, expected_version)
        if resolve and not permissions.may(leader, dossier, Event.RESOLVE, check_ready=False):
            raise ActionRefused(gettext_lazy("You may not mark this dossier resolved."))
        now = clock.now()
        dossier.approved_by = leader
        dossier.approved_at = now
        dossier.approval_requested_at = dossier.approval_requested_at or now
        dossier.version += 1
        dossier.save()
        _record(dossier, Event.APPROVE, leader, dossier.status, note, at=now)
        if resolve:
            dossier = mark_resolved(dossier, leader, expected_version=dossier.version)
    return dossier


def mark_resolved(dossier, actor, *, note="", expected_version=None):
    """The signed result is ready: timeliness is judged now, against the promised due time."""
    with transaction.atomic():
        dossier = _begin(dossier, actor, Event.RESOLVE, expected_version)
        now = clock.now()
        dossier.resolved_at = now
        timeliness = deadlines.timeliness(now, dossier.promised_due_at)
        event = _move(
            dossier, Status.RESOLVED, Event.RESOLVE, actor, note, {"timeliness": timeliness}, now
        )
        _after_commit(dossier, event)
    return dossier


def mark_returned(dossier, clerk, *, collected_by, method, note="", expected_version=None):
    """The clerk hands the result over and records who collected it, when and how."""
    collected_by = _required(collected_by, gettext_lazy("Write who collected the result."))
    if method not in Dossier.ReturnMethod.values:
        raise ActionRefused(gettext_lazy("Choose how the result was returned."))
    with transaction.atomic():
        dossier = _begin(dossier, clerk, Event.RETURN, expected_version)
        now = clock.now()
        dossier.returned_at = now
        dossier.returned_to = collected_by
        dossier.return_method = method
        event = _move(
            dossier,
            Status.RETURNED,
            Event.RETURN,
            clerk,
            note,
            {"collected_by": dossier.returned_to, "method": method},
            now,
        )
        _after_commit(dossier, event)
    return dossier


# Why processing stops (PORTAL.md: "on the applicant's request or a legal ground"), as Form 05
# prints it.
STOP_GROUNDS = (
    ("applicant_request", gettext_lazy("The applicant's request")),
    ("legal_ground", gettext_lazy("A ground set by law")),
)


def stop_processing(dossier, actor, *, reason, ground="legal_ground", expected_version=None):
    """Dừng giải quyết: a leader's decision with its ground and reason; Form 05 is issued."""
    reason = _required(reason, gettext_lazy("Give the reason for stopping."))
    if ground not in dict(STOP_GROUNDS):
        raise ActionRefused(gettext_lazy("Choose the ground for stopping."))
    with transaction.atomic():
        dossier = _begin(dossier, actor, Event.STOP, expected_version)
        event = _move(dossier, Status.STOPPED, Event.STOP, actor, reason, {"ground": ground})
        _after_commit(dossier, event)
    return dossier


def withdraw(dossier, user, *, reason="", expected_version=None):
    """The applicant withdraws the dossier (online, or at the counter through the clerk)."""
    with transaction.atomic():
        dossier = _begin(dossier, user, Event.WITHDRAW, expected_version)
        # Recorded as the applicant's request, whoever entered it (the clerk at the counter).
        event = _move(
            dossier,
            Status.WITHDRAWN,
            Event.WITHDRAW,
            user,
            (reason or "").strip(),
            {"requested_by": dossier.applicant_name},
        )
        _after_commit(dossier, event)
    return dossier


def reschedule(dossier, actor, *, new_due, reason, expected_version=None):
    """Form 04: apologise and set a new appointment — once, and in time (Decree 61 art. 19).

    Statistics keep judging timeliness against the due time promised before the apology.
    """
    reason = _required(reason, gettext_lazy("Give the reason for the delay."))
    with transaction.atomic():
        dossier = _begin(dossier, actor, Event.RESCHEDULE, expected_version)
        now = clock.now()
        try:
            new_due = deadlines.reschedule(
                dossier.due_at,
                new_due,
                now=now,
                already_rescheduled=dossier.due_before_apology is not None,
                calendar=deadlines.default_calendar(dossier.agency),
            )
        except deadlines.ReschedulingRefused as refused:
            raise ActionRefused(refused.message) from None
        old_due = dossier.due_at
        dossier.due_before_apology = old_due
        dossier.due_at = new_due
        event = _record_with_version(
            dossier,
            Event.RESCHEDULE,
            actor,
            reason,
            {"old_due_at": old_due.isoformat(), "due_at": new_due.isoformat()},
            now,
        )
        _after_commit(dossier, event)
    return dossier


def _record_with_version(dossier, action, actor, note, data, at):
    dossier.version += 1
    dossier.save()
    return _record(dossier, action, actor, dossier.status, note, data, at)
