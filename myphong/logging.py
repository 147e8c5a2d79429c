"""Logs as one JSON line per event, for a log collector (LOG_FORMAT=json; `make serve` sets it).

- `JsonFormatter`: every log record as one JSON object: time (UTC, ISO 8601), level, logger,
  message, and the record's `fields` (what `extra={"fields": {...}}` passed).
- `RequestLogMiddleware`: one line per request — method, path, route, status, duration and the
  dossier code where the URL names a dossier. No query string (it may carry a search or a code
  typed by a citizen), no address, no user, no form data: nothing personal.
- Celery: one line per task — name, id, state, duration and the dossier code where the task is
  about one (a `dossier_id` argument); connected in myphong/celery.py.
"""

import inspect
import json
import logging
import time
from datetime import UTC, datetime

REQUEST_LOGGER = logging.getLogger("myphong.request")
TASK_LOGGER = logging.getLogger("myphong.task")
# URL arguments that are secrets (email confirmation links): the path shows them as "…".
SECRET_KWARGS = {"uidb64", "token"}


class JsonFormatter(logging.Formatter):
    def format(self, record):
        line = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            **getattr(record, "fields", {}),
        }
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def dossier_code(dossier_id):
    """The code of dossier `dossier_id` (None before it has one): one query by primary key."""
    from dossiers.models import Dossier

    try:
        return Dossier.objects.filter(pk=int(dossier_id)).values_list("code", flat=True).first()
    except (TypeError, ValueError):
        return None


def _route_and_path(request):
    match = getattr(request, "resolver_match", None)
    if match is None:
        return None, request.path
    path = request.path
    for name, value in match.kwargs.items():
        if name in SECRET_KWARGS and value:
            path = path.replace(str(value), "…")
    return match.view_name, path


def _request_dossier_code(request):
    """Dossier pages name the dossier by `pk` under /ho-so/, /ho-so-cua-toi/, /quay/, /xu-ly/."""
    match = getattr(request, "resolver_match", None)
    if match is None or match.app_name != "dossiers" or "pk" not in match.kwargs:
        return None
    if match.url_name.startswith("feedback"):
        return None
    return dossier_code(match.kwargs["pk"])


class RequestLogMiddleware:
    """First in MIDDLEWARE, so the duration covers every other middleware too."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        route, path = _route_and_path(request)
        fields = {
            "event": "request",
            "method": request.method,
            "path": path,
            "route": route,
            "status": response.status_code,
            "duration_ms": round((time.perf_counter() - started) * 1000, 1),
        }
        if response.status_code < 500:
            code = _request_dossier_code(request)
            if code:
                fields["dossier"] = code
        REQUEST_LOGGER.info(
            "%s %s %s", request.method, path, response.status_code, extra={"fields": fields}
        )
        return response


# --- Celery tasks ------------------------------------------------------------------------------

_task_started = {}


def task_started(task_id=None, **kwargs):
    _task_started[task_id] = time.perf_counter()


def task_finished(task_id=None, task=None, args=None, kwargs=None, state=None, **extra):
    started = _task_started.pop(task_id, None)
    fields = {"event": "task", "task": task.name, "id": task_id, "state": state}
    if started is not None:
        fields["duration_ms"] = round((time.perf_counter() - started) * 1000, 1)
    try:
        bound = inspect.signature(task.run).bind_partial(*(args or ()), **(kwargs or {}))
    except TypeError:
        bound = None
    if bound is not None and "dossier_id" in bound.arguments:
        code = dossier_code(bound.arguments["dossier_id"])
        if code:
            fields["dossier"] = code
    TASK_LOGGER.info("task %s %s", task.name, state, extra={"fields": fields})
