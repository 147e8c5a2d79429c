"""A clerk registers a dossier at the counter with the keyboard only and prints the receipt."""

import pytest

from dossiers.models import Dossier
from dossiers.workflow import Status
from myphong import roles
from tests.doubles import poppler
from tests.e2e.conftest import axe_violations
from tests.factories import DossierFactory, ProcedureFactory, RequiredDocumentFactory, UserFactory


@pytest.fixture
def counter(transactional_db, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True  # no worker here: the receipt renders in-process
    procedure = ProcedureFactory(code="1.001193", name="Đăng ký khai sinh", accepts_online=True)
    RequiredDocumentFactory(procedure=procedure, name="Tờ khai đăng ký khai sinh", order=1)
    RequiredDocumentFactory(procedure=procedure, name="Giấy chứng sinh", order=2)
    ProcedureFactory(code="1.000894", name="Đăng ký kết hôn", agency=procedure.agency)
    UserFactory(username="tiepnhan", roles=[roles.CLERK], roles__agency=procedure.agency)
    return procedure


def log_in(page, username):
    page.goto("/dang-nhap/")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill("mat-khau-dai-2026")
    page.get_by_label("Mật khẩu").press("Enter")
    page.wait_for_url("**/")


def test_clerk_registers_with_the_keyboard_and_gets_the_receipt(page, counter, tmp_path):
    log_in(page, "tiepnhan")
    page.goto("/quay/tiep-nhan/")
    assert axe_violations(page) == []
    # Type without diacritics, Enter picks the first match.
    page.keyboard.type("khai sinh")
    page.keyboard.press("Enter")
    page.wait_for_url("**thu-tuc=1.001193")
    assert axe_violations(page) == []
    # The cursor waits in the applicant's name; Tab moves through the form, Enter saves.
    page.keyboard.type("Nguyễn Thị Hoa")
    page.keyboard.press("Tab")
    page.keyboard.type("0912345678")
    page.keyboard.press("Tab")
    page.keyboard.type("079190000001")
    page.keyboard.press("Enter")
    page.wait_for_url("**/bien-nhan/")
    dossier = Dossier.objects.get()
    assert dossier.status == Status.RECEIVED
    assert page.locator("#ma-ho-so").inner_text() == dossier.code
    assert axe_violations(page) == []

    with page.expect_download() as download_info:
        page.evaluate(
            """url => { const a = document.createElement('a'); a.href = url;
                        a.download = 'bien-nhan.pdf'; document.body.appendChild(a); a.click(); }""",
            page.locator("#in-bien-nhan").get_attribute("href"),
        )
    pdf = tmp_path / "bien-nhan.pdf"
    download_info.value.save_as(pdf)
    assert pdf.read_bytes()[:5] == b"%PDF-"
    text = poppler("pdftotext", "-layout", str(pdf), "-")
    assert dossier.code in text
    assert "Đăng ký khai sinh" in text
    assert "Nguyễn Thị Hoa" in text
    due = dossier.due_at.astimezone(dossier.due_at.tzinfo)
    from django.utils import timezone

    local_due = timezone.localtime(due)
    assert local_due.strftime("%H:%M") in text or local_due.strftime("%H giờ %M") in text
    assert (
        local_due.strftime("%d/%m/%Y") in text
        or f"ngày {local_due:%d} tháng {local_due:%m}" in text
    )


def test_clerk_accepts_an_online_dossier(page, counter):
    dossier = DossierFactory(procedure=counter)
    log_in(page, "tiepnhan")
    page.goto("/quay/")
    page.get_by_role("link", name=f"Kiểm tra {dossier.applicant_name}").click()
    assert axe_violations(page) == []
    page.get_by_role("button", name="Tiếp nhận hồ sơ").click()
    page.wait_for_url("**/bien-nhan/")
    dossier.refresh_from_db()
    assert dossier.status == Status.RECEIVED
    assert page.locator("#ma-ho-so").inner_text() == dossier.code
