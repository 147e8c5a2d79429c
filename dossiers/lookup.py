"""The public's way back in: look up a dossier or a feedback by code, rate the service, send
feedback.

A lookup needs the code and a second factor the applicant has — the phone number on the record,
or the lookup key printed for them (PORTAL.md, "Privacy"). Without both it says nothing, not even
whether the code exists, so every lookup does the same work and gives the same answer:

- one query by code, then both factors compared with `hmac.compare_digest`, against the real
  values or, when the code is unknown, against dummy ones;
- every failure (unknown code, wrong phone, wrong key, malformed input) renders the same page;
- every answer is padded to LOOKUP_MIN_SECONDS, so its timing does not tell either.

Failures are counted per IP address and per code in the cache (Redis in production, shared by
the workers): from LOOKUP_SLOW_AFTER failures answers are slowed, at LOOKUP_MAX_FAILURES lookups
are refused for LOOKUP_LOCK_MINUTES. Failed attempts are logged (LookupAttempt) for the admin.
A success grants the browser's session that one record for LOOKUP_GRANT_MINUTES, so the citizen
can reload and rate without typing a factor again — factors never travel in a URL.
"""

import hashlib
import hmac
import ipaddress
import re
import time
from dataclasses import dataclass, field
from datetime import timedelta

from axes.helpers import get_client_ip_address
from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import Case, Count, Q, Value, When
from django.utils import timezone
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from myphong import roles

from . import codes, deadlines, permissions
from .forms import phone_digits
from .models import Feedback, FeedbackCodeCounter, LookupAttempt, Rating
from .services import ActionRefused
from .workflow import Status

# The one answer to every failed lookup, whatever went wrong.
FAILED = _(
    "We found no record with this code and this phone number or lookup key. Please check both "
    "and try again."
)
LOCKED = _(
    "Too many unsuccessful attempts. To protect applicants, lookups from here are paused "
    "for %(minutes)s minutes. Please try again later, or call the one-stop office."
)
SUBMISSIONS_PAUSED = _(
    "Too much feedback was sent from here in a short time. Please try again in %(minutes)s "
    "minutes, or call the one-stop office."
)
# Compared when the code is unknown, so that a miss costs what a wrong factor costs. They match
# nothing: a failure is decided by the missing row, never by these values.
DUMMY_PHONE = "0000000000"
DUMMY_KEY = "XXXXXX"
# Longer input is not a code or a factor; it is cut before it reaches the database or the log.
MAX_TYPED = 60
KEEP_ATTEMPTS = timedelta(days=90)


# --- What people type ----------------------------------------------------------------------


def normalise_code(value):
    """ "000.17.22.h56 - 260213-0001 " → "000.17.22.H56-260213-0001"."""
    return "".join((value or "").split()).upper()[:MAX_TYPED]


def normalise_key(value):
    """The lookup key as printed: capitals, without spaces or dashes ("ab3-d5f" → "AB3D5F")."""
    return re.sub(r"[\s\-]", "", value or "").upper()[:MAX_TYPED]


def _same(typed, real):
    """Constant-time comparison; an empty real value (no phone given) never matches."""
    equal = hmac.compare_digest(typed.encode(), real.encode())
    return equal and bool(real)


def _matches(typed_factor, phone, key):
    # Both comparisons always run (`|`, not `or`): which factor matched must not show in time.
    by_phone = _same(phone_digits(typed_factor), phone_digits(phone))
    by_key = _same(normalise_key(typed_factor), normalise_key(key))
    return by_phone | by_key


# --- Throttling ----------------------------------------------------------------------------


def client_ip(request):
    """The address the request came from, found as the login lockout finds it (django-axes:
    AXES_CLIENT_IP_CALLABLE behind a proxy, else REMOTE_ADDR), so one setting serves both."""
    address = get_client_ip_address(request) or ""
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None


def _cache_key(scope, value):
    digest = hashlib.sha256(str(value).encode()).hexdigest()[:32]
    return f"lookup:{scope}:{digest}"


def _window():
    return settings.LOOKUP_LOCK_MINUTES * 60


def _bump(key):
    """Count one more failure in the current window; return the count."""
    if cache.add(key, 1, _window()):
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # expired between add() and incr()
        cache.set(key, 1, _window())
        return 1


@dataclass
class Attempt:
    """One lookup under way: who asks, about which code, and how the throttle treats it."""

    ip: str | None
    code_tried: str
    user_agent: str
    keys: list = field(default_factory=list)
    locked: bool = False
    delay: float = 0.0
    started: float = field(default_factory=time.monotonic)


def check_attempt(request, code):
    """Start a lookup of `code` (as typed): is it refused, or slowed, by earlier failures?"""
    ip = client_ip(request)
    attempt = Attempt(
        ip=ip,
        code_tried=(code or "")[:MAX_TYPED],
        user_agent=request.META.get("HTTP_USER_AGENT", "")[:300],
        keys=[_cache_key("ip", ip or "unknown")],
    )
    if normalise_code(code):  # an empty code is nobody's: it locks no one out
        attempt.keys.append(_cache_key("code", normalise_code(code)))
    locks = cache.get_many([f"{key}:lock" for key in attempt.keys])
    counts = cache.get_many(attempt.keys)
    # The lock holds its own end: the cache's expiry is only its clean-up.
    attempt.locked = any(until > time.time() for until in locks.values())
    if max(counts.values(), default=0) >= settings.LOOKUP_SLOW_AFTER:
        attempt.delay = settings.LOOKUP_SLOW_SECONDS
    return attempt


def record_failure(attempt, reason):
    """Count the failure against the address and the code, lock them at the limit, log it."""
    if reason != LookupAttempt.Reason.LOCKED:
        for key in attempt.keys:
            if _bump(key) >= settings.LOOKUP_MAX_FAILURES:
                cache.set(f"{key}:lock", time.time() + _window(), _window())
                cache.delete(key)
    LookupAttempt.objects.create(
        ip_address=attempt.ip,
        code_tried=attempt.code_tried,
        reason=reason,
        user_agent=attempt.user_agent,
    )


def pad_response(started, extra=0.0, sleep=time.sleep, clock=time.monotonic):
    """Wait until LOOKUP_MIN_SECONDS (+ `extra`) have passed since `started`; return the wait."""
    wait = settings.LOOKUP_MIN_SECONDS + extra - (clock() - started)
    if wait > 0:
        sleep(wait)
        return wait
    return 0.0


def locked_message(message=LOCKED):
    return message % {"minutes": settings.LOOKUP_LOCK_MINUTES}


@dataclass
class Outcome:
    """What a lookup found: the row's id, or None; `locked` when it was refused unchecked."""

    pk: int | None
    locked: bool
    attempt: Attempt

    def pad(self):
        return pad_response(self.attempt.started, self.attempt.delay)


def look_up(request, queryset, phone_field, code, factor):
    """Find the row of `queryset` with this `code` whose phone or lookup key is `factor`.

    The same work whatever the input: see the module's docstring. Call `outcome.pad()` after
    the response is rendered.
    """
    attempt = check_attempt(request, code)
    if attempt.locked:
        record_failure(attempt, LookupAttempt.Reason.LOCKED)
        return Outcome(None, True, attempt)
    row = queryset.filter(code=normalise_code(code)).values_list("pk", phone_field, "lookup_key")
    found = row.first()
    pk, phone, key = found if found is not None else (None, DUMMY_PHONE, DUMMY_KEY)
    factor_ok = _matches((factor or "")[:MAX_TYPED], phone or "", key or "")
    if pk is None:
        record_failure(attempt, LookupAttempt.Reason.UNKNOWN_CODE)
        return Outcome(None, False, attempt)
    if not factor_ok:
        record_failure(attempt, LookupAttempt.Reason.WRONG_FACTOR)
        return Outcome(None, False, attempt)
    return Outcome(pk, False, attempt)


def submission_refused(request):
    """True when this address sent LOOKUP_MAX_FAILURES feedback within the window."""
    key = _cache_key("submit", client_ip(request) or "unknown")
    return (cache.get(key) or 0) >= settings.LOOKUP_MAX_FAILURES


def record_submission(request):
    _bump(_cache_key("submit", client_ip(request) or "unknown"))


def forget_old_lookup_attempts(now=None):
    """Delete logged attempts older than 90 days; return how many went."""
    cutoff = (now or timezone.now()) - KEEP_ATTEMPTS
    deleted, _per_model = LookupAttempt.objects.filter(at__lt=cutoff).delete()
    return deleted


# --- What a success grants -----------------------------------------------------------------


def _grant_key(kind):
    return f"lookup.{kind}"


def grant(request, kind, pk):
    """Let this browser see record `pk` of `kind` ("dossier", "feedback") for a while.

    The session key changes: a session id planted before the lookup does not inherit it.
    """
    request.session.cycle_key()
    until = timezone.now() + timedelta(minutes=settings.LOOKUP_GRANT_MINUTES)
    request.session[_grant_key(kind)] = {"id": pk, "until": until.timestamp()}


def granted(request, kind):
    """The id this browser may still see, or None once the grant has expired."""
    data = request.session.get(_grant_key(kind))
    if not data:
        return None
    if timezone.now().timestamp() >= data.get("until", 0):
        del request.session[_grant_key(kind)]
        return None
    return data.get("id")


def end_grant(request, kind):
    request.session.pop(_grant_key(kind), None)


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

    The same computation as the office's "time left" (templatetags.office.time_left).
    """
    from .templatetags.office import time_left

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


def office_hours_text(agency):
    """ "Monday to Friday, 07:00–11:30 and 13:30–17:00" from the agency's settings."""
    try:
        periods = deadlines.parse_office_hours(agency.office_hours)
        days = sorted(deadlines.parse_working_weekdays(agency.working_weekdays))
    except ValueError:
        return agency.office_hours
    hours = gettext(" and ").join(f"{start:%H:%M}–{end:%H:%M}" for start, end in periods)
    if days == [1, 2, 3, 4, 5]:
        day_text = gettext("Monday to Friday")
    else:
        day_text = ", ".join(str(WEEKDAYS[day - 1]) for day in days)
    return gettext("%(days)s, %(hours)s, except public holidays") % {
        "days": day_text,
        "hours": hours,
    }


def where_to_collect(dossier):
    """Where and when the result is handed over: the receiving agency's one-stop office."""
    agency = dossier.agency
    return {
        "agency": agency.name,
        "address": agency.address or settings.PORTAL_ADDRESS,
        "hours": office_hours_text(agency),
        "phone": agency.phone or settings.PORTAL_HOTLINE,
    }


# --- Rating the service --------------------------------------------------------------------


def may_rate(dossier):
    """A dossier is rated once its result has been returned, and only once."""
    return dossier.status == Status.RETURNED and not Rating.objects.filter(dossier=dossier).exists()


def rate(dossier, scores, comment="", channel=Rating.Channel.ACCOUNT):
    """Record the citizen's rating (`scores`: each indicator field → 0, 1 or 2); once only.

    Who may rate (the owner, or a browser with the lookup grant) is checked by the view.
    """
    if set(scores) != set(Rating.FIELDS) or any(scores[f] not in (0, 1, 2) for f in scores):
        raise ValueError("a rating scores each of the nine indicators 0, 1 or 2")
    if dossier.status != Status.RETURNED:
        raise ActionRefused(_("The service can be rated once the result has been returned."))
    if Rating.objects.filter(dossier=dossier).exists():
        raise ActionRefused(_("This dossier has already been rated. Thank you."))
    try:
        with transaction.atomic():
            return Rating.objects.create(
                dossier=dossier, comment=(comment or "").strip(), channel=channel, **scores
            )
    except IntegrityError:  # rated meanwhile, from another tab or the other channel
        raise ActionRefused(_("This dossier has already been rated. Thank you.")) from None


# --- Feedback (phản ánh, kiến nghị) --------------------------------------------------------


def issue_feedback_code(at):
    """ "PAKN-<YYMMDD>-<NNNN>": a daily sequence from a counter row, as dossier codes are."""
    day = timezone.localdate(at)
    sequence = codes.take_next(FeedbackCodeCounter, day=day)
    return f"PAKN-{day:%y%m%d}-{sequence:04d}"


def send_feedback(agency, category, content, sender_name="", sender_phone="", dossier_code=""):
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
    return feedback
