"""Public pages that change rarely, cached for anonymous visitors: `@public_page`.

The home page, the catalogue list and its searches, and each procedure page change only when an
administrator edits the catalogue or the working calendar. For an anonymous visitor such a page
is rendered once per language and address (path and query), kept in the cache (Redis in
production, shared by every web node) and served from there:

- **Invalidation**: every key holds a *version*; saving or deleting a sector, agency, procedure,
  required document or calendar exception sets a new version (signals connected in
  `connect_signals`), so every cached page is stale at once, on every node. Entries also expire
  after PAGE_CACHE_SECONDS, which bounds what odd queries can fill.
- **Reloads cost a 304**: `ETag` (the page's digest) and `Last-Modified` (the version's time)
  are sent with `Cache-Control: private, no-cache`, so a browser asks again and gets an empty
  304 while nothing changed.
- **CSRF tokens**: the pages hold forms (the home page's lookup, the language switch) whose
  token belongs to each visitor's cookie. The cached copy keeps a placeholder, and each visitor
  gets a fresh token of their own; the ETag includes a digest of the visitor's CSRF cookie, so a
  304 never keeps a page whose token no longer matches.

Logged-in users, requests other than GET/HEAD, visitors with a message waiting (after a form)
and answers other than 200 are never cached. Other public pages (e.g. the transparency page)
use the same decorator; `@public_page(timeout=300)` shortens their life when the page also shows
figures that change without a catalogue edit.
"""

import functools
import hashlib
import re
import time

from django.conf import settings
from django.contrib.messages import get_messages
from django.core.cache import cache
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.utils.cache import get_conditional_response, patch_vary_headers
from django.utils.http import http_date
from django.utils.translation import get_language

VERSION_KEY = "pagecache:version"
CSRF_INPUT = re.compile(rb'(<input type="hidden" name="csrfmiddlewaretoken" value=")[^"]*(")')
CSRF_PLACEHOLDER = b"\x00csrf\x00"


def current_version():
    """The catalogue's version: the time (ns) of its last change, or of the first page after
    the cache was emptied."""
    return version_of(VERSION_KEY)


def version_of(key, found=None):
    """The version kept under `key` (`found`: already read), set to now when the cache has none
    (dossiers.workcache keeps its agencies' versions the same way)."""
    version = found if found is not None else cache.get(key)
    if version is None:
        version = time.time_ns()
        if not cache.add(key, version, None):
            version = cache.get(key) or version
    return version


def catalogue_changed(**kwargs):
    """Signal receiver: every cached public page is out of date."""
    cache.set(VERSION_KEY, time.time_ns(), None)


def connect_signals():
    """Drop the cached pages whenever the catalogue or the working calendar changes."""
    from django.db.models.signals import post_delete, post_save

    from dossiers.models import CalendarException
    from procedures.models import Agency, Procedure, RequiredDocument, Sector

    for model in (Sector, Agency, Procedure, RequiredDocument, CalendarException):
        for signal in (post_save, post_delete):
            signal.connect(
                catalogue_changed,
                sender=model,
                dispatch_uid=f"pagecache.{model._meta.label_lower}.{signal is post_save}",
            )


def plain_read(request):
    """A GET or HEAD with no message waiting: its page may come from a cache."""
    if request.method not in ("GET", "HEAD"):
        return False
    # len() reads the waiting messages without marking them shown.
    return len(get_messages(request)) == 0


def _cacheable_request(request):
    return not request.user.is_authenticated and plain_read(request)


def address_digest(request):
    """The request's path and query, hashed for a cache key."""
    return hashlib.sha256(request.get_full_path().encode()).hexdigest()[:32]


def _key(request, version):
    return f"pagecache:{version}:{get_language()}:{address_digest(request)}"


def without_token(content):
    """A page's bytes with a placeholder where each CSRF token was."""
    return CSRF_INPUT.sub(rb"\1" + CSRF_PLACEHOLDER + rb"\2", content)


def with_token(request, content):
    """Kept bytes with this visitor's CSRF token in each placeholder."""
    if CSRF_PLACEHOLDER in content:
        content = content.replace(CSRF_PLACEHOLDER, get_token(request).encode())
    return content


def _freeze(response, version):
    """What the cache keeps of a fresh answer: its bytes with a placeholder for the token."""
    content = without_token(response.content)
    return {
        "content": content,
        "content_type": response["Content-Type"],
        "digest": hashlib.sha256(content).hexdigest()[:20],
        "modified": version / 1e9,
    }


def _serve(request, entry):
    csrf_cookie = request.COOKIES.get(settings.CSRF_COOKIE_NAME, "")
    content = entry["content"]
    if CSRF_PLACEHOLDER in content:
        content = with_token(request, content)
        csrf_cookie = request.META.get("CSRF_COOKIE", csrf_cookie)
    cookie_digest = hashlib.sha256(csrf_cookie.encode()).hexdigest()[:8]
    etag = f'"{entry["digest"]}-{cookie_digest}"'
    modified = int(entry["modified"])
    response = HttpResponse(content, content_type=entry["content_type"])
    response["ETag"] = etag
    response["Last-Modified"] = http_date(modified)
    response["Cache-Control"] = "private, no-cache"
    response["Content-Language"] = get_language()
    patch_vary_headers(response, ("Cookie",))  # the language is the cookie's (myphong/language.py)
    return get_conditional_response(request, etag=etag, last_modified=modified, response=response)


def public_page(view=None, *, timeout=None):
    """Cache a rarely changing public view for anonymous visitors (see the module docstring)."""

    def decorate(view):
        @functools.wraps(view)
        def wrapped(request, *args, **kwargs):
            if not _cacheable_request(request):
                return view(request, *args, **kwargs)
            version = current_version()
            key = _key(request, version)
            entry = cache.get(key)
            if entry is None:
                response = view(request, *args, **kwargs)
                if response.status_code != 200 or response.streaming:
                    return response
                entry = _freeze(response, version)
                cache.set(key, entry, timeout or settings.PAGE_CACHE_SECONDS)
            return _serve(request, entry)

        return wrapped

    return decorate(view) if view is not None else decorate
