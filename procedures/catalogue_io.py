"""Import and export of the procedure catalogue as CSV and XLSX.

One row per procedure; its required documents sit in one cell, a line each:
``name | originals | copies | required`` (the last three may be left out: 1, 0, required).
The blank forms (mẫu đơn, tờ khai) sit in another, a line per paper that has one:
``paper name | file name``; the file is one the portal already stores (uploaded in the admin) or
one shipped in procedures/data/forms/.
The processing time's unit ("Đơn vị thời hạn") is one of Procedure.TimeUnit, by key or label:
ngày làm việc (working_day), giờ làm việc (working_hour), trong ngày (same_day) or ngày theo
lịch (calendar_day, counted by the Civil Code: from the day after receipt, a last day off moved
to the next working day); an unknown unit is reported with the list of these.
An import checks every row first and writes nothing unless all rows are good: the admin gets each
bad row's line number and reason, and fixes the file once.
"""

import csv
import io
import posixpath
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import override

from myphong.spreadsheets import append, csv_bytes, csv_untext

from .models import Agency, Procedure, RequiredDocument, Sector
from .text import fold

# (row key, header written on export). Headers are matched ignoring case and diacritics, and the
# row key itself is accepted as a header too.
COLUMNS = [
    ("code", "Mã thủ tục"),
    ("name", "Tên thủ tục"),
    ("sector", "Lĩnh vực"),
    ("agency", "Mã cơ quan thực hiện"),
    ("level", "Cấp thực hiện"),
    ("channels", "Cách thức thực hiện"),
    ("online_level", "Mức độ dịch vụ trực tuyến"),
    ("processing_time", "Thời hạn giải quyết"),
    ("processing_time_unit", "Đơn vị thời hạn"),
    ("processing_time_note", "Ghi chú thời hạn"),
    ("supplement_rule", "Thời hạn khi bổ sung hồ sơ"),
    ("fee", "Phí, lệ phí (đồng)"),
    ("fee_note", "Mô tả phí, lệ phí"),
    ("fee_paid_at_submission", "Nộp phí khi nộp hồ sơ"),
    ("applicants", "Đối tượng thực hiện"),
    ("result", "Kết quả thực hiện"),
    ("steps", "Trình tự thực hiện"),
    ("conditions", "Yêu cầu, điều kiện"),
    ("legal_basis", "Căn cứ pháp lý"),
    ("documents", "Thành phần hồ sơ"),
    ("form_templates", "Mẫu đơn, tờ khai"),
    ("shown_documents", "Giấy tờ xuất trình"),
    ("note", "Ghi chú"),
    ("is_active", "Công khai"),
]
REQUIRED_KEYS = ("code", "name", "sector", "agency", "processing_time_unit")
TEXT_KEYS = (
    "processing_time_note",
    "shown_documents",
    "fee_note",
    "applicants",
    "result",
    "steps",
    "conditions",
    "legal_basis",
    "note",
)
CHANNEL_FIELDS = {"counter": "accepts_counter", "online": "accepts_online", "post": "accepts_post"}
CHANNEL_WORDS = {
    "counter": "counter",
    "truc tiep": "counter",
    "at the counter": "counter",
    "online": "online",
    "truc tuyen": "online",
    "post": "post",
    "buu chinh": "post",
    "by post": "post",
    "qua buu chinh": "post",
}
CHANNEL_LABELS = {"counter": "Trực tiếp", "online": "Trực tuyến", "post": "Bưu chính"}
CALENDAR_DAY_WORDS = dict.fromkeys(("ngay", "ngay lich", "ngay theo lich"), "calendar_day")
# The supplement rule's cell: empty (or "theo cấu hình") follows DEADLINE_SUPPLEMENT_RULE.
FOLLOW_SETTING = {"theo cau hinh", "mac dinh", "default"}
SUPPLEMENT_RULE_WORDS = {"tam dung": "pause", "tinh lai": "restart", "tinh lai tu dau": "restart"}
YES = {"1", "co", "x", "yes", "true", "bat buoc", "required"}
NO = {"0", "khong", "no", "false", "khong bat buoc", "optional", "neu co"}
XLSX_MAGIC = b"PK\x03\x04"
# Blank forms that ship with the portal (public documents), found by file name on import.
SHIPPED_FORMS = Path(__file__).resolve().parent / "data" / "forms"
FORMS_FOLDER = "public/forms"


class CatalogueImportError(Exception):
    """Raised with every bad row at once: `errors` is a list of (line number, reason)."""

    def __init__(self, errors):
        self.errors = errors
        super().__init__("; ".join(f"{line}: {reason}" for line, reason in errors))


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    codes: list = field(default_factory=list)


def _header_key(header):
    wanted = fold(str(header or ""))
    for key, label in COLUMNS:
        if wanted in (key, fold(label)):
            return key
    return None


def _choice(choices, value):
    """Accept a choice by its key or its label in Vietnamese or English, ignoring diacritics."""
    wanted = fold(value)
    for key, label in choices.choices:
        labels = {fold(key)}
        for language in ("vi", "en"):
            with override(language):
                labels.add(fold(str(label)))
        if wanted in labels:
            return key
    return None


def _allowed_values(choices):
    """ "ngày làm việc (working_day), …": what a cell of a choice column may say."""
    with override("vi"):
        return ", ".join(f"{label} ({key})" for key, label in choices.choices)


def _choice_label_vi(choices, key):
    with override("vi"):
        return str(choices(key).label)


def read_rows(data, filename=""):
    """(line number, {key: text}) for each non-empty row of a CSV or XLSX file's bytes."""
    if data[:4] == XLSX_MAGIC or filename.lower().endswith(".xlsx"):
        table = _xlsx_table(data)
    else:
        table = _csv_table(data)
    if not table:
        raise CatalogueImportError([(1, _("The file is empty."))])
    keys = [_header_key(header) for header in table[0]]
    missing = [key for key in REQUIRED_KEYS if key not in keys]
    if missing:
        labels = ", ".join(label for key, label in COLUMNS if key in missing)
        raise CatalogueImportError([(1, _("Missing columns: %(columns)s.") % {"columns": labels})])
    rows = []
    for line, cells in enumerate(table[1:], start=2):
        values = ["" if cell is None else str(cell).strip() for cell in cells]
        if not any(values):
            continue
        rows.append((line, {k: v for k, v in zip(keys, values, strict=False) if k}))
    return rows


def _csv_table(data):
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CatalogueImportError(
            [(1, _("The CSV file must be saved in UTF-8 encoding."))]
        ) from None
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    # Our own export put an apostrophe before cells a spreadsheet would run: take it off.
    return [[csv_untext(cell) for cell in row] for row in csv.reader(io.StringIO(text), dialect)]


def _xlsx_table(data):
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many types for a damaged file; all mean the same here
        raise CatalogueImportError([(1, _("The file is not a readable XLSX workbook."))]) from None
    try:
        return [list(row) for row in workbook.worksheets[0].iter_rows(values_only=True)]
    finally:
        workbook.close()


def parse_documents(text):
    """The documents cell → a list of dicts; raises ValueError with a reason."""
    documents = []
    for number, line in enumerate(str(text or "").splitlines(), start=1):
        parts = [part.strip() for part in line.split("|")]
        if not parts[0]:
            continue
        if len(parts) > 4:
            raise ValueError(_("document %(n)s has too many '|' separators") % {"n": number})
        try:
            originals = int(parts[1]) if len(parts) > 1 and parts[1] else 1
            copies = int(parts[2]) if len(parts) > 2 and parts[2] else 0
        except ValueError:
            raise ValueError(
                _("document %(n)s: originals and copies must be whole numbers") % {"n": number}
            ) from None
        if originals < 0 or copies < 0:
            raise ValueError(_("document %(n)s: counts cannot be negative") % {"n": number})
        required = fold(parts[3]) if len(parts) > 3 and parts[3] else "1"
        if required not in YES | NO:
            raise ValueError(
                _("document %(n)s: write 'có' or 'không' for required") % {"n": number}
            )
        documents.append(
            {
                "name": parts[0],
                "originals": originals,
                "copies": copies,
                "required": required in YES,
            }
        )
    return documents


def form_template_source(file_name):
    """Where a form template named in an import is: "stored" (already uploaded), "shipped"
    (procedures/data/forms/), or None."""
    if not file_name or "/" in file_name or "\\" in file_name or file_name.startswith("."):
        return None
    if default_storage.exists(posixpath.join(FORMS_FOLDER, file_name)):
        return "stored"
    if (SHIPPED_FORMS / file_name).is_file():
        return "shipped"
    return None


def parse_form_templates(text, documents):
    """The forms cell → {paper name: file name}; raises ValueError with a reason."""
    names = {d["name"] for d in documents}
    templates = {}
    for number, line in enumerate(str(text or "").splitlines(), start=1):
        if not line.strip():
            continue
        paper, _sep, file_name = (part.strip() for part in line.rpartition("|"))
        if not paper or not file_name:
            raise ValueError(_("form %(n)s: write 'paper name | file name'") % {"n": number})
        if paper not in names:
            raise ValueError(
                _("form %(n)s: '%(paper)s' is not one of the procedure's papers")
                % {"n": number, "paper": paper}
            )
        if form_template_source(file_name) is None:
            raise ValueError(
                _(
                    "form %(n)s: no form file named '%(file)s': upload it in the admin first, "
                    "or ship it in procedures/data/forms/"
                )
                % {"n": number, "file": file_name}
            )
        templates[paper] = file_name
    return templates


def format_form_templates(documents):
    return "\n".join(
        f"{d.name} | {posixpath.basename(d.form_template.name)}"
        for d in documents
        if d.form_template
    )


def format_documents(documents):
    return "\n".join(
        f"{d.name} | {d.originals} | {d.copies} | {'có' if d.is_required else 'không'}"
        for d in documents
    )


class _Lookups:
    """Sectors and agencies loaded once per import, so checking a row costs no query."""

    def __init__(self):
        self.sectors = {}
        for sector in Sector.objects.all():
            self.sectors[fold(sector.code)] = sector
            self.sectors[fold(sector.name)] = sector
        self.agencies = {fold(agency.code): agency for agency in Agency.objects.all()}


def _clean_row(row, lookups):
    """A row's text → (procedure field values, documents), or raise ValueError listing reasons."""
    reasons = []
    for key in REQUIRED_KEYS:
        if not row.get(key):
            label = dict(COLUMNS)[key]
            reasons.append(_("'%(column)s' is empty") % {"column": label})
    values = {key: row.get(key, "") for key in ("code", "name", *TEXT_KEYS)}

    sector = lookups.sectors.get(fold(row.get("sector", "")))
    if row.get("sector") and sector is None:
        reasons.append(_("unknown sector '%(value)s'") % {"value": row["sector"]})
    agency = lookups.agencies.get(fold(row.get("agency", "")))
    if row.get("agency") and agency is None:
        reasons.append(_("unknown agency code '%(value)s'") % {"value": row["agency"]})
    values.update(sector=sector, agency=agency)

    for key, choices, default in (
        ("level", Procedure.Level, Procedure.Level.COMMUNE),
        ("online_level", Procedure.OnlineLevel, Procedure.OnlineLevel.NONE),
        ("processing_time_unit", Procedure.TimeUnit, None),
    ):
        raw = row.get(key, "")
        chosen = _choice(choices, raw) if raw else default
        if chosen is None and key == "processing_time_unit":
            # The law writes calendar days as "ngày" alone (PORTAL.md, "Working time").
            chosen = CALENDAR_DAY_WORDS.get(fold(raw))
        if raw and chosen is None:
            label = dict(COLUMNS)[key]
            reasons.append(
                _("'%(column)s' has an unknown value '%(value)s'; use one of: %(allowed)s")
                % {"column": label, "value": raw, "allowed": _allowed_values(choices)}
            )
        values[key] = chosen

    try:
        values["processing_time"] = Decimal((row.get("processing_time") or "0").replace(",", "."))
        if values["processing_time"] < 0 or not values["processing_time"].is_finite():
            raise InvalidOperation
    except InvalidOperation:
        reasons.append(_("the processing time must be a number of days or hours"))
    if (
        values.get("processing_time_unit") in ("working_day", "working_hour", "calendar_day")
        and values.get("processing_time") == 0
    ):
        reasons.append(_("the processing time must be more than 0 for this unit"))

    fee = (row.get("fee") or "0").replace(".", "").replace(",", "").replace(" ", "").rstrip("đ")
    if not fee.isdigit():
        reasons.append(_("the fee must be a whole number of đồng"))
    else:
        values["fee"] = int(fee)

    channels = set()
    for word in (row.get("channels") or "counter").replace(";", ",").split(","):
        if not word.strip():
            continue
        channel = CHANNEL_WORDS.get(fold(word))
        if channel is None:
            reasons.append(_("unknown channel '%(value)s'") % {"value": word.strip()})
        channels.add(channel)
    for channel, field_name in CHANNEL_FIELDS.items():
        values[field_name] = channel in channels

    raw_rule = row.get("supplement_rule", "")
    values["supplement_rule"] = ""  # empty: the portal's setting decides
    if raw_rule and fold(raw_rule) not in FOLLOW_SETTING:
        rule = _choice(Procedure.SupplementRule, raw_rule) or SUPPLEMENT_RULE_WORDS.get(
            fold(raw_rule)
        )
        if rule is None:
            reasons.append(
                _("'%(column)s' has an unknown value '%(value)s'; use one of: %(allowed)s")
                % {
                    "column": dict(COLUMNS)["supplement_rule"],
                    "value": raw_rule,
                    "allowed": _allowed_values(Procedure.SupplementRule),
                }
            )
        values["supplement_rule"] = rule or ""

    paid_first = fold(row.get("fee_paid_at_submission") or "không")
    if paid_first not in YES | NO:
        reasons.append(_("'Nộp phí khi nộp hồ sơ' must be 'có' or 'không'"))
    values["fee_paid_at_submission"] = paid_first in YES

    active = fold(row.get("is_active") or "có")
    if active not in YES | NO:
        reasons.append(_("'Công khai' must be 'có' or 'không'"))
    values["is_active"] = active in YES

    documents = []
    try:
        documents = parse_documents(row.get("documents", ""))
        templates = parse_form_templates(row.get("form_templates", ""), documents)
    except ValueError as exc:
        reasons.append(str(exc))
    else:
        for document in documents:
            document["form_template"] = templates.get(document["name"], "")

    if not reasons:
        try:
            Procedure(**values).full_clean(exclude=["sector", "agency"], validate_unique=False)
        except ValidationError as exc:
            for field_name, messages in exc.message_dict.items():
                label = dict(COLUMNS).get(field_name, field_name)
                reasons.extend(f"{label}: {message}" for message in messages)
    if reasons:
        raise ValueError("; ".join(reasons))
    return values, documents


def import_catalogue(rows):
    """Create or update procedures (by code) from checked rows; all or nothing.

    `rows` is a list of (line number, {key: value}); values may be text (from a file) or, for
    documents, already a list of dicts (from the demo data). Returns an ImportResult or raises
    CatalogueImportError listing every bad row.
    """
    lookups = _Lookups()
    cleaned, errors, seen = [], [], {}
    for line, row in rows:
        row = dict(row)
        prepared_documents = row.pop("documents", "")
        if not isinstance(prepared_documents, str):
            row["form_templates"] = "\n".join(
                f"{d['name']} | {d['form_template']}"
                for d in prepared_documents
                if d.get("form_template")
            )
            prepared_documents = format_documents(
                RequiredDocument(
                    name=d["name"],
                    originals=d.get("originals", 1),
                    copies=d.get("copies", 0),
                    is_required=d.get("required", True),
                )
                for d in prepared_documents
            )
        row["documents"] = prepared_documents
        try:
            values, documents = _clean_row(row, lookups)
        except ValueError as exc:
            errors.append((line, str(exc)))
            continue
        if values["code"] in seen:
            errors.append(
                (
                    line,
                    _("procedure code %(code)s already appears on line %(line)s")
                    % {"code": values["code"], "line": seen[values["code"]]},
                )
            )
            continue
        seen[values["code"]] = line
        cleaned.append((values, documents))
    if errors:
        raise CatalogueImportError(errors)
    if not cleaned:
        raise CatalogueImportError([(2, _("The file has no procedure rows."))])

    result = ImportResult()
    with transaction.atomic():
        existing = {
            p.code: p for p in Procedure.objects.filter(code__in=seen).prefetch_related("documents")
        }
        for values, documents in cleaned:
            procedure = existing.get(values["code"])
            result.codes.append(values["code"])
            if procedure is None:
                procedure = Procedure(**values)
                result.created += 1
            elif _unchanged(procedure, values, documents):
                result.unchanged += 1
                continue
            else:
                for name, value in values.items():
                    setattr(procedure, name, value)
                result.updated += 1
            procedure.save()
            _sync_documents(procedure, documents)
    return result


def _unchanged(procedure, values, documents):
    """True when a re-import would write nothing: re-running an import is a no-op."""
    if any(getattr(procedure, name) != value for name, value in values.items()):
        return False
    current = [
        {"name": d.name, "originals": d.originals, "copies": d.copies, "required": d.is_required}
        for d in procedure.documents.all()
    ]
    wanted = [{k: v for k, v in d.items() if k != "form_template"} for d in documents]
    templates = {
        d.name: posixpath.basename(d.form_template.name) for d in procedure.documents.all()
    }
    return current == wanted and all(
        templates.get(d["name"]) == d["form_template"] for d in documents if d["form_template"]
    )


def _sync_documents(procedure, documents):
    """Keep documents matched by name (their form templates survive), add new, drop missing."""
    current = {d.name: d for d in procedure.documents.all()}
    keep = []
    for order, data in enumerate(documents, start=1):
        document = current.get(data["name"]) or RequiredDocument(procedure=procedure)
        document.name = data["name"]
        document.originals = data["originals"]
        document.copies = data["copies"]
        document.is_required = data["required"]
        document.order = order
        _attach_form_template(document, data.get("form_template", ""))
        document.save()
        keep.append(document.pk)
    procedure.documents.exclude(pk__in=keep).delete()


def _attach_form_template(document, file_name):
    """Point the paper at its form file; an import without one leaves an uploaded form alone."""
    if not file_name or posixpath.basename(document.form_template.name or "") == file_name:
        return
    if form_template_source(file_name) == "stored":
        document.form_template.name = posixpath.join(FORMS_FOLDER, file_name)
        return
    with (SHIPPED_FORMS / file_name).open("rb") as shipped:
        document.form_template.save(file_name, File(shipped), save=False)


def export_rows(procedures):
    """Rows (list of header labels, then one list of cell texts per procedure)."""
    procedures = procedures.select_related("sector", "agency").prefetch_related("documents")
    yield [label for _key, label in COLUMNS]
    for p in procedures:
        channels = [CHANNEL_LABELS[c] for c, f in CHANNEL_FIELDS.items() if getattr(p, f)]
        cells = {
            "code": p.code,
            "name": p.name,
            "sector": p.sector.name,
            "agency": p.agency.code,
            "level": _choice_label_vi(Procedure.Level, p.level),
            "channels": ", ".join(channels),
            "online_level": _choice_label_vi(Procedure.OnlineLevel, p.online_level),
            "processing_time": format(p.processing_time.normalize(), "f"),
            "processing_time_unit": _choice_label_vi(Procedure.TimeUnit, p.processing_time_unit),
            "supplement_rule": _choice_label_vi(Procedure.SupplementRule, p.supplement_rule)
            if p.supplement_rule
            else "",
            "fee": str(p.fee),
            "fee_paid_at_submission": "có" if p.fee_paid_at_submission else "không",
            "documents": format_documents(p.documents.all()),
            "form_templates": format_form_templates(p.documents.all()),
            "is_active": "có" if p.is_active else "không",
        }
        cells.update({key: getattr(p, key) for key in TEXT_KEYS})
        yield [cells[key] for key, _label in COLUMNS]


def export_csv(procedures):
    # With a BOM, Excel opens the UTF-8 file with its diacritics intact.
    return csv_bytes(export_rows(procedures))


def export_xlsx(procedures):
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Thủ tục hành chính"
    for row in export_rows(procedures):
        append(sheet, row)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for column in sheet.iter_cols(min_row=2):
        for cell in column:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.freeze_panes = "C2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
