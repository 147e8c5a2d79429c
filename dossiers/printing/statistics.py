"""The leaders' figures as files to send: XLSX (formatted, sums as formulas) and the PDF report.

Both are documents for the province and are written in Vietnamese whatever the page language,
as the other forms are. Every text cell of the workbook is written as text: a sector or a
person's name starting with "=" must never become a formula in the leader's spreadsheet.
"""

import io

from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from myphong import spreadsheets

from .. import statistics
from . import charts as statistics_charts
from .pdf import write_pdf
from .wording import Moment, place_name

LABELS = {
    "carried_over": _("Carried over from the previous period"),
    "received": _("Received in the period"),
    "received_online": _("received online"),
    "received_counter": _("received at the counter"),
    "received_post": _("received by post"),
    "to_process": _("To process (carried over + received)"),
    "resolved": _("Resolved in the period"),
    "resolved_early": _("resolved early"),
    "resolved_on_time": _("resolved on time"),
    "resolved_late": _("resolved late"),
    "in_progress": _("In progress at the end of the period"),
    "in_progress_not_due": _("in progress, not yet due"),
    "in_progress_overdue": _("in progress, overdue"),
    "returned": _("Results returned"),
    "refused": _("Refused"),
    "withdrawn": _("Withdrawn by the applicant"),
    "stopped": _("Processing stopped"),
    "on_time_rate": _("On-time rate: (early + on time) / resolved (Decision 766)"),
    "late_rate": _("Late rate: (resolved late + overdue) / to process (province)"),
    "online_rate": _("Online rate: received online / received"),
    "ratings": _("Ratings given"),
    "rating_average": _("Average rating (out of 18)"),
}
SHORT_LABELS = {
    "carried_over": _("Carried over"),
    "received": _("Received"),
    "received_online": _("Online"),
    "received_counter": _("Counter"),
    "received_post": _("Post"),
    "to_process": _("To process"),
    "resolved": _("Resolved"),
    "resolved_early": _("Early"),
    "resolved_on_time": _("On time"),
    "resolved_late": _("Late"),
    "in_progress": _("In progress"),
    "in_progress_not_due": _("Not yet due"),
    "in_progress_overdue": _("Overdue"),
    "returned": _("Returned"),
    "refused": _("Refused"),
    "withdrawn": _("Withdrawn"),
    "stopped": _("Stopped"),
    "on_time_rate": _("On-time rate"),
    "late_rate": _("Late rate"),
    "online_rate": _("Online rate"),
    "ratings": _("Ratings"),
    "rating_average": _("Average rating"),
}
# The columns of every table of the files; the rates are formulas on the counts beside them.
FILE_COUNT_KEYS = statistics.COUNT_KEYS
FILE_RATE_KEYS = statistics.RATE_KEYS
# In the table by month, these are states at a month's start or end, not flows: the total row
# takes the first month's (carried over) or the last month's (in progress), not a sum.
FIRST_OF_PERIOD = ("carried_over",)
LAST_OF_PERIOD = ("in_progress", "in_progress_not_due", "in_progress_overdue")
# Characters that make a spreadsheet cell a formula (or a DDE call) when typed first.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def officer_name(row):
    name = " ".join(
        part for part in (row.get("officer_last_name"), row.get("officer_first_name")) if part
    )
    return name or row.get("officer_username") or ""


def period_text(start, end):
    return f"Từ ngày {start:%d/%m/%Y} đến ngày {end:%d/%m/%Y}"


def agency_title(report):
    return report.agency.name if report.agency is not None else "Tất cả cơ quan"


def _tables(report):
    """(sheet title, label header, [(label, row)], by_month?) of the four tables."""
    return (
        (
            "Theo lĩnh vực",
            "Lĩnh vực",
            [(r["sector_name"] or "", r) for r in report.by_sector],
            False,
        ),
        (
            "Theo thủ tục",
            "Thủ tục",
            [(f"{r['procedure_code']} — {r['procedure_name']}", r) for r in report.by_procedure],
            False,
        ),
        (
            "Theo cán bộ",
            "Cán bộ xử lý",
            [(officer_name(r) or "Chưa phân công", r) for r in report.by_officer],
            False,
        ),
        ("Theo tháng", "Tháng", [(f"{r['start']:%m/%Y}", r) for r in report.by_month], True),
    )


# --- XLSX ---------------------------------------------------------------------------------------


def text(cell, value):
    """Write `value` as text, never as a formula, whatever it starts with (myphong.spreadsheets)."""
    return spreadsheets.put(cell.parent, cell.row, cell.column, "" if value is None else str(value))


def report_xlsx(report):
    """The report as an XLSX workbook (bytes): a summary sheet and one sheet per table."""
    from openpyxl import Workbook

    with translation.override("vi"):
        workbook = Workbook()
        _summary_sheet(workbook.active, report)
        for title, header, rows, by_month in _tables(report):
            _table_sheet(workbook.create_sheet(title), report, header, rows, by_month)
        buffer = io.BytesIO()
        workbook.save(buffer)
    return buffer.getvalue()


def _styles():
    from openpyxl.styles import Alignment, Border, Font, Side

    thin = Side(style="thin", color="000000")
    return {
        "box": Border(left=thin, right=thin, top=thin, bottom=thin),
        "bold": Font(bold=True),
        "title": Font(bold=True, size=13),
        "italic": Font(italic=True),
        "centred": Alignment(horizontal="center", vertical="center", wrap_text=True),
        "wrap": Alignment(vertical="top", wrap_text=True),
    }


def _heading(sheet, report, title, width):
    from openpyxl.utils import get_column_letter

    style = _styles()
    last = get_column_letter(width)
    for line, (value, font) in enumerate(
        (
            (title, style["title"]),
            (agency_title(report), style["bold"]),
            (period_text(report.start, report.end), style["italic"]),
        ),
        start=1,
    ):
        sheet.merge_cells(f"A{line}:{last}{line}")
        cell = text(sheet.cell(row=line, column=1), value)
        cell.font = font
        cell.alignment = style["centred"]


def _summary_sheet(sheet, report):
    style = _styles()
    sheet.title = "Tổng hợp"
    _heading(sheet, report, "BÁO CÁO KẾT QUẢ GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH", 3)
    sheet.column_dimensions["A"].width = 6
    sheet.column_dimensions["B"].width = 62
    sheet.column_dimensions["C"].width = 14
    for column, header in enumerate(("STT", "Chỉ tiêu", "Số lượng"), start=1):
        cell = text(sheet.cell(row=5, column=column), header)
        cell.font, cell.border, cell.alignment = style["bold"], style["box"], style["centred"]
    where = {}
    row = 6
    for number, key in enumerate(FILE_COUNT_KEYS, start=1):
        text(sheet.cell(row=row, column=1), str(number)).border = style["box"]
        text(sheet.cell(row=row, column=2), str(LABELS[key])).border = style["box"]
        sheet.cell(row=row, column=3, value=report.totals[key]).border = style["box"]
        where[key] = f"C{row}"
        row += 1
    formulas = {
        "on_time_rate": _ratio(
            f"{where['resolved_early']}+{where['resolved_on_time']}", where["resolved"]
        ),
        "late_rate": _ratio(
            f"{where['resolved_late']}+{where['in_progress_overdue']}", where["to_process"]
        ),
        "online_rate": _ratio(where["received_online"], where["received"]),
    }
    for number, key in enumerate(FILE_RATE_KEYS, start=len(FILE_COUNT_KEYS) + 1):
        text(sheet.cell(row=row, column=1), str(number)).border = style["box"]
        text(sheet.cell(row=row, column=2), str(LABELS[key])).border = style["box"]
        cell = sheet.cell(row=row, column=3, value=formulas[key])
        cell.number_format, cell.border = "0.0%", style["box"]
        row += 1
    for key in statistics.RATING_KEYS:
        text(sheet.cell(row=row, column=2), str(LABELS[key])).border = style["box"]
        value = report.totals[key]
        sheet.cell(row=row, column=3, value=value if value is not None else "").border = style[
            "box"
        ]
        row += 1
    sheet.freeze_panes = "A6"
    _print_setup(sheet, landscape=False)


def _ratio(numerator, denominator):
    return f"=IF({denominator}=0,0,({numerator})/{denominator})"


def _table_sheet(sheet, report, header, rows, by_month):
    from openpyxl.utils import get_column_letter

    style = _styles()
    keys = FILE_COUNT_KEYS
    width = 1 + len(keys) + len(FILE_RATE_KEYS) + 1
    _heading(sheet, report, sheet.title.upper(), width)
    headers = [header, *(str(SHORT_LABELS[k]) for k in keys)]
    headers += [str(SHORT_LABELS[k]) for k in FILE_RATE_KEYS] + [
        str(SHORT_LABELS["rating_average"])
    ]
    for column, value in enumerate(headers, start=1):
        cell = text(sheet.cell(row=5, column=column), value)
        cell.font, cell.border, cell.alignment = style["bold"], style["box"], style["centred"]
        sheet.column_dimensions[get_column_letter(column)].width = 40 if column == 1 else 11
    letter = {key: get_column_letter(index) for index, key in enumerate(keys, start=2)}
    first = 6
    for offset, (label, row) in enumerate(rows):
        line = first + offset
        text(sheet.cell(row=line, column=1), label).alignment = style["wrap"]
        for key in keys:
            sheet.cell(row=line, column=keys.index(key) + 2, value=row[key])
        _rate_cells(sheet, line, letter, len(keys) + 2)
        average = row.get("rating_average")
        sheet.cell(row=line, column=width, value=average if average is not None else "")
    total = first + len(rows)
    last = total - 1
    text(sheet.cell(row=total, column=1), "Tổng cộng").font = style["bold"]
    for key in keys:
        column = letter[key]
        if not rows:
            value = 0
        elif by_month and key in FIRST_OF_PERIOD:
            value = f"={column}{first}"
        elif by_month and key in LAST_OF_PERIOD:
            value = f"={column}{last}"
        elif by_month and key == "to_process":
            value = f"={letter['carried_over']}{total}+{letter['received']}{total}"
        else:
            value = f"=SUM({column}{first}:{column}{last})"
        sheet.cell(row=total, column=keys.index(key) + 2, value=value).font = style["bold"]
    _rate_cells(sheet, total, letter, len(keys) + 2)
    for line in range(5, total + 1):
        for column in range(1, width + 1):
            sheet.cell(row=line, column=column).border = style["box"]
    sheet.freeze_panes = "B6"
    _print_setup(sheet, landscape=True)


def _rate_cells(sheet, line, letter, column):
    def at(key):
        return f"{letter[key]}{line}"

    formulas = (
        _ratio(f"{at('resolved_early')}+{at('resolved_on_time')}", at("resolved")),
        _ratio(f"{at('resolved_late')}+{at('in_progress_overdue')}", at("to_process")),
        _ratio(at("received_online"), at("received")),
    )
    for offset, formula in enumerate(formulas):
        cell = sheet.cell(row=line, column=column + offset, value=formula)
        cell.number_format = "0.0%"


def _print_setup(sheet, landscape):
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.orientation = "landscape" if landscape else "portrait"
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_title_rows = "5:5"


# --- PDF ----------------------------------------------------------------------------------------


def report_pdf(report, now=None):
    """The periodic report on administrative procedures, A4 landscape, ready to sign and send."""
    now = now or timezone.now()
    with translation.override("vi"):
        columns = [(key, str(SHORT_LABELS[key])) for key in FILE_COUNT_KEYS + FILE_RATE_KEYS]
        tables = [
            (title, header, [(label, [row[key] for key, _l in columns]) for label, row in rows])
            for title, header, rows, _by_month in _tables(report)
        ]
        context = {
            "agency_name": agency_title(report),
            "place": place_name(agency_title(report)),
            "period": period_text(report.start, report.end),
            "totals": [
                (str(LABELS[key]), report.totals[key], key in FILE_RATE_KEYS)
                for key in FILE_COUNT_KEYS + FILE_RATE_KEYS + statistics.RATING_KEYS
            ],
            "columns": columns,
            "rate_keys": FILE_RATE_KEYS,
            "tables": tables,
            "charts": statistics_charts.charts(report),
            "today": Moment.of(now),
        }
        html = render_to_string("pdf/statistics.html", context)
    return write_pdf(html)
