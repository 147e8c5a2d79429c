"""Backups: the database and the uploaded files in one dated archive, and back again.

`make backup` → `backup()`: `pg_dump --format=custom` of the database and every file under
MEDIA_ROOT (attachments, slips, form templates), with a manifest of each file's SHA-256, into
BACKUP_DIR/myphong-<YYYYmmdd-HHMMSS>.tar.gz.

`make restore ARCHIVE=…` → `restore()`: into an EMPTY database and an empty media folder (a new
server, or after `dropdb`/`createdb`); it refuses to mix a backup into live data. Every file's
checksum is checked against the manifest before it is put in place.

PostgreSQL only (the production database); the client tools pg_dump and pg_restore must match
the server's major version or be newer (Debian: postgresql-client). Uploaded files on S3 storage
are not in the archive: the bucket keeps its own versions.
"""

import hashlib
import json
import os
import shutil
import subprocess
import tarfile
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.db import connections

DUMP_NAME = "database.dump"
MANIFEST_NAME = "manifest.json"
MEDIA_DIR = "media"


class BackupError(Exception):
    pass


def _pg_env_and_args(database):
    """libpq's environment and pg_* arguments for a Django database settings dict."""
    if database["ENGINE"] != "django.db.backends.postgresql":
        raise BackupError("backups need PostgreSQL (DATABASE_URL=postgres://…)")
    env = {**os.environ}
    if database.get("PASSWORD"):
        env["PGPASSWORD"] = database["PASSWORD"]
    args = []
    if database.get("HOST"):
        args += ["--host", database["HOST"]]
    if database.get("PORT"):
        args += ["--port", str(database["PORT"])]
    if database.get("USER"):
        args += ["--username", database["USER"]]
    return env, args


def _run(command, env):
    if shutil.which(command[0]) is None:
        raise BackupError(f"{command[0]} is missing: install Debian's postgresql-client")
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        raise BackupError(f"{command[0]} failed: {result.stderr.strip()[:2000]}")


def sha256_of(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def media_checksums(media_root):
    """{relative path: sha256} of every file under `media_root`."""
    root = Path(media_root)
    if not root.exists():
        return {}
    return {
        path.relative_to(root).as_posix(): sha256_of(path)
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def backup(*, database=None, media_root=None, backup_dir=None, now=None):
    """Write one archive with the database dump and the uploaded files; return its path."""
    database = database or connections["default"].settings_dict
    media_root = Path(media_root or settings.MEDIA_ROOT)
    backup_dir = Path(backup_dir or settings.BACKUP_DIR)
    now = now or datetime.now(tz=UTC)
    backup_dir.mkdir(parents=True, exist_ok=True)
    archive = backup_dir / f"myphong-{now:%Y%m%d-%H%M%S}.tar.gz"
    env, args = _pg_env_and_args(database)
    with tempfile.TemporaryDirectory() as work:
        dump = Path(work) / DUMP_NAME
        _run(
            [
                "pg_dump",
                *args,
                "--format=custom",
                "--no-owner",
                "--no-privileges",
                "--file",
                str(dump),
                database["NAME"],
            ],
            env,
        )
        files = media_checksums(media_root)
        manifest = {
            "created": now.isoformat(),
            "database": database["NAME"],
            "database_sha256": sha256_of(dump),
            "files": files,
        }
        partial = archive.with_suffix(".partial")
        with tarfile.open(partial, "w:gz") as tar:
            tar.add(dump, arcname=DUMP_NAME)
            for name in files:
                tar.add(media_root / name, arcname=f"{MEDIA_DIR}/{name}")
            data = json.dumps(manifest, indent=1).encode()
            info = tarfile.TarInfo(MANIFEST_NAME)
            info.size = len(data)
            info.mtime = int(now.timestamp())
            with tempfile.TemporaryFile() as handle:
                handle.write(data)
                handle.seek(0)
                tar.addfile(info, handle)
        # Renamed only when complete: a crash never leaves a half archive that looks whole.
        partial.rename(archive)
    return archive


def _database_is_empty(database):
    import psycopg

    _pg_env_and_args(database)  # refuses anything but PostgreSQL
    with psycopg.connect(
        host=database.get("HOST") or None,
        port=database.get("PORT") or None,
        user=database.get("USER") or None,
        password=database.get("PASSWORD") or None,
        dbname=database["NAME"],
    ) as connection:
        count = connection.execute(
            "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"
        ).fetchone()[0]
    return count == 0


def restore(archive, *, database=None, media_root=None):
    """Restore `archive` into an empty database and media folder; return the manifest."""
    database = database or connections["default"].settings_dict
    media_root = Path(media_root or settings.MEDIA_ROOT)
    if not _database_is_empty(database):
        raise BackupError(
            f"database {database['NAME']} is not empty: restore into a new database "
            "(createdb), never over live data"
        )
    if media_root.exists() and any(media_root.iterdir()):
        raise BackupError(f"{media_root} is not empty: restore into an empty folder")
    env, args = _pg_env_and_args(database)
    with tempfile.TemporaryDirectory() as work:
        work = Path(work)
        with tarfile.open(archive, "r:gz") as tar:
            tar.extractall(work, filter="data")
        manifest = json.loads((work / MANIFEST_NAME).read_text())
        if sha256_of(work / DUMP_NAME) != manifest["database_sha256"]:
            raise BackupError("the database dump does not match its checksum")
        for name, checksum in manifest["files"].items():
            if sha256_of(work / MEDIA_DIR / name) != checksum:
                raise BackupError(f"{name} does not match its checksum")
        _run(
            [
                "pg_restore",
                *args,
                "--no-owner",
                "--no-privileges",
                "--exit-on-error",
                "--single-transaction",
                "--dbname",
                database["NAME"],
                str(work / DUMP_NAME),
            ],
            env,
        )
        media_root.mkdir(parents=True, exist_ok=True)
        if (work / MEDIA_DIR).exists():
            shutil.copytree(work / MEDIA_DIR, media_root, dirs_exist_ok=True)
    return manifest
