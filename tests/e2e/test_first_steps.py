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
    with page.expect_navigation():
        page.get_by_label("Mật khẩu").press("Enter")


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
    with page.expect_navigation():
        page.get_by_role("button", name="Gửi phản ánh, kiến nghị").click()
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
    with page.expect_navigation():
        page.get_by_label("Mật khẩu").press("Enter")
    assert "alert-danger" in page.evaluate("document.activeElement.className")


# --- Leaders ------------------------------------------------------------------------------------


@pytest.fixture
def office(transactional_db):
    from datetime import date

    from dossiers import services
    from tests.factories import DossierFactory

    procedure = ProcedureFactory(code="1.001193", name="Thủ tục đăng ký khai sinh")
    agency = procedure.agency
    clerk = UserFactory(username="tiepnhan", roles=[roles.CLERK], roles__agency=agency)
    leader = UserFactory(username="lanhdao", roles=[roles.LEADER], roles__agency=agency)
    specialist = UserFactory(username="chuyenvien", roles=[roles.SPECIALIST], roles__agency=agency)
    dossier = services.accept(
        DossierFactory(procedure=procedure, applicant_name="Trần Văn Ký"), clerk
    )
    services.assign(dossier, leader, specialist=specialist)
    services.start_processing(dossier, specialist)
    services.record_result(dossier, specialist, number="12/KS", date=date(2026, 11, 27))
    services.send_for_approval(dossier, specialist)
    return {"dossier": dossier, "leader": leader}


def test_the_leader_finds_what_waits_for_approval_and_signs_and_resolves_it(page, office):
    from dossiers.models import Dossier
    from dossiers.workflow import Status

    log_in(page, "lanhdao")
    assert page.url.endswith("/xu-ly/")  # the leader lands on the work queues
    tab = page.get_by_role("link", name="Chờ phê duyệt 1")
    tab.click()
    row = page.locator("table.office-queue tbody tr")
    assert row.count() == 1
    assert "Chờ phê duyệt" in row.inner_text()
    assert axe_violations(page) == []
    row.get_by_role("link").first.click()
    page.locator("#action-approve summary").click()
    assert page.locator("#action-approve input[name=resolve]").is_checked()
    with page.expect_navigation():
        page.locator("#action-approve button[type=submit]").click()
    assert Dossier.objects.get(pk=office["dossier"].pk).status == Status.RESOLVED


@pytest.mark.parametrize(
    ("username", "landing"),
    [("tiepnhan", "/quay/"), ("chuyenvien", "/xu-ly/"), ("lanhdao", "/xu-ly/")],
)
def test_staff_land_on_their_work_after_login(page, office, username, landing):
    log_in(page, username)
    assert page.url.endswith(landing)


def test_an_explicit_next_still_wins_after_login(page, office):
    log_in(page, "lanhdao", then="/xu-ly/so-theo-doi/")
    assert page.url.endswith("/xu-ly/so-theo-doi/")


# --- Citizens -----------------------------------------------------------------------------------


@pytest.fixture
def citizen_dossiers(transactional_db, settings):
    from dossiers import services
    from tests.factories import DossierFactory, RequiredDocumentFactory

    settings.DEADLINE_SUPPLEMENT_RULE = "restart"
    procedure = ProcedureFactory(
        code="1.001193", name="Thủ tục đăng ký khai sinh", accepts_online=True, online_level="full"
    )
    RequiredDocumentFactory(procedure=procedure, name="Tờ khai đăng ký khai sinh", order=1)
    RequiredDocumentFactory(procedure=procedure, name="Giấy chứng sinh", order=2)
    agency = procedure.agency
    clerk = UserFactory(username="tiepnhan", roles=[roles.CLERK], roles__agency=agency)
    leader = UserFactory(username="lanhdao", roles=[roles.LEADER], roles__agency=agency)
    citizen = UserFactory(username="hoa@example.invalid", roles=[roles.CITIZEN])
    fee = services.accept(DossierFactory(procedure=procedure, applicant=citizen), clerk)
    fee = services.start_processing(fee, leader)
    services.request_payment(fee, leader, amount=8000, note="Lệ phí khai sinh quá hạn")
    papers = services.accept(DossierFactory(procedure=procedure, applicant=citizen), clerk)
    papers = services.request_supplement(
        papers,
        clerk,
        items=["Giấy chứng sinh (bản rõ nét)", "Bản sao sổ hộ khẩu"],
        reason="Ảnh giấy chứng sinh bị mờ.",
    )
    return {"fee": fee, "papers": papers, "citizen": citizen}


def test_a_citizen_sees_the_fee_to_pay_and_how(page, citizen_dossiers):
    from dossiers.printing.wording import local_text

    log_in(page, "hoa@example.invalid")
    assert page.url.endswith("/ho-so-cua-toi/")  # citizens land on their dossiers
    fee_box = page.locator("section", has_text="Số tiền cần nộp: 8.000 đ")
    assert fee_box.count() == 1
    assert "Lệ phí khai sinh quá hạn" in fee_box.inner_text()
    assert citizen_dossiers["fee"].code in fee_box.inner_text()
    # the paused dossiers show no due date that no longer holds
    text = page.locator("main").inner_text()
    assert local_text(citizen_dossiers["papers"].due_at) not in text
    assert "Tạm dừng — hạn mới sẽ được tính khi nhận đủ giấy tờ" in text
    assert axe_violations(page) == []


def test_the_lookup_shows_the_paused_due_date(page, citizen_dossiers):
    papers = citizen_dossiers["papers"]
    page.goto("/tra-cuu/")
    page.locator("input[name=code]").fill(papers.code)
    page.locator("input[name=factor]").fill(papers.applicant_phone)
    page.locator("input[name=factor]").press("Enter")
    page.wait_for_url("**/tra-cuu/ho-so/")
    text = page.locator("main").inner_text()
    assert "Tạm dừng — hạn mới sẽ được tính khi nhận đủ giấy tờ" in text


def test_a_free_text_item_has_its_own_upload_slot(page, citizen_dossiers, tmp_path):
    from dossiers.models import Attachment
    from tests.dossiers.test_uploads import pdf_bytes

    papers = citizen_dossiers["papers"]
    log_in(page, "hoa@example.invalid")
    page.goto(f"/ho-so-cua-toi/{papers.pk}/")
    slot = page.get_by_label("Bản sao sổ hộ khẩu")
    assert slot.count() == 1
    (tmp_path / "so-ho-khau.pdf").write_bytes(pdf_bytes())
    (tmp_path / "chung-sinh.pdf").write_bytes(pdf_bytes())
    slot.set_input_files(str(tmp_path / "so-ho-khau.pdf"))
    page.get_by_label("Giấy chứng sinh (bản rõ nét)").set_input_files(
        str(tmp_path / "chung-sinh.pdf")
    )
    assert axe_violations(page) == []
    with page.expect_navigation():
        page.get_by_role("button", name="Gửi giấy tờ bổ sung").click()
    added = Attachment.objects.get(dossier=papers, original_name="so-ho-khau.pdf")
    assert added.requested_item == "Bản sao sổ hộ khẩu"


# --- Everyone -----------------------------------------------------------------------------------


def test_a_browser_set_to_english_starts_in_vietnamese_and_the_switch_is_remembered(
    browser, live_server, transactional_db
):
    context = browser.new_context(base_url=live_server.url, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        page.goto("/")
        assert page.locator("html").get_attribute("lang") == "vi"
        page.locator("select[name=language]").select_option("en")
        with page.expect_navigation():
            page.locator("select[name=language]").evaluate("s => s.form.submit()")
        assert page.locator("html").get_attribute("lang") == "en"
        page.goto("/thu-tuc/")
        assert page.locator("html").get_attribute("lang") == "en"
    finally:
        context.close()
