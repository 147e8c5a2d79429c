"""The office's records: a dossier's control sheet (Form 06) and the register (Form 07).

Thin: dossiers.records builds them from the history; these views say who may see them and for
which period. Staff see their own agency's register only; a dossier they may not see answers 404.
"""

from datetime import timedelta
from urllib.parse import urlencode

from django import forms
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from myphong import roles

from ..forms.office import date_widget
from ..printing import records
from ..printing.wording import TIMELINESS_LABELS
from ..selectors import staff_agency, visible_dossiers
from ..workflow import Status

staff_only = roles.role_required(*roles.STAFF)

PAGE_SIZE = 50
# A longer period makes a register too long to print; the statistics cover longer ones.
LONGEST_PERIOD = timedelta(days=366)
STATE_LABELS = {
    **{str(key): label for key, label in TIMELINESS_LABELS.items()},
    "overdue": _("In progress (overdue)"),
    "open": _("Being processed"),
}
DOWNLOADS = ("xlsx", "pdf")


class RegisterPeriodForm(forms.Form):
    """The received dates the register covers, both included (dd/mm/yyyy)."""

    received_from = forms.DateField(label=_("Received from"), widget=date_widget())
    received_to = forms.DateField(label=_("Received until"), widget=date_widget())

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("received_from"), cleaned.get("received_to")
        if start and end:
            if start > end:
                raise ValidationError(_("The first day must not be after the last day."))
            if end - start >= LONGEST_PERIOD:
                raise ValidationError(_("Choose a period of at most one year."))
        return cleaned


def _pdf(content, name, disposition="inline"):
    return _file(content, "application/pdf", name, disposition)


def _file(content, content_type, name, disposition="attachment"):
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'{disposition}; filename="{name}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
@staff_only
def control_sheet(request, pk):
    """Form 06 of a received dossier, as it stands now."""
    dossier = get_object_or_404(visible_dossiers(request.user), pk=pk, received_at__isnull=False)
    return _pdf(records.control_sheet_pdf(dossier), f"mau-06-{dossier.code or dossier.pk}.pdf")


@require_GET
@staff_only
def register(request):
    """The register of the user's agency for a period (this month by default): a preview, and
    the same rows as XLSX or PDF (?tai=xlsx|pdf)."""
    user = request.user
    agency = staff_agency(user)
    start, end = records.current_month()
    asked = "received_from" in request.GET or "received_to" in request.GET
    form = RegisterPeriodForm(
        request.GET if asked else None, initial={"received_from": start, "received_to": end}
    )
    context = {"form": form, "agency": agency, "page": None, "rows": []}
    if asked:
        if not form.is_valid():
            return render(request, "dossiers/office/register.html", context)
        start, end = form.cleaned_data["received_from"], form.cleaned_data["received_to"]
    mine = visible_dossiers(user).filter(agency=agency) if agency else visible_dossiers(None)
    dossiers = records.register_dossiers(mine, start, end)
    now = timezone.now()
    agency_name = agency.name if agency else ""
    download = request.GET.get("tai")
    if download in DOWNLOADS:
        rows = records.register_rows(dossiers, now)
        name = f"so-theo-doi-ho-so-{start:%Y%m%d}-{end:%Y%m%d}"
        if download == "xlsx":
            return _file(
                records.register_xlsx(agency_name, start, end, rows),
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                f"{name}.xlsx",
            )
        return _pdf(records.register_pdf(agency_name, start, end, rows, now), f"{name}.pdf")
    page = Paginator(dossiers, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = records.register_rows(page.object_list, now, first_number=page.start_index())
    context.update(
        page=page,
        rows=[(row, _state_label(row.state)) for row in rows],
        start=start,
        end=end,
        period_query=urlencode(
            {"received_from": f"{start:%d/%m/%Y}", "received_to": f"{end:%d/%m/%Y}"}
        ),
    )
    return render(request, "dossiers/office/register.html", context)


def _state_label(state):
    return STATE_LABELS.get(state) or Status(state).label
