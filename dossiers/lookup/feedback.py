"""Feedback (phản ánh, kiến nghị): anyone sends it with or without a name, gets a code, and
follows the leader's answer with the code and a phone number or lookup key (`guard`)."""

from django.db import transaction
from django.db.models import Case, Count, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from myphong import roles

from .. import codes, permissions, tasks
from ..models import Feedback, FeedbackCodeCounter
from ..services import ActionRefused
from .guard import normalise_code

# --- Feedback (phản ánh, kiến nghị) --------------------------------------------------------


def issue_feedback_code(at):
    """ "PAKN-<YYMMDD>-<NNNN>": a daily sequence from a counter row, as dossier codes are."""
    day = timezone.localdate(at)
    sequence = codes.take_next(FeedbackCodeCounter, day=day)
    return f"PAKN-{day:%y%m%d}-{sequence:04d}"


def send_feedback(
    agency, category, content, sender_name="", sender_phone="", dossier_code="", sender_email=""
):
    """Save a feedback with its code; the sender follows it with code + phone or lookup key."""
    with transaction.atomic():
        now = timezone.now()
        return Feedback.objects.create(
            code=issue_feedback_code(now),
            created_at=now,
            agency=agency,
            category=category,
            content=content.strip(),
            sender_name=" ".join((sender_name or "").split()),
            sender_phone=sender_phone or "",
            sender_email=(sender_email or "").strip().lower(),
            dossier_code=normalise_code(dossier_code)[:40],
        )


def feedback_for(user):
    """The feedback a leader answers: their agency's (all for a superuser), nothing for others."""
    feedback = Feedback.objects.select_related("agency", "answered_by")
    if user.is_superuser:
        return feedback
    if not roles.has_role(user, roles.LEADER):
        return feedback.none()
    agency_id = permissions.user_agency_id(user)
    if agency_id is None:
        return feedback.none()
    return feedback.filter(agency_id=agency_id)


FEEDBACK_QUEUES = {
    "waiting": Q(answered_at__isnull=True),
    "answered": Q(answered_at__isnull=False),
    "all": Q(),
}


def feedback_queue(user, queue):
    """One queue of a leader's feedback: money and harassment first, then the oldest first."""
    flagged_first = Case(
        When(category=Feedback.Category.HARASSMENT, then=Value(0)), default=Value(1)
    )
    rows = feedback_for(user).filter(FEEDBACK_QUEUES[queue])
    if queue == "waiting":
        return rows.order_by(flagged_first, "created_at", "pk")
    return rows.order_by("-created_at", "-pk")


def feedback_counts(user):
    """How many feedback each queue holds (and how many flagged wait), in one query."""
    waiting = FEEDBACK_QUEUES["waiting"]
    return feedback_for(user).aggregate(
        **{name: Count("pk", filter=condition) for name, condition in FEEDBACK_QUEUES.items()},
        flagged=Count("pk", filter=waiting & Q(category=Feedback.Category.HARASSMENT)),
    )


def answer_feedback(feedback, leader, text):
    """The leader's answer, which the sender reads with the code: once, by a leader who sees it."""
    text = (text or "").strip()
    if not text:
        raise ActionRefused(_("Write the answer."))
    with transaction.atomic():
        locked = feedback_for(leader).select_for_update(of=("self",)).filter(pk=feedback.pk)
        feedback = locked.first()
        if feedback is None:
            raise ActionRefused(_("You cannot answer this feedback."))
        if feedback.answered_at is not None:
            raise ActionRefused(_("This feedback has already been answered."))
        feedback.answer = text
        feedback.answered_by = leader
        feedback.answered_at = timezone.now()
        feedback.save(update_fields=["answer", "answered_by", "answered_at"])
        if feedback.sender_email or feedback.sender_phone:
            pk = feedback.pk
            transaction.on_commit(lambda: tasks.tell_feedback_answered(pk), robust=True)
    return feedback
