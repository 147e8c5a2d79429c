"""Messages to the applicant about their dossier: an email and a text message, each sent once.

The messages are Vietnamese (templates/emails/: `<kind>_subject.txt`, `<kind>.txt` and the short
`<kind>_sms.txt`), for the events the applicant must know of: acceptance (Form 01), a supplement
request (Form 02), a refusal (Form 03), an apology with a new appointment (Form 04), an
appointment moved by a new day off, a fee to pay, the result ready, a transfer to another agency,
processing stopped, and a withdrawal. Other events (an assignment, a request for the leader's
approval…) are the office's business and send nothing. The messages carry the dossier code and the
appointment; never the applicant's ID number (the templates are not even given it), and their link
is the public lookup page, which asks for a second factor before it says anything.

Emails go through Django's email backend (console in development, SMTP by settings). Text messages
go through `settings.SMS_BACKEND`, a class with `send(phone, text)`: the default only logs, and a
provider's backend can be plugged in later without touching this module.

"At most once" is kept by one Notification row per event and channel, locked while sending: a
retried task or the periodic catch-up finds it sent and does nothing.
"""

import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.module_loading import import_string

from .deadlines import supplement_rule
from .models import Feedback, Notification
from .printing.wording import (
    Moment,
    lookup_url,
    money,
    office_contact,
    office_hours_text,
    promised_due,
    recorded_instant,
)
from .workflow import NOTIFIED_KINDS, SMS_KINDS

log = logging.getLogger(__name__)

# The follow-up kinds (workflow.FOLLOW_UPS) the applicant is told about.
KINDS = NOTIFIED_KINDS
# After this many failed attempts a message is left to a person (its last_error says why).
MAX_ATTEMPTS = 10


class LoggingSmsBackend:
    """Writes text messages to the log instead of sending them (development, or no provider yet)."""

    def send(self, phone, text):
        log.info("text message to %s: %s", mask_phone(phone), text)


def get_sms_backend():
    """An instance of the backend named by settings.SMS_BACKEND."""
    return import_string(settings.SMS_BACKEND)()


def mask_phone(phone):
    """ "0912345678" → "0912***678": enough to tell messages apart in a log, not to call anyone."""
    phone = (phone or "").strip()
    if len(phone) <= 6:
        return "***"
    return f"{phone[:4]}***{phone[-3:]}"


@dataclass(frozen=True)
class Email:
    subject: str
    body: str


def message_context(kind, dossier, event):
    """What the message templates may print. Deliberately no dossier object: the ID number and
    anything else not listed here cannot end up in a message by a template's mistake."""
    agency = dossier.agency
    data = event.data or {}
    return {
        "kind": kind,
        "applicant_name": dossier.applicant_name,
        "code": dossier.code or "",
        "reference": dossier.reference,
        "lookup_url": lookup_url(dossier.code) if dossier.code else "",
        "portal_url": settings.PORTAL_BASE_URL,
        "procedure_name": dossier.procedure.name,
        "agency_name": agency.name,
        "submitted": Moment.of(dossier.submitted_at),
        "received": Moment.of(dossier.received_at),
        "due": Moment.of(promised_due(dossier, event)),
        "was_received": dossier.received_at is not None,
        "clock_restarts": supplement_rule(dossier.procedure) == "restart",
        # Before a Form 04 or a calendar change: the appointment the event replaced.
        "old_due": Moment.of(recorded_instant(event, "old_due_at")),
        "items": list(data.get("items", [])),
        "reason": event.note,
        "amount": money(data["amount"]) if data.get("amount") else "",
        "transferred_to": data.get("agency", ""),
        "office_hours": office_hours_text(agency),
        "contact": office_contact(agency),
    }


def build_email(kind, dossier, event):
    """The Vietnamese email for an event kind (one of KINDS)."""
    if kind not in KINDS:
        raise ValueError(f"no email for {kind!r}")
    with translation.override("vi"):
        context = message_context(kind, dossier, event)
        subject = render_to_string(f"emails/{kind}_subject.txt", context)
        body = render_to_string(f"emails/{kind}.txt", context)
    # A header cannot hold a line break.
    return Email(" ".join(subject.split()), body.strip() + "\n")


def build_sms(kind, dossier, event):
    """The short Vietnamese text message for an event kind."""
    if kind not in KINDS:
        raise ValueError(f"no text message for {kind!r}")
    with translation.override("vi"):
        text = render_to_string(f"emails/{kind}_sms.txt", message_context(kind, dossier, event))
    return " ".join(text.split())


class NotificationFailed(Exception):
    """Sending on one or more channels failed; each failure is recorded on its Notification."""


def notify(kind, event):
    """Send the event's email (when the applicant gave an address) and text message (unless the
    kind is email only, workflow.FollowUp.sms), each once.

    Returns the channels sent now. A channel that fails does not stop the other; the failure is
    recorded and NotificationFailed is raised at the end so the caller retries.
    """
    dossier = event.dossier
    channels = []
    if dossier.applicant_email:
        channels.append((Notification.Channel.EMAIL, dossier.applicant_email, _send_email))
    if dossier.applicant_phone and kind in SMS_KINDS:
        channels.append((Notification.Channel.SMS, dossier.applicant_phone, _send_sms))
    sent, failed = [], []
    for channel, recipient, send in channels:
        try:
            if _send_once(kind, event, channel, recipient, send):
                sent.append(channel)
        except Exception:
            log.exception("%s about event %s of dossier %s failed", channel, event.pk, dossier.pk)
            failed.append(channel)
    if failed:
        raise NotificationFailed(f"event {event.pk}: {', '.join(failed)} not sent")
    return sent


def _send_email(kind, event, recipient):
    email = build_email(kind, event.dossier, event)
    EmailMessage(
        email.subject,
        email.body,
        settings.DEFAULT_FROM_EMAIL,
        [recipient],
        headers={"Auto-Submitted": "auto-generated"},
    ).send()


def _send_sms(kind, event, recipient):
    get_sms_backend().send(recipient, build_sms(kind, event.dossier, event))


def _send_once(kind, event, channel, recipient, send):
    """Send unless already sent; True when sent now. The row stays locked while sending, so two
    workers never both send; a failure is recorded (attempts, last_error) and raised."""
    Notification.objects.get_or_create(
        event=event, channel=channel, defaults={"recipient": recipient}
    )
    error = None
    with transaction.atomic():
        row = Notification.objects.select_for_update().get(event=event, channel=channel)
        if row.sent_at is not None:
            return False
        row.attempts += 1
        try:
            send(kind, event, row.recipient)
        except Exception as exc:
            error = exc
            row.last_error = f"{type(exc).__name__}: {exc}"[:2000]
        else:
            row.sent_at = timezone.now()
            row.last_error = ""
        row.save(update_fields=["attempts", "last_error", "sent_at"])
    if error is not None:
        raise error
    return True


# --- The answer to a feedback (phản ánh, kiến nghị) --------------------------------------------


def feedback_answer_context(feedback):
    return {
        "code": feedback.code,
        "sender_name": feedback.sender_name,
        "agency_name": feedback.agency.name,
        "answered": Moment.of(feedback.answered_at),
        "lookup_url": f"{settings.PORTAL_BASE_URL}/phan-anh/tra-cuu/",
        "contact": office_contact(feedback.agency),
    }


def tell_feedback_answered(feedback_id):
    """Tell the sender the leader answered: by email and by text message when they left them,
    each once (the row is locked while sending). The answer itself is read on the portal, with
    the code and the phone number or lookup key. Raises NotificationFailed when a channel failed,
    after trying the other, so the caller retries only what is left."""
    failed = []
    for channel, field, send in (
        ("email", "answer_emailed_at", _email_feedback_answer),
        ("sms", "answer_texted_at", _text_feedback_answer),
    ):
        with transaction.atomic():
            feedback = (
                Feedback.objects.select_for_update(of=("self",))
                .select_related("agency")
                .filter(pk=feedback_id, answered_at__isnull=False)
                .first()
            )
            if feedback is None or getattr(feedback, field) is not None:
                continue
            recipient = feedback.sender_email if channel == "email" else feedback.sender_phone
            if not recipient:
                continue
            try:
                with translation.override("vi"):
                    send(feedback, recipient, feedback_answer_context(feedback))
            except Exception:
                log.exception("telling feedback %s's sender by %s failed", feedback.code, channel)
                failed.append(channel)
                continue
            setattr(feedback, field, timezone.now())
            feedback.save(update_fields=[field])
    if failed:
        raise NotificationFailed(f"feedback {feedback_id}: {', '.join(failed)} not sent")


def _email_feedback_answer(feedback, recipient, context):
    subject = render_to_string("emails/feedback_answered_subject.txt", context)
    EmailMessage(
        " ".join(subject.split()),
        render_to_string("emails/feedback_answered.txt", context).strip() + "\n",
        settings.DEFAULT_FROM_EMAIL,
        [recipient],
        headers={"Auto-Submitted": "auto-generated"},
    ).send()


def _text_feedback_answer(feedback, recipient, context):
    text = render_to_string("emails/feedback_answered_sms.txt", context)
    get_sms_backend().send(recipient, " ".join(text.split()))
