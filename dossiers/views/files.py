"""Files of a dossier — attachments and the form slips — served only to who may see the dossier:
never from a public URL."""

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django.views.decorators.cache import never_cache

from ..models import Attachment
from ..printing import slips
from ..selectors import visible_dossiers
from ..workflow import EVENTS_OF_FORM, RESULT_READY


@never_cache
@login_required
def attachment(request, pk, attachment_id):
    """The applicant and the staff of the dossier's agency download; anyone else gets 404."""
    dossier = get_object_or_404(visible_dossiers(request.user), pk=pk)
    attachments = dossier.attachments.all()
    if dossier.applicant_id == request.user.pk and dossier.status not in RESULT_READY:
        # The result scan is the applicant's once the leader has signed and it is resolved.
        attachments = attachments.exclude(kind=Attachment.Kind.RESULT)
    attachment = get_object_or_404(attachments, pk=attachment_id)
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=attachment.original_name,
        content_type=attachment.content_type,
    )
    # The type was checked by content on upload; the browser must not guess another one.
    response["X-Content-Type-Options"] = "nosniff"
    return response


def slip(request, pk, form, event_id=None):
    """A form slip (01 receipt, 02 supplement request, 03 refusal, 04 apology…) as PDF, for who
    may see it (staff of the agency, the applicant): the latest of that form, or the one issued
    by `event_id` (an earlier Form 01 replaced after a supplement stays downloadable).

    Rendered on first request if the worker has not done it yet (or is down).
    """
    dossier = get_object_or_404(visible_dossiers(request.user), pk=pk)
    return slip_response(dossier, form, event_id)


def slip_response(dossier, form, event_id=None):
    """The PDF of `form` for the dossier (the latest, or the one `event_id` issued), inline."""
    if form not in EVENTS_OF_FORM:
        raise Http404
    events = dossier.events.filter(action__in=EVENTS_OF_FORM[form])
    if event_id is not None:
        events = events.filter(pk=event_id)
    event = events.order_by("-at", "-id").first()
    if event is None:
        raise Http404
    stored = slips.ensure_slip(dossier, form, event)
    response = FileResponse(stored.file.open("rb"), content_type="application/pdf")
    name = f"mau-{form}-{dossier.code or dossier.pk}.pdf"
    response["Content-Disposition"] = f'inline; filename="{name}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
