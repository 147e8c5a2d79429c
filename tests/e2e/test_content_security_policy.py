"""In the browser: the Content-Security-Policy blocks nothing the portal itself needs (issue 13,
item 10) — no inline script or style is left for it to refuse."""

import pytest

from myphong import roles
from tests.factories import ProcedureFactory, RequiredDocumentFactory, UserFactory


@pytest.fixture
def office(transactional_db):
    procedure = ProcedureFactory(code="1.001193", name="Đăng ký khai sinh", accepts_online=True)
    RequiredDocumentFactory(procedure=procedure, name="Tờ khai đăng ký khai sinh")
    UserFactory(username="tiepnhan", roles=[roles.CLERK], roles__agency=procedure.agency)
    UserFactory(username="lanhdao", roles=[roles.LEADER], roles__agency=procedure.agency)
    return procedure


def watch_refusals(page):
    refused = []
    page.on(
        "console",
        lambda message: (
            refused.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    return refused


def log_in(page, username):
    page.goto("/dang-nhap/")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill("mat-khau-dai-2026")
    page.get_by_label("Mật khẩu").press("Enter")
    page.wait_for_url("**/")


def test_public_pages_run_under_the_policy(page, office):
    refused = watch_refusals(page)
    for url in ("/", "/thu-tuc/", office.get_absolute_url(), "/tra-cuu/", "/phan-anh/"):
        page.goto(url)
    assert refused == []


def test_staff_pages_run_under_the_policy(page, office):
    refused = watch_refusals(page)
    log_in(page, "tiepnhan")
    page.goto("/quay/tiep-nhan/")
    page.keyboard.type("khai sinh")
    page.keyboard.press("Enter")
    page.wait_for_url("**thu-tuc=1.001193")
    page.goto("/xu-ly/")
    page.goto("/xu-ly/so-theo-doi/")
    assert refused == []
