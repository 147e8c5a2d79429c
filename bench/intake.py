"""Counter intake speed: web requests, receipt rendering, and Save-to-receipt through a worker.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres REDIS_URL=redis://127.0.0.1:6379/0 \
        .venv/bin/python bench/intake.py [--requests 300] [--journeys 20]

Works in a throwaway database `myphong_bench` next to DATABASE_URL's (created and dropped here)
and Redis database 14. Prints:
- counter intake requests per second and p50/p95 latency, through Django's full request stack
  in-process (Django's test client: no network, no PDF: the follow-up tasks are queued only);
- receipt PDF render time p50/p95 in a warm process (bench/receipts.py);
- Save to receipt ready through a real Celery worker and Redis: p50/p95.
"""

import argparse
import os
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BENCH_DB = "myphong_bench"
BROKER_DB = 14


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def bench_database_url():
    base = os.environ.get("DATABASE_URL", "")
    if not base.startswith("postgres"):
        sys.exit("Set DATABASE_URL to a PostgreSQL server (the bench creates its own database).")
    parts = urlsplit(base)
    return urlunsplit(parts._replace(path=f"/{BENCH_DB}")), urlunsplit(
        parts._replace(path="/postgres")
    )


def recreate_database(admin_url):
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{BENCH_DB}"')


def drop_database(admin_url):
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--journeys", type=int, default=20)
    args = parser.parse_args()

    redis_url = os.environ.get("REDIS_URL")
    if not redis_url:
        sys.exit("Set REDIS_URL: the last figure needs a real broker and worker.")
    database_url, admin_url = bench_database_url()
    broker = urlunsplit(urlsplit(redis_url)._replace(path=f"/{BROKER_DB}"))
    recreate_database(admin_url)
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "CELERY_BROKER_URL": broker,
        "REDIS_URL": broker,
        "DEBUG": "1",
        "AXES_ENABLED": "0",
        "VAR_DIR": str(ROOT / "var" / "bench"),
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "LOG_LEVEL": "WARNING",
        "ALLOWED_HOSTS": "testserver,127.0.0.1,localhost",
    }
    os.environ.update(env)
    os.environ["DJANGO_SETTINGS_MODULE"] = "myphong.settings"
    worker = None
    try:
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        call_command("seed_demo", "--force", stdout=open(os.devnull, "w"))  # noqa: SIM115
        from myphong.celery import app

        app.control.purge()
        print(f"counter intake, {args.requests} requests: ", end="", flush=True)
        print(web_intake(args.requests))
        from bench import receipts

        print("receipt PDF render, warm process: " + receipts.render_figures())
        worker = subprocess.Popen(
            [
                str(ROOT / ".venv/bin/celery"),
                "--quiet",
                "-A",
                "myphong",
                "worker",
                "-P",
                "solo",
                "--loglevel=WARNING",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
        )
        wait_for_worker(app)
        print(f"Save to receipt ready through the worker, {args.journeys} journeys: ", end="")
        print(save_to_ready(args.journeys), flush=True)
    finally:
        if worker is not None:
            worker.terminate()
            worker.wait(timeout=30)
        from django.db import connections

        connections.close_all()
        drop_database(admin_url)


def clerk_client():
    from django.contrib.auth import get_user_model
    from django.test import Client

    client = Client()
    client.force_login(get_user_model().objects.get(username="tiepnhan"))
    return client


def intake_form(procedure):
    data = {
        "procedure": procedure.code,
        "token": str(uuid.uuid4()),
        "applicant_name": "Nguyễn Thị Hoa",
        "applicant_phone": "0912345678",
        "applicant_id_number": "079190000001",
        "applicant_address": "Ấp Mỹ Phong",
        "request_text": procedure.name,
        "sets": "1",
    }
    for document in procedure.documents.all():
        prefix = f"paper_{document.pk}"
        if document.is_required:
            data[f"{prefix}_received"] = "on"
        data.update(
            {f"{prefix}_originals": "1", f"{prefix}_copies": "0", f"{prefix}_certified": "0"}
        )
    return data


def web_intake(count):
    from procedures.models import Procedure

    client = clerk_client()
    procedure = Procedure.objects.prefetch_related("documents").get(code="1.001193")
    url = "/quay/tiep-nhan/"
    client.post(url, intake_form(procedure))  # warm-up
    latencies = []
    started = time.perf_counter()
    for _ in range(count):
        data = intake_form(procedure)
        begin = time.perf_counter()
        response = client.post(url, data)
        latencies.append(time.perf_counter() - begin)
        assert response.status_code == 302, response.status_code
    elapsed = time.perf_counter() - started
    from myphong.celery import app

    app.control.purge()
    return (
        f"{count / elapsed:.0f} requests/s, p50 {percentile(latencies, 0.5) * 1000:.1f} ms, "
        f"p95 {percentile(latencies, 0.95) * 1000:.1f} ms"
    )


def wait_for_worker(app, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if app.control.ping(timeout=1):
            return
    raise RuntimeError("the Celery worker did not start")


def save_to_ready(journeys):
    from dossiers.models import Dossier, Slip
    from procedures.models import Procedure

    client = clerk_client()
    procedure = Procedure.objects.prefetch_related("documents").get(code="1.001193")
    durations = []
    for _ in range(journeys):
        data = intake_form(procedure)
        begin = time.perf_counter()
        client.post("/quay/tiep-nhan/", data)
        dossier = Dossier.objects.get(intake_token=data["token"])
        while not Slip.objects.filter(dossier=dossier, form="01").exists():
            if time.perf_counter() - begin > 30:
                raise RuntimeError("no receipt after 30 s: is the worker running?")
            time.sleep(0.01)
        durations.append(time.perf_counter() - begin)
    return (
        f"p50 {statistics.median(durations) * 1000:.0f} ms, "
        f"p95 {percentile(durations, 0.95) * 1000:.0f} ms"
    )


if __name__ == "__main__":
    main()
