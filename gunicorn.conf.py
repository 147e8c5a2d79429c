"""gunicorn's configuration for `make serve` and the systemd unit in deploy/.

Threaded workers (gthread): each worker process serves WEB_THREADS requests at once. A request
that waits — the public lookup pads every answer to LOOKUP_MIN_SECONDS and slows down repeated
failures by sleeping — holds one thread, not a process, so a handful of lookups (or one person
sending many) cannot stall the catalogue or the counter. bench/load.py measures it.

Size: WEB_WORKERS processes (default: two per CPU core) × WEB_THREADS threads (default 32):
more processes than cores, because threads of one process share Python's GIL, and many
threads, because a connection stays with the process that accepted it: with 8 threads, eight
lookups sleeping in one process stalled every other page that process held (p99 2.2 s in
bench/load.py). Idle threads cost a little memory; working ones share the process's pool of
DB_POOL_MAX_SIZE (16) database connections.
"""

import multiprocessing
import os

wsgi_app = "myphong.wsgi:application"
bind = os.environ.get("BIND", "127.0.0.1:8000")
worker_class = "gthread"
workers = int(os.environ.get("WEB_WORKERS", 2 * multiprocessing.cpu_count()))
threads = int(os.environ.get("WEB_THREADS", "32"))
# Threads share a pool of database connections per process (myphong/settings.py): a thread
# that waits (a lookup's padding) holds no connection, and 32 threads × workers may outnumber
# PostgreSQL's max_connections. Workers × DB_POOL_MAX_SIZE (+ Celery's) must stay below it.
if not os.environ.get("DB_POOL_MAX_SIZE"):  # "0" turns the pool off
    os.environ["DB_POOL_MAX_SIZE"] = "16"
# Requests are short; only the lookup's padding (2.4 s at most) waits. A request past this is a
# fault: gunicorn restarts the worker.
timeout = int(os.environ.get("WEB_TIMEOUT", "60"))
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then, so a slow leak never grows for weeks.
max_requests = 1_000_000
max_requests_jitter = 100_000
# The application logs one JSON line per request itself (LOG_FORMAT=json); gunicorn's access
# log would say it twice.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
# Behind nginx on the same machine: trust its X-Forwarded-* headers (see deploy/nginx.conf).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
