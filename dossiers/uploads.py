"""Files citizens and clerks upload: checked by content, size and name before they are kept.

The type comes from the file's bytes, never from its name or the browser's Content-Type: a PDF
must start with "%PDF-" and end with "%%EOF" and carry no scripts, launch actions or attached
files; a JPEG or PNG must be decoded by Pillow, after its size was read from its header. A PNG
named "giay.pdf" is accepted as the PNG it is and stored as "giay.png".

Names are folded to ASCII ("Giấy chứng sinh.pdf" → "Giay_chung_sinh.pdf"): the name still
reads in Vietnamese without its marks, and it survives every Windows machine, ZIP tool and
email client the office uses, whatever Unicode normalisation (NFC or NFD) the citizen's phone
chose. Directories are dropped, so "../../etc/passwd.pdf" is just "passwd.pdf"; the extension
always comes from the detected type.

Checked files of a form that is not submitted yet wait as PendingUpload rows (see
`keep_pending`), so a citizen whose form failed elsewhere does not choose them again.
"""

import hashlib
import re
import threading
import unicodedata
import zlib
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import Sum
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from .models import Dossier, PendingUpload

MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_DOSSIER_BYTES = 50 * 1024 * 1024
MAX_NAME_CHARS = 80  # the stem; the extension comes on top
# A PNG is decoded in full: an A4 page scanned at 300 dpi is 8.7 megapixels, and 25 cost about
# 100 MB while decoding. A JPEG is decoded at 1/8 scale, so a 48-megapixel phone photo passes.
MAX_PNG_PIXELS = 25_000_000
MAX_JPEG_PIXELS = 100_000_000
ACCEPT = "application/pdf,image/jpeg,image/png,.pdf,.jpg,.jpeg,.png"  # the browser's file picker

PDF, JPEG, PNG = "application/pdf", "image/jpeg", "image/png"
EXTENSIONS = {PDF: "pdf", JPEG: "jpg", PNG: "png"}
_PDF_HEADER = re.compile(rb"%PDF-[12]\.[0-9]")
# Acrobat accepts "%%EOF" anywhere in the last 1024 bytes; so do we.
_PDF_TAIL_BYTES = 1024
_CHUNK = 64 * 1024

# As procedures.text.fold, but keeping the case (a name is read, not searched): "đ" is a letter
# of its own in Unicode, not "d" with a mark, so NFD leaves it alone.
_D = str.maketrans({"đ": "d", "Đ": "D"})


@dataclass(frozen=True)
class UploadInfo:
    name: str
    size: int
    content_type: str
    sha256: str


def check_upload(uploaded_file):
    """The checked facts of `uploaded_file`, or ValidationError with a message for the citizen."""
    shown = _display_name(uploaded_file.name)
    size = uploaded_file.size or 0
    if size == 0:
        raise ValidationError(_("“%(name)s” is empty."), code="empty", params={"name": shown})
    if size > MAX_FILE_BYTES:
        raise ValidationError(
            _("“%(name)s” is %(size)s; a file may be at most %(limit)s."),
            code="too_big",
            params={"name": shown, "size": filesizeformat(size), "limit": _mb(MAX_FILE_BYTES)},
        )
    uploaded_file.seek(0)
    content_type = sniff(uploaded_file.read(16))
    if content_type is None:
        raise ValidationError(
            _(
                "“%(name)s” is not a PDF, JPEG or PNG file. "
                "Please save or scan the paper in one of these formats."
            ),
            code="type",
            params={"name": shown},
        )
    if content_type == PDF:
        _check_pdf(uploaded_file, size, shown)
    else:
        _check_image(uploaded_file, content_type, shown)
    return UploadInfo(
        name=safe_name(uploaded_file.name, EXTENSIONS[content_type]),
        size=size,
        content_type=content_type,
        sha256=_sha256(uploaded_file),
    )


def sniff(head):
    """The content type the first bytes announce, or None."""
    if _PDF_HEADER.match(head):
        return PDF
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    return None


def _check_pdf(uploaded_file, size, shown):
    # A PDF cut off in transfer (or a file that merely starts like one) has no end marker.
    uploaded_file.seek(max(0, size - _PDF_TAIL_BYTES))
    if b"%%EOF" not in uploaded_file.read(_PDF_TAIL_BYTES):
        raise ValidationError(
            _("“%(name)s” is an incomplete or damaged PDF. Please save it again and retry."),
            code="damaged",
            params={"name": shown},
        )
    uploaded_file.seek(0)
    if pdf_active_content(uploaded_file.read()):
        raise ValidationError(
            _(
                "“%(name)s” contains scripts, actions or attached files, which the office does "
                "not accept. Please print it to a new PDF or scan the paper."
            ),
            code="active_content",
            params={"name": shown},
        )


# What a paper scan never needs and an attack does: scripts, actions that start programs, files
# carried inside the PDF.
PDF_ACTIVE_NAMES = frozenset(
    {b"JavaScript", b"JS", b"Launch", b"EmbeddedFile", b"EmbeddedFiles", b"FileAttachment"}
)
_PDF_NAME = re.compile(rb"/([^\s/<>\[\]()%{}]*)")
_PDF_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
# A stream's bytes (images, page contents) are not PDF syntax: "/JS" in a photo means nothing.
_PDF_STREAM = re.compile(rb"(?<!end)stream\r?\n(.*?)endstream", re.S)
_OBJECT_STREAM_BYTES = 16 * 1024 * 1024


def _pdf_names(syntax):
    """The names (/Type, /JS…) in PDF syntax, with #xx escapes undone (/J#53 is /JS)."""
    return {
        _PDF_ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), name)
        for name in _PDF_NAME.findall(syntax)
    }


def pdf_active_content(data):
    """The dangerous names a PDF's objects hold, also those packed in compressed object
    streams (PDF 1.5); an empty set for a plain document."""
    names = _pdf_names(_PDF_STREAM.sub(b"stream endstream", data))
    budget = _OBJECT_STREAM_BYTES
    for match in _PDF_STREAM.finditer(data):
        dictionary = data[max(0, match.start() - 512) : match.start()]
        dictionary = dictionary[dictionary.rfind(b"obj") :]
        if b"ObjStm" not in _pdf_names(dictionary) or budget <= 0:
            continue
        try:
            unpacked = zlib.decompressobj().decompress(match.group(1), budget)
        except zlib.error:
            continue
        budget -= len(unpacked)
        names |= _pdf_names(unpacked)
    return names & PDF_ACTIVE_NAMES


def _check_image(uploaded_file, content_type, shown):
    """Pillow reads the whole image: a damaged, truncated or disguised one fails here.

    The size is read from the header first, outside the lock: an image too big to decode is
    refused before a single pixel is.
    """
    _check_dimensions(uploaded_file, content_type, shown)
    try:
        with _strict_pillow():
            _decode(uploaded_file, "JPEG" if content_type == JPEG else "PNG", shown)
    except ValidationError:
        raise
    except Exception as exc:  # Pillow raises many kinds (OSError, SyntaxError, bomb errors…)
        raise ValidationError(
            _("“%(name)s” is a damaged or unreadable image. Please take the photo or scan again."),
            code="damaged",
            params={"name": shown},
        ) from exc


def _decode(uploaded_file, expected_format, shown):
    from PIL import Image

    uploaded_file.seek(0)
    with Image.open(uploaded_file) as image:
        if image.format != expected_format:
            raise ValueError(image.format)
        image.verify()  # checksums of PNG chunks; JPEG has none, hence the decode below
    uploaded_file.seek(0)
    with Image.open(uploaded_file) as image:
        if image.format == "JPEG":
            # Decode at 1/8 scale: every byte is still read, but a 48-megapixel
            # photo costs a few megabytes of memory instead of 150.
            image.draft(image.mode, (max(1, image.width // 8), max(1, image.height // 8)))
        image.load()


def _check_dimensions(uploaded_file, content_type, shown):
    """Width × height from the header only (Image.open decodes nothing)."""
    from PIL import Image

    limit = MAX_JPEG_PIXELS if content_type == JPEG else MAX_PNG_PIXELS
    uploaded_file.seek(0)
    try:
        with Image.open(uploaded_file) as image:
            pixels = image.width * image.height
    except Exception as exc:  # Pillow refuses a broken header in many ways
        raise ValidationError(
            _("“%(name)s” is a damaged or unreadable image. Please take the photo or scan again."),
            code="damaged",
            params={"name": shown},
        ) from exc
    if pixels > limit:
        # A PNG has no reduced decoding, and 10 MB of PNG can hold a billion pixels.
        raise ValidationError(
            _("“%(name)s” is too large an image. Please scan it at a lower resolution."),
            code="too_many_pixels",
            params={"name": shown},
        )


_PILLOW_LOCK = threading.Lock()


@contextmanager
def _strict_pillow():
    """Pillow refuses truncated images while an upload is checked.

    WeasyPrint (the PDF slips) sets ImageFile.LOAD_TRUNCATED_IMAGES for the whole process when
    it is imported, which would let a half-sent photo through. The flag is process-wide: it is
    switched off only for the few milliseconds of a check, one check at a time.
    """
    from PIL import ImageFile

    with _PILLOW_LOCK:
        previous = ImageFile.LOAD_TRUNCATED_IMAGES
        ImageFile.LOAD_TRUNCATED_IMAGES = False
        try:
            yield
        finally:
            ImageFile.LOAD_TRUNCATED_IMAGES = previous


def _sha256(uploaded_file):
    digest = hashlib.sha256()
    uploaded_file.seek(0)
    for chunk in uploaded_file.chunks(_CHUNK):
        digest.update(chunk)
    uploaded_file.seek(0)
    return digest.hexdigest()


def _mb(size):
    return f"{size // (1024 * 1024)} MB"


def _basename(name):
    # Browsers send a bare name, but old ones (and scripts) may send a Windows or POSIX path.
    return re.split(r"[\\/]", name or "")[-1]


def _display_name(name):
    """The name as the citizen chose it, for messages only: no directories, not too long."""
    base = unicodedata.normalize("NFC", _basename(name)).strip()
    return base if len(base) <= 60 else base[:57] + "…"


def safe_name(name, extension):
    """A readable ASCII file name with the given extension (see the module docstring)."""
    base = unicodedata.normalize("NFC", _basename(name)).strip()
    stem, dot, suffix = base.rpartition(".")
    if not dot or not suffix.isalnum() or len(suffix) > 5:
        stem = base  # no extension, or something that is not one
    decomposed = unicodedata.normalize("NFD", stem.translate(_D))
    ascii_stem = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    ascii_stem = ascii_stem.encode("ascii", "ignore").decode()
    ascii_stem = re.sub(r"\s+", "_", ascii_stem)
    # Dots inside the stem would make "anh.pdf.png" look like a PDF: they become dashes.
    ascii_stem = re.sub(r"[^A-Za-z0-9_-]+", "-", ascii_stem)
    ascii_stem = re.sub(r"([_-])[_-]+", r"\1", ascii_stem).strip("_-")
    ascii_stem = ascii_stem[:MAX_NAME_CHARS].rstrip("_-") or "tep"
    return f"{ascii_stem}.{extension}"


# --- Checked files of a form that is not submitted yet -------------------------------------


def kept_uploads(token, user):
    """The files kept for the form `token` of `user`, by slot: the item asked for (its words)
    or else the required document's id."""
    if token is None or user is None:
        return {}
    rows = PendingUpload.objects.filter(token=token, user=user).select_related("required_document")
    return {row.item or row.required_document_id: row for row in rows}


class SlotTaken(Exception):
    """Another request kept a file for the same paper of the same form at the same moment."""


def token_taken(token, user):
    """True when a form token already belongs to someone else (a replayed or copied form)."""
    return (
        PendingUpload.objects.filter(token=token).exclude(user=user).exists()
        or Dossier.objects.filter(intake_token=token).exclude(applicant=user).exists()
    )


def pending_bytes(user):
    """What a citizen keeps in files of forms not sent yet, in bytes."""
    return PendingUpload.objects.filter(user=user).aggregate(total=Sum("size"))["total"] or 0


def may_keep(user, size):
    """Whether `size` more bytes fit in the citizen's quota of unsent files
    (PENDING_UPLOADS_MAX_MB): invalid forms posted again and again must not fill the disk."""
    return pending_bytes(user) + size <= settings.PENDING_UPLOADS_MAX_MB * 1024 * 1024


def keep_pending(token, user, document, uploaded_file, info, item=""):
    """Keep a checked file for the form `token`, replacing the one kept for the same slot (the
    item asked for, or else the paper).

    The file is written first and the row after; when the row cannot be written (the same form
    arrived twice at once) the file goes too and SlotTaken is raised: no file without a row.
    """
    pending = PendingUpload(
        token=token,
        user=user,
        required_document=document,
        item=item,
        original_name=info.name,
        size=info.size,
        content_type=info.content_type,
        sha256=info.sha256,
    )
    uploaded_file.seek(0)
    pending.file.save(info.name, uploaded_file, save=False)
    try:
        with transaction.atomic():
            same_slot = {"item": item} if item else {"item": "", "required_document": document}
            replaced = list(
                PendingUpload.objects.select_for_update().filter(
                    token=token, user=user, **same_slot
                )
            )
            for row in replaced:
                row.delete()
            pending.save()
    except IntegrityError:
        pending.file.delete(save=False)
        raise SlotTaken from None
    for row in replaced:
        row.file.delete(save=False)
    return pending


def discard_pending(pending_uploads):
    """Delete kept files and their rows."""
    for pending in list(pending_uploads):
        pending.file.delete(save=False)
        pending.delete()


def sweep_pending(older_than):
    """Delete pending uploads (rows and files) created before `older_than`; returns how many."""
    stale = list(PendingUpload.objects.filter(created_at__lt=older_than))
    discard_pending(stale)
    return len(stale)


def referenced_files():
    """The names (relative to MEDIA_ROOT) of every file a row of any model points to."""
    names = set()
    for model in apps.get_models():
        for field in model._meta.get_fields():
            if isinstance(field, models.FileField):
                names.update(
                    model._default_manager.exclude(**{field.name: ""})
                    .values_list(field.name, flat=True)
                    .iterator()
                )
    return names


def sweep_orphan_files(older_than):
    """Delete files under MEDIA_ROOT that no row references and that were last written before
    `older_than` (a file being saved just now has no row yet); return their names."""
    root = Path(settings.MEDIA_ROOT)
    if not root.is_dir():
        return []
    referenced = referenced_files()
    cutoff = older_than.timestamp()
    removed = []
    for path in root.rglob("*"):
        if not path.is_file():
            continue
        name = path.relative_to(root).as_posix()
        if name not in referenced and path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)
            removed.append(name)
    return removed
