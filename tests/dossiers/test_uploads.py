"""Uploaded files are judged by their bytes, not by their names: real files, real damage."""

import hashlib
import io
import unicodedata

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile, TemporaryUploadedFile
from PIL import Image

from dossiers import uploads

MB = 1024 * 1024


# --- Real files, built here so the tests need no binary fixtures -----------------------------


def _pdf(padding):
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
    ]
    body = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n" + padding)
    offsets = []
    for number, obj in enumerate(objects, start=1):
        offsets.append(len(body))
        body += b"%d 0 obj\n%s\nendobj\n" % (number, obj)
    xref = len(body)
    body += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    body += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    body += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(body)


def pdf_bytes(size=None):
    """A valid one-page PDF; with `size`, padded to exactly that many bytes by a comment line."""
    data = _pdf(b"")
    if size is None:
        return data
    filler = size - len(data) - 2
    for _attempt in range(3):  # the xref offset may gain a digit
        data = _pdf(b"%" + b"0" * filler + b"\n")
        filler += size - len(data)
    assert len(data) == size
    return data


def image_bytes(fmt, size=(320, 200)):
    buffer = io.BytesIO()
    Image.new("RGB", size, (180, 40, 40)).save(buffer, fmt)
    return buffer.getvalue()


def png_bytes():
    return image_bytes("PNG")


def jpeg_bytes():
    return image_bytes("JPEG")


# The first bytes of a Windows program (the MZ header and its DOS stub message).
EXE = (
    b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"
    + b"This program cannot be run in DOS mode.\r\r\n$"
    + b"\x00" * 200
)
HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>\n"


def upload(name, data, content_type="application/octet-stream"):
    return SimpleUploadedFile(name, data, content_type=content_type)


def rejected(name, data):
    with pytest.raises(ValidationError) as excinfo:
        uploads.check_upload(upload(name, data))
    return excinfo.value


# --- Accepted ------------------------------------------------------------------------------


def test_a_real_pdf_is_accepted_with_its_size_and_sha256():
    data = pdf_bytes()
    info = uploads.check_upload(upload("to-khai.pdf", data, "application/pdf"))
    assert info == uploads.UploadInfo(
        name="to-khai.pdf",
        size=len(data),
        content_type="application/pdf",
        sha256=hashlib.sha256(data).hexdigest(),
    )


@pytest.mark.parametrize(
    ("name", "data", "content_type", "stored"),
    [
        ("anh.jpg", jpeg_bytes(), "image/jpeg", "anh.jpg"),
        ("anh.jpeg", jpeg_bytes(), "image/jpeg", "anh.jpg"),
        ("scan.PNG", png_bytes(), "image/png", "scan.png"),
    ],
)
def test_real_jpeg_and_png_are_accepted(name, data, content_type, stored):
    info = uploads.check_upload(upload(name, data))
    assert (info.content_type, info.name) == (content_type, stored)


def test_content_decides_the_type_a_png_named_pdf_is_stored_as_png():
    # The browser's claim is ignored too: only the bytes count.
    info = uploads.check_upload(upload("giay-chung-sinh.pdf", png_bytes(), "application/pdf"))
    assert info.content_type == "image/png"
    assert info.name == "giay-chung-sinh.png"


def test_a_file_of_exactly_10_mb_is_accepted():
    info = uploads.check_upload(upload("lon.pdf", pdf_bytes(size=10 * MB)))
    assert info.size == uploads.MAX_FILE_BYTES


def test_a_large_file_spooled_to_disk_is_checked_the_same_way():
    spooled = TemporaryUploadedFile("lon.pdf", "application/pdf", 0, None)
    data = pdf_bytes(size=3 * MB)
    spooled.write(data)
    spooled.size = len(data)
    try:
        info = uploads.check_upload(spooled)
    finally:
        spooled.close()
    assert info.sha256 == hashlib.sha256(data).hexdigest()


# --- Rejected, with a message that says why ------------------------------------------------


def test_an_exe_renamed_pdf_is_rejected():
    error = rejected("don-xin.pdf", EXE)
    assert error.code == "type"
    assert "don-xin.pdf" in error.messages[0]


@pytest.mark.parametrize("head", [b"%PD", b"%PDF-", b"%PDF-x.y\n", b"%pdf-1.4\n"])
def test_a_truncated_or_malformed_pdf_header_is_rejected(head):
    assert rejected("to-khai.pdf", head).code == "type"


def test_a_pdf_cut_off_in_transfer_is_rejected():
    data = pdf_bytes(size=200_000)
    assert rejected("to-khai.pdf", data[: len(data) // 2]).code == "damaged"


def test_an_empty_file_is_rejected():
    assert rejected("trong.pdf", b"").code == "empty"


def test_an_11_mb_file_is_rejected_before_reading_it():
    error = rejected("qua-lon.pdf", pdf_bytes(size=11 * MB))
    assert error.code == "too_big"
    assert "10 MB" in error.messages[0]


def test_an_html_page_named_jpg_is_rejected():
    assert rejected("anh.jpg", HTML).code == "type"


def test_a_polyglot_with_a_jpeg_signature_and_html_body_is_rejected():
    assert rejected("anh.jpg", b"\xff\xd8\xff\xe0" + HTML).code == "damaged"


def test_a_truncated_jpeg_is_rejected():
    data = image_bytes("JPEG", size=(800, 600))
    assert rejected("anh.jpg", data[: len(data) // 2]).code == "damaged"


def test_truncated_images_are_rejected_even_after_weasyprint_relaxed_pillow(monkeypatch):
    from PIL import ImageFile

    # Importing WeasyPrint (the PDF slips) sets this for the whole process.
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)
    jpeg = image_bytes("JPEG", size=(800, 600))
    png = image_bytes("PNG", size=(800, 600))
    assert rejected("anh.jpg", jpeg[: len(jpeg) // 2]).code == "damaged"
    assert rejected("anh.png", png[: len(png) - 40]).code == "damaged"
    assert ImageFile.LOAD_TRUNCATED_IMAGES is True  # WeasyPrint's choice is left as it was


def test_a_png_of_too_many_pixels_is_rejected_without_decoding_it(monkeypatch):
    monkeypatch.setattr(uploads, "MAX_PNG_PIXELS", 320 * 200 - 1)
    assert rejected("anh.png", png_bytes()).code == "too_many_pixels"


def test_a_png_with_a_broken_checksum_is_rejected():
    data = bytearray(png_bytes())
    data[60] ^= 0xFF  # inside the first IDAT chunk
    assert rejected("anh.png", bytes(data)).code == "damaged"


def test_messages_are_translatable_with_english_msgids():
    from django.utils import translation

    with translation.override("en"):
        assert "is not a PDF, JPEG or PNG file" in rejected("a.pdf", EXE).messages[0]


# --- Names ---------------------------------------------------------------------------------


def test_path_traversal_is_stripped_from_the_name():
    info = uploads.check_upload(upload("../../etc/passwd.pdf", pdf_bytes()))
    assert info.name == "passwd.pdf"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Giấy chứng sinh.pdf", "Giay_chung_sinh.pdf"),
        # macOS and some phones send decomposed (NFD) Vietnamese: same result.
        (unicodedata.normalize("NFD", "Giấy chứng sinh.pdf"), "Giay_chung_sinh.pdf"),
        ("ĐƠN ĐỀ NGHỊ.PDF", "DON_DE_NGHI.pdf"),
        ("C:\\Users\\Lan\\Tờ khai.pdf", "To_khai.pdf"),
        ("..\\..\\windows\\win.ini.pdf", "win-ini.pdf"),
        ("anh.pdf.exe", "anh-pdf.pdf"),
        ("  .pdf", "tep.pdf"),
        ("<img src=x onerror=alert(1)>.pdf", "img_src-x_onerror-alert-1.pdf"),
        ("bản sao (1).pdf", "ban_sao_1.pdf"),
    ],
)
def test_names_are_sanitised_to_readable_ascii(name, expected):
    assert uploads.safe_name(name, "pdf") == expected


def test_long_names_are_shortened_but_keep_the_extension():
    name = uploads.safe_name("Giấy " * 60 + ".pdf", "pdf")
    assert name.endswith(".pdf")
    assert len(name) <= uploads.MAX_NAME_CHARS + len(".pdf")


def test_a_vietnamese_name_from_the_browser_is_sanitised_on_a_real_upload():
    info = uploads.check_upload(upload("Giấy chứng sinh.pdf", pdf_bytes()))
    assert info.name == "Giay_chung_sinh.pdf"
