"""The Celery app. Tasks live in each app's tasks.py; configuration comes from Django settings
(the CELERY_* names in myphong/settings.py)."""

import os

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "myphong.settings")

app = Celery("myphong")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


# One log line per task (myphong/logging.py) and the worker's heartbeat for /readyz
# (myphong/health.py). Imported lazily: Django's settings are not loaded yet at this point.
@signals.task_prerun.connect(weak=False)
def _task_prerun(**kwargs):
    from myphong.logging import task_started

    task_started(**kwargs)


@signals.task_postrun.connect(weak=False)
def _task_postrun(**kwargs):
    from myphong.logging import task_finished

    task_finished(**kwargs)


@signals.heartbeat_sent.connect(weak=False)
def _heartbeat_sent(**kwargs):
    from myphong.health import record_worker_heartbeat

    record_worker_heartbeat(**kwargs)
