"""The back office's heaviest pages, kept for a minute while their dossiers do not change.

A work queue (tab counts, filters, 25 rows) and a leader's statistics (tables, charts, a link
behind every number) cost 30–60 ms of Python each; a clerk reloads the queue all day, and a
province's leaders open the same month. `kept_page` keeps them. What their HTML shows depends on:

- **the agency's dossiers**: every agency has a *version* (the time, ns, of its last change),
  set when a dossier it sees (its receiving agency, its procedure's agency, an agency it is or
  was transferred to), an event of one or a rating is saved, and again after the commit
  (`connect_signals`); bulk writes (history import, seed) call `changed` themselves. A view of
  several agencies (a province) reads the version of all (`ALL`), which every change sets;
- **the catalogue and the calendar**: `myphong.pagecache`'s version, which their edits set;
- **the clock**: what is due soon or overdue moves with time, so an entry older than
  `WORK_CACHE_SECONDS` (60) is computed again (by one request; the others get the old one
  for those few moments);
- **who asks, in which language, with which address** (path and query): all in the key, so one
  user never gets another's page (two clerks of one agency see different "Mine" tabs). The
  role check runs before the cache: a user who lost a role is refused at once.

An entry carries the two versions read before it was computed and is served only while both are
still current; the versions and the entry are read in one round trip. `WORK_CACHE_SECONDS=0`
turns it off.

The whole page is kept, with a placeholder for each visitor's CSRF token; a page with a message
waiting (after a form) is computed. Redis down: the page is computed as if nothing were cached.
"""

import functools
import logging
import time

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.http import HttpResponse
from django.utils.translation import get_language

from myphong import pagecache

logger = logging.getLogger(__name__)

ALL = "workcache:agency:all"


def agency_key(agency_id):
    return f"workcache:agency:{agency_id}"


def changed(agency_ids):
    """The pages of these agencies (and every view of several) are out of date."""
    now = time.time_ns()
    keys = {agency_key(agency_id): now for agency_id in agency_ids if agency_id is not None}
    try:
        cache.set_many({**keys, ALL: now}, None)
    except Exception:  # Redis down: the entries expire by themselves within the minute
        logger.warning("workcache: could not mark %s changed", sorted(keys), exc_info=True)


def changed_after_commit(agency_ids):
    """`changed` now and again once the transaction commits; None: every agency.

    The commit's is the one that counts: a page computed meanwhile by another request read the
    data before it and was kept under the first version. The first lets the transaction itself
    (a test never commits) read its own change."""
    if agency_ids is None:
        from procedures.models import Agency

        agency_ids = Agency.objects.values_list("pk", flat=True)
    agency_ids = frozenset(agency_ids)
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        changed(agency_ids)
        return
    # An action saves its dossier and events several times in one atomic block: once is enough.
    # (A rolled back block drops its callbacks, and with them this memory; a block inside a
    # longer transaction — a test's — sets the version again, so it reads its own change.)
    here = set(connection.savepoint_ids)
    for savepoints, callback, _robust in connection.run_on_commit:
        mine = savepoints == here and isinstance(callback, _Changed)
        if mine and agency_ids <= callback.agency_ids:
            return
    changed(agency_ids)
    transaction.on_commit(_Changed(agency_ids), robust=True)


class _Changed:
    """The on-commit callback of `changed_after_commit`, which it recognises."""

    def __init__(self, agency_ids):
        self.agency_ids = agency_ids

    def __call__(self):
        changed(self.agency_ids)


def _dossier_agencies(dossier):
    ids = {
        dossier.agency_id,
        dossier.transferred_to_id,
        getattr(dossier, "_loaded_transferred_to_id", None),
    }
    if dossier.procedure_id is not None:
        procedure = dossier._meta.get_field("procedure")
        if procedure.is_cached(dossier):
            ids.add(dossier.procedure.agency_id)
        else:
            ids.add(
                procedure.related_model.objects.filter(pk=dossier.procedure_id)
                .values_list("agency_id", flat=True)
                .first()
            )
    return ids


def dossier_saved(sender, instance, **kwargs):
    changed_after_commit(_dossier_agencies(instance))


def event_saved(sender, instance, created=False, **kwargs):
    if created:
        changed_after_commit(_dossier_agencies(instance.dossier))


def rating_saved(sender, instance, **kwargs):
    changed_after_commit(_dossier_agencies(instance.dossier))


def connect_signals():
    from django.db.models.signals import post_delete, post_save

    from .models import Dossier, DossierEvent, Rating

    post_save.connect(dossier_saved, sender=Dossier, dispatch_uid="workcache.dossier_saved")
    post_delete.connect(dossier_saved, sender=Dossier, dispatch_uid="workcache.dossier_deleted")
    post_save.connect(event_saved, sender=DossierEvent, dispatch_uid="workcache.event_saved")
    post_save.connect(rating_saved, sender=Rating, dispatch_uid="workcache.rating_saved")


def _read(request, name, agency_id):
    """The page's key, the versions it must carry and the kept entry if it carries them: one
    round trip to Redis for the agency's version, the catalogue's and the entry. A version
    missing from the cache is set now."""
    data_key = agency_key(agency_id) if agency_id is not None else ALL
    address = pagecache.address_digest(request)
    key = f"workcache:{name}:{get_language()}:{request.user.pk}:{address}"
    found = cache.get_many([data_key, pagecache.VERSION_KEY, key])
    versions = (
        pagecache.version_of(data_key, found.get(data_key)),
        pagecache.version_of(pagecache.VERSION_KEY, found.get(pagecache.VERSION_KEY)),
    )
    entry = found.get(key)
    if entry is not None and entry.get("versions") != versions:
        entry = None  # kept before the last change: never served
    return key, versions, entry


def kept_page(name, agency_of):
    """View decorator (inside the role check): the page's HTML from the cache while nothing it
    shows changed (see the module docstring). `agency_of(request)` names the agency whose
    version it follows, or None for a view of several agencies.

    Only a GET answered 200 with HTML is kept, never one with a message waiting; each visitor
    gets their own CSRF token in the kept page's forms (myphong.pagecache). When an entry is
    older than WORK_CACHE_SECONDS, one request computes it again while the others are served
    the old one meanwhile, so fifty leaders opening one month cost one computation, not fifty.
    """

    def decorate(view):
        @functools.wraps(view)
        def wrapped(request, *args, **kwargs):
            if not _keepable(request):
                return view(request, *args, **kwargs)
            try:
                key, versions, entry = _read(request, name, agency_of(request))
            except Exception:
                logger.warning("workcache: cache unavailable, %s computed", name, exc_info=True)
                return view(request, *args, **kwargs)
            now = time.time()
            if entry is None or (entry["fresh_until"] <= now and _renewing(key)):
                response = view(request, *args, **kwargs)
                if not _keepable_response(response):
                    return response
                entry = {
                    "content": pagecache.without_token(response.content),
                    "content_type": response["Content-Type"],
                    "versions": versions,  # read before the page was computed
                    "fresh_until": now + settings.WORK_CACHE_SECONDS,
                }
                try:
                    cache.set(key, entry, settings.WORK_CACHE_SECONDS * 2)
                    cache.delete(f"{key}:renewing")
                except Exception:
                    logger.warning("workcache: could not keep %s", name, exc_info=True)
            content = pagecache.with_token(request, entry["content"])
            return HttpResponse(content, content_type=entry["content_type"])

        return wrapped

    return decorate


def _keepable(request):
    return (
        bool(settings.WORK_CACHE_SECONDS)
        and request.user.is_authenticated
        and pagecache.plain_read(request)
    )


def _keepable_response(response):
    return (
        response.status_code == 200
        and not response.streaming
        and response.get("Content-Type", "").startswith("text/html")
    )


def _renewing(key):
    """True for the one request that computes an old entry again (for 30 s at most)."""
    try:
        return cache.add(f"{key}:renewing", 1, 30)
    except Exception:
        return True
