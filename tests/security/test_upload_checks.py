"""Uploads cannot exhaust the server's memory or carry active content (issue 13, item 9)."""

import io
import os
import struct
import zlib

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from dossiers import uploads
from tests.dossiers.test_uploads import pdf_bytes


def check(name, data):
    return uploads.check_upload(SimpleUploadedFile(name, data))


def refusal(name, data):
    with pytest.raises(ValidationError) as excinfo:
        check(name, data)
    return excinfo.value.code


def png_header_only(width, height):
    """A PNG that announces width × height but holds a single tiny compressed row: decoding it
    would cost width × height × 3 bytes."""

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


def test_a_59_megapixel_png_is_refused_from_its_header(monkeypatch):
    def no_decoding(*args, **kwargs):
        raise AssertionError("the image was decoded")

    monkeypatch.setattr(uploads, "_decode", no_decoding)
    assert refusal("anh.png", png_header_only(9000, 6600)) == "too_many_pixels"


def test_a_png_just_over_25_megapixels_is_refused():
    assert refusal("anh.png", png_header_only(5001, 5000)) == "too_many_pixels"


def test_an_a4_page_scanned_at_300_dpi_passes():
    buffer = io.BytesIO()
    Image.new("L", (2480, 3508), 255).save(buffer, "PNG")
    assert check("trang.png", buffer.getvalue()).content_type == "image/png"


def pdf_with(objects):
    body = b"%PDF-1.7\n" + b"".join(
        b"%d 0 obj\n%s\nendobj\n" % (n, obj) for n, obj in enumerate(objects, start=1)
    )
    return body + b"trailer\n<< /Root 1 0 R >>\n%%EOF\n"


CATALOG = b"<< /Type /Catalog /Pages 2 0 R /OpenAction 3 0 R >>"
PAGES = b"<< /Type /Pages /Kids [] /Count 0 >>"


@pytest.mark.parametrize(
    "action",
    [
        b"<< /S /JavaScript /JS (app.alert(1)) >>",
        b"<< /S /Launch /F (cmd.exe) >>",
        b"<< /S /J#61va#53cript /J#53 (app.alert(1)) >>",  # names spelled with #xx escapes
    ],
)
def test_a_pdf_with_a_script_or_launch_action_is_refused(action):
    assert refusal("don.pdf", pdf_with([CATALOG, PAGES, action])) == "active_content"


def test_a_pdf_with_an_embedded_file_is_refused():
    names = b"<< /EmbeddedFiles << /Names [(a.exe) 4 0 R] >> >>"
    catalog = b"<< /Type /Catalog /Pages 2 0 R /Names 3 0 R >>"
    spec = b"<< /Type /Filespec /F (a.exe) /EF << /F 5 0 R >> >>"
    stream = b"<< /Type /EmbeddedFile /Length 2 >>\nstream\nMZ\nendstream"
    assert refusal("don.pdf", pdf_with([catalog, PAGES, names, spec, stream])) == "active_content"


def test_a_script_hidden_in_a_compressed_object_stream_is_refused():
    packed = zlib.compress(b"3 0 << /S /JavaScript /JS (app.alert(1)) >>")
    objstm = (
        b"<< /Type /ObjStm /N 1 /First 4 /Filter /FlateDecode /Length %d >>\nstream\n%s\nendstream"
        % (
            len(packed),
            packed,
        )
    )
    assert refusal("don.pdf", pdf_with([CATALOG, PAGES, objstm])) == "active_content"


def test_image_bytes_that_happen_to_read_js_do_not_refuse_a_scan():
    noise = os.urandom(4096) + b" /JS /Launch " + os.urandom(4096)
    image = b"<< /Type /XObject /Subtype /Image /Length %d >>\nstream\n%s\nendstream" % (
        len(noise),
        noise,
    )
    catalog = b"<< /Type /Catalog /Pages 2 0 R >>"
    assert check("scan.pdf", pdf_with([catalog, PAGES, image])).content_type == "application/pdf"


def test_an_ordinary_pdf_passes():
    assert check("to-khai.pdf", pdf_bytes()).content_type == "application/pdf"
