"""The office's own records, built from the append-only history (DossierEvent).

Form 06 — Phiếu kiểm soát quá trình giải quyết hồ sơ: every hand-over of one dossier (who gave it
to whom, when, in which agency, with signature cells for both) and the overall result.
Form 07 — Sổ theo dõi hồ sơ: the register, one row per dossier received in a period, with its
receipt, due, inter-agency transfer, result and return; as XLSX and as A4 landscape PDF.

(Numbers of Circular 03/2025/TT-VPCP; Circular 01/2018 numbered them 05 and 06.)
Both are always up to date: they are rendered on request and never stored (unlike Forms 01–05,
legal documents handed to the applicant once). A stored Form 06 would be stale after the next
hand-over, and the history it is built from cannot change, so rendering again gives the same sheet.
Their text is Vietnamese, whatever the language of the page that asked for them.
"""

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from io import BytesIO

from django.db.models import OuterRef, Subquery
from django.db.models.fields.json import KeyTextTransform
from django.template.loader import render_to_string
from django.utils import timezone, translation

from myphong.spreadsheets import put

from .. import deadlines
from ..calendar.engine import TZ
from ..models import Dossier, DossierEvent
from ..workflow import CLOCK_STOPPED, OPEN, Event, Status
from .pdf import page_size, write_pdf
from .wording import Moment, local_text, money, one_stop_name, place_name, recorded_instant

NOBODY = "—"

# Form 06 says "quá hạn" where the statistics say "trễ hạn" (Circular 01/2018's Mẫu 05 and 06,
# now 06 and 07).
STEP_RESULT = {
    deadlines.Timeliness.EARLY: "Trước hạn",
    deadlines.Timeliness.ON_TIME: "Đúng hạn",
    deadlines.Timeliness.LATE: "Quá hạn",
}
# The register's "trạng thái, kết quả" column (see register_state for the keys).
REGISTER_STATE = {
    deadlines.Timeliness.EARLY: "Trước hạn",
    deadlines.Timeliness.ON_TIME: "Đúng hạn",
    deadlines.Timeliness.LATE: "Trễ hạn",
    "overdue": "Đang giải quyết (quá hạn)",
    "open": "Đang giải quyết",
}
RUNNING = OPEN - CLOCK_STOPPED
# How a result was handed over, in the words of the forms.
RETURN_METHOD = {
    Dossier.ReturnMethod.COUNTER: "trực tiếp",
    Dossier.ReturnMethod.POST: "qua dịch vụ bưu chính",
    Dossier.ReturnMethod.ONLINE: "trực tuyến",
}


_at = local_text


def _join(*parts):
    return ". ".join(part.strip().rstrip(".") for part in parts if part and part.strip())


# --- Form 06: the hand-overs of one dossier ---------------------------------------------------


@dataclass(frozen=True)
class HandOver:
    """One row of Form 06 (giver and receiver sign their cells on the printed sheet)."""

    action: str  # the DossierEvent's
    step: str  # what happened, in a few words
    agency: str  # the agency holding the dossier after the hand-over
    at: datetime
    giver: str
    receiver: str
    result: str  # Trước hạn / Đúng hạn / Quá hạn, or "" when it does not apply
    note: str

    @property
    def when(self):
        return _at(self.at)


def hand_overs(dossier, events):
    """Form 06's rows: the hand-overs among `events` (the dossier's history, in order).

    Giver and receiver come from the actor names and what assignments and transfers recorded.
    Each step's timeliness would be judged against that step's own time; the catalogue defines
    no internal step times, so, as the issue of the law asks (Circular 03/2025 review), the sheet
    says only the overall result, on the resolution's row: judged against the promised due
    (deadlines.timeliness, the one rule) when it happened and recorded then. The return to the
    applicant has no result: when the applicant comes is not the office's delay.
    """
    events = list(events)
    own = dossier.agency.name
    promised = dossier.promised_due_at
    applicant = dossier.applicant_name or NOBODY
    rows = []
    holder = ""  # who has the dossier in hand, as far as the history says
    for index, event in enumerate(events):
        data = event.data or {}
        actor = event.actor_name or NOBODY
        agency = own
        result = ""  # no time of its own for this step: only the overall result is given
        note = event.note
        if event.action == Event.ACCEPT:
            online = dossier.channel == Dossier.Channel.ONLINE
            step = "Tiếp nhận hồ sơ" + (" (nộp trực tuyến)" if online else "")
            giver, receiver = applicant, actor
        elif event.action == Event.REQUEST_SUPPLEMENT:
            step, giver, receiver = "Yêu cầu bổ sung, hoàn thiện hồ sơ (Mẫu 02)", actor, applicant
            note = _join("Cần bổ sung: " + "; ".join(data.get("items", [])), event.note)
        elif event.action == Event.SUPPLEMENT:
            by_applicant = event.actor_id is not None and event.actor_id == dossier.applicant_id
            step = "Nhận hồ sơ bổ sung"
            giver, receiver = applicant, one_stop_name() if by_applicant else actor
        elif event.action == Event.ASSIGN:
            step, giver, receiver = "Phân công xử lý", actor, data.get("to") or NOBODY
            if data.get("from"):
                note = _join(f"Thay {data['from']}", event.note)
        elif event.action == Event.REQUEST_PAYMENT:
            step, giver, receiver = "Thông báo nộp phí, lệ phí", actor, applicant
            note = _join(f"Số tiền: {money(data.get('amount') or 0)}", event.note)
        elif event.action == Event.CONFIRM_PAYMENT:
            step, giver, receiver = "Đã nộp phí, lệ phí", applicant, actor
        elif event.action == Event.TRANSFER:
            agency = data.get("agency") or NOBODY
            step, giver, receiver = "Chuyển liên thông", actor, agency
        elif event.action == Event.FORWARD:
            agency = data.get("agency") or NOBODY
            step, giver, receiver = "Chuyển cơ quan có thẩm quyền (tiếp nhận thay)", actor, agency
        elif event.action == Event.TAKE_BACK:
            step, giver, receiver = "Nhận lại hồ sơ liên thông", data.get("agency") or NOBODY, own
            note = _join(f"Người thực hiện: {actor}", event.note)
        elif event.action == Event.SEND_FOR_APPROVAL:
            approver = next(
                (
                    later.actor_name
                    for later in events[index + 1 :]
                    if later.action == Event.APPROVE
                ),
                "",
            )
            step, giver, receiver = "Trình lãnh đạo ký duyệt", actor, approver or "Lãnh đạo"
        elif event.action == Event.APPROVE:
            sender = next(
                (
                    earlier.actor_name
                    for earlier in reversed(events[:index])
                    if earlier.action == Event.SEND_FOR_APPROVAL
                ),
                "",
            )
            step, giver, receiver = "Lãnh đạo ký duyệt", actor, sender or holder or NOBODY
        elif event.action == Event.RESCHEDULE:
            step, giver, receiver = "Xin lỗi, hẹn lại ngày trả (Mẫu 04)", actor, applicant
            note = _join(f"Hẹn mới: {_at(recorded_instant(event, 'due_at'))}", event.note)
        elif event.action == Event.RESOLVE:
            step, giver, receiver = "Có kết quả, chuyển trả", actor, one_stop_name()
            recorded = data.get("timeliness")
            if recorded:
                result = STEP_RESULT.get(recorded, "")
            elif promised:
                result = STEP_RESULT[deadlines.timeliness(event.at, promised)]
        elif event.action == Event.RETURN:
            step, giver, receiver = "Trả kết quả", actor, data.get("collected_by") or applicant
            result = ""
            method = RETURN_METHOD.get(data.get("method"), "")
            note = _join(f"Hình thức: {method}" if method else "", event.note)
        elif event.action == Event.STOP:
            step, giver, receiver = "Dừng giải quyết hồ sơ (Mẫu 05)", actor, applicant
        elif event.action == Event.WITHDRAW:
            step, giver, receiver = "Người nộp đã rút hồ sơ", applicant, actor
        else:
            continue  # submit, start, record_result, due_moved…: no hand-over
        rows.append(HandOver(event.action, step, agency, event.at, giver, receiver, result, note))
        holder = receiver
    return rows


def control_sheet_context(dossier, events, now=None):
    """What templates/pdf/form06.html prints (also read by tests)."""
    now = now or timezone.now()
    code = dossier.code or ""
    rows = hand_overs(dossier, events)
    partners = []
    for row in rows:
        if row.action == Event.TRANSFER and row.agency not in partners:
            partners.append(row.agency)
    return {
        "page_size": page_size(),
        "agency_name": dossier.agency.name,
        "place": place_name(dossier.agency.name),
        "issued": Moment.of(now),
        "code": code,
        "number": register_line(dossier),
        "one_stop_name": one_stop_name(),
        "applicant_name": dossier.applicant_name,
        "procedure": dossier.procedure,
        "received": _at(dossier.received_at),
        "promised_due": _at(dossier.promised_due_at),
        "due": _at(dossier.due_at),
        "rescheduled": dossier.due_before_apology is not None,
        "partners": partners,
        "rows": rows,
        "printed_at": _at(now),
    }


def register_line(dossier):
    """ "12/2026": the dossier's row in the register (Form 07) of its receipt year."""
    if dossier.register_number is None or dossier.received_at is None:
        return ""
    return f"{dossier.register_number}/{timezone.localdate(dossier.received_at).year}"


def control_sheet_pdf(dossier, now=None):
    """Form 06 of a dossier as PDF bytes, from its whole history as it stands now."""
    events = DossierEvent.objects.filter(dossier=dossier).order_by("at", "id")
    with translation.override("vi"):
        html = render_to_string("pdf/form06.html", control_sheet_context(dossier, events, now))
    return write_pdf(html)


# --- Form 07: the register --------------------------------------------------------------------


def _local_midnight(day):
    return datetime.combine(day, time.min, tzinfo=TZ)


def register_dossiers(dossiers, start, end):
    """The register's dossiers among `dossiers`: received from `start` to `end` (dates in Vietnam,
    both included), oldest first, with the latest transfer's agency and time — one query."""
    transfers = DossierEvent.objects.filter(dossier=OuterRef("pk"), action=Event.TRANSFER).order_by(
        "-at", "-id"
    )
    return (
        dossiers.filter(
            received_at__gte=_local_midnight(start),
            received_at__lt=_local_midnight(end + timedelta(days=1)),
        )
        .select_related("procedure", "agency")
        .annotate(
            transfer_agency=Subquery(
                transfers.annotate(name=KeyTextTransform("agency", "data")).values("name")[:1]
            ),
            transferred_at=Subquery(transfers.values("at")[:1]),
        )
        .order_by("received_at", "pk")
    )


def register_state(dossier, now):
    """The register's "trạng thái, kết quả" as a key: "early", "on_time", "late" for a resolved
    dossier (against the due promised before any Form 04), "overdue" or "open" for one in work,
    else its status (waiting for supplements or the fee, stopped, withdrawn)."""
    promised = dossier.promised_due_at
    if dossier.resolved_at is not None and promised is not None:
        return str(deadlines.timeliness(dossier.resolved_at, promised))
    if dossier.status in RUNNING:
        if dossier.due_at is not None and deadlines.is_overdue(dossier.due_at, now):
            return "overdue"
        return "open"
    return dossier.status


def state_in_vietnamese(state):
    if state in REGISTER_STATE:
        return REGISTER_STATE[state]
    with translation.override("vi"):
        return str(Status(state).label)


@dataclass(frozen=True)
class RegisterRow:
    """One row of Form 07."""

    number: int
    pk: int
    code: str
    procedure: str
    applicant_name: str
    applicant_phone: str
    received_at: datetime | None
    due_at: datetime | None  # the promised due (before any Form 04)
    transfer_agency: str
    transferred_at: datetime | None
    resolved_at: datetime | None
    state: str  # a key of register_state
    returned_at: datetime | None
    returned_to: str

    @property
    def state_text(self):
        return state_in_vietnamese(self.state)


def register_rows(dossiers, now=None, first_number=1):
    """RegisterRows of dossiers from `register_dossiers`, numbered from `first_number`."""
    now = now or timezone.now()
    return [
        RegisterRow(
            # The dossier's row in its receipt year's register (printed on Form 01), or its place
            # in this list for a dossier received before rows were numbered.
            number=dossier.register_number or number,
            pk=dossier.pk,
            code=dossier.code or "",
            procedure=dossier.procedure.name,
            applicant_name=dossier.applicant_name,
            applicant_phone=dossier.applicant_phone,
            received_at=dossier.received_at,
            due_at=dossier.promised_due_at,
            transfer_agency=dossier.transfer_agency or "",
            transferred_at=dossier.transferred_at,
            resolved_at=dossier.resolved_at,
            state=register_state(dossier, now),
            returned_at=dossier.returned_at,
            returned_to=dossier.returned_to,
        )
        for number, dossier in enumerate(dossiers, start=first_number)
    ]


def period_text(start, end):
    return f"Từ ngày {start:%d/%m/%Y} đến ngày {end:%d/%m/%Y}"


# The register's columns: header, sub-header (under a shared header), width in characters.
# A date column is 17 wide: Excel shows "####" for a "dd/mm/yyyy hh:mm" it cannot fit.
REGISTER_COLUMNS = (
    ("STT", "", 5),
    ("Mã hồ sơ", "", 26),
    ("Tên thủ tục hành chính", "", 32),
    ("Người nộp hồ sơ", "Họ và tên", 20),
    ("Người nộp hồ sơ", "Số điện thoại", 13),
    ("Ngày, giờ nhận hồ sơ", "", 17),
    ("Ngày, giờ hẹn trả kết quả", "", 17),
    ("Chuyển liên thông", "Cơ quan", 20),
    ("Chuyển liên thông", "Thời gian", 17),
    ("Ngày có kết quả", "", 17),
    ("Trạng thái, kết quả", "", 16),
    ("Ngày trả kết quả", "", 17),
    ("Người nhận kết quả", "", 18),
    ("Ký nhận", "", 10),
)


def register_headers():
    """The two header rows: [(text, colspan, rowspan)] on top, then the sub-headers' texts."""
    top, sub = [], []
    for header, subheader, _width in REGISTER_COLUMNS:
        if not subheader:
            top.append((header, 1, 2))
        elif top and top[-1][0] == header and top[-1][2] == 1:
            top[-1] = (header, top[-1][1] + 1, 1)
            sub.append(subheader)
        else:
            top.append((header, 1, 1))
            sub.append(subheader)
    return top, sub


def _cells(row):
    return (
        row.number,
        row.code,
        row.procedure,
        row.applicant_name,
        row.applicant_phone,
        row.received_at,
        row.due_at,
        row.transfer_agency,
        row.transferred_at,
        row.resolved_at,
        row.state_text,
        row.returned_at,
        row.returned_to,
        "",
    )


def register_xlsx(agency_name, start, end, rows):
    """Form 07 as an XLSX workbook (bytes): a title, two header rows kept in view and printed
    on every page, real Excel dates, wrapped text, A4 landscape fitted to the page width."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, Side
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.page import PageMargins

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Sổ theo dõi hồ sơ"
    last = get_column_letter(len(REGISTER_COLUMNS))
    thin = Side(style="thin", color="000000")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)
    wrap = Alignment(wrap_text=True, vertical="top")
    centred = Alignment(wrap_text=True, horizontal="center", vertical="center")

    for line, (text, font) in enumerate(
        (
            ("SỔ THEO DÕI HỒ SƠ", Font(bold=True, size=14)),
            (agency_name, Font(bold=True, size=12)),
            (period_text(start, end), Font(italic=True, size=11)),
        ),
        start=1,
    ):
        sheet.merge_cells(f"A{line}:{last}{line}")
        cell = put(sheet, line, 1, text)
        cell.font = font
        cell.alignment = Alignment(horizontal="center", vertical="center")

    top, sub = 5, 6
    bold = Font(bold=True)
    for column, (header, subheader, width) in enumerate(REGISTER_COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(column)].width = width
        for row in (top, sub):
            sheet.cell(row=row, column=column).border = box
            sheet.cell(row=row, column=column).alignment = centred
            sheet.cell(row=row, column=column).font = bold
        put(sheet, top, column, header)
        if subheader:
            put(sheet, sub, column, subheader)
        else:
            sheet.merge_cells(start_row=top, start_column=column, end_row=sub, end_column=column)
    column = 1
    for _header, colspan, _rowspan in register_headers()[0]:  # a shared header over its parts
        if colspan > 1:
            sheet.merge_cells(
                start_row=top, start_column=column, end_row=top, end_column=column + colspan - 1
            )
        column += colspan
    sheet.row_dimensions[top].height = 30

    for row_number, row in enumerate(rows, start=sub + 1):
        for column, value in enumerate(_cells(row), start=1):
            if isinstance(value, datetime):
                # Excel has no time zones: the office's local time, as printed everywhere.
                value = timezone.localtime(value, TZ).replace(tzinfo=None)
            cell = put(sheet, row_number, column, value)
            cell.border = box
            cell.alignment = wrap
            if isinstance(value, datetime):
                cell.number_format = "dd/mm/yyyy hh:mm"
            elif column == 1:
                cell.alignment = Alignment(horizontal="center", vertical="top")
    if not rows:
        put(sheet, sub + 1, 1, "Không có hồ sơ nào được tiếp nhận trong kỳ.")
        sheet.merge_cells(f"A{sub + 1}:{last}{sub + 1}")

    sheet.freeze_panes = sheet.cell(row=sub + 1, column=1)
    sheet.print_title_rows = f"{top}:{sub}"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.page_margins = PageMargins(left=0.4, right=0.4, top=0.5, bottom=0.5)
    sheet.print_options.horizontalCentered = True
    sheet.oddFooter.right.text = "Trang &P/&N"

    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def register_pdf(agency_name, start, end, rows, now=None):
    """Form 07 as an A4 landscape PDF (bytes), its header row repeated on every page."""
    now = now or timezone.now()
    header_top, header_sub = register_headers()
    context = {
        "agency_name": agency_name,
        "place": place_name(agency_name),
        "period": period_text(start, end),
        "header_top": header_top,
        "header_sub": header_sub,
        "column_numbers": range(1, len(REGISTER_COLUMNS) + 1),
        "rows": rows,
        "printed_at": _at(now),
    }
    with translation.override("vi"):
        html = render_to_string("pdf/register.html", context)
    return write_pdf(html)


def current_month(today=None):
    """The first and last day of this month in Vietnam: the register's default period."""
    today = today or timezone.localtime(timezone.now(), TZ).date()
    first = today.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return first, following - timedelta(days=1)
