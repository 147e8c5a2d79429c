"""The Celery app. Tasks live in each app's tasks.py; configuration comes from Django settings
(the CELERY_* names in myphong/settings.py)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "myphong.settings")

app = Celery("myphong")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
