from django.core.management.base import BaseCommand, CommandError

from myphong.backup import BackupError, backup


class Command(BaseCommand):
    help = "Write the database and the uploaded files into one dated archive under BACKUP_DIR."

    def handle(self, *args, **options):
        try:
            archive = backup()
        except BackupError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(str(archive))
