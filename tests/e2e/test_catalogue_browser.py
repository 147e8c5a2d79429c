from decimal import Decimal

import pytest

from procedures.models import Procedure
from tests.e2e.conftest import axe_violations
from tests.factories import ProcedureFactory, RequiredDocumentFactory, SectorFactory


@pytest.fixture
def catalogue(transactional_db):
    ho_tich = SectorFactory(code="ho-tich", name="Hộ tịch")
    khai_sinh = ProcedureFactory(
        code="1.001193",
        name="Đăng ký khai sinh",
        sector=ho_tich,
        processing_time=Decimal("0"),
        processing_time_unit=Procedure.TimeUnit.SAME_DAY,
        accepts_online=True,
        online_level=Procedure.OnlineLevel.FULL,
    )
    RequiredDocumentFactory(procedure=khai_sinh, name="Tờ khai đăng ký khai sinh", order=1)
    RequiredDocumentFactory(procedure=khai_sinh, name="Giấy chứng sinh", order=2)
    ProcedureFactory(
        code="1.000894",
        name="Đăng ký kết hôn",
        sector=ho_tich,
        processing_time=Decimal("5"),
    )
    return khai_sinh


def test_citizen_finds_a_procedure_without_typing_diacritics(page, catalogue):
    page.goto("/")
    page.get_by_label("Tìm thủ tục").fill("dang ky khai sinh")
    page.get_by_role("button", name="Tìm kiếm").click()
    page.get_by_role("link", name="Đăng ký khai sinh").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Đăng ký khai sinh"
    papers = page.get_by_role("table").inner_text()
    assert "Tờ khai đăng ký khai sinh" in papers
    assert "Giấy chứng sinh" in papers
    assert page.locator("#thoi-han").inner_text() == "Trong ngày"
    assert page.get_by_role("link", name="Nộp hồ sơ trực tuyến").is_visible()


@pytest.mark.parametrize("path", ["/", "/thu-tuc/", "/thu-tuc/1.001193/", "/dang-nhap/"])
def test_pages_pass_axe_wcag_aa(page, catalogue, path):
    page.goto(path)
    assert axe_violations(page) == []


def test_detail_page_fits_a_360px_phone(phone_page, catalogue):
    phone_page.goto("/thu-tuc/1.001193/")
    overflow = phone_page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0
    phone_page.get_by_role("button", name="Mở menu").click()
    assert phone_page.get_by_role("link", name="Thủ tục hành chính").first.is_visible()
