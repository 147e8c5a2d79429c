"""python manage.py send_reminders [--now "2026-12-01T07:30"] [--dry-run]

Runs the officers' morning digest and the overdue check once, as the beat tasks do. `--now`
makes the clock explicit (tests; catching up after an outage: the digest of a morning the
worker missed); `--dry-run` prints who would be told what and records nothing.
"""

from datetime import datetime

from django.core.management.base import BaseCommand, CommandError

from dossiers import deadlines, reminders


def _instant(text):
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise CommandError(f"--now must look like 2026-12-01T07:30, not {text!r}") from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=deadlines.TZ)  # the office's clock
    return moment


class Command(BaseCommand):
    help = "Send the officers' morning digest and the overdue reminders once."

    def add_arguments(self, parser):
        parser.add_argument("--now", help="the instant to run at, Vietnam time (ISO 8601)")
        parser.add_argument("--dry-run", action="store_true", help="print, send nothing")
        parser.add_argument("--only", choices=("digest", "overdue"), help="run one of the two only")

    def handle(self, *args, now=None, dry_run=False, only=None, **options):
        now = _instant(now) if now else None
        runs = [
            ("digest", reminders.send_morning_digests),
            ("overdue", reminders.check_overdue),
        ]
        failed = False
        for name, run in runs:
            if only and only != name:
                continue
            outcome = run(now, dry_run=dry_run)
            self.stdout.write(f"{name}: {outcome}")
            for recipient, reason, codes in outcome.planned:
                listed = ", ".join(codes[:10]) + (" …" if len(codes) > 10 else "")
                self.stdout.write(f"  {recipient} — {reason} — {len(codes)}: {listed}")
            failed = failed or bool(outcome.failed)
        if failed:
            raise CommandError("some reminders were not sent; they are retried by the next run")
