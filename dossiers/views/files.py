"""Files of a dossier, served only to who may see the dossier: never from a public URL."""

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django.views.decorators.cache import never_cache

from ..selectors import visible_dossiers


@never_cache
@login_required
def attachment(request, pk, attachment_id):
    """The applicant and the staff of the dossier's agency download; anyone else gets 404."""
    dossier = get_object_or_404(visible_dossiers(request.user), pk=pk)
    attachment = get_object_or_404(dossier.attachments, pk=attachment_id)
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
