from django.core.management.base import BaseCommand, CommandError

from myphong.backup import BackupError, restore


class Command(BaseCommand):
    help = "Restore an archive of `manage.py backup` into an empty database and media folder."

    def add_arguments(self, parser):
        parser.add_argument("archive")

    def handle(self, *args, archive, **options):
        try:
            manifest = restore(archive)
        except BackupError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(
            f"restored the backup of {manifest['created']}: "
            f"database and {len(manifest['files'])} files"
        )
