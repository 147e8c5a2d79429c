"""How long the receipt (Form 01) takes to render as PDF, in a warm process.

    DEBUG=1 .venv/bin/python bench/receipts.py [--renders 30]

Works in a throwaway SQLite database under a temporary VAR_DIR, removed at the end. Renders the
receipt of an accepted dossier with six papers once to warm up (fonts, templates, WeasyPrint's
imports; printed, not counted), then `--renders` times, and prints p50/p95 of template + PDF
(storing the file is not counted). Aim (issue 4): p50 under 250 ms.

bench/intake.py calls `render_figures()` from its own Django process and database; the data made
here is rolled back there too.
"""

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PAPERS = [
    "Tờ khai đăng ký khai sinh",
    "Giấy chứng sinh",
    "Giấy chứng nhận kết hôn của cha, mẹ (nếu cha, mẹ đã đăng ký kết hôn)",
    "Văn bản ủy quyền có chứng thực, nếu người đi đăng ký khai sinh được ủy quyền",
    "Giấy tờ tùy thân của người đi đăng ký khai sinh",
    "Giấy tờ chứng minh nơi cư trú của cha hoặc mẹ",
]


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def _accepted_dossier():
    """A received dossier with six papers and its acceptance event (no services: no tasks)."""
    from datetime import timedelta
    from decimal import Decimal

    from django.utils import timezone

    from dossiers.models import Dossier, DossierEvent, DossierPaper
    from procedures.models import Agency, Procedure, Sector

    agency, _ = Agency.objects.get_or_create(
        code="000.17.22.H56", defaults={"name": "UBND xã Mỹ Phong"}
    )
    sector, _ = Sector.objects.get_or_create(code="ho-tich", defaults={"name": "Hộ tịch"})
    procedure, _ = Procedure.objects.get_or_create(
        code="1.001193",
        defaults={
            "name": "Đăng ký khai sinh",
            "sector": sector,
            "agency": agency,
            "processing_time": Decimal("3"),
        },
    )
    now = timezone.now()
    dossier = Dossier.objects.create(
        code="000.17.22.H56-991231-9999",
        procedure=procedure,
        agency=agency,
        channel=Dossier.Channel.COUNTER,
        status="received",
        applicant_name="Nguyễn Thị Hoa",
        applicant_phone="0912345678",
        applicant_email="hoa@example.invalid",
        applicant_address="Tổ 5, ấp Mỹ Phong Thượng, xã Mỹ Phong",
        request="Đăng ký khai sinh cho con: Trần Minh Khôi",
        submitted_at=now,
        received_at=now,
        due_at=now + timedelta(days=3),
    )
    DossierPaper.objects.bulk_create(
        DossierPaper(dossier=dossier, name=name, originals=1, copies=order % 2, order=order)
        for order, name in enumerate(PAPERS, start=1)
    )
    event = DossierEvent.objects.create(
        dossier=dossier,
        action="accept",
        to_status="received",
        actor_name="Trần Thị Lan",
        at=now,
        data={"due_at": dossier.due_at.isoformat()},
    )
    return dossier, event


def render_figures(renders=30):
    """p50/p95 of the receipt's HTML + PDF render over `renders` warm renders, as one line."""
    from django.db import transaction

    from dossiers.printing import pdf, slips

    with transaction.atomic():
        dossier, event = _accepted_dossier()

        def render():
            started, cpu_started = time.perf_counter(), time.process_time()
            written = pdf.write_pdf(slips.slip_html(dossier, "01", event))
            assert written.startswith(b"%PDF-")
            return time.perf_counter() - started, time.process_time() - cpu_started

        first, _cpu = render()
        wall, cpu = zip(*(render() for _ in range(renders)), strict=True)
        transaction.set_rollback(True)
    # CPU time too: on a busy machine the wall-clock figures include waiting for a core.
    return (
        f"p50 {percentile(wall, 0.5) * 1000:.0f} ms, p95 {percentile(wall, 0.95) * 1000:.0f} ms "
        f"over {renders} renders (CPU p50 {percentile(cpu, 0.5) * 1000:.0f} ms; "
        f"first, cold: {first * 1000:.0f} ms)"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--renders", type=int, default=30)
    args = parser.parse_args()

    var_dir = tempfile.mkdtemp(prefix="myphong-bench-receipts-")
    os.environ["VAR_DIR"] = var_dir
    os.environ["LOG_LEVEL"] = "WARNING"
    # Nothing of a developer's own setup: its database, broker and uploads stay untouched.
    for name in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "MEDIA_ROOT"):
        os.environ.pop(name, None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "myphong.settings"
    try:
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        print("receipt PDF render (Form 01, six papers, A5), warm process: ", end="", flush=True)
        print(render_figures(args.renders))
    finally:
        from django.db import connections

        connections.close_all()
        shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
