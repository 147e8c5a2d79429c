"""The production server under load: requests/s and p50/p99 per page, beside /healthz, with and
without a flood of lookups.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres REDIS_URL=redis://127.0.0.1:6379/14 \\
        .venv/bin/python bench/load.py [--duration 8] [--connections 50] [--flood 8]
    ... bench/load.py --setup before --app-dir /tmp/main-checkout   # the old setup, for comparison

What it does, on this machine only (every target is 127.0.0.1):
1. installs wrk (Debian) if missing;
2. (re)creates the database `myphong_bench14` beside DATABASE_URL's, empties the Redis database
   of REDIS_URL, migrates, loads the demo (seed_demo) plus --dossiers more dossiers, collects
   static files, and logs a clerk and a leader in (session cookies for wrk);
3. starts the production server: `--setup after` is `gunicorn -c gunicorn.conf.py` (threaded
   workers, JSON logs, DEBUG off); `--setup before` is what main had: 2 sync gunicorn workers;
4. runs wrk with --connections connections for --duration seconds on each page and right after
   on /healthz, then both again while --flood other connections send failing lookups (padded,
   then slowed and refused, by design);
5. prints two tables: requests/s, p50, p99, errors, the /healthz run beside it and the ratio
   (and, without the flood, the CPU ms each request cost the server, PostgreSQL+Redis and wrk);
   for the flood, the change from the same page without it (median of the rounds' pairs).

Aims (issue 14): public pages at least 0.5 × /healthz with p99 under 200 ms; staff pages p99
under 300 ms; no errors; and the flood leaves the other pages within 10 % of normal. The work
queue and the statistics are served from dossiers.workcache while nothing changes, as a reload
is; the "uncached" rows give each request a new address, so each is computed (the first visit
after a change), for information. "counter intake, 5 clerks" is the intake at 5 connections
(its /healthz too): a busy counter, where 50 is a whole province saving at the same instant.
The lookup POST is padded to LOOKUP_MIN_SECONDS (0.4 s) on purpose: its p50 is that, by
design. While the flood runs this address is locked out of lookups (as any flooding address
is), so the lookup POST is not measured then.
"""

import argparse
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlencode, urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
BENCH_DB = "myphong_bench14"
PYTHON = Path(sys.executable)

# What the prepare step prints (JSON), run inside the application's folder with its settings.
PREPARE = textwrap.dedent(
    """
    import copy, json, re, sys
    import django
    django.setup()
    from django.test import Client
    from django.contrib.auth import get_user_model
    from django.utils import timezone
    from django.utils.crypto import get_random_string
    from dossiers.models import Dossier
    from procedures.models import Procedure

    extra = int(sys.argv[1])
    templates = list(Dossier.objects.filter(code__isnull=False))
    clones = []
    for n in range(extra):
        dossier = copy.copy(templates[n % len(templates)])
        dossier.pk = None
        dossier.code = f"{dossier.agency.code}-99{n // 9000:04d}-{n % 9000 + 1:04d}"
        dossier.lookup_key = get_random_string(8, allowed_chars="ABCDEFGHJKMNPQRSTUVWXYZ2345")
        dossier.intake_token = None
        clones.append(dossier)
    Dossier.objects.bulk_create(clones, batch_size=1000)
    # The leaders' statistics read one figures row per dossier, which actions write: write the
    # clones' rows too (a checkout older than those rows has nothing to write).
    from dossiers import statistics
    if hasattr(statistics, "rebuild"):
        statistics.rebuild(Dossier.objects.filter(pk__in=[clone.pk for clone in clones]))

    def session(username, page):
        client = Client()
        client.force_login(get_user_model().objects.get(username=username))
        html = client.get(page).content.decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
        return {
            "cookie": f"sessionid={client.cookies['sessionid'].value}; "
                      f"csrftoken={client.cookies['csrftoken'].value}",
            "token": token,
        }

    anonymous = Client()
    html = anonymous.get("/tra-cuu/").content.decode()
    lookup_token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    target = Dossier.objects.filter(code__isnull=False).exclude(applicant_phone="").first()
    procedure = Procedure.objects.prefetch_related("documents").get(code="1.001193")
    intake = {
        "procedure": procedure.code, "applicant_name": "Nguyễn Thị Hoa",
        "applicant_phone": "0912345678", "applicant_id_number": "079190000001",
        "applicant_address": "Ấp Mỹ Phong", "request_text": procedure.name, "sets": "1",
    }
    for document in procedure.documents.all():
        prefix = f"paper_{document.pk}"
        if document.is_required:
            intake[f"{prefix}_received"] = "on"
        intake.update({f"{prefix}_originals": "1", f"{prefix}_copies": "0",
                       f"{prefix}_certified": "0"})
    print(json.dumps({
        "clerk": session("tiepnhan", "/quay/tiep-nhan/"),
        "leader": session("lanhdao", "/xu-ly/"),
        "anonymous": {"cookie": f"csrftoken={anonymous.cookies['csrftoken'].value}",
                      "token": lookup_token},
        "lookup": {"code": target.code, "factor": target.applicant_phone},
        "procedure": procedure.code,
        "intake": intake,
        "dossiers": Dossier.objects.count(),
        "year": timezone.localdate().year,
    }))
    """
)

WRK_REPORT = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, ' ..
    '"errors": %d, "bad_status": %d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.timeout, e.status))
end
"""

# Each wrk thread numbers itself (`id`) and its requests (`n`): the scripts below make every
# request unique with both.
WRK_NUMBERED = """
local counter = 0
setup = function(thread)
  counter = counter + 1
  thread:set("id", counter)
end
local n = 0
"""

WRK_POST = (
    WRK_NUMBERED
    + """local started = os.time()
request = function()
  local body = BODY
  if WITH_TOKEN then
    -- a fresh intake token per request: the phase's start, the wrk thread, a running number
    n = n + 1
    body = body .. string.format("&token=%08x-%04x-4000-a000-%012x", started, id, n)
  end
  return wrk.format("POST", PATH, HEADERS, body)
end
"""
)


# Every request a new address (an ignored parameter): the page is computed each time, never
# served from dossiers.workcache — what the first visit after a change costs.
WRK_UNCACHED = (
    WRK_NUMBERED
    + """request = function()
  n = n + 1
  return wrk.format("GET", PATH .. string.format("&_=%d-%d-%d", os.time(), id, n))
end
"""
)


def lua_string(text):
    return json.dumps(text, ensure_ascii=True)  # a JSON string literal is a valid Lua one


def ensure_wrk():
    if shutil.which("wrk"):
        return
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    print("installing wrk (Debian)...", flush=True)
    subprocess.run([*sudo, "apt-get", "update", "-qq"], check=True)
    subprocess.run(
        [*sudo, "apt-get", "install", "-y", "-qq", "wrk"],
        check=True,
        env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
        stdout=subprocess.DEVNULL,
    )


def database_urls():
    base = os.environ.get("DATABASE_URL", "")
    if not base.startswith("postgres"):
        sys.exit("Set DATABASE_URL to a PostgreSQL server (the bench makes its own database).")
    parts = urlsplit(base)
    return (
        urlunsplit(parts._replace(path=f"/{BENCH_DB}")),
        urlunsplit(parts._replace(path="/postgres")),
    )


def recreate_database(admin_url, drop_only=False):
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')
        if not drop_only:
            connection.execute(f'CREATE DATABASE "{BENCH_DB}"')


def manage(app_dir, env, *args, stdin=None):
    result = subprocess.run(
        [str(PYTHON), *args], cwd=app_dir, env=env, capture_output=True, text=True, input=stdin
    )
    if result.returncode != 0:
        sys.exit(f"{' '.join(args[:2])} failed:\n{result.stderr[-3000:]}")
    return result.stdout


def start_server(setup, app_dir, env, port, log):
    if setup == "after":
        command = [str(PYTHON.with_name("gunicorn")), "--config", str(ROOT / "gunicorn.conf.py")]
        env = {**env, "BIND": f"127.0.0.1:{port}", "LOG_FORMAT": "json"}
    else:  # main before issue 14: two sync workers, no configuration file
        command = [
            str(PYTHON.with_name("gunicorn")),
            "--workers",
            "2",
            "--bind",
            f"127.0.0.1:{port}",
            "myphong.wsgi:application",
        ]
    server = subprocess.Popen(
        command, cwd=app_dir, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                return server
        except OSError:
            time.sleep(0.3)
    stop(server)
    sys.exit("the server did not start; see its log")


def stop(process):
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def write_script(
    folder, name, path=None, body=None, headers=None, with_token=False, uncached=False
):
    script = Path(folder) / f"{name}.lua"
    text = WRK_REPORT
    if headers:
        lines = "\n".join(
            f"wrk.headers[{lua_string(k)}] = {lua_string(v)}" for k, v in headers.items()
        )
        text = lines + "\n" + text
    if uncached:
        text += WRK_UNCACHED.replace("PATH", lua_string(path))
    if body is not None:
        text += (
            WRK_POST.replace("BODY", lua_string(body))
            .replace("WITH_TOKEN", "true" if with_token else "false")
            .replace("PATH", lua_string(path))
            .replace("HEADERS", "wrk.headers")
        )
    script.write_text(text)
    return script


TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(server_group):
    """CPU seconds used so far: by the web server's processes (its process group), by
    PostgreSQL and Redis, and by this script's finished children (wrk)."""
    web = data = 0
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            text = Path(entry.path, "stat").read_text()
        except OSError:  # gone meanwhile
            continue
        head, _, tail = text.rpartition(")")  # "pid (name) state ppid pgrp …"
        name, fields = head.partition("(")[2], tail.split()
        ticks = int(fields[11]) + int(fields[12])  # utime + stime
        if int(fields[2]) == server_group:
            web += ticks
        elif name in ("postgres", "redis-server"):
            data += ticks
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return web / TICKS, data / TICKS, children.ru_utime + children.ru_stime


def run_wrk(url, script, connections, duration, server_group=None):
    before = cpu_seconds(server_group) if server_group else None
    result = subprocess.run(
        [
            "wrk",
            f"-t{min(2, connections)}",
            f"-c{connections}",
            f"-d{duration}s",
            "--timeout",
            "5s",
            "-s",
            str(script),
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=duration + 60,
    )
    line = next(line for line in result.stdout.splitlines() if line.startswith('{"requests"'))
    figures = json.loads(line)
    seconds = figures["duration_us"] / 1e6
    run = {
        "rps": figures["requests"] / seconds,
        "p50": figures["p50_us"] / 1000,
        "p99": figures["p99_us"] / 1000,
        "errors": figures["errors"] + figures["bad_status"],
    }
    if before and figures["requests"]:
        # CPU ms per request: what the 2 cores spent on the server, the databases and wrk.
        after = cpu_seconds(server_group)
        used = [late - early for late, early in zip(after, before, strict=True)]
        run["cpu"] = [1000 * part / figures["requests"] for part in used]
    return run


def pages(data, folder, base):
    """(label, kind, url, script) for /healthz, then every measured page."""
    clerk, leader, anon = data["clerk"], data["leader"], data["anonymous"]
    form = {"Content-Type": "application/x-www-form-urlencoded", "Referer": base + "/"}
    lookup_body = urlencode({**data["lookup"], "csrfmiddlewaretoken": anon["token"]})
    intake_body = urlencode({**data["intake"], "csrfmiddlewaretoken": clerk["token"]})
    intake = write_script(
        folder,
        "intake",
        "/quay/tiep-nhan/",
        intake_body,
        {**form, "Cookie": clerk["cookie"]},
        with_token=True,
    )
    return [
        ("/healthz", "base", "/healthz", write_script(folder, "plain")),
        (
            "lookup POST (0.4 s pad)",
            "padded",
            "/tra-cuu/",
            write_script(
                folder,
                "lookup",
                "/tra-cuu/",
                lookup_body,
                {**form, "Cookie": anon["cookie"]},
            ),
        ),
        ("home", "public", "/", write_script(folder, "plain")),
        ("catalogue list", "public", "/thu-tuc/", write_script(folder, "plain")),
        ("search", "public", "/thu-tuc/?q=khai+sinh", write_script(folder, "plain")),
        (
            "procedure page",
            "public",
            f"/thu-tuc/{data['procedure']}/",
            write_script(folder, "plain"),
        ),
        ("lookup GET", "public", "/tra-cuu/", write_script(folder, "plain")),
        ("counter intake POST", "staff", "/quay/tiep-nhan/", intake),
        ("counter intake, 5 clerks", "staff", "/quay/tiep-nhan/", intake, 5),
        (
            "work queue (leader)",
            "staff",
            "/xu-ly/",
            write_script(folder, "queue", headers={"Cookie": leader["cookie"]}),
        ),
        (
            "work queue, uncached",
            "uncached",
            "/xu-ly/?hang=all",
            write_script(
                folder,
                "queue-uncached",
                "/xu-ly/?hang=all",
                headers={"Cookie": leader["cookie"]},
                uncached=True,
            ),
        ),
        (
            "statistics month (leader)",
            "staff",
            "/xu-ly/thong-ke/",
            write_script(folder, "statistics", headers={"Cookie": leader["cookie"]}),
        ),
        (
            "statistics year (leader)",
            "staff",
            f"/xu-ly/thong-ke/?period=year&year={data['year']}",
            write_script(folder, "statistics", headers={"Cookie": leader["cookie"]}),
        ),
        (
            "statistics year, uncached",
            "uncached",
            f"/xu-ly/thong-ke/?period=year&year={data['year']}",
            write_script(
                folder,
                "statistics-uncached",
                f"/xu-ly/thong-ke/?period=year&year={data['year']}",
                headers={"Cookie": leader["cookie"]},
                uncached=True,
            ),
        ),
    ]


def flood_script(data, folder, base):
    anon = data["anonymous"]
    body = urlencode(
        {"code": data["lookup"]["code"], "factor": "0000", "csrfmiddlewaretoken": anon["token"]}
    )
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "Referer": base + "/",
        "Cookie": anon["cookie"],
    }
    return write_script(folder, "flood", "/tra-cuu/", body, headers)


def _median_run(runs):
    """The run with the median requests/s (its own p50 and p99), errors summed."""
    middle = sorted(runs, key=lambda run: run["rps"])[len(runs) // 2]
    return {**middle, "errors": sum(run["errors"] for run in runs)}


def measure(entries, base, args, flood_command):
    """Each page beside /healthz, alternating without and with the flood, --rounds times.

    Adjacent runs share whatever else the machine is doing, and the median of the rounds is
    reported, so the ratios hold even on a busy machine; the absolute figures do not.
    """
    healthz_script = entries[0][3]
    normal, flooded = {}, {}

    def run(path, script, kind, connections):
        page = run_wrk(base + path, script, connections, args.duration, args.server_group)
        return {
            "kind": kind,
            **page,
            "healthz": run_wrk(base + "/healthz", healthz_script, connections, args.duration),
        }

    for label, kind, path, script, *size in entries[1:]:
        connections = size[0] if size else args.connections
        # Warm-up, not counted: each worker's threads open their database connections and the
        # first visit fills the page cache.
        run_wrk(base + path, script, min(args.connections, 10), 1)
        quiet, busy = [], []
        for _ in range(args.rounds):
            quiet.append(run(path, script, kind, connections))
            print(".", end="", flush=True)
            if kind == "padded":
                continue  # the flood locks this address out of lookups, as it would any flooder
            flood = subprocess.Popen(flood_command, stdout=subprocess.DEVNULL)
            try:
                time.sleep(2)  # the flood reaches its lock-out and slow answers
                busy.append(run(path, script, kind, connections))
            finally:
                flood.terminate()
                flood.wait(timeout=30)
            print(".", end="", flush=True)
        normal[label] = _median_run(quiet)
        normal[label]["healthz"] = _median_run([r["healthz"] for r in quiet])
        if busy:
            flooded[label] = _median_run(busy)
            flooded[label]["healthz"] = _median_run([r["healthz"] for r in busy])
            # Each flooded run against the run just before it, then the median: a machine that
            # gets busier or quieter during the bench moves both runs of a pair alike.
            changes = sorted(
                b["rps"] / q["rps"] - 1 for q, b in zip(quiet, busy, strict=True) if q["rps"]
            )
            flooded[label]["change"] = changes[len(changes) // 2] if changes else None
    return normal, flooded


def aim_met(row, healthz, kind):
    if row["errors"]:
        return "errors"
    if kind == "public":
        return "yes" if healthz and row["rps"] >= 0.5 * healthz and row["p99"] < 200 else "no"
    if kind == "staff":
        return "yes" if row["p99"] < 300 else "no"
    return ""


def print_table(title, results, normal=None):
    print(f"\n{title}")
    header = (
        f"{'page':<26}{'req/s':>8}{'p50 ms':>8}{'p99 ms':>8}{'errors':>7}"
        f"{'healthz':>9}{'h. p99':>8}{'ratio':>7}"
    )
    if normal:
        header += f"{'vs normal':>10}"
    else:
        header += f"{'CPU ms/req: web / db / wrk':>28}"
    print(header + f"{'aim met':>8}")
    for label, row in results.items():
        healthz = row["healthz"]
        line = (
            f"{label:<26}{row['rps']:>8.0f}{row['p50']:>8.1f}{row['p99']:>8.1f}"
            f"{row['errors']:>7}{healthz['rps']:>9.0f}{healthz['p99']:>8.1f}"
        )
        line += f"{row['rps'] / healthz['rps']:>7.2f}" if healthz["rps"] else f"{'—':>7}"
        if normal:
            change = row.get("change")
            line += f"{change:>+10.0%}" if change is not None else f"{'—':>10}"
        else:
            cpu = row.get("cpu")
            line += f"{' / '.join(f'{part:.2f}' for part in cpu):>28}" if cpu else f"{'—':>28}"
        print(line + f"{aim_met(row, healthz['rps'], row['kind']):>8}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--setup", choices=["after", "before"], default="after")
    parser.add_argument("--app-dir", type=Path, default=ROOT, help="the code to serve")
    parser.add_argument("--duration", type=int, default=8, help="seconds per page (≤ 60)")
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--flood", type=int, default=8, help="connections sending lookups")
    parser.add_argument("--dossiers", type=int, default=3000, help="dossiers beside the demo")
    parser.add_argument("--rounds", type=int, default=3, help="runs per page; the median is shown")
    parser.add_argument("--port", type=int, default=8914)
    parser.add_argument(
        "--only", default="", help="comma-separated beginnings of page labels: measure just those"
    )
    args = parser.parse_args()
    args.duration = max(2, min(args.duration, 60))
    args.rounds = max(1, min(args.rounds, 5))
    # A SIGTERM stops the bench through its `finally`: the server and the database go too.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))

    redis_url = os.environ.get("REDIS_URL")
    if not redis_url:
        sys.exit("Set REDIS_URL (the bench empties that Redis database).")
    ensure_wrk()
    database_url, admin_url = database_urls()
    base = f"http://127.0.0.1:{args.port}"
    var_dir = ROOT / "var" / "bench-load"
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "CELERY_BROKER_URL": redis_url,
        "DEBUG": "0",
        "SECRET_KEY": "bench-only-secret-key",  # a throwaway server on 127.0.0.1
        "STATIC_MANIFEST": "1",
        "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "VAR_DIR": str(var_dir),
        "LOG_LEVEL": "WARNING",
        "DJANGO_SETTINGS_MODULE": "myphong.settings",
        "PYTHONPATH": str(args.app_dir),
    }
    import redis

    redis.Redis.from_url(redis_url).flushdb()
    recreate_database(admin_url)
    server = None
    try:
        print(f"preparing {BENCH_DB} ({args.setup}: {args.app_dir})...", flush=True)
        manage(args.app_dir, env, "manage.py", "migrate", "--noinput")
        # The demo's published passwords are refused with DEBUG off unless forced (issue 13);
        # the older checkout that `--setup before` serves has no such guard.
        forced = ["--force"] if args.setup == "after" else []
        manage(args.app_dir, env, "manage.py", "seed_demo", *forced)
        manage(args.app_dir, env, "manage.py", "collectstatic", "--noinput")
        data = json.loads(
            manage(args.app_dir, env, "-", str(args.dossiers), stdin=PREPARE).splitlines()[-1]
        )
        var_dir.mkdir(parents=True, exist_ok=True)
        with (
            open(var_dir / f"server-{args.setup}.log", "w") as log,
            tempfile.TemporaryDirectory() as folder,
        ):
            server = start_server(args.setup, args.app_dir, env, args.port, log)
            args.server_group = server.pid  # its own session: every worker is in its group
            entries = pages(data, folder, base)
            if args.only:
                wanted = tuple(part.strip() for part in args.only.split(",") if part.strip())
                entries = entries[:1] + [e for e in entries[1:] if e[0].startswith(wanted)]
            print(
                f"{args.setup}: {data['dossiers']} dossiers, {args.connections} connections, "
                f"{args.duration} s per run, median of {args.rounds} rounds",
                end="",
                flush=True,
            )
            flood_command = [
                "wrk",
                "-t1",
                f"-c{args.flood}",
                f"-d{args.duration * 2 + 10}s",
                "--timeout",
                "10s",
                "-s",
                str(flood_script(data, folder, base)),
                f"{base}/tra-cuu/",
            ]
            normal, flooded = measure(entries, base, args, flood_command)
            print()
            (var_dir / f"results-{args.setup}.json").write_text(
                json.dumps({"normal": normal, "flood": flooded}, indent=1)
            )
            print_table(f"{args.setup}: normal", normal)
            print_table(
                f"{args.setup}: while {args.flood} connections flood the lookup", flooded, normal
            )
    finally:
        if server is not None:
            stop(server)
        recreate_database(admin_url, drop_only=True)


if __name__ == "__main__":
    main()
