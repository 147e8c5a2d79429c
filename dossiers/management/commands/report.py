"""`python manage.py report --from 2022-01-01 --to 2022-09-30 [--agency CODE]
[--format json|xlsx|pdf] [--output FILE]`: the leaders' figures for scripts and the province's IT.

The JSON keys are fixed (see dossiers.statistics.Report.as_json): scripts read them.
"""

import json
import sys
from datetime import date

from django.core.management.base import BaseCommand, CommandError

from dossiers import statistics
from dossiers.printing import statistics as statistics_export
from procedures.models import Agency


def _day(text):
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"not a date (YYYY-MM-DD): {text!r}") from None


class Command(BaseCommand):
    help = "The on-time statistics of a period, as JSON, XLSX or PDF."

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="start", required=True, type=_day)
        parser.add_argument("--to", dest="end", required=True, type=_day)
        parser.add_argument("--agency", help="the agency's national identifier code")
        parser.add_argument("--format", choices=("json", "xlsx", "pdf"), default="json")
        parser.add_argument("--output", help="file to write (default: standard output)")

    def handle(self, *args, start, end, agency, format, output, **options):
        if start > end:
            raise CommandError("--from is after --to")
        reported = None
        if agency:
            reported = Agency.objects.filter(code=agency).first()
            if reported is None:
                raise CommandError(f"no agency with code {agency!r}")
        scope = statistics.Scope(agencies=(reported.pk,) if reported else None)
        result = statistics.report(scope, start, end, agency=reported)
        if format == "json":
            content = (json.dumps(result.as_json(), ensure_ascii=False, indent=2) + "\n").encode()
        elif format == "xlsx":
            content = statistics_export.report_xlsx(result)
        else:
            content = statistics_export.report_pdf(result)
        if output:
            with open(output, "wb") as file:
                file.write(content)
        elif format == "json":
            self.stdout.write(content.decode(), ending="")
        else:
            if sys.stdout.isatty():
                raise CommandError("binary output: give --output FILE")
            sys.stdout.buffer.write(content)
