"""The "Cần chú ý" page: the officer's morning digest, live, for staff with or without email."""

from django.conf import settings
from django.shortcuts import render
from django.utils import timezone

from myphong import roles

from .. import reminders

PAGE_LIMIT = 200


@roles.role_required(*roles.STAFF)
def attention(request):
    """Overdue and due-soon dossiers, the agency's by sector and officer, results to return."""
    now = timezone.now()
    found = reminders.officers(roles.STAFF, user_ids=[request.user.pk])
    lists = None
    if request.user.pk in found:
        lists = reminders.collect(now, found, limit=PAGE_LIMIT)[request.user.pk]
    return render(
        request,
        "dossiers/office/attention.html",
        {
            "a": lists,
            "now": now,
            "limit": PAGE_LIMIT,
            "return_after": settings.REMINDER_RETURN_AFTER_WORKING_DAYS,
        },
    )
