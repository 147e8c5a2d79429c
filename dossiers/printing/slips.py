"""The slips handed to the applicant: the forms of Circular 01/2018/TT-VPCP, rendered once.

Form 01 (Giấy tiếp nhận hồ sơ và hẹn trả kết quả), 02 (Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ),
03 (Phiếu từ chối tiếp nhận giải quyết hồ sơ) and 04 (Phiếu xin lỗi và hẹn lại ngày trả kết quả)
come from templates/pdf/. A slip is a legal document given to the applicant, so it is rendered
once and stored: asking again returns the stored file, also when two workers race. Its text is
Vietnamese whatever language the clerk's page is in, and its QR code carries only the public lookup
address with the dossier code, never personal data. (Forms 05 and 06 are the office's own records,
always up to date: `printing.records` renders them on request.)
"""

import logging
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import translation

from myphong.models import person_name

from ..models import DossierEvent, Slip
from ..workflow import COMPETENT_BODY_FORMS, EVENTS_OF_FORM, FOLLOW_UPS
from .pdf import page_size, qr_svg, write_pdf
from .records import register_line
from .wording import (
    REGISTER_BOOK,
    Moment,
    lookup_url,
    office_contact,
    one_stop_name,
    place_name,
    promised_due,
    recorded_instant,
    result_delivery_text,
)

log = logging.getLogger(__name__)

TEMPLATE_OF_FORM = {
    Slip.Form.RECEIPT: "pdf/form01.html",
    Slip.Form.SUPPLEMENT: "pdf/form02.html",
    Slip.Form.REFUSAL: "pdf/form03.html",
    Slip.Form.APOLOGY: "pdf/form04.html",
    Slip.Form.STOP: "pdf/form05.html",
}


def form_number(event):
    """ "Số" of the form an event issued: "12/2026", its number in the issuing agency's series
    for that form and year (taken when the event was recorded), or "" for older events."""
    data = event.data or {}
    if not data.get("form_number"):
        return ""
    return f"{data['form_number']}/{data.get('form_year') or event.at.year}"


_FORM_OF_KIND = {follow_up.kind: follow_up.form for follow_up in FOLLOW_UPS.values()}


def slip_for_event_kind(kind):
    """The form a follow-up kind issues ("accepted" → "01"…), or None when it issues none."""
    return _FORM_OF_KIND.get(kind)


def _event_for(dossier, form):
    """The latest event that issued `form`: a slip always belongs to one event."""
    event = (
        DossierEvent.objects.filter(dossier=dossier, action__in=EVENTS_OF_FORM[form])
        .order_by("-at", "-id")
        .first()
    )
    if event is None:
        raise ValueError(f"dossier {dossier.pk} has no event that issues form {form}")
    return event


@dataclass(frozen=True)
class IssuedForm:
    """A form the dossier's history issued: which, by which event, and whether a later one of
    the same form replaced it (a Form 01 after a supplement)."""

    form: str
    event: object
    replaced: bool

    @property
    def label(self):
        return Slip.Form(self.form).label


def issued_forms(events):
    """The forms issued by `events` (the dossier's history, oldest first), in that order."""
    events = list(events)
    issued = [
        (FOLLOW_UPS[event.action].form, event)
        for event in events
        if event.action in FOLLOW_UPS and FOLLOW_UPS[event.action].form
    ]
    latest = dict(issued)  # the last event of each form
    return [IssuedForm(form, event, latest[form] is not event) for form, event in issued]


def slip_context(dossier, form, event):
    """Everything a form template prints; also what tests read to check the QR's payload."""
    # Forms 04 and 05 come from the competent body that processes the dossier; 01-03 from the
    # one-stop unit that received it (Circular 03/2025).
    agency = dossier.procedure.agency if form in COMPETENT_BODY_FORMS else dossier.agency
    code = dossier.code or ""
    url = lookup_url(code) if code else ""
    issued = Moment.of(event.at)
    context = {
        "form": form,
        "page_size": page_size(),
        "agency_name": agency.name,
        "receiving_name": dossier.agency.name,
        "one_stop_name": one_stop_name(),
        "place": place_name(agency.name),
        "issued": issued,
        "code": code,
        "number": form_number(event),
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
        "contact": office_contact(agency),
        "note": event.note,
    }
    if form == Slip.Form.RECEIPT:
        replaced = (event.data or {}).get("replaces")
        if replaced:
            # A new appointment after a supplement: the officer is the clerk who recorded it, or
            # the one who received the dossier when the applicant sent the papers online.
            earlier = DossierEvent.objects.filter(pk=replaced, dossier=dossier).first()
            context["replaces"] = Moment.of(earlier.at) if earlier else None
            if event.actor_id is None or event.actor_id == dossier.applicant_id:
                context["officer"] = person_name(dossier.received_by) if dossier.received_by else ""
        context.update(
            papers=list(dossier.papers.all()),
            sets=dossier.sets,
            processing_time=dossier.procedure.processing_time_display,
            received=Moment.of(dossier.received_at or event.at),
            due=Moment.of(promised_due(dossier, event)),
            register_line=register_line(dossier),
            delivery=result_delivery_text(dossier),
            by_post=dossier.channel == dossier.Channel.POST,
            shown_papers=dossier.procedure.shown_document_names,
        )
    elif form == Slip.Form.SUPPLEMENT:
        context["items"] = list((event.data or {}).get("items", []))
    elif form == Slip.Form.STOP:
        context["received"] = Moment.of(dossier.received_at)
        context["on_request"] = (event.data or {}).get("ground") == "applicant_request"
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


def ensure_slip(dossier, form, event=None):
    """The stored PDF of `form` for this dossier (and event), rendered now if missing."""
    slip = Slip.objects.filter(dossier=dossier, form=form, event=event).first()
    if slip is not None:
        return slip
    return render_slip(dossier, form, event)


# --- Forms 02 and 03 at the counter, without a dossier ------------------------------------------


def guidance_context(guidance):
    """What form02.html / form03.html print for a walk-in applicant turned away at the counter."""
    agency = guidance.agency
    return {
        "form": guidance.kind,
        "page_size": page_size(),
        "agency_name": agency.name,
        "receiving_name": agency.name,
        "one_stop_name": one_stop_name(),
        "place": place_name(agency.name),
        "issued": Moment.of(guidance.created_at),
        "code": "",
        "number": f"{guidance.number}/{guidance.year}",
        "applicant": {
            "name": guidance.applicant_name,
            "address": guidance.applicant_address,
            "phone": guidance.applicant_phone,
            "email": guidance.applicant_email,
        },
        "procedure": guidance.procedure,
        "request": guidance.request.strip(),
        "officer": guidance.officer_name,
        "contact": office_contact(agency),
        "note": guidance.reason,
        "items": list(guidance.items),
    }


def guidance_slip(guidance):
    """The guidance's PDF, rendered once and stored on the row (asking again returns it)."""
    if guidance.file:
        return guidance.file
    with translation.override("vi"):
        html = render_to_string(TEMPLATE_OF_FORM[guidance.kind], guidance_context(guidance))
    name = f"mau-{guidance.kind}-{guidance.year}-{guidance.number}.pdf"
    guidance.file.save(name, ContentFile(write_pdf(html)), save=False)
    rows = type(guidance).objects.filter(pk=guidance.pk, file="")
    if not rows.update(file=guidance.file.name):
        # Another request stored it first: keep theirs, so the record has one file.
        guidance.file.delete(save=False)
        guidance.refresh_from_db(fields=["file"])
    return guidance.file
