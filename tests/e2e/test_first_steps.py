"""What a new clerk, leader or citizen meets first, in the browser."""

import pytest

from myphong import roles
from tests.e2e.conftest import axe_violations
from tests.factories import ProcedureFactory, UserFactory

BIRTH_PROCEDURES = {
    "2.000635": "Cấp bản sao Trích lục hộ tịch, bản sao Giấy khai sinh",
    "3.000722": "Liên thông điện tử: đăng ký khai sinh, đăng ký thường trú, cấp thẻ bảo hiểm y tế",
    "1.004884": "Thủ tục đăng ký lại khai sinh",
    "1.001193": "Thủ tục đăng ký khai sinh",
}


def log_in(page, username, then=None):
    page.goto("/dang-nhap/" + (f"?next={then}" if then else ""))
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill("mat-khau-dai-2026")
    page.get_by_label("Mật khẩu").press("Enter")
    page.wait_for_load_state()


@pytest.fixture
def birth_catalogue(transactional_db):
    procedures = {
        code: ProcedureFactory(code=code, name=name) for code, name in BIRTH_PROCEDURES.items()
    }
    agency = procedures["1.001193"].agency
    UserFactory(username="tiepnhan", roles=[roles.CLERK], roles__agency=agency)
    return procedures


@pytest.mark.parametrize(
    "typed", ["khai sinh", "dang ky khai sinh", "Thủ tục đăng ký khai sinh", "1.001193"]
)
def test_counter_picker_puts_the_birth_registration_on_top(page, birth_catalogue, typed):
    log_in(page, "tiepnhan")
    page.goto("/quay/tiep-nhan/")
    page.keyboard.type(typed)
    top = page.locator("#thu-tuc-ds li").first
    assert top.inner_text() == "Thủ tục đăng ký khai sinh (1.001193)"
    # highlighted before Enter: what the clerk sees on top is what Enter picks
    assert top.get_attribute("aria-selected") == "true"
    assert page.locator("#thu-tuc").get_attribute("aria-activedescendant") == top.get_attribute(
        "id"
    )
    page.keyboard.press("Enter")
    page.wait_for_url("**thu-tuc=1.001193")


def test_counter_picker_arrow_down_moves_the_highlight(page, birth_catalogue):
    log_in(page, "tiepnhan")
    page.goto("/quay/tiep-nhan/")
    page.keyboard.type("khai sinh")
    page.keyboard.press("ArrowDown")
    second = page.locator("#thu-tuc-ds li").nth(1)
    assert second.get_attribute("aria-selected") == "true"
    assert axe_violations(page) == []


def test_the_counters_intake_fits_a_360_px_phone(phone_page, birth_catalogue):
    from tests.factories import RequiredDocumentFactory

    procedure = birth_catalogue["1.001193"]
    RequiredDocumentFactory(procedure=procedure, name="Tờ khai đăng ký khai sinh theo mẫu")
    RequiredDocumentFactory(procedure=procedure, name="Giấy chứng sinh")
    log_in(phone_page, "tiepnhan")
    phone_page.goto("/quay/tiep-nhan/?thu-tuc=1.001193")
    widths = phone_page.evaluate(
        """() => { const t = document.querySelector('.intake-papers');
                   return [document.documentElement.scrollWidth, t.scrollWidth,
                           t.parentElement.clientWidth]; }"""
    )
    page_width, table_width, room = widths
    assert page_width <= 360
    assert table_width <= room
    assert axe_violations(phone_page) == []


def test_accepting_an_online_dossier_says_so_once_on_the_receipt(page, birth_catalogue):
    from tests.factories import DossierFactory

    DossierFactory(procedure=birth_catalogue["1.001193"])
    log_in(page, "tiepnhan")
    page.get_by_role("link", name="Kiểm tra Nguyễn Thị Hoa").click()
    page.get_by_role("button", name="Tiếp nhận hồ sơ").click()
    page.wait_for_url("**/bien-nhan/")
    assert page.locator("main .alert-success").count() == 1


def test_a_form_with_errors_puts_the_keyboard_on_its_summary(page, transactional_db):
    from tests.factories import AgencyFactory

    AgencyFactory()
    page.goto("/phan-anh/")
    page.get_by_role("button", name="Gửi phản ánh, kiến nghị").click()
    page.wait_for_load_state()
    assert page.evaluate("document.activeElement.id") == "loi-bieu-mau"
    # its first link takes the keyboard to the field
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.tagName") in ("INPUT", "TEXTAREA")


def test_a_wrong_password_puts_the_keyboard_on_the_message(page, transactional_db):
    UserFactory(username="tiepnhan", roles=[roles.CLERK])
    page.goto("/dang-nhap/")
    page.get_by_label("Tên đăng nhập").fill("tiepnhan")
    page.get_by_label("Mật khẩu").fill("sai-mat-khau")
    page.get_by_label("Mật khẩu").press("Enter")
    page.wait_for_load_state()
    assert "alert-danger" in page.evaluate("document.activeElement.className")
