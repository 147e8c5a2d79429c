"""The proxy's and monitoring's checks: /healthz (database) and /readyz (database, Redis, a
Celery worker's heartbeat, free disk space), JSON with 200 or 503."""

import time

import pytest
from django.core.cache import cache
from django.urls import reverse

from myphong import health


def test_healthz_answers_ok_when_the_database_answers(client, db):
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_readyz_is_ok_with_tasks_in_process(client, db, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    response = client.get(reverse("readyz"))
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "database": "ok",
        "cache": "ok",
        "worker": "in-process",
        "disk": "ok",
    }


def test_readyz_fails_without_a_worker_heartbeat(client, db, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    cache.delete(health.WORKER_HEARTBEAT_KEY)
    response = client.get(reverse("readyz"))
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    assert body["worker"].startswith("error")
    assert body["database"] == "ok"


def test_readyz_accepts_a_recent_heartbeat_and_refuses_an_old_one(client, db, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.READYZ_WORKER_MAX_AGE = 60
    health._last_written = 0.0
    health.record_worker_heartbeat()
    assert client.get(reverse("readyz")).status_code == 200
    cache.set(health.WORKER_HEARTBEAT_KEY, time.time() - 300)
    response = client.get(reverse("readyz"))
    assert response.status_code == 503
    assert "300 s ago" in response.json()["worker"]


def test_readyz_fails_when_the_disk_is_nearly_full(client, db, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.READYZ_MIN_FREE_MB = 10**9  # a petabyte: no disk here has that much free
    response = client.get(reverse("readyz"))
    assert response.status_code == 503
    assert response.json()["disk"].startswith("error")


def test_healthz_fails_when_the_database_is_gone(client, db, monkeypatch):
    def broken():
        raise ConnectionError("database unreachable")

    monkeypatch.setattr(health, "check_database", broken)
    response = client.get(reverse("healthz"))
    assert response.status_code == 503
    assert response.json()["database"].startswith("error: ConnectionError")


@pytest.mark.parametrize("url", ["healthz", "readyz"])
def test_health_checks_need_no_login(client, db, url, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    assert client.get(reverse(url)).status_code == 200
