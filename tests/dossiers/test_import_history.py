"""`import_history`: a commune's past dossiers from its old software count in its statistics.

All or nothing, every bad row listed with its line; the same file twice adds nothing.
"""

import csv
from datetime import date
from decimal import Decimal

import openpyxl
import pytest
from django.core.management import CommandError, call_command

from dossiers import statistics
from dossiers.history_import import HEADERS
from dossiers.models import Dossier, DossierEvent
from myphong import roles
from tests.factories import ProcedureFactory, SectorFactory, UserFactory

CODE = "000.17.22.H56"


@pytest.fixture
def procedure(agency):
    return ProcedureFactory(
        code="1.001193",
        processing_time=Decimal("3"),
        agency=agency,
        sector=SectorFactory(code="ho-tich", name="Hộ tịch"),
    )


@pytest.fixture
def officer(agency):
    return UserFactory(username="chuyenvien", roles=[roles.SPECIALIST], roles__agency=agency)


GOOD = [
    # code, procedure, channel, name, phone, received, due, result, returned, ended, status, officer
    [
        f"{CODE}-220110-0001",
        "1.001193",
        "Trực tiếp",
        "Lê Văn An",
        "0912000001",
        "10/01/2022 08:00",
        "13/01/2022 08:00",
        "12/01/2022 10:00",
        "14/01/2022 09:00",
        "",
        "Đã trả kết quả",
        "chuyenvien",
    ],
    [
        f"{CODE}-220110-0002",
        "1.001193",
        "Trực tuyến",
        "=Trần Thị Bình",
        "0912000002",
        "10/01/2022 09:00",
        "13/01/2022 09:00",
        "13/01/2022 15:00",
        "",
        "",
        "resolved",
        "",
    ],
    [
        f"{CODE}-220111-0001",
        "1.001193",
        "Bưu chính",
        "Phạm Văn Cường",
        "0912000003",
        "11/01/2022 08:00",
        "14/01/2022 08:00",
        "",
        "",
        "12/01/2022 08:00",
        "withdrawn",
        "",
    ],
    [
        f"{CODE}-220112-0001",
        "1.001193",
        "Trực tiếp",
        "Võ Thị Dung",
        "0912000004",
        "12/01/2022 08:00",
        "17/01/2022 08:00",
        "",
        "",
        "",
        "Đang giải quyết",
        "chuyenvien",
    ],
    [
        f"{CODE}-220113-0001",
        "1.001193",
        "Trực tiếp",
        "Đỗ Văn Em",
        "0912000005",
        "13/01/2022 08:00",
        "18/01/2022 08:00",
        "20/01/2022 08:00",
        "",
        "",
        "",
        "",
    ],
]


def write_csv(path, rows, header=HEADERS):
    with open(path, "w", encoding="utf-8-sig", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(header)
        writer.writerows(rows)
    return str(path)


def test_imported_history_counts_in_the_statistics(tmp_path, agency, procedure, officer):
    call_command("import_history", write_csv(tmp_path / "cu.csv", GOOD))

    assert Dossier.objects.count() == 5
    totals = statistics.report(
        statistics.Scope(agencies=(agency.pk,)), date(2022, 1, 1), date(2022, 1, 31)
    ).totals
    assert (totals["received"], totals["received_online"], totals["received_post"]) == (5, 1, 1)
    assert (totals["resolved_early"], totals["resolved_on_time"], totals["resolved_late"]) == (
        1,
        1,
        1,
    )
    assert (totals["returned"], totals["withdrawn"], totals["in_progress_overdue"]) == (1, 1, 1)
    imported = Dossier.objects.get(code=f"{CODE}-220110-0001")
    assert imported.assigned_to == officer
    event = DossierEvent.objects.get(dossier=imported)
    assert event.action == "import_history"
    assert "cu.csv" in event.note


def test_importing_the_same_file_again_adds_nothing(tmp_path, agency, procedure, officer):
    path = write_csv(tmp_path / "cu.csv", GOOD)
    call_command("import_history", path)
    call_command("import_history", path)

    assert Dossier.objects.count() == 5
    assert DossierEvent.objects.count() == 5


def test_a_file_with_bad_rows_imports_nothing_and_lists_every_one(
    tmp_path, agency, procedure, officer
):
    bad = [
        GOOD[0],
        [
            f"{CODE}-220110-0009",
            "9.999999",
            "Fax",
            "",
            "0912",
            "32/01/2022 08:00",
            "13/01/2022 08:00",
            "",
            "",
            "",
            "resolved",
            "ai-do",
        ],
        GOOD[0],
        [
            f"{CODE}-220111-0009",
            "1.001193",
            "Trực tiếp",
            "An",
            "0912",
            "11/01/2022 08:00",
            "14/01/2022 08:00",
            "",
            "",
            "",
            "stopped",
            "",
        ],
    ]
    with pytest.raises(CommandError) as refused:
        call_command("import_history", write_csv(tmp_path / "loi.csv", bad))

    message = str(refused.value)
    assert "3 dòng có lỗi" in message
    assert "dòng 3: " in message
    for reason in (
        "thủ tục 9.999999 không có trong danh mục",
        "kênh “Fax”",
        "thiếu người nộp",
        "ngày tiếp nhận “32/01/2022 08:00” không đúng dạng",
        "không có cán bộ ai-do",
    ):
        assert reason in message
    assert f"dòng 4: mã hồ sơ {CODE}-220110-0001 lặp lại trong tệp" in message
    assert "dòng 5: hồ sơ từ chối, rút hoặc dừng cần ngày kết thúc" in message
    assert Dossier.objects.count() == 0


def test_xlsx_with_a_missing_column_is_refused(tmp_path, agency, procedure):
    workbook = openpyxl.Workbook()
    workbook.active.append(list(HEADERS[:-1]))
    path = tmp_path / "cu.xlsx"
    workbook.save(path)
    with pytest.raises(CommandError, match="thiếu cột: Cán bộ xử lý"):
        call_command("import_history", str(path))


def test_xlsx_rows_import_with_the_agency_given(tmp_path, agency, procedure, officer):
    workbook = openpyxl.Workbook()
    workbook.active.append(list(HEADERS))
    for row in (GOOD[0], GOOD[2]):
        workbook.active.append(row)
    path = tmp_path / "cu.xlsx"
    workbook.save(path)
    call_command("import_history", str(path), "--agency", CODE)
    assert Dossier.objects.filter(agency=agency).count() == 2
