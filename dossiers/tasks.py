"""Celery tasks: what follows an event of a dossier, done after the commit, retried, idempotent.

An accepted dossier gets its receipt (Form 01), a supplement request its Form 02, a refusal its
Form 03, an apology its Form 04; the applicant gets an email and a text message about each, and
about the other events they must know of (notifications.KINDS). "Nothing is lost": the action
that committed stays committed whatever fails here. If the broker is down the request still
succeeds and `retry_missing_follow_ups` (periodic) catches up; if WeasyPrint or the mail server
fails the task retries with backoff, and the slip is also rendered when first asked for
(printing.slips.ensure_slip). Every step is idempotent (one Slip per event and form, one
Notification per event and channel), so running a follow-up twice does nothing more.
"""

import logging
from datetime import timedelta

from celery import shared_task
from django.db import InterfaceError, OperationalError
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError
from redis.exceptions import RedisError

from . import background, monthly_reports, notifications, reminders, statistics, uploads
from .lookup import guard
from .models import DossierEvent, Notification, Slip
from .printing import slips
from .workflow import EMAIL_ONLY_EVENTS, FOLLOW_UPS

PENDING_UPLOAD_LIFETIME = timedelta(days=1)

log = logging.getLogger(__name__)

# The follow-up kind of each DossierEvent action that has one (workflow.FOLLOW_UPS); the periodic
# catch-up finds undone work through it.
KIND_OF_ACTION = {action: follow_up.kind for action, follow_up in FOLLOW_UPS.items()}
KINDS_WITH_WORK = frozenset(KIND_OF_ACTION.values())
# The actions whose event is incomplete without its slip (Forms 01 to 04).
ACTIONS_WITH_SLIP = frozenset(action for action, follow_up in FOLLOW_UPS.items() if follow_up.form)
# Publishing when the broker is down must not hold the clerk's request for long.
PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}
CATCH_UP_WINDOW = timedelta(days=7)
CATCH_UP_BATCH = 200


class FollowUpIncomplete(Exception):
    """Part of an event's follow-up failed (and was logged); the rest was done. Worth a retry."""


def follow_up(kind, dossier_id, event_id):
    """Queue the slip and messages of an event. Called after the commit; never raises.

    With CELERY_TASK_ALWAYS_EAGER (no broker) the work runs here, in the request; its failures are
    logged too. Whatever is not done is done later by `retry_missing_follow_ups`.
    """
    if kind not in KINDS_WITH_WORK:
        return
    try:
        process_event.apply_async(
            (kind, dossier_id, event_id), retry=True, retry_policy=PUBLISH_RETRY_POLICY
        )
    except (BrokerError, RedisError, OSError):
        log.warning(
            "broker unreachable: %s follow-up of event %s waits for the periodic catch-up",
            kind,
            event_id,
            exc_info=True,
        )
    except Exception:
        log.exception(
            "%s follow-up of event %s failed; the periodic catch-up retries", kind, event_id
        )


def run_follow_up(kind, event):
    """Render the event's slip and send its messages, each at most once.

    One failing part does not stop the other (a broken PDF must not keep the citizen's email
    back); FollowUpIncomplete is raised at the end when anything is left to do.
    """
    failed = []
    form = slips.slip_for_event_kind(kind)
    if form is not None:
        try:
            slips.ensure_slip(event.dossier, form, event)
        except Exception:
            log.exception("form %s of dossier %s not rendered", form, event.dossier.reference)
            failed.append(f"form {form}")
    if kind in notifications.KINDS:
        try:
            notifications.notify(kind, event)
        except Exception:
            log.exception("messages about event %s not all sent", event.pk)
            failed.append("messages")
    if failed:
        raise FollowUpIncomplete(f"{kind} event {event.pk}: {', '.join(failed)} left to do")


def _event(dossier_id, event_id):
    return (
        DossierEvent.objects.select_related("dossier__procedure", "dossier__agency")
        .filter(pk=event_id, dossier_id=dossier_id)
        .first()
    )


@shared_task(
    bind=True,
    autoretry_for=(FollowUpIncomplete, OSError, OperationalError, InterfaceError),
    retry_backoff=30,
    retry_backoff_max=30 * 60,
    retry_jitter=True,
    max_retries=8,
    acks_late=True,
    ignore_result=True,
)
def process_event(self, kind, dossier_id, event_id):
    """The follow-up of one event (slip, email, text message), retried with backoff."""
    event = _event(dossier_id, event_id)
    if event is None:
        log.warning("event %s of dossier %s does not exist; nothing to do", event_id, dossier_id)
        return
    try:
        run_follow_up(kind, event)
    except FollowUpIncomplete:
        if self.request.is_eager:
            # Run in the request (no broker): retrying now would only hold the clerk up. The slip
            # is rendered when first asked for, and the periodic catch-up does the rest.
            log.warning("%s follow-up of event %s incomplete; left for later", kind, event_id)
            return
        raise


def events_missing_follow_up(since):
    """Events since `since` whose slip is missing or whose messages are not sent (nor given up)."""
    done = Q(sent_at__isnull=False) | Q(attempts__gte=notifications.MAX_ATTEMPTS)
    notification = Notification.objects.filter(done, event=OuterRef("pk"))
    return (
        DossierEvent.objects.filter(action__in=KIND_OF_ACTION, at__gte=since)
        .annotate(
            has_slip=Exists(Slip.objects.filter(event=OuterRef("pk"))),
            email_done=Exists(notification.filter(channel=Notification.Channel.EMAIL)),
            sms_done=Exists(notification.filter(channel=Notification.Channel.SMS)),
        )
        .filter(
            Q(has_slip=False, action__in=ACTIONS_WITH_SLIP)
            | Q(email_done=False, dossier__applicant_email__gt="")
            | (
                Q(sms_done=False, dossier__applicant_phone__gt="")
                & ~Q(action__in=EMAIL_ONLY_EVENTS)
            )
        )
        .select_related("dossier__procedure", "dossier__agency")
        .order_by("at", "id")
    )


@shared_task(ignore_result=True)
@background.periodic("follow-up catch-up")
def retry_missing_follow_ups():
    """Periodic catch-up: do, here and now, the follow-ups of the last 7 days left undone.

    Covers a broker that was down when the dossier was saved, a worker lost mid-task and retries
    that ran out. Returns how many events it completed.
    """
    since = timezone.now() - CATCH_UP_WINDOW
    completed = 0
    for event in events_missing_follow_up(since)[:CATCH_UP_BATCH]:
        try:
            run_follow_up(KIND_OF_ACTION[event.action], event)
        except FollowUpIncomplete:
            continue  # logged by run_follow_up; tried again next time
        completed += 1
    if completed:
        log.info("caught up with the follow-up of %s events", completed)
    return completed


@shared_task(ignore_result=True)
@background.periodic("pending upload sweep")
def sweep_pending_uploads():
    """Delete files of forms never submitted, a day after they were uploaded."""
    return uploads.sweep_pending(timezone.now() - PENDING_UPLOAD_LIFETIME)


@shared_task(ignore_result=True)
def sweep_orphan_files():
    """Delete uploaded files that no row references (a request that died between writing the
    file and its row), once they are a day old."""
    return len(uploads.sweep_orphan_files(timezone.now() - PENDING_UPLOAD_LIFETIME))


FAN_OUT_CHUNK = 500


def follow_up_many(kind, pairs):
    """Queue the follow-ups of many events (a calendar change moving thousands of dossiers).

    One message per FAN_OUT_CHUNK events keeps the admin's request short; the worker fans them
    out into one retried task each. Never raises, like `follow_up`.
    """
    if kind not in KINDS_WITH_WORK:
        return
    pairs = list(pairs)
    for start in range(0, len(pairs), FAN_OUT_CHUNK):
        chunk = pairs[start : start + FAN_OUT_CHUNK]
        try:
            fan_out.apply_async((kind, chunk), retry=True, retry_policy=PUBLISH_RETRY_POLICY)
        except Exception:
            log.warning(
                "%s follow-ups of %s events wait for the periodic catch-up",
                kind,
                len(chunk),
                exc_info=True,
            )


@shared_task(ignore_result=True, acks_late=True)
def fan_out(kind, pairs):
    for dossier_id, event_id in pairs:
        follow_up(kind, dossier_id, event_id)


@shared_task(ignore_result=True)
@background.periodic("lookup attempts clean-up")
def forget_old_lookup_attempts():
    """Failed public lookups are kept 90 days for the admin, then forgotten."""
    return guard.forget_old_lookup_attempts()


@shared_task(ignore_result=True)
@background.periodic("statistics sums folded")
def compact_statistics():
    """Fold the leaders' monthly sums: each action added a row of differences."""
    return f"{statistics.compact_months()} rows folded"


@shared_task(ignore_result=True, acks_late=True)
@background.periodic("monthly report")
def send_monthly_reports():
    """Every morning: on the first working day of a month, last month's report to the leaders."""
    return monthly_reports.send_monthly_reports()


# --- Reminders to officers (dossiers.reminders) -----------------------------------------------

REMINDER_RETRY = {
    "autoretry_for": (reminders.RemindersNotSent, OperationalError, InterfaceError, OSError),
    "retry_backoff": 60,
    "retry_backoff_max": 30 * 60,
    "retry_jitter": True,
    "max_retries": 6,
    "acks_late": True,
    "ignore_result": True,
    "soft_time_limit": 10 * 60,
    "time_limit": 11 * 60,
}


def _run_reminders(name, send):
    with background.recorded(name) as run:
        outcome = send()
        run.summary, run.ok = str(outcome), not outcome.failed
    if outcome.failed:
        # The rows that failed are recorded; the retry sends only what is still unsent.
        raise reminders.RemindersNotSent(str(outcome))
    return str(outcome)


@shared_task(**REMINDER_RETRY)
def send_morning_digests():
    """The officers' morning digest (beat, at REMINDER_DIGEST_TIME), each once per day."""
    return _run_reminders("morning digest", reminders.send_morning_digests)


@shared_task(**REMINDER_RETRY)
def check_overdue():
    """Dossiers that just became overdue or reached the Form 04 window (beat, every 15 min)."""
    return _run_reminders("overdue check", reminders.check_overdue)


@shared_task(
    autoretry_for=(notifications.NotificationFailed, OSError, OperationalError, InterfaceError),
    retry_backoff=30,
    retry_backoff_max=30 * 60,
    retry_jitter=True,
    max_retries=8,
    acks_late=True,
    ignore_result=True,
)
def send_feedback_answer_notice(feedback_id):
    """Tell a feedback's sender that the leader answered (email, text message), retried."""
    notifications.tell_feedback_answered(feedback_id)


def tell_feedback_answered(feedback_id):
    """Queue the notice after the answer is committed; never raises into the leader's request."""
    try:
        send_feedback_answer_notice.apply_async(
            (feedback_id,), retry=True, retry_policy=PUBLISH_RETRY_POLICY
        )
    except Exception:
        log.exception("the answer notice of feedback %s was not queued", feedback_id)
