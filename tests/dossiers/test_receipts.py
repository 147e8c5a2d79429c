"""Forms 01, 02 and 03 as PDF: what the citizen reads, the QR code, one A5 page, rendered once.

The PDF text is read back with poppler's pdftotext, so a font without Vietnamese glyphs or a broken
text layer shows up as a failure. Without poppler-utils the PDF checks are skipped, except in CI
(CI=true), where `make test` installs it.
"""

import re
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import segno
from django.utils import translation
from freezegun import freeze_time

from dossiers import services
from dossiers.models import DossierEvent, DossierPaper, Slip
from dossiers.printing import pdf, slips, wording
from myphong import roles
from tests.doubles import poppler
from tests.factories import DossierFactory, ProcedureFactory, UserFactory

VN = ZoneInfo("Asia/Ho_Chi_Minh")
RECEIVED = datetime(2026, 11, 10, 9, 30, tzinfo=VN)  # a Tuesday; no holiday that week
DUE = datetime(2026, 11, 13, 9, 30, tzinfo=VN)  # 3 working days later
A5 = (419.53, 595.28)  # 148 x 210 mm in points
A4 = (595.28, 841.89)
SIX_PAPERS = [
    "Tờ khai đăng ký khai sinh",
    "Giấy chứng sinh",
    "Giấy chứng nhận kết hôn của cha, mẹ (nếu cha, mẹ đã đăng ký kết hôn)",
    "Văn bản ủy quyền có chứng thực, nếu người đi đăng ký khai sinh được ủy quyền",
    "Giấy tờ tùy thân của người đi đăng ký khai sinh",
    "Giấy tờ chứng minh nơi cư trú của cha hoặc mẹ",
]


def pdf_text(slip):
    return poppler("pdftotext", "-layout", slip.file.path, "-")


def pdf_pages_and_size(slip):
    info = poppler("pdfinfo", slip.file.path)
    pages = int(re.search(r"^Pages:\s+(\d+)", info, re.M)[1])
    width, height = re.search(r"^Page size:\s+([\d.]+) x ([\d.]+) pts", info, re.M).groups()
    return pages, (round(float(width), 2), round(float(height), 2))


def flat(text):
    """The text with all runs of spaces and line breaks made one space."""
    return " ".join(text.split())


@pytest.fixture
def clerk(db):
    return UserFactory(
        username="canbo", first_name="Lan", last_name="Trần Thị", roles=[roles.CLERK]
    )


@pytest.fixture
def birth_registration(db):
    return ProcedureFactory(name="Đăng ký khai sinh", processing_time=Decimal("3"))


def accepted_dossier(procedure, clerk, papers=("Tờ khai đăng ký khai sinh", "Giấy chứng sinh")):
    dossier = DossierFactory(procedure=procedure)
    for order, name in enumerate(papers, start=1):
        DossierPaper.objects.create(
            dossier=dossier, name=name, originals=1, copies=order % 2, order=order
        )
    with freeze_time(RECEIVED):
        dossier = services.accept(dossier, clerk)
    return dossier, DossierEvent.objects.get(dossier=dossier, action="accept")


def test_receipt_prints_code_applicant_request_and_appointment_with_diacritics(
    clerk, birth_registration, settings
):
    settings.PORTAL_BASE_URL = "https://motcua.myphong.example"
    dossier, event = accepted_dossier(birth_registration, clerk)
    assert dossier.due_at == DUE

    text = pdf_text(slips.render_slip(dossier, "01", event))
    lines = flat(text)

    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text
    assert "Độc lập - Tự do - Hạnh phúc" in text
    assert "UBND XÃ MỸ PHONG" in text
    assert "Mỹ Phong, ngày 10 tháng 11 năm 2026" in text
    assert "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ" in text
    assert f"Mã hồ sơ: {dossier.code}" in text
    assert dossier.code == "000.17.22.H56-261110-0001"
    assert f"Số: 1/{dossier.received_at.year}" in text  # Form 01's own number this year
    assert "TRUNG TÂM PHỤC VỤ HÀNH" in text  # the one-stop unit issues it
    assert "Cơ quan tiếp nhận: Trung tâm Phục vụ hành chính công xã Mỹ Phong" in lines
    assert "Tiếp nhận hồ sơ của: Nguyễn Thị Hoa" in text
    assert "Địa chỉ: Ấp Mỹ Phong, xã Mỹ Phong" in text
    assert "0912345678" in text
    assert "hoa@example.invalid" in text
    assert "Nội dung yêu cầu giải quyết: Đăng ký khai sinh" in text
    assert "Tờ khai đăng ký khai sinh" in text
    assert "Giấy chứng sinh" in text
    for header in ("TT", "Tên giấy tờ", "Bản chính", "Bản sao", "chứng"):  # "…chứng thực", 2 lines
        assert header in text
    assert "Số lượng hồ sơ: 01 (bộ)" in text
    assert "theo quy định là: 3 ngày làm việc" in text
    assert "Thời gian nhận hồ sơ: 09 giờ 30 phút, ngày 10/11/2026" in lines
    assert "Thời gian trả kết quả giải quyết hồ sơ: 09 giờ 30 phút, ngày 13/11/2026" in lines
    assert "Vào Sổ theo dõi hồ sơ (Mẫu 07), số thứ tự: 1/2026" in text
    assert "NGƯỜI NỘP HỒ SƠ" in text and "NGƯỜI TIẾP NHẬN HỒ SƠ" in text
    assert "Trần Thị Lan" in text
    assert "https://motcua.myphong.example/tra-cuu/" in lines
    assert dossier.lookup_key in text
    # The ID number is not on the form.
    assert dossier.applicant_id_number not in text


def test_receipt_embeds_its_own_fonts(clerk, birth_registration):
    dossier, event = accepted_dossier(birth_registration, clerk)
    slip = slips.render_slip(dossier, "01", event)
    fonts = poppler("pdffonts", slip.file.path).splitlines()[2:]
    assert fonts
    for row in fonts:
        name, emb = row.split()[0], row.split()[-5]
        assert "Slip-Serif" in name
        assert emb == "yes", row


def test_receipt_with_six_papers_is_one_a5_page(clerk, birth_registration):
    dossier, event = accepted_dossier(birth_registration, clerk, papers=SIX_PAPERS)
    slip = slips.render_slip(dossier, "01", event)
    assert pdf_pages_and_size(slip) == (1, A5)
    assert "Giấy tờ chứng minh nơi cư trú của cha hoặc mẹ" in flat(pdf_text(slip))


def test_receipt_on_a4_when_the_office_asks(clerk, birth_registration, settings):
    settings.SLIP_PAGE_SIZE = "A4"
    dossier, event = accepted_dossier(birth_registration, clerk, papers=SIX_PAPERS)
    assert pdf_pages_and_size(slips.render_slip(dossier, "01", event)) == (1, A4)


def test_an_unknown_page_size_is_refused(settings):
    settings.SLIP_PAGE_SIZE = "Letter"
    with pytest.raises(ValueError, match="SLIP_PAGE_SIZE"):
        pdf.page_size()


def test_qr_code_carries_the_lookup_address_with_the_code_and_no_personal_data(
    clerk, birth_registration, settings
):
    settings.PORTAL_BASE_URL = "https://motcua.myphong.example"
    dossier, event = accepted_dossier(birth_registration, clerk)

    context = slips.slip_context(dossier, "01", event)

    url = f"https://motcua.myphong.example/tra-cuu/?ma={dossier.code}"
    assert context["lookup_url"] == url
    # Encoding the expected address anew gives the very symbol printed on the form.
    expected = segno.make(url, error="m").svg_inline(omitsize=True, border=2, svgclass="qr")
    assert str(context["qr_svg"]) == expected
    assert expected in slips.slip_html(dossier, "01", event)
    for personal in (
        dossier.applicant_phone,
        dossier.applicant_id_number,
        dossier.applicant_email,
        dossier.lookup_key,
    ):
        assert personal not in url


def test_receipt_is_vietnamese_when_the_clerk_works_in_english(clerk, birth_registration):
    dossier, event = accepted_dossier(birth_registration, clerk)
    with translation.override("en"):
        html = slips.slip_html(dossier, "01", event)
    assert "3 ngày làm việc" in html
    assert "working days" not in html


def test_rendering_twice_keeps_one_slip_and_one_file(clerk, birth_registration, monkeypatch):
    dossier, event = accepted_dossier(birth_registration, clerk)
    first = slips.render_slip(dossier, "01", event)
    monkeypatch.setattr(slips, "write_pdf", lambda html: pytest.fail("rendered again"))

    second = slips.render_slip(dossier, "01", event)
    also = slips.ensure_slip(dossier, "01", event)

    assert second.pk == first.pk == also.pk
    assert second.file.name == first.file.name
    assert Slip.objects.filter(dossier=dossier).count() == 1
    assert first.file.read(5) == b"%PDF-"


def test_a_render_that_loses_a_race_returns_the_winners_slip(
    clerk, birth_registration, monkeypatch, settings
):
    dossier, event = accepted_dossier(birth_registration, clerk)
    real_write_pdf = pdf.write_pdf
    winner = {}

    def another_worker_finishes_first(html):
        pdf = real_write_pdf(html)
        winner["slip"] = Slip.objects.create(
            dossier=dossier, form="01", event=event, file="slips/winner.pdf"
        )
        return pdf

    monkeypatch.setattr(slips, "write_pdf", another_worker_finishes_first)
    slip = slips.render_slip(dossier, "01", event)

    assert slip.pk == winner["slip"].pk
    assert Slip.objects.filter(dossier=dossier).count() == 1
    # The loser's file is not left behind.
    assert list((settings.MEDIA_ROOT / "slips").rglob("*.pdf")) == []


def test_without_an_event_the_latest_one_that_issued_the_form_is_used(clerk, birth_registration):
    dossier, event = accepted_dossier(birth_registration, clerk)
    assert slips.ensure_slip(dossier, "01").event == event
    assert Slip.objects.filter(dossier=dossier, event=event).count() == 1


def test_supplement_request_lists_what_to_add_and_why(clerk, birth_registration, settings):
    dossier = DossierFactory(procedure=birth_registration)
    services.request_supplement(
        dossier,
        clerk,
        items=["Bản chính Giấy chứng sinh", "Bản sao Giấy chứng nhận kết hôn của cha mẹ"],
        reason="Giấy chứng sinh nộp kèm là bản chụp, không đọc được.",
    )
    event = DossierEvent.objects.get(dossier=dossier, action="request_supplement")

    text = flat(pdf_text(slips.render_slip(dossier, "02", event)))

    assert "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ" in text
    assert "Hồ sơ của: Nguyễn Thị Hoa" in text
    assert "Nội dung yêu cầu giải quyết: Đăng ký khai sinh" in text
    assert "Bản chính Giấy chứng sinh" in text
    assert "Bản sao Giấy chứng nhận kết hôn của cha mẹ" in text
    assert "Lý do: Giấy chứng sinh nộp kèm là bản chụp, không đọc được." in text
    assert f"số điện thoại {settings.PORTAL_HOTLINE}" in text


def test_refusal_gives_the_reason(clerk, birth_registration):
    dossier = DossierFactory(procedure=birth_registration)
    services.refuse(
        dossier, clerk, reason="Việc khai sinh không thuộc thẩm quyền của UBND xã Mỹ Phong."
    )
    event = DossierEvent.objects.get(dossier=dossier, action="refuse")

    slip = slips.render_slip(dossier, "03", event)
    text = flat(pdf_text(slip))

    assert "PHIẾU TỪ CHỐI TIẾP NHẬN GIẢI QUYẾT HỒ SƠ" in text
    assert "Tiếp nhận hồ sơ của: Nguyễn Thị Hoa" in text
    assert "Việc khai sinh không thuộc thẩm quyền của UBND xã Mỹ Phong." in text
    assert "Xin thông báo cho Ông/Bà được biết và thực hiện./." in text
    assert pdf_pages_and_size(slip) == (1, A5)


def test_event_kinds_map_to_their_forms():
    assert slips.slip_for_event_kind("accepted") == "01"
    assert slips.slip_for_event_kind("supplement_requested") == "02"
    assert slips.slip_for_event_kind("refused") == "03"
    assert slips.slip_for_event_kind("submitted") is None
    assert slips.slip_for_event_kind("supplemented") is None


def test_place_of_the_date_line_comes_from_the_agency_name():
    assert wording.place_name("UBND xã Mỹ Phong") == "Mỹ Phong"
    assert wording.place_name("Ủy ban nhân dân phường Bến Thành") == "Bến Thành"
    assert wording.place_name("Văn phòng một cửa") == "Văn phòng một cửa"


def test_rendering_reads_the_shipped_fonts_and_nothing_else(settings):
    fetch = pdf.fonts_only_fetcher()
    font = settings.BASE_DIR / "static" / "fonts" / "LiberationSerif-Regular.ttf"
    response = fetch(font.as_uri())
    assert response.read(4) == b"\x00\x01\x00\x00"
    response.close()
    for url in ("file:///etc/passwd", "https://example.com/x.css", font.as_uri() + "/../../x"):
        with pytest.raises(ValueError):
            fetch(url)
