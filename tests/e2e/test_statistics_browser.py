"""A leader reads this month's figures, follows a number to its dossiers, downloads the files."""

import io
from pathlib import Path

import openpyxl
from playwright.sync_api import expect

from dossiers import services
from tests.e2e.conftest import axe_violations
from tests.e2e.test_back_office_journey import office, open_as, receive  # noqa: F401


def test_a_leader_follows_a_figure_to_its_dossiers_and_downloads_the_report(office, open_as):  # noqa: F811
    agency, people = office
    first = receive(agency, people, 5)
    receive(agency, people, 5)
    services.withdraw(first, people["clerk"], reason="Người nộp đề nghị rút hồ sơ")

    page = open_as("lanhdao")
    page.goto("/xu-ly/thong-ke/")
    assert axe_violations(page) == []
    received = page.locator('a[data-figure="received"]').first
    expect(received).to_have_text("2")
    with page.expect_navigation():
        received.click()
    assert axe_violations(page) == []
    rows = page.locator("table tbody tr")
    expect(rows).to_have_count(2)
    page.go_back()

    withdrawn = page.locator('a[data-figure="withdrawn"]').first
    expect(withdrawn).to_have_text("1")
    with page.expect_navigation():
        withdrawn.click()
    expect(page.locator("table tbody tr")).to_have_count(1)
    expect(page.locator("table tbody")).to_contain_text(first.code)
    page.go_back()

    with page.expect_download() as xlsx:
        page.get_by_role("link", name="Tải XLSX").click()
    workbook = openpyxl.load_workbook(io.BytesIO(Path(xlsx.value.path()).read_bytes()))
    assert workbook.worksheets[0].max_row > 1
    with page.expect_download() as pdf:
        page.get_by_role("link", name="Tải báo cáo PDF").click()
    assert Path(pdf.value.path()).read_bytes().startswith(b"%PDF-")
