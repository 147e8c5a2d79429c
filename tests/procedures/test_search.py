import pytest
from django.urls import reverse

from procedures.selectors import search_procedures
from procedures.text import fold
from tests.factories import ProcedureFactory, SectorFactory


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Đăng ký khai sinh", "dang ky khai sinh"),
        ("ĐĂNG KÝ KHAI SINH", "dang ky khai sinh"),
        ("  Chứng   thực  bản sao ", "chung thuc ban sao"),
        ("Người có công", "nguoi co cong"),
        ("", ""),
    ],
)
def test_fold_drops_case_diacritics_and_extra_spaces(text, folded):
    assert fold(text) == folded


def test_fold_treats_d_with_stroke_as_d():
    assert fold("đất đai") == fold("DAT DAI") == "dat dai"


@pytest.fixture
def catalogue(db):
    ho_tich = SectorFactory(code="ho-tich", name="Hộ tịch")
    chung_thuc = SectorFactory(code="chung-thuc", name="Chứng thực")
    return {
        "khai_sinh": ProcedureFactory(code="1.001193", name="Đăng ký khai sinh", sector=ho_tich),
        "ket_hon": ProcedureFactory(code="1.000894", name="Đăng ký kết hôn", sector=ho_tich),
        "ban_sao": ProcedureFactory(
            code="2.000908", name="Cấp bản sao từ sổ gốc", sector=chung_thuc
        ),
        "an": ProcedureFactory(name="Đăng ký khai sinh (đã ngừng)", is_active=False),
    }


@pytest.mark.parametrize(
    "query",
    ["dang ky khai sinh", "ĐĂNG KÝ KHAI SINH", "Đăng ký khai sinh", "khai  SINH", "1.001193"],
)
def test_search_ignores_case_and_diacritics(catalogue, query):
    assert list(search_procedures(query)) == [catalogue["khai_sinh"]]


def test_search_d_matches_d_with_stroke(catalogue):
    assert set(search_procedures("dang ky")) == {catalogue["khai_sinh"], catalogue["ket_hon"]}


def test_search_needs_every_word(catalogue):
    assert list(search_procedures("dang ky sao")) == []


def test_search_never_shows_unpublished_procedures(catalogue):
    assert catalogue["an"] not in search_procedures("khai sinh")


def test_search_filters_by_sector(catalogue):
    sector = catalogue["ban_sao"].sector
    assert list(search_procedures("", sector)) == [catalogue["ban_sao"]]


def test_list_page_search_without_diacritics(client, catalogue):
    response = client.get(reverse("procedures:list"), {"q": "dang ky khai sinh"})
    assert response.status_code == 200
    assert "Đăng ký khai sinh" in response.text
    assert "Đăng ký kết hôn" not in response.text


def test_list_page_filters_by_sector_code(client, catalogue):
    response = client.get(reverse("procedures:list"), {"linh-vuc": "chung-thuc"})
    assert "Cấp bản sao từ sổ gốc" in response.text
    assert "Đăng ký khai sinh" not in response.text


def test_unknown_sector_or_page_number_shows_the_list(client, catalogue):
    response = client.get(reverse("procedures:list"), {"linh-vuc": "khong-co", "trang": "abc"})
    assert response.status_code == 200
    assert "Đăng ký khai sinh" in response.text


def test_list_is_paginated_by_twenty(client, db):
    sector = SectorFactory(code="ho-tich", name="Hộ tịch")
    ProcedureFactory.create_batch(25, sector=sector)
    first = client.get(reverse("procedures:list"))
    second = client.get(reverse("procedures:list"), {"trang": 2})
    assert len(first.context["page"].object_list) == 20
    assert len(second.context["page"].object_list) == 5
    assert "trang=2" in first.text


@pytest.fixture
def birth_procedures(db):
    """The demo catalogue's procedures that mention a birth registration."""
    names = {
        "2.000635": "Cấp bản sao Trích lục hộ tịch, bản sao Giấy khai sinh",
        "1.004884": "Thủ tục đăng ký lại khai sinh",
        "3.000722": "Liên thông điện tử: đăng ký khai sinh, đăng ký thường trú, cấp thẻ bảo "
        "hiểm y tế cho trẻ em dưới 6 tuổi",
        "1.000689": "Thủ tục đăng ký khai sinh kết hợp đăng ký nhận cha, mẹ, con",
        "1.001193": "Thủ tục đăng ký khai sinh",
    }
    return {code: ProcedureFactory(code=code, name=name) for code, name in names.items()}


@pytest.mark.parametrize("query", ["khai sinh", "dang ky khai sinh", "Đăng ký khai sinh"])
def test_search_puts_the_birth_registration_first(birth_procedures, query):
    assert search_procedures(query).first().code == "1.001193"


def test_search_ranks_name_start_before_words_together_before_the_rest(birth_procedures):
    codes = [p.code for p in search_procedures("dang ky khai sinh")]
    # exact (after "Thủ tục"), then the names starting with the words, then the rest
    assert codes == ["1.001193", "1.000689", "3.000722", "1.004884"]


def test_search_by_code_puts_that_procedure_first(birth_procedures):
    assert [p.code for p in search_procedures("1.004884")] == ["1.004884"]


@pytest.mark.parametrize(
    ("query", "rank"),
    [
        ("1.001193", 0),
        ("thu tuc dang ky khai sinh", 0),
        ("dang ky khai sinh", 0),
        ("dang ky", 1),
        ("khai sinh", 2),
        ("sinh khai", 3),
    ],
)
def test_match_rank_of_the_birth_registration(query, rank):
    from procedures.text import match_rank

    assert match_rank(query, "1.001193", "Thủ tục đăng ký khai sinh") == rank


def test_the_database_ranks_like_match_rank(birth_procedures):
    from procedures.text import match_rank

    for query in ["khai sinh", "dang ky", "dang ky khai sinh", "2.000635", "ban sao"]:
        found = list(search_procedures(query))
        assert [match_rank(query, p.code, p.name) for p in found] == sorted(
            match_rank(query, p.code, p.name) for p in found
        )
        assert found
