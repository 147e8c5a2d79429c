"""PDF slips of a dossier: the forms of Circular 01/2018/TT-VPCP, rendered by WeasyPrint.

Form 01 (Giấy tiếp nhận hồ sơ và hẹn trả kết quả), 02 (Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ),
03 (Phiếu từ chối tiếp nhận giải quyết hồ sơ) and 04 (Phiếu xin lỗi và hẹn lại ngày trả kết quả)
come from templates/pdf/. A slip is a legal document given to the applicant, so it is rendered
once and stored: asking again returns the stored file, also when two workers race. Its text is
Vietnamese whatever language the clerk's page is in, and its QR code carries only the public lookup
address with the dossier code, never personal data. (Forms 05 and 06 are the office's own records,
always up to date: dossiers.records renders them on request.)
"""

import logging
import re
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import urlencode, urlsplit
from urllib.request import url2pathname
from zoneinfo import ZoneInfo

import segno
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.safestring import mark_safe

from .models import DossierEvent, Slip

log = logging.getLogger(__name__)

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
PAGE_SIZES = ("A5", "A4")
_per_thread = threading.local()

# The event kind (tasks.follow_up) that issues a form, and the DossierEvent action behind it.
FORM_OF_KIND = {
    "accepted": Slip.Form.RECEIPT,
    "supplement_requested": Slip.Form.SUPPLEMENT,
    "refused": Slip.Form.REFUSAL,
    "rescheduled": Slip.Form.APOLOGY,
}
ACTION_OF_FORM = {
    Slip.Form.RECEIPT: "accept",
    Slip.Form.SUPPLEMENT: "request_supplement",
    Slip.Form.REFUSAL: "refuse",
    Slip.Form.APOLOGY: "reschedule",
}
TEMPLATE_OF_FORM = {
    Slip.Form.RECEIPT: "pdf/form01.html",
    Slip.Form.SUPPLEMENT: "pdf/form02.html",
    Slip.Form.REFUSAL: "pdf/form03.html",
    Slip.Form.APOLOGY: "pdf/form04.html",
}
# The register every dossier is entered in (Form 06); its number is the code's daily sequence.
REGISTER_BOOK = "Sổ theo dõi hồ sơ"

_PLACE_IN_AGENCY_NAME = re.compile(
    r"\b(?:xã|phường|thị trấn|đặc khu|tỉnh|thành phố)\s+(?P<place>.+)$", re.IGNORECASE
)


def slip_for_event_kind(kind):
    """The form an event kind issues ("accepted" → "01"…), or None when it issues none."""
    return FORM_OF_KIND.get(kind)


def lookup_url(code):
    """The public lookup page with the code filled in; the page asks for the second factor."""
    return f"{settings.PORTAL_BASE_URL}/tra-cuu/?{urlencode({'ma': code})}"


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


def place_name(agency_name):
    """ "UBND xã Mỹ Phong" → "Mỹ Phong": the place in the form's "…, ngày … tháng … năm …" line."""
    match = _PLACE_IN_AGENCY_NAME.search(agency_name)
    return match["place"].strip() if match else agency_name


@dataclass(frozen=True)
class Moment:
    """An instant as the forms print it, in Vietnam's time: 10 giờ 05 phút, ngày 26/11/2026."""

    hour: str
    minute: str
    day: str
    month: str
    year: str

    @classmethod
    def of(cls, instant):
        if instant is None:
            return None
        local = timezone.localtime(instant, VIETNAM)
        return cls(f"{local:%H}", f"{local:%M}", f"{local:%d}", f"{local:%m}", f"{local:%Y}")

    @property
    def date(self):
        return f"{self.day}/{self.month}/{self.year}"

    @property
    def time(self):
        return f"{self.hour}:{self.minute}"


def _event_for(dossier, form):
    """The latest event that issued `form`: a slip always belongs to one event."""
    event = (
        DossierEvent.objects.filter(dossier=dossier, action=ACTION_OF_FORM[form])
        .order_by("-at", "-id")
        .first()
    )
    if event is None:
        raise ValueError(f"dossier {dossier.pk} has no event that issues form {form}")
    return event


def recorded_instant(event, key):
    """An instant the event recorded in its data ("due_at", "old_due_at"), or None."""
    recorded = (event.data or {}).get(key)
    return datetime.fromisoformat(recorded) if recorded else None


def promised_due(dossier, event):
    """The appointment as it stood when the event happened (the dossier's may have moved since)."""
    return recorded_instant(event, "due_at") or dossier.due_at


def slip_context(dossier, form, event):
    """Everything a form template prints; also what tests read to check the QR's payload."""
    agency = dossier.agency
    code = dossier.code or ""
    url = lookup_url(code) if code else ""
    issued = Moment.of(event.at)
    context = {
        "form": form,
        "page_size": page_size(),
        "agency_name": agency.name,
        "place": place_name(agency.name),
        "issued": issued,
        "code": code,
        "number": code.rsplit("-", 1)[-1] if code else "",
        "register_book": REGISTER_BOOK,
        "lookup_url": url,
        "lookup_page": f"{settings.PORTAL_BASE_URL}/tra-cuu/",
        "lookup_key": dossier.lookup_key,
        "qr_svg": qr_svg(url) if url else "",
        "applicant": {
            "name": dossier.applicant_name,
            "address": dossier.applicant_address,
            "phone": dossier.applicant_phone,
            "email": dossier.applicant_email,
        },
        "procedure": dossier.procedure,
        "request": dossier.request.strip(),
        "officer": event.actor_name,
        "contact": {
            "where": agency.address or settings.PORTAL_ADDRESS,
            "phone": agency.phone or settings.PORTAL_HOTLINE,
            "email": settings.PORTAL_EMAIL,
        },
        "note": event.note,
    }
    if form == Slip.Form.RECEIPT:
        context.update(
            papers=list(dossier.papers.all()),
            sets=dossier.sets,
            processing_time=dossier.procedure.processing_time_display,
            received=Moment.of(dossier.received_at or event.at),
            due=Moment.of(promised_due(dossier, event)),
        )
    elif form == Slip.Form.SUPPLEMENT:
        context["items"] = list((event.data or {}).get("items", []))
    elif form == Slip.Form.APOLOGY:
        context.update(
            received=Moment.of(dossier.received_at),
            old_due=Moment.of(recorded_instant(event, "old_due_at") or dossier.due_before_apology),
            new_due=Moment.of(promised_due(dossier, event)),
        )
    return context


def slip_html(dossier, form, event):
    # Vietnamese always: the form is a legal document, and labels such as the processing time
    # are translated strings.
    with translation.override("vi"):
        context = slip_context(dossier, form, event)
        return render_to_string(TEMPLATE_OF_FORM[form], context)


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


def render_slip(dossier, form, event=None):
    """The stored Slip of `form` for this dossier and event, rendered and stored if missing.

    Idempotent: a stored slip is returned as it is. Two renders racing end with one row (the
    unique constraint decides; the loser deletes its file and returns the winner's slip).
    `event=None` means the latest event that issued the form.
    """
    form = Slip.Form(form)
    if form not in TEMPLATE_OF_FORM:
        raise ValueError(f"form {form} is not rendered from a template yet")
    if event is None:
        event = _event_for(dossier, form)
    existing = Slip.objects.filter(dossier=dossier, form=form, event=event).first()
    if existing is not None:
        return existing

    started = time.perf_counter()
    pdf = write_pdf(slip_html(dossier, form, event))
    log.info(
        "rendered form %s of dossier %s in %.0f ms",
        form,
        dossier.reference,
        (time.perf_counter() - started) * 1000,
    )
    slip = Slip(dossier=dossier, form=form, event=event)
    name = f"mau-{form}-{dossier.code or dossier.pk}-{event.pk}.pdf"
    slip.file.save(name, ContentFile(pdf), save=False)
    try:
        with transaction.atomic():
            slip.save()
    except IntegrityError:
        slip.file.delete(save=False)
        return Slip.objects.get(dossier=dossier, form=form, event=event)
    return slip
