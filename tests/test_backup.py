"""`make backup` and `make restore`: the database and the uploaded files in one dated archive,
restored into a fresh database and folder with every dossier, event and file intact.

Needs PostgreSQL and its client tools (pg_dump, pg_restore; `make test` installs them).
"""

import hashlib
import os
import shutil

import psycopg
import pytest
from django.core.files.base import ContentFile
from django.db import connection

from dossiers import services
from dossiers.models import Attachment, Dossier, DossierEvent, Slip
from myphong import roles
from myphong.backup import BackupError, backup, restore, sha256_of
from tests.factories import DossierFactory, UserFactory

CI = os.environ.get("CI") == "true"
MISSING = None
if connection.vendor != "postgresql":
    MISSING = "PostgreSQL (set DATABASE_URL)"
elif not (shutil.which("pg_dump") and shutil.which("pg_restore")):
    MISSING = "pg_dump and pg_restore (Debian's postgresql-client)"

pytestmark = [
    pytest.mark.skipif(bool(MISSING) and not CI, reason=f"backups need {MISSING}"),
    # pg_dump reads committed rows only.
    pytest.mark.django_db(transaction=True),
]


def _connect(name):
    db = connection.settings_dict
    return psycopg.connect(
        host=db["HOST"] or None,
        port=db["PORT"] or None,
        user=db["USER"] or None,
        password=db["PASSWORD"] or None,
        dbname=name,
        autocommit=True,
    )


@pytest.fixture
def fresh_database():
    """An empty database beside the test database, dropped afterwards."""
    name = f"{connection.settings_dict['NAME']}_restored"
    with _connect("postgres") as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    yield {**connection.settings_dict, "NAME": name}
    with _connect("postgres") as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def office_with_papers():
    """Three accepted dossiers with their receipts (PDF slips) and a scanned paper each."""
    clerk = UserFactory(username="tiepnhan", roles=[roles.CLERK])
    for n in range(3):
        dossier = DossierFactory(
            agency=clerk.profile.agency, procedure__agency=clerk.profile.agency
        )
        services.accept(dossier, clerk)
        content = f"%PDF-1.4 bản scan {n}".encode()
        attachment = Attachment(
            dossier=dossier,
            original_name=f"giay-to-{n}.pdf",
            size=len(content),
            content_type="application/pdf",
            sha256=hashlib.sha256(content).hexdigest(),
        )
        attachment.file.save(f"giay-to-{n}.pdf", ContentFile(content), save=True)
    assert Slip.objects.count() == 3, "the receipts were rendered"


def test_backup_restores_every_dossier_event_and_file(
    office_with_papers, fresh_database, settings, tmp_path
):
    archive = backup(backup_dir=tmp_path / "backups")
    assert archive.parent == tmp_path / "backups"
    assert archive.name.startswith("myphong-") and archive.name.endswith(".tar.gz")

    restored_media = tmp_path / "restored-media"
    restore(archive, database=fresh_database, media_root=restored_media)

    dossiers = sorted(Dossier.objects.values_list("pk", "code", "status", "due_at"))
    events = sorted(DossierEvent.objects.values_list("pk", "dossier_id", "action", "at"))
    files = sorted(
        [
            *Attachment.objects.values_list("file", flat=True),
            *Slip.objects.values_list("file", flat=True),
        ]
    )
    with _connect(fresh_database["NAME"]) as restored:
        assert (
            sorted(
                restored.execute("SELECT id, code, status, due_at FROM dossiers_dossier").fetchall()
            )
            == dossiers
        )
        assert (
            sorted(
                restored.execute(
                    "SELECT id, dossier_id, action, at FROM dossiers_dossierevent"
                ).fetchall()
            )
            == events
        )
        restored_files = sorted(
            [
                *(row[0] for row in restored.execute("SELECT file FROM dossiers_attachment")),
                *(row[0] for row in restored.execute("SELECT file FROM dossiers_slip")),
            ]
        )
    assert restored_files == files
    assert len(files) == 6
    for name in files:
        assert sha256_of(restored_media / name) == sha256_of(settings.MEDIA_ROOT / name), name


def test_restore_refuses_a_database_that_holds_data(office_with_papers, tmp_path):
    archive = backup(backup_dir=tmp_path / "backups")
    with pytest.raises(BackupError, match="not empty"):
        restore(archive, media_root=tmp_path / "elsewhere")
    assert Dossier.objects.count() == 3


def test_a_damaged_file_in_the_archive_is_refused(
    office_with_papers, fresh_database, settings, tmp_path
):
    some_file = next(p for p in settings.MEDIA_ROOT.rglob("*") if p.is_file())
    archive = backup(backup_dir=tmp_path / "backups")
    # Tamper with the archive: the same names, one file's bytes changed.
    import tarfile

    unpacked = tmp_path / "unpacked"
    with tarfile.open(archive) as tar:
        tar.extractall(unpacked, filter="data")
    target = unpacked / "media" / some_file.relative_to(settings.MEDIA_ROOT)
    target.write_bytes(target.read_bytes() + b"!")
    damaged = tmp_path / "damaged.tar.gz"
    with tarfile.open(damaged, "w:gz") as tar:
        for path in unpacked.iterdir():
            tar.add(path, arcname=path.name)
    with pytest.raises(BackupError, match="checksum"):
        restore(damaged, database=fresh_database, media_root=tmp_path / "restored")
    with _connect(fresh_database["NAME"]) as restored:
        tables = restored.execute(
            "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"
        ).fetchone()[0]
    assert tables == 0, "nothing was restored from a damaged archive"
