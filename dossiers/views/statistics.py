"""Leaders' statistics: the figures of a period with the lists behind them, XLSX and PDF.

Thin: dossiers.statistics defines and counts; dossiers.forms.statistics reads the period and
filters and says whose agencies a user may read (a commune's leader: their own; a province
leader or an administrator: all, with an agency filter).
"""

from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from myphong import roles
from myphong.pagecache import public_page
from myphong.routers import reading_reports

from .. import deadlines, statistics, workcache
from ..forms.statistics import StatisticsForm, visible_agencies
from ..printing import charts as statistics_charts
from ..printing import statistics as statistics_export
from .records import _file, _pdf

leaders_only = roles.role_required(roles.LEADER)
PAGE_SIZE = 50

# The columns of the tables by sector, procedure, officer and month (all keys are in the totals).
TABLE_KEYS = (
    "carried_over",
    "received",
    "received_online",
    "to_process",
    "resolved_early",
    "resolved_on_time",
    "resolved_late",
    "in_progress_not_due",
    "in_progress_overdue",
    "returned",
    "refused",
    "withdrawn",
    "stopped",
    "on_time_rate",
    "late_rate",
    "rating_average",
)


def _link(form, figure, start, end, **filters):
    query = form.query(
        period="range",
        start=f"{start:%d/%m/%Y}",
        end=f"{end:%d/%m/%Y}",
        figure=figure,
        **{key: str(value) for key, value in filters.items()},
    )
    return f"{reverse('dossiers:statistics_dossiers')}?{urlencode(query)}"


def shown(key, value):
    """A figure as the page shows it: rates in per cent, the average rating with 2 decimals."""
    if value is None:
        return "—"
    if key in statistics.RATE_KEYS:
        return f"{number_format(value * 100, 1)} %"
    if key == "rating_average":
        return number_format(value, 2)
    return value


def _cells(form, row, start, end, **filters):
    """(key, value, link) for each column: counts link to their dossiers, rates do not."""
    return [
        (
            key,
            shown(key, row[key]),
            _link(form, key, start, end, **filters) if key in statistics.COUNT_KEYS else None,
        )
        for key in TABLE_KEYS
    ]


def _tables(form, report):
    start, end = report.start, report.end
    unassigned = _("Not assigned")
    return {
        "by_sector": [
            (row["sector_name"], _cells(form, row, start, end, sector=row["id"]))
            for row in report.by_sector
        ],
        "by_procedure": [
            (
                f"{row['procedure_code']} — {row['procedure_name']}",
                _cells(form, row, start, end, procedure=row["id"]),
            )
            for row in report.by_procedure
        ],
        "by_officer": [
            (
                statistics_export.officer_name(row) or unassigned,
                _cells(form, row, start, end, officer=row["id"] or statistics.UNASSIGNED),
            )
            for row in report.by_officer
        ],
        "by_month": [
            (f"{row['start']:%m/%Y}", _cells(form, row, row["start"], row["end"]))
            for row in report.by_month
        ],
    }


def _one_agency(request):
    """The agency whose version the page follows: a commune leader's own, else None (all)."""
    agencies = visible_agencies(request.user)
    return agencies[0] if agencies is not None and len(agencies) == 1 else None


@require_GET
@leaders_only
@workcache.kept_page("statistics", _one_agency)
def statistics_page(request):
    form = StatisticsForm(request.GET, request.user)
    context = {"form": form, "report": None, "may_choose_agency": "agency" in form.fields}
    if form.agencies == ():
        context["no_agency"] = True
        return render(request, "dossiers/statistics/page.html", context)
    if not form.is_valid():
        return render(request, "dossiers/statistics/page.html", context)
    start, end = form.cleaned_data["bounds"]
    agency = form.reported_agency()
    with reading_reports():  # from the replica, when the deployment has one
        report = statistics.report(form.scope(), start, end, agency=agency)
    download = request.GET.get("tai")
    name = f"thong-ke-{start:%Y%m%d}-{end:%Y%m%d}"
    if download == "xlsx":
        return _file(
            statistics_export.report_xlsx(report),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            f"{name}.xlsx",
        )
    if download == "pdf":
        return _pdf(statistics_export.report_pdf(report), f"{name}.pdf", "attachment")
    totals = report.totals
    context.update(
        report=report,
        agency=agency,
        totals=[
            (key, statistics_export.LABELS[key], totals[key], _link(form, key, start, end))
            for key in statistics.COUNT_KEYS
        ],
        rates=[
            (statistics_export.LABELS[key], shown(key, totals[key]))
            for key in statistics.RATE_KEYS + statistics.RATING_KEYS
        ],
        headers=[statistics_export.SHORT_LABELS[key] for key in TABLE_KEYS],
        tables=_tables(form, report),
        charts=statistics_charts.charts(report),
        download_query=urlencode(form.query()),
    )
    return render(request, "dossiers/statistics/page.html", context)


@require_GET
@leaders_only
def statistics_dossiers(request):
    """The dossiers behind one number of the page: exactly as many rows as it says."""
    form = StatisticsForm(request.GET, request.user)
    figure = request.GET.get("figure")
    context = {"form": form, "page": None}
    if form.agencies == () or figure not in statistics.COUNT_KEYS or not form.is_valid():
        context["invalid"] = True
        return render(request, "dossiers/statistics/dossiers.html", context, status=400)
    start, end = form.cleaned_data["bounds"]
    dossiers = (
        statistics.dossiers_behind(form.scope(), figure, start, end)
        .select_related("procedure", "assigned_to", "agency")
        .order_by("received_at", "pk")
    )
    page = Paginator(dossiers, PAGE_SIZE).get_page(request.GET.get("page"))
    context.update(
        page=page,
        figure_label=statistics_export.LABELS[figure],
        start=start,
        end=end,
        back_query=urlencode(form.query(figure=None, page=None)),
        page_query=urlencode(form.query(figure=figure, page=None)),
    )
    return render(request, "dossiers/statistics/dossiers.html", context)


# Correct within minutes: the national portal's rankings are daily, and the page is public.
PUBLIC_CACHE_SECONDS = 5 * 60


@require_GET
@public_page(timeout=PUBLIC_CACHE_SECONDS)
def public_statistics(request):
    """Công khai: this year's received and on-time share per agency, sector and procedure."""
    today = timezone.localdate(timezone=deadlines.TZ)
    with reading_reports():
        agencies = statistics.public_figures(today.year, today)
    return render(
        request,
        "dossiers/statistics/public.html",
        {"year": today.year, "today": today, "agencies": agencies},
    )
