"""The public's way back in: look up a dossier or a feedback by code, rate the service, send
feedback.

A lookup needs the code and a second factor the applicant has — the phone number on the record,
or the lookup key printed for them (PORTAL.md, "Privacy"). Without both it says nothing, not even
whether the code exists, so every lookup does the same work and gives the same answer:

- one query by code, then both factors compared with `hmac.compare_digest`, against the real
  values or, when the code is unknown, against dummy ones;
- every failure (unknown code, wrong phone, wrong key, malformed input) renders the same page;
- every answer is padded to LOOKUP_MIN_SECONDS, so its timing does not tell either.

Failures are counted in the cache (Redis in production, shared by the workers) per client address
(an IPv6 client by its /64), per code, and per (code, address): from LOOKUP_SLOW_AFTER failures
answers are slowed; at LOOKUP_MAX_FAILURES an address, or an address for that code, is refused
for LOOKUP_LOCK_MINUTES. The per-code count only ever slows: strangers' wrong phones must not
lock the applicant out of their own dossier. Failed attempts are logged (LookupAttempt) for the
admin. A success grants the browser's session that one record for LOOKUP_GRANT_MINUTES, so the
citizen can reload and rate without typing a factor again — factors never travel in a URL.
"""

import hashlib
import hmac
import re
import time
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from myphong import throttle

from ..models import LookupAttempt
from ..phones import phone_digits

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
    """The address the request came from, found as the login lockout finds it
    (myphong.throttle: TRUSTED_PROXIES, else REMOTE_ADDR), so one setting serves both."""
    return throttle.client_ip(request)


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
    keys: list = field(default_factory=list)  # counted; each may slow
    lockable: list = field(default_factory=list)  # the keys that may also refuse
    locked: bool = False
    delay: float = 0.0
    started: float = field(default_factory=time.monotonic)


def check_attempt(request, code):
    """Start a lookup of `code` (as typed): is it refused, or slowed, by earlier failures?"""
    ip = client_ip(request)
    network = throttle.network_of(ip)
    attempt = Attempt(
        ip=ip,
        code_tried=(code or "")[:MAX_TYPED],
        user_agent=request.META.get("HTTP_USER_AGENT", "")[:300],
        keys=[_cache_key("ip", network)],
    )
    attempt.lockable = list(attempt.keys)
    code = normalise_code(code)
    if code:  # an empty code is nobody's: it slows no one down
        pair = _cache_key("code-ip", f"{code}|{network}")
        attempt.keys += [_cache_key("code", code), pair]
        attempt.lockable.append(pair)
    locks = cache.get_many([f"{key}:lock" for key in attempt.lockable])
    counts = cache.get_many(attempt.keys)
    # The lock holds its own end: the cache's expiry is only its clean-up.
    attempt.locked = any(until > time.time() for until in locks.values())
    if max(counts.values(), default=0) >= settings.LOOKUP_SLOW_AFTER:
        attempt.delay = settings.LOOKUP_SLOW_SECONDS
    return attempt


def record_failure(attempt, reason):
    """Count the failure against the address, the code and both; lock the address, or the
    address for this code, at the limit; log it."""
    if reason != LookupAttempt.Reason.LOCKED:
        for key in attempt.keys:
            if _bump(key) >= settings.LOOKUP_MAX_FAILURES and key in attempt.lockable:
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
        release_database_connection()
        sleep(wait)
        return wait
    return 0.0


def release_database_connection():
    """Hand a pooled database connection back before sleeping (settings.DB_POOL_MAX_SIZE): a
    thread waiting out the padding then holds no connection another request needs. Without a
    pool the thread keeps its own."""
    pooled = connection.settings_dict.get("OPTIONS", {}).get("pool")
    if pooled and not connection.in_atomic_block:
        connection.close()


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
    key = _cache_key("submit", throttle.client_network(request))
    return (cache.get(key) or 0) >= settings.LOOKUP_MAX_FAILURES


def record_submission(request):
    _bump(_cache_key("submit", throttle.client_network(request)))


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
