"""The back office's heaviest pages, kept for a minute while their dossiers do not change.

A work queue (tab counts, filters, 25 rows) and a leader's statistics (tables, charts, a link
behind every number) cost 30–60 ms of Python each; a clerk reloads the queue all day, and a
province's leaders open the same month. What their HTML shows depends on:

- **the agency's dossiers**: every agency has a *version* (the time, ns, of its last change),
  set after the commit of any save of a dossier it sees (its receiving agency, its procedure's
  agency, an agency it is or was transferred to), of an event of one, or of a rating
  (`connect_signals`); bulk writes (history import, seed) call `changed` themselves. A view of
  several agencies (a province) reads the version of all (`ALL`), which every change sets;
- **the catalogue and the calendar**: `myphong.pagecache`'s version, which their edits set;
- **the clock**: what is due soon or overdue moves with time, so an entry lives
  `WORK_CACHE_SECONDS` (60) at most;
- **who asks, in which language, with which address** (path and query): all in the key, so one
  user never gets another's page (two clerks of one agency see different "Mine" tabs), and a
  user whose roles change sees it within the minute.

`WORK_CACHE_SECONDS=0` turns it off.

Only the page's body is kept: the frame (menu, messages, the logout form's CSRF token) is
rendered for each request. Redis down: the page is computed as if nothing were cached.
"""

import hashlib
import logging
import time

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
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
    changed(agency_ids)
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(lambda: changed(agency_ids), robust=True)


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


def _versions(agency_id):
    """The data's version for one agency's views (None: several agencies), and the
    catalogue's; a version missing from the cache is set now."""
    key = agency_key(agency_id) if agency_id is not None else ALL
    found = cache.get_many([key, pagecache.VERSION_KEY])
    if key not in found:
        found[key] = time.time_ns()
        if not cache.add(key, found[key], None):
            found[key] = cache.get(key) or found[key]
    catalogue = found.get(pagecache.VERSION_KEY) or pagecache.current_version()
    return found[key], catalogue


def kept(request, name, agency_id, build):
    """`build()`'s value (picklable: the body's HTML and a few words) for this request, from the
    cache while nothing it shows changed (see the module docstring)."""
    if not settings.WORK_CACHE_SECONDS:
        return build()
    try:
        data, catalogue = _versions(agency_id)
    except Exception:
        logger.warning("workcache: cache unavailable, %s computed", name, exc_info=True)
        return build()
    address = hashlib.sha256(request.get_full_path().encode()).hexdigest()[:32]
    key = f"workcache:{name}:{data}:{catalogue}:{get_language()}:{request.user.pk}:{address}"
    try:
        value = cache.get(key)
    except Exception:
        value = None
    if value is None:
        value = build()
        try:
            cache.set(key, value, settings.WORK_CACHE_SECONDS)
        except Exception:
            logger.warning("workcache: could not keep %s", name, exc_info=True)
    return value
