"""The instant a change of a dossier happens: now, or the past instant a replay sets.

Every service reads the time here, once per action. The demo plays its dossiers through the real
services as if each step happened on the day it is dated (`replaying_at`), so codes, due times and
history are what the office would have recorded — without patching Django's clock. Tests freeze
time with freezegun, which this follows.
"""

from contextlib import contextmanager
from contextvars import ContextVar

from django.utils import timezone

_replayed_at = ContextVar("dossiers_replayed_at", default=None)


def now():
    """The current instant, or the one set by `replaying_at`."""
    return _replayed_at.get() or timezone.now()


@contextmanager
def replaying_at(instant):
    """Run the services inside as if it were `instant` (an aware datetime)."""
    if timezone.is_naive(instant):
        raise ValueError("replaying_at needs an aware datetime")
    token = _replayed_at.set(instant)
    try:
        yield
    finally:
        _replayed_at.reset(token)
