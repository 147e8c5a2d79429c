"""Test stand-ins for the outside world the portal talks to, and tools to read what it makes."""

import os
import shutil
import subprocess

import pytest


class RecordingSms:
    """settings.SMS_BACKEND in tests: keeps what would have been sent, instead of logging it."""

    sent = []

    def send(self, phone, text):
        self.sent.append((phone, text))


def poppler(tool, *args):
    """Run a poppler-utils tool (pdftotext, pdfinfo) and return its output.

    A missing tool skips the test on a developer's machine and fails it under CI=true.
    """
    if shutil.which(tool) is None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{tool} is missing: `make test` installs poppler-utils")
        pytest.skip(f"{tool} (poppler-utils) is not installed")
    return subprocess.run([tool, *args], capture_output=True, text=True, check=True).stdout


def forget_broker_pools():
    """Celery keeps the connection pools of the broker URL it first saw; after a test changes
    CELERY_BROKER_URL, dropping them makes kombu open the right ones again."""
    from myphong.celery import app

    app._pool = None
    app.amqp._producer_pool = None


def worker_database_url():
    """The test database as a DATABASE_URL, for worker processes started by a test."""
    from urllib.parse import quote

    from django.db import connection

    db = connection.settings_dict
    credentials = quote(db["USER"] or "", safe="")
    if db.get("PASSWORD"):
        credentials += ":" + quote(db["PASSWORD"], safe="")
    host = f"{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
    return f"postgres://{credentials}@{host}/{quote(db['NAME'], safe='')}"
