import csv
import io

import pytest
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from procedures.catalogue_io import (
    COLUMNS,
    CatalogueImportError,
    export_csv,
    export_xlsx,
    import_catalogue,
    read_rows,
)
from procedures.models import Procedure
from tests.factories import AgencyFactory, ProcedureFactory, RequiredDocumentFactory, SectorFactory

HEADERS = [label for _key, label in COLUMNS]


@pytest.fixture
def lookups(db):
    return {
        "sector": SectorFactory(code="ho-tich", name="Hộ tịch"),
        "agency": AgencyFactory(code="000.17.22.H56"),
    }


def good_row(**overrides):
    row = {
        "Mã thủ tục": "1.001193",
        "Tên thủ tục": "Đăng ký khai sinh",
        "Lĩnh vực": "Hộ tịch",
        "Mã cơ quan thực hiện": "000.17.22.H56",
        "Cấp thực hiện": "Cấp xã",
        "Cách thức thực hiện": "Trực tiếp, Trực tuyến, Bưu chính",
        "Mức độ dịch vụ trực tuyến": "Toàn trình",
        "Thời hạn giải quyết": "0",
        "Đơn vị thời hạn": "Trong ngày",
        "Phí, lệ phí (đồng)": "8.000",
        "Thành phần hồ sơ": "Tờ khai đăng ký khai sinh | 1 | 0 | có\nGiấy chứng sinh | 1 | 0",
        "Công khai": "có",
    }
    row.update(overrides)
    return row


def to_csv(rows, delimiter=","):
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=HEADERS, delimiter=delimiter)
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def to_xlsx(rows):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADERS)
    for row in rows:
        sheet.append([row.get(h, "") for h in HEADERS])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_good_csv_imports_procedures_with_their_papers(lookups):
    rows = [good_row(), good_row(**{"Mã thủ tục": "1.000894", "Tên thủ tục": "Đăng ký kết hôn"})]
    result = import_catalogue(read_rows(to_csv(rows), "danh-muc.csv"))
    assert (result.created, result.updated) == (2, 0)
    khai_sinh = Procedure.objects.get(code="1.001193")
    assert khai_sinh.processing_time_unit == Procedure.TimeUnit.SAME_DAY
    assert khai_sinh.fee == 8000
    assert (khai_sinh.accepts_counter, khai_sinh.accepts_online, khai_sinh.accepts_post) == (
        True,
        True,
        True,
    )
    assert khai_sinh.online_level == Procedure.OnlineLevel.FULL
    assert [d.name for d in khai_sinh.documents.all()] == [
        "Tờ khai đăng ký khai sinh",
        "Giấy chứng sinh",
    ]


def test_semicolon_separated_csv_from_excel_imports(lookups):
    result = import_catalogue(read_rows(to_csv([good_row()], delimiter=";"), "a.csv"))
    assert result.created == 1


def test_good_xlsx_imports(lookups):
    result = import_catalogue(read_rows(to_xlsx([good_row()]), "danh-muc.xlsx"))
    assert result.created == 1
    assert Procedure.objects.get().name == "Đăng ký khai sinh"


def test_reimport_updates_by_code_and_keeps_matching_papers(lookups):
    import_catalogue(read_rows(to_csv([good_row()])))
    document = Procedure.objects.get().documents.get(name="Giấy chứng sinh")
    changed = good_row(**{"Phí, lệ phí (đồng)": "0", "Thành phần hồ sơ": "Giấy chứng sinh | 1 | 1"})
    result = import_catalogue(read_rows(to_csv([changed])))
    assert (result.created, result.updated) == (0, 1)
    procedure = Procedure.objects.get()
    assert procedure.fee == 0
    assert list(procedure.documents.values_list("pk", "copies")) == [(document.pk, 1)]


def test_bad_rows_are_all_reported_with_line_numbers_and_nothing_is_imported(lookups):
    rows = [
        good_row(),  # line 2: fine
        good_row(**{"Mã thủ tục": "", "Tên thủ tục": "Không mã"}),  # line 3
        good_row(**{"Mã thủ tục": "1.000001", "Lĩnh vực": "Không có"}),  # line 4
        good_row(**{"Mã thủ tục": "1.000002", "Đơn vị thời hạn": "tuần"}),  # line 5
        good_row(**{"Mã thủ tục": "1.000003", "Phí, lệ phí (đồng)": "tám nghìn"}),  # line 6
        good_row(**{"Mã thủ tục": "1.000004", "Thành phần hồ sơ": "Tờ khai | một"}),  # line 7
        good_row(),  # line 8: same code as line 2
        good_row(**{"Mã thủ tục": "ABC"}),  # line 9: not a national code
    ]
    with pytest.raises(CatalogueImportError) as caught:
        import_catalogue(read_rows(to_csv(rows)))
    lines = dict(caught.value.errors)
    assert sorted(lines) == [3, 4, 5, 6, 7, 8, 9]
    assert "Mã thủ tục" in lines[3]
    assert "Không có" in lines[4]
    assert "tuần" in lines[5]
    assert "1.001193" in lines[8] and "2" in lines[8]
    assert "Mã thủ tục" in lines[9]
    assert not Procedure.objects.exists()


def test_file_missing_a_required_column_is_refused(lookups):
    data = "Mã thủ tục,Tên thủ tục\n1.001193,Đăng ký khai sinh\n".encode()
    with pytest.raises(CatalogueImportError) as caught:
        read_rows(data, "a.csv")
    assert caught.value.errors[0][0] == 1
    assert "Lĩnh vực" in caught.value.errors[0][1]


def test_csv_not_in_utf8_is_refused_with_a_reason(lookups):
    data = to_csv([good_row()]).decode("utf-8").encode("utf-16")
    with pytest.raises(CatalogueImportError) as caught:
        read_rows(data, "a.csv")
    assert "UTF-8" in caught.value.errors[0][1]


def test_damaged_xlsx_is_refused_with_a_reason(lookups):
    with pytest.raises(CatalogueImportError) as caught:
        read_rows(b"PK\x03\x04 not really a workbook", "a.xlsx")
    assert caught.value.errors[0][0] == 1


def test_export_then_import_round_trips(lookups):
    procedure = ProcedureFactory(
        code="1.001193",
        name="Đăng ký khai sinh",
        sector=lookups["sector"],
        agency=lookups["agency"],
        fee=8000,
        legal_basis="Luật Hộ tịch 2014\nNghị định 123/2015/NĐ-CP",
    )
    RequiredDocumentFactory(
        procedure=procedure, name="Giấy chứng sinh", copies=2, is_required=False
    )
    for data, name in (
        (export_csv(Procedure.objects.all()), "a.csv"),
        (export_xlsx(Procedure.objects.all()), "a.xlsx"),
    ):
        result = import_catalogue(read_rows(data, name))
        assert (result.created, result.updated, result.unchanged) == (0, 0, 1)
        again = Procedure.objects.get()
        assert again.legal_basis == procedure.legal_basis
        assert again.fee == 8000
        assert list(again.documents.values_list("name", "copies", "is_required")) == [
            ("Giấy chứng sinh", 2, False)
        ]


def test_xlsx_export_has_vietnamese_headers(lookups):
    ProcedureFactory(sector=lookups["sector"], agency=lookups["agency"])
    sheet = load_workbook(io.BytesIO(export_xlsx(Procedure.objects.all()))).active
    assert sheet["A1"].value == "Mã thủ tục"
    assert sheet["A2"].value == Procedure.objects.get().code


def test_admin_import_page_lists_bad_rows(admin_client, lookups):
    upload = io.BytesIO(to_csv([good_row(**{"Lĩnh vực": "Sai"})]))
    upload.name = "danh-muc.csv"
    response = admin_client.post(reverse("admin:procedures_procedure_import"), {"file": upload})
    assert response.status_code == 200
    assert "Sai" in response.text
    assert not Procedure.objects.exists()


def test_admin_import_page_imports_a_good_file(admin_client, lookups):
    upload = io.BytesIO(to_xlsx([good_row()]))
    upload.name = "danh-muc.xlsx"
    response = admin_client.post(reverse("admin:procedures_procedure_import"), {"file": upload})
    assert response.status_code == 302
    assert Procedure.objects.filter(code="1.001193").exists()


def test_admin_export_downloads_xlsx(admin_client, lookups):
    ProcedureFactory(sector=lookups["sector"], agency=lookups["agency"])
    response = admin_client.get(reverse("admin:procedures_procedure_export", args=["xlsx"]))
    assert response.status_code == 200
    assert response.content[:4] == b"PK\x03\x04"


@pytest.mark.parametrize(
    "url", ["admin:procedures_procedure_import", "admin:procedures_procedure_changelist"]
)
def test_catalogue_admin_is_closed_to_the_public_and_to_citizens(
    client, django_user_model, lookups, url
):
    assert client.get(reverse(url)).status_code == 302  # to the admin login
    citizen = django_user_model.objects.create_user("congdan", password="mat-khau-dai-2026")
    client.force_login(citizen)
    assert client.get(reverse(url)).status_code == 302


# --- Blank forms (tờ khai) ------------------------------------------------------------------


def test_the_demo_catalogue_ships_the_birth_registration_declaration(db):
    from django.core.management import call_command

    from procedures.models import RequiredDocument

    call_command("seed_demo", force=True, stdout=io.StringIO())
    document = RequiredDocument.objects.get(
        procedure__code="1.001193", name__startswith="Tờ khai đăng ký khai sinh"
    )
    assert document.form_template.name == "public/forms/to-khai-dang-ky-khai-sinh.pdf"
    with document.form_template.open("rb") as pdf:
        assert pdf.read(5) == b"%PDF-"
    # seeding again changes nothing, the file is not copied twice
    call_command("seed_demo", force=True, stdout=io.StringIO())
    document.refresh_from_db()
    assert document.form_template.name == "public/forms/to-khai-dang-ky-khai-sinh.pdf"


def test_form_templates_go_out_and_come_back_through_the_export(lookups):
    from django.core.files.base import ContentFile

    from procedures.models import RequiredDocument

    import_catalogue(read_rows(to_csv([good_row()]), "a.csv"))
    document = RequiredDocument.objects.get(name="Tờ khai đăng ký khai sinh")
    document.form_template.save("mau-to-khai.docx", ContentFile(b"PK\x03\x04 mau"))
    exported = export_csv(Procedure.objects.all())
    rows = list(csv.reader(io.StringIO(exported.decode("utf-8-sig"))))
    column = rows[0].index("Mẫu đơn, tờ khai")
    assert rows[1][column] == "Tờ khai đăng ký khai sinh | mau-to-khai.docx"
    # the exported file imports again without change, and an import may name the stored file
    assert import_catalogue(read_rows(exported, "a.csv")).unchanged == 1
    row = good_row(**{"Mẫu đơn, tờ khai": "Giấy chứng sinh | mau-to-khai.docx"})
    import_catalogue(read_rows(to_csv([row]), "a.csv"))
    chung_sinh = RequiredDocument.objects.get(name="Giấy chứng sinh")
    assert chung_sinh.form_template.name == "public/forms/mau-to-khai.docx"


def test_an_import_may_name_a_shipped_form(lookups):
    from procedures.models import RequiredDocument

    row = good_row(
        **{"Mẫu đơn, tờ khai": "Tờ khai đăng ký khai sinh | to-khai-dang-ky-khai-sinh.pdf"}
    )
    import_catalogue(read_rows(to_csv([row]), "a.csv"))
    document = RequiredDocument.objects.get(name="Tờ khai đăng ký khai sinh")
    with document.form_template.open("rb") as pdf:
        assert pdf.read(5) == b"%PDF-"


def test_a_form_template_that_does_not_exist_is_a_bad_row(lookups):
    row = good_row(**{"Mẫu đơn, tờ khai": "Giấy chứng sinh | khong-co.pdf"})
    with pytest.raises(CatalogueImportError) as refused:
        import_catalogue(read_rows(to_csv([row]), "a.csv"))
    assert "khong-co.pdf" in refused.value.errors[0][1]


def test_a_form_template_for_a_paper_not_in_the_list_is_a_bad_row(lookups):
    row = good_row(**{"Mẫu đơn, tờ khai": "Giấy không có | to-khai-dang-ky-khai-sinh.pdf"})
    with pytest.raises(CatalogueImportError) as refused:
        import_catalogue(read_rows(to_csv([row]), "a.csv"))
    assert "Giấy không có" in refused.value.errors[0][1]


@pytest.mark.parametrize("written", ["ngày", "Ngày (theo lịch)", "calendar_day", "ngay theo lich"])
def test_a_limit_in_calendar_days_is_imported(lookups, written):
    row = good_row(**{"Thời hạn giải quyết": "30", "Đơn vị thời hạn": written})
    import_catalogue(read_rows(to_csv([row])))
    procedure = Procedure.objects.get(code="1.001193")
    assert procedure.processing_time_unit == Procedure.TimeUnit.CALENDAR_DAY
    assert procedure.processing_time_display == "30 ngày (theo lịch)"


def test_an_unknown_unit_is_reported_with_the_units_that_exist(lookups):
    row = good_row(**{"Thời hạn giải quyết": "2", "Đơn vị thời hạn": "tuần"})
    with pytest.raises(CatalogueImportError) as caught:
        import_catalogue(read_rows(to_csv([row])))
    reason = dict(caught.value.errors)[2]
    for unit in ("ngày làm việc", "giờ làm việc", "trong ngày", "ngày (theo lịch)"):
        assert unit in reason


def test_half_a_calendar_day_is_refused(lookups):
    row = good_row(**{"Thời hạn giải quyết": "2,5", "Đơn vị thời hạn": "ngày"})
    with pytest.raises(CatalogueImportError) as caught:
        import_catalogue(read_rows(to_csv([row])))
    assert "số ngày nguyên" in dict(caught.value.errors)[2]


def test_calendar_days_survive_an_export_and_import(lookups):
    ProcedureFactory(
        code="2.001263",
        sector=lookups["sector"],
        agency=lookups["agency"],
        processing_time=30,
        processing_time_unit=Procedure.TimeUnit.CALENDAR_DAY,
    )
    data = export_csv(Procedure.objects.all())
    Procedure.objects.all().delete()
    import_catalogue(read_rows(data))
    assert Procedure.objects.get(code="2.001263").processing_time_unit == "calendar_day"
