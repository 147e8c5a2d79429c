"""Health checks for the proxy and for monitoring.

- `/healthz` (liveness): this process answers and reaches the database. A proxy takes a web node
  out of rotation when it fails.
- `/readyz` (readiness): also the cache and broker (Redis), a live Celery worker, and free disk
  space under VAR_DIR (uploads, slips, backups). Monitoring pages someone when it fails; the site
  may still serve pages, but receipts and messages would stop going out.

Both answer JSON, 200 when every check passes and 503 otherwise, and are never cached.

The worker's heartbeat: Celery workers send a heartbeat event every few seconds; each worker
process writes the time of the latest one into the cache (throttled), and `/readyz` reads it.
That costs one cache read per check, where pinging the workers would wait for a timeout
whenever none is running.
"""

import shutil
import time

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache

WORKER_HEARTBEAT_KEY = "health:worker-heartbeat"
# A worker writes at most this often; /readyz wants a heartbeat younger than
# READYZ_WORKER_MAX_AGE (several intervals, so one slow beat is not an alarm).
HEARTBEAT_WRITE_SECONDS = 10
_last_written = 0.0


def check_database():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return "ok"


def check_cache():
    """A write and a read through the cache backend (Redis in production)."""
    token = str(time.time_ns())
    cache.set("health:probe", token, 30)
    if cache.get("health:probe") != token:
        raise RuntimeError("the cache did not return what was written")
    return "ok"


def check_worker():
    """A Celery worker sent a heartbeat lately; tasks run in-process when no broker is set."""
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return "in-process"
    beat = cache.get(WORKER_HEARTBEAT_KEY)
    if beat is None:
        raise RuntimeError("no worker heartbeat")
    age = time.time() - beat
    if age > settings.READYZ_WORKER_MAX_AGE:
        raise RuntimeError(f"last worker heartbeat {age:.0f} s ago")
    return "ok"


def check_disk():
    """Free space where uploads, slips and backups are written."""
    folder = settings.MEDIA_ROOT if settings.MEDIA_ROOT.exists() else settings.VAR_DIR
    if not folder.exists():
        folder = settings.BASE_DIR
    free_mb = shutil.disk_usage(folder).free // (1024 * 1024)
    if free_mb < settings.READYZ_MIN_FREE_MB:
        raise RuntimeError(f"{free_mb} MB free")
    return "ok"


def run_checks(checks):
    """{name: "ok" | other passing state | "error: <reason>"} and whether all passed."""
    results, healthy = {}, True
    for name, check in checks.items():
        try:
            results[name] = check()
        except Exception as exc:  # a health check reports every failure, whatever its kind
            healthy = False
            results[name] = f"error: {exc.__class__.__name__}: {exc}"[:200]
    return results, healthy


def _answer(checks):
    results, healthy = run_checks(checks)
    return JsonResponse(
        {"status": "ok" if healthy else "error", **results}, status=200 if healthy else 503
    )


@never_cache
def healthz(request):
    """200 when the database answers; load tests compare pages against this."""
    return _answer({"database": check_database})


@never_cache
def readyz(request):
    return _answer(
        {
            "database": check_database,
            "cache": check_cache,
            "worker": check_worker,
            "disk": check_disk,
        }
    )


def record_worker_heartbeat(sender=None, **kwargs):
    """Celery's `heartbeat_sent` signal, in the worker: note the time, at most every 10 s."""
    global _last_written
    now = time.time()
    if now - _last_written < HEARTBEAT_WRITE_SECONDS:
        return
    try:
        cache.set(WORKER_HEARTBEAT_KEY, now, settings.READYZ_WORKER_MAX_AGE * 2)
    except Exception:  # Redis down: /readyz reports it; the worker goes on
        return
    _last_written = now
