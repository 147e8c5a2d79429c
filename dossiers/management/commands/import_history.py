"""`python manage.py import_history FILE [--agency CODE]`: a commune's history from its old
one-stop software (CSV or XLSX, Vietnamese headers; see dossiers.history_import)."""

from django.core.management.base import BaseCommand, CommandError

from dossiers.history_import import HEADERS, ImportRefused, import_history


class Command(BaseCommand):
    help = "Import past dossiers (one row each) from CSV or XLSX. Headers: " + ", ".join(HEADERS)

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--agency", help="the agency's code (default: each code's prefix)")

    def handle(self, *args, file, agency, **options):
        try:
            outcome = import_history(file, agency)
        except ImportRefused as refused:
            raise CommandError(
                f"Không nhập hồ sơ nào: {len(refused.errors)} dòng có lỗi.\n{refused}"
            ) from None
        except OSError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(
            f"Đã nhập {outcome.imported} hồ sơ; bỏ qua {outcome.skipped} hồ sơ đã có."
        )
