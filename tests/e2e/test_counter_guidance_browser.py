"""A walk-in applicant without the birth certificate is turned away with Form 02 (no dossier is
received), and comes back with the complete papers: the dossier is received and Form 01 printed."""

from dossiers.models import CounterGuidance, Dossier
from dossiers.workflow import Status
from tests.doubles import poppler
from tests.e2e.conftest import axe_violations
from tests.e2e.test_counter_browser import counter as counter
from tests.e2e.test_counter_browser import log_in


def download(page, link_id, path):
    with page.expect_download() as download_info:
        page.evaluate(
            """url => { const a = document.createElement('a'); a.href = url;
                        a.download = 'phieu.pdf'; document.body.appendChild(a); a.click(); }""",
            page.locator(link_id).get_attribute("href"),
        )
    download_info.value.save_as(path)
    return " ".join(poppler("pdftotext", "-raw", str(path), "-").split())


def test_a_walk_in_applicant_turned_away_with_form_02_comes_back_complete(page, counter, tmp_path):
    log_in(page, "tiepnhan")
    page.goto("/quay/tiep-nhan/?thu-tuc=1.001193")
    page.get_by_role("link", name="In phiếu hướng dẫn bổ sung (Mẫu 02)").click()
    page.wait_for_url("**/quay/huong-dan/**")
    assert axe_violations(page) == []
    page.get_by_label("Họ và tên người nộp").fill("Trần Văn Bình")
    page.get_by_label("Số điện thoại").fill("0912345678")
    page.get_by_label("Giấy tờ cần bổ sung, hoàn thiện (mỗi giấy tờ một dòng)").fill(
        "Giấy chứng sinh (bản chính)"
    )
    page.get_by_label("Lý do").fill("Chưa có giấy chứng sinh")
    page.get_by_role("button", name="Lưu và in phiếu").click()
    page.wait_for_url("**/quay/huong-dan/*/")
    guidance = CounterGuidance.objects.get()
    assert page.locator("#so-phieu").inner_text() == f"1/{guidance.year}"
    assert axe_violations(page) == []
    text = download(page, "#in-phieu", tmp_path / "mau-02.pdf")
    assert "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ" in text
    assert "Giấy chứng sinh (bản chính)" in text
    assert not Dossier.objects.exists()

    # The next day the applicant comes back with everything: the clerk registers the dossier.
    page.get_by_role("link", name="Tiếp nhận hồ sơ đầy đủ").click()
    page.wait_for_url("**thu-tuc=1.001193")
    page.get_by_label("Họ và tên người nộp").fill("Trần Văn Bình")
    page.get_by_label("Số điện thoại").fill("0912345678")
    page.get_by_role("button", name="Lưu và in giấy tiếp nhận").click()
    page.wait_for_url("**/bien-nhan/")
    dossier = Dossier.objects.get()
    assert dossier.status == Status.RECEIVED
    text = download(page, "#in-bien-nhan", tmp_path / "mau-01.pdf")
    assert "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ" in text
    assert dossier.code in text
