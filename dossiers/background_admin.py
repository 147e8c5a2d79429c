"""The admin's page of background work: queues, periodic runs, failures, and a retry button.

Registered as the admin of PeriodicRun, whose list it replaces. Staff with the view permission
see it; only superusers may press "retry".
"""

from datetime import timedelta

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from myphong.admin import ReadOnlyAdmin

from . import background, notifications, reminders, tasks
from .models import Notification, PeriodicRun, Reminder

PENDING_LISTED = 50


def _pending_events():
    since = timezone.now() - tasks.CATCH_UP_WINDOW
    return tasks.events_missing_follow_up(since)


def retry_all():
    """Give up nothing: clear the attempts of given-up messages and queue every pending follow-up
    and reminder again. Returns (events queued, reminders cleared). Never raises on a broker
    that is down (the follow-ups then wait for the periodic catch-up)."""
    Notification.objects.filter(
        sent_at__isnull=True, attempts__gte=notifications.MAX_ATTEMPTS
    ).update(attempts=0)
    cleared = Reminder.objects.filter(
        sent_at__isnull=True, attempts__gte=reminders.MAX_ATTEMPTS
    ).update(attempts=0)
    events = list(_pending_events()[: tasks.CATCH_UP_BATCH])
    for event in events:
        tasks.follow_up(tasks.KIND_OF_ACTION[event.action], event.dossier_id, event.pk)
    try:
        tasks.check_overdue.apply_async(retry=True, retry_policy=tasks.PUBLISH_RETRY_POLICY)
    except Exception:
        background.log.warning("overdue check not queued; beat runs it", exc_info=True)
    return len(events), cleared


@admin.register(PeriodicRun)
class BackgroundWorkAdmin(ReadOnlyAdmin):
    """One page instead of a list: the state of the background work."""

    def changelist_view(self, request, extra_context=None):
        if request.method == "POST":
            if not request.user.is_superuser:
                raise PermissionDenied
            events, cleared = retry_all()
            self.message_user(
                request,
                ngettext(
                    "%(events)s follow-up queued again",
                    "%(events)s follow-ups queued again",
                    events,
                )
                % {"events": events}
                + "; "
                + _("%(cleared)s reminders given up are tried again.") % {"cleared": cleared},
                messages.SUCCESS,
            )
            return redirect(request.path)
        pending = _pending_events()
        stale = timezone.now() - timedelta(minutes=5)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Background work"),
            "queues": background.queue_lengths(),
            "runs": list(PeriodicRun.objects.order_by("name")),
            "pending_count": pending.count(),
            # Older than five minutes: no longer just "being done".
            "pending": list(pending.filter(at__lt=stale)[:PENDING_LISTED]),
            "failed_messages": list(
                Notification.objects.filter(sent_at__isnull=True, attempts__gt=0)
                .select_related("event__dossier")
                .order_by("-created_at")[:PENDING_LISTED]
            ),
            "failed_reminders": list(background.failed_reminders(PENDING_LISTED)),
            "reminders_today": dict(
                Reminder.objects.filter(created_at__gte=timezone.now() - timedelta(days=1))
                .values_list("reason")
                .annotate(Count("pk"))
                .order_by()
            ),
            "may_retry": request.user.is_superuser,
        }
        return TemplateResponse(request, "admin/dossiers/background.html", context)
