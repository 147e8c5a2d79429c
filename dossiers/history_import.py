"""Bring a commune's history from its old one-stop software, so its statistics go on.

One row per dossier, CSV or XLSX, Vietnamese headers (HEADERS). All or nothing: every bad row
is reported with its line number and reason and nothing is written; a good file is written in
one transaction. Importing the same file again adds nothing: a code already in the portal is
skipped. Each imported dossier carries an `import_history` event saying where it came from,
and counts in the statistics like any other.
"""

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import translation

from procedures.models import Agency, Procedure
from procedures.text import fold

from . import deadlines, statistics
from .models import Dossier, DossierEvent
from .workflow import Status

HEADERS = (
    "Mã hồ sơ",
    "Mã thủ tục",
    "Kênh",
    "Người nộp",
    "Số điện thoại",
    "Ngày tiếp nhận",
    "Hạn trả",
    "Ngày có kết quả",
    "Ngày trả kết quả",
    "Ngày kết thúc",
    "Trạng thái",
    "Cán bộ xử lý",
)
CHANNELS = {
    "trực tuyến": Dossier.Channel.ONLINE,
    "trực tiếp": Dossier.Channel.COUNTER,
    "bưu chính": Dossier.Channel.POST,
}
# The status names of the old software's export: ours, "refused", or the Vietnamese labels.
IMPORTABLE = (
    Status.RECEIVED,
    Status.IN_PROGRESS,
    Status.RESOLVED,
    Status.RETURNED,
    Status.REJECTED,
    Status.WITHDRAWN,
    Status.STOPPED,
)
# The labels of PORTAL.md ("Life of a dossier"), which older software uses too.
PORTAL_LABELS = {
    "đã tiếp nhận": Status.RECEIVED,
    "đang giải quyết": Status.IN_PROGRESS,
    "đã có kết quả": Status.RESOLVED,
    "đã trả kết quả": Status.RETURNED,
    "từ chối tiếp nhận": Status.REJECTED,
    "người nộp rút hồ sơ": Status.WITHDRAWN,
    "dừng giải quyết": Status.STOPPED,
}
ENDED = (Status.REJECTED, Status.WITHDRAWN, Status.STOPPED)
CODE_PATTERN = re.compile(r"^(?P<agency>.+)-\d{6}-\d{4}$")
TIME_FORMAT = "%d/%m/%Y %H:%M"


class ImportRefused(Exception):
    """The file has bad rows: `errors` is [(line, reason)], nothing was imported."""

    def __init__(self, errors):
        self.errors = errors
        super().__init__("\n".join(f"dòng {line}: {reason}" for line, reason in errors))


@dataclass
class Outcome:
    imported: int = 0
    skipped: int = 0
    codes: list = field(default_factory=list)


def _statuses():
    """Every name a status may be given in the file: its code name or its Vietnamese label."""
    names = {"refused": Status.REJECTED, **PORTAL_LABELS}
    with translation.override("vi"):
        for status in IMPORTABLE:
            names[status.value] = status
            names[str(status.label).lower()] = status
    return names


def read_rows(path):
    """[(line number, {header: text})] of a CSV (UTF-8, with or without BOM) or XLSX file."""
    path = Path(path)
    if path.suffix.lower() == ".xlsx":
        from openpyxl import load_workbook

        sheet = load_workbook(path, read_only=True, data_only=True).active
        lines = [
            ["" if value is None else _cell_text(value) for value in row]
            for row in sheet.iter_rows(values_only=True)
        ]
    else:
        with open(path, encoding="utf-8-sig", newline="") as file:
            lines = list(csv.reader(io.StringIO(file.read())))
    if not lines:
        raise ImportRefused([(1, "tệp trống")])
    header = [text.strip() for text in lines[0]]
    missing = [name for name in HEADERS if name not in header]
    if missing:
        raise ImportRefused([(1, "thiếu cột: " + ", ".join(missing))])
    rows = []
    for number, values in enumerate(lines[1:], start=2):
        if not any(str(value).strip() for value in values):
            continue
        padded = list(values) + [""] * (len(header) - len(values))
        rows.append((number, {name: str(padded[header.index(name)]).strip() for name in HEADERS}))
    return rows


def _cell_text(value):
    if isinstance(value, datetime):
        return value.strftime(TIME_FORMAT)
    return str(value)


def _moment(text, name, errors):
    if not text:
        return None
    try:
        return datetime.strptime(text, TIME_FORMAT).replace(tzinfo=deadlines.TZ)
    except ValueError:
        errors.append(f"{name} “{text}” không đúng dạng dd/mm/yyyy HH:MM")
        return None


def check(rows, agency_code=None):
    """The dossiers to create (unsaved, with their line) and the codes already imported.

    Raises ImportRefused listing every bad row.
    """
    statuses = _statuses()
    procedures = {p.code: p for p in Procedure.objects.select_related("sector")}
    agencies = {a.code: a for a in Agency.objects.all()}
    users = {u.username: u for u in get_user_model().objects.filter(is_active=True)}
    existing = set(
        Dossier.objects.filter(code__in=[r["Mã hồ sơ"] for _n, r in rows]).values_list(
            "code", flat=True
        )
    )
    fixed_agency = None
    if agency_code:
        fixed_agency = agencies.get(agency_code)
        if fixed_agency is None:
            raise ImportRefused([(0, f"không có cơ quan mã {agency_code}")])
    errors, dossiers, seen, skipped = [], [], set(), []
    for line, row in rows:
        problems = []
        code = row["Mã hồ sơ"]
        match = CODE_PATTERN.match(code)
        if not code:
            problems.append("thiếu mã hồ sơ")
        elif code in seen:
            problems.append(f"mã hồ sơ {code} lặp lại trong tệp")
        elif not match:
            problems.append(f"mã hồ sơ {code} không đúng dạng <mã cơ quan>-YYMMDD-NNNN")
        seen.add(code)
        agency = fixed_agency or (agencies.get(match["agency"]) if match else None)
        if agency is None and match:
            problems.append(f"không có cơ quan mã {match['agency']}")
        procedure = procedures.get(row["Mã thủ tục"])
        if procedure is None:
            problems.append(f"thủ tục {row['Mã thủ tục'] or '(trống)'} không có trong danh mục")
        channel = CHANNELS.get(row["Kênh"].lower())
        if channel is None:
            problems.append(f"kênh “{row['Kênh']}” phải là Trực tuyến, Trực tiếp hoặc Bưu chính")
        if not row["Người nộp"]:
            problems.append("thiếu người nộp")
        if not row["Số điện thoại"]:
            problems.append("thiếu số điện thoại")
        received = _moment(row["Ngày tiếp nhận"], "ngày tiếp nhận", problems)
        if not row["Ngày tiếp nhận"]:
            problems.append("thiếu ngày tiếp nhận")
        due = _moment(row["Hạn trả"], "hạn trả", problems)
        if not row["Hạn trả"]:
            problems.append("thiếu hạn trả")
        resolved = _moment(row["Ngày có kết quả"], "ngày có kết quả", problems)
        returned = _moment(row["Ngày trả kết quả"], "ngày trả kết quả", problems)
        ended = _moment(row["Ngày kết thúc"], "ngày kết thúc", problems)
        status = _status(row["Trạng thái"], statuses, resolved, returned, problems)
        if status in (Status.RESOLVED, Status.RETURNED) and resolved is None:
            problems.append("hồ sơ đã có kết quả cần ngày có kết quả")
        if status == Status.RETURNED and returned is None:
            problems.append("hồ sơ đã trả kết quả cần ngày trả kết quả")
        if status in ENDED and ended is None:
            problems.append("hồ sơ từ chối, rút hoặc dừng cần ngày kết thúc")
        for moment, name in ((resolved, "ngày có kết quả"), (returned, "ngày trả kết quả")):
            if received and moment and moment < received:
                problems.append(f"{name} trước ngày tiếp nhận")
        if resolved and returned and returned < resolved:
            problems.append("ngày trả kết quả trước ngày có kết quả")
        officer = None
        if row["Cán bộ xử lý"]:
            officer = users.get(row["Cán bộ xử lý"])
            if officer is None:
                problems.append(f"không có cán bộ {row['Cán bộ xử lý']}")
        if problems:
            errors.append((line, "; ".join(problems)))
            continue
        if code in existing:
            skipped.append(code)
            continue
        finished = status in (Status.RESOLVED, Status.RETURNED)
        dossiers.append(
            (
                line,
                ended if status in ENDED else None,
                Dossier(
                    code=code,
                    procedure=procedure,
                    agency=agency,
                    channel=channel,
                    status=status,
                    applicant_name=row["Người nộp"],
                    applicant_name_folded=fold(row["Người nộp"]),
                    applicant_phone=row["Số điện thoại"],
                    submitted_at=received,
                    received_at=received,
                    clock_started_at=received,
                    due_at=due,
                    resolved_at=resolved if finished else None,
                    returned_at=returned if status == Status.RETURNED else None,
                    assigned_to=officer,
                ),
            )
        )
    if errors:
        raise ImportRefused(errors)
    return dossiers, skipped


def _status(text, statuses, resolved, returned, problems):
    if not text:
        if returned:
            return Status.RETURNED
        return Status.RESOLVED if resolved else Status.IN_PROGRESS
    status = statuses.get(text.lower())
    if status is None:
        problems.append(f"trạng thái “{text}” không hợp lệ")
    return status


def import_history(path, agency_code=None):
    """Check the whole file, then write it in one transaction; returns an Outcome."""
    rows = read_rows(path)
    dossiers, skipped = check(rows, agency_code)
    source = Path(path).name
    with transaction.atomic():
        created = Dossier.objects.bulk_create([dossier for _line, _ended, dossier in dossiers])
        DossierEvent.objects.bulk_create(
            DossierEvent(
                dossier=dossier,
                action="import_history",
                from_status="",
                to_status=dossier.status,
                at=ended or dossier.received_at,
                note=f"Nhập từ phần mềm một cửa cũ (tệp {source}, dòng {line}).",
                data={"source": source, "line": line},
            )
            for (line, ended, _d), dossier in zip(dossiers, created, strict=True)
        )
        statistics.rebuild(Dossier.objects.filter(pk__in=[d.pk for d in created]))
    return Outcome(imported=len(created), skipped=len(skipped), codes=[d.code for d in created])
