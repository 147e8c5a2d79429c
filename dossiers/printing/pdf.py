"""HTML to PDF with WeasyPrint, loading nothing but the shipped fonts; QR codes; paper size.

WeasyPrint is imported when a PDF is first written: it is heavy, and only PDFs need it. Its font
configuration is kept per thread between renders (building one is most of a render's time).
"""

import threading
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

import segno
from django.conf import settings
from django.utils.safestring import mark_safe

PAGE_SIZES = ("A5", "A4")
_per_thread = threading.local()


def qr_svg(url):
    """An inline SVG QR code of `url` (sized by the stylesheet)."""
    qr = segno.make(url, error="m")
    return mark_safe(qr.svg_inline(omitsize=True, border=2, svgclass="qr"))  # noqa: S308


def page_size():
    """A5 as Circular 01/2018 prints the forms; A4 where an office's printers want it."""
    size = str(settings.SLIP_PAGE_SIZE).upper()
    if size not in PAGE_SIZES:
        raise ValueError(f"SLIP_PAGE_SIZE must be one of {PAGE_SIZES}, not {size!r}")
    return size


def fonts_only_fetcher():
    """A WeasyPrint URL fetcher that reads the shipped fonts and nothing else.

    The templates escape what applicants type, so no outside address can get in; this keeps a
    future template mistake from reading other files or the network while rendering.
    """
    from weasyprint.urls import URLFetcher

    font_dir = (Path(settings.BASE_DIR) / "static" / "fonts").resolve()

    class FontsOnly(URLFetcher):
        def fetch(self, url, headers=None):
            parts = urlsplit(url)
            if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
                raise ValueError(f"slips load no outside resource: {url}")
            path = Path(url2pathname(parts.path)).resolve()
            if not path.is_relative_to(font_dir):
                raise ValueError(f"slips load only the shipped fonts: {url}")
            return super().fetch(url, headers)

    return FontsOnly(allowed_protocols={"file"})


def _font_config():
    """This thread's WeasyPrint font configuration, kept between renders.

    Building one scans the system's fonts and loading the shipped ones copies them to a temporary
    folder: most of a render's time. WeasyPrint objects are not shared between threads.
    """
    config = getattr(_per_thread, "font_config", None)
    if config is None:
        from weasyprint.text.fonts import FontConfiguration

        config = _per_thread.font_config = FontConfiguration()
    return config


def write_pdf(html):
    """HTML to PDF bytes. WeasyPrint is imported here: it is heavy, and only slips need it."""
    import weasyprint

    document = weasyprint.HTML(
        string=html,
        base_url=str(Path(settings.BASE_DIR) / "static"),
        url_fetcher=fonts_only_fetcher(),
    )
    return document.write_pdf(font_config=_font_config())
