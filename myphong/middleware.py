"""Requests are refused by their declared size before their body is read.

Django reads a multipart body to the end, spooling its files to disk, before any view decides
anything: an anonymous 150 MB POST to the feedback form used to be read in full. Nobody uploads
without an account, so an anonymous body may be at most DATA_UPLOAD_MAX_MEMORY_SIZE; a logged-in
user's at most REQUEST_BODY_MAX_MB (a dossier holds at most 50 MB of files). The reverse proxy
refuses larger bodies still earlier (client_max_body_size, see README).
"""

from django.conf import settings
from django.shortcuts import render

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
        limit = body_limit(request)
        if length > limit:
            return render(
                request,
                "too_big.html",
                {"limit_mb": max(1, round(limit / MB))},
                status=413,
            )
        return self.get_response(request)
