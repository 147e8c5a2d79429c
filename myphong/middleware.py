"""Requests are refused by their declared size before their body is read.

Django reads a multipart body to the end, spooling its files to disk, before any view decides
anything: an anonymous 150 MB POST to the feedback form used to be read in full. Nobody uploads
without an account, so an anonymous body may be at most DATA_UPLOAD_MAX_MEMORY_SIZE; a logged-in
user's at most REQUEST_BODY_MAX_MB (a dossier holds at most 50 MB of files). The reverse proxy
refuses larger bodies still earlier (client_max_body_size, see README).
"""

import time

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import render

from . import roles

MB = 1024 * 1024


def body_limit(request):
    if request.user.is_authenticated:
        return settings.REQUEST_BODY_MAX_MB * MB
    return settings.DATA_UPLOAD_MAX_MEMORY_SIZE


class RequestBodyLimitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0  # Django then reads nothing of the body
        # Small bodies (nearly all) pass without loading the session to ask who is sending.
        if length > settings.DATA_UPLOAD_MAX_MEMORY_SIZE and length > (
            limit := body_limit(request)
        ):
            return render(
                request,
                "too_big.html",
                {"limit_mb": max(1, round(limit / MB))},
                status=413,
            )
        return self.get_response(request)


STAFF_SINCE = "myphong.staff_since"


class StaffSessionMiddleware:
    """A staff member's session lasts until the browser closes and at most STAFF_SESSION_HOURS.

    The counter's computer is shared: a clerk who walks away leaves no session for the next
    person, and a session left open overnight does not survive into the next working day.
    Citizens keep Django's default.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated and (user.is_staff or roles.has_role(user, *roles.STAFF)):
            since = request.session.get(STAFF_SINCE)
            now = time.time()
            if since is None:
                request.session[STAFF_SINCE] = now
                request.session.set_expiry(0)  # the cookie goes when the browser closes
            elif now - since > settings.STAFF_SESSION_HOURS * 3600:
                logout(request)
                return redirect_to_login(request.get_full_path())
        return self.get_response(request)
