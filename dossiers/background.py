"""The background work as the admin sees it: periodic runs, queues, follow-ups still pending.

Celery keeps no result (no result backend), so each periodic task records its own last run in
`PeriodicRun`; the admin page (`/quan-tri/cong-viec-nen/`) reads it with the Redis queue
lengths, the follow-ups of dossier events not done yet and the reminders that failed.
"""

import logging
from contextlib import contextmanager
from functools import wraps

from django.conf import settings
from django.utils import timezone

from .models import PeriodicRun, Reminder

log = logging.getLogger(__name__)

QUEUES = tuple(queue.name for queue in settings.CELERY_TASK_QUEUES)


@contextmanager
def recorded(name):
    """Record the start, end and outcome of one run of a periodic task.

    The body sets `run.summary`; an exception is recorded (and raised on).
    """
    started = timezone.now()
    PeriodicRun.objects.update_or_create(name=name, defaults={"started_at": started})
    run = _Run()
    try:
        yield run
    except Exception as exc:
        PeriodicRun.objects.filter(name=name).update(
            finished_at=timezone.now(), succeeded=False, summary=f"{type(exc).__name__}: {exc}"
        )
        raise
    PeriodicRun.objects.filter(name=name).update(
        finished_at=timezone.now(), succeeded=run.ok, summary=run.summary[:2000]
    )


def periodic(name):
    """Decorator: record each run of a periodic task (its return value as the summary)."""

    def decorate(function):
        @wraps(function)
        def wrapper(*args, **kwargs):
            with recorded(name) as run:
                result = function(*args, **kwargs)
                run.summary = "" if result is None else str(result)
            return result

        return wrapper

    return decorate


class _Run:
    summary = ""
    ok = True


def queue_lengths():
    """{queue name: messages waiting}, or None when tasks run in-process or Redis is down."""
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return None
    from myphong.celery import app

    try:
        with app.connection_for_write() as connection:
            client = connection.default_channel.client
            return {name: client.llen(name) for name in QUEUES}
    except Exception:
        log.warning("queue lengths unavailable", exc_info=True)
        return None


def failed_reminders(limit=50):
    """Reminders that were tried and not sent, newest first."""
    return (
        Reminder.objects.filter(sent_at__isnull=True, attempts__gt=0)
        .select_related("recipient", "dossier")
        .order_by("-created_at")[:limit]
    )
