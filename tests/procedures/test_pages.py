from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from myphong import roles
from procedures.models import Procedure
from tests.factories import ProcedureFactory, RequiredDocumentFactory, SectorFactory, UserFactory


@pytest.fixture
def khai_sinh(db):
    procedure = ProcedureFactory(
        code="1.001193",
        name="Đăng ký khai sinh",
        processing_time=Decimal("0"),
        processing_time_unit=Procedure.TimeUnit.SAME_DAY,
        fee=8000,
        accepts_online=True,
        online_level=Procedure.OnlineLevel.FULL,
    )
    RequiredDocumentFactory(procedure=procedure, name="Tờ khai đăng ký khai sinh", order=1)
    RequiredDocumentFactory(procedure=procedure, name="Giấy chứng sinh", order=2, copies=1)
    return procedure


def test_detail_shows_papers_time_fee_and_online_button(client, khai_sinh):
    response = client.get(khai_sinh.get_absolute_url())
    assert response.status_code == 200
    page = response.text
    assert "Tờ khai đăng ký khai sinh" in page
    assert "Giấy chứng sinh" in page
    assert "Trong ngày" in page
    assert "8.000 đ" in page
    assert reverse("procedures:submit_online", args=[khai_sinh.code]) in page


def test_detail_shows_working_days_with_vietnamese_decimal_comma(client, db):
    procedure = ProcedureFactory(processing_time=Decimal("0.5"))
    assert "0,5 ngày làm việc" in client.get(procedure.get_absolute_url()).text


def test_counter_only_procedure_has_no_online_button(client, db):
    procedure = ProcedureFactory(accepts_online=False)
    response = client.get(procedure.get_absolute_url())
    assert reverse("procedures:submit_online", args=[procedure.code]) not in response.text
    # 404 for everyone, before any login is asked for.
    assert client.get(reverse("procedures:submit_online", args=[procedure.code])).status_code == 404


def test_online_button_leads_to_a_form_that_lists_the_papers(client, khai_sinh):
    url = reverse("procedures:submit_online", args=[khai_sinh.code])
    assert client.get(url)["Location"] == f"{reverse('login')}?next={url}"
    client.force_login(UserFactory(username="lan@example.vn", roles=[roles.CITIZEN]))
    response = client.get(url)
    assert response.status_code == 200
    assert "Tờ khai đăng ký khai sinh" in response.text
    assert "Giấy chứng sinh" in response.text


def test_unpublished_or_unknown_procedure_is_404(client, db):
    hidden = ProcedureFactory(is_active=False)
    assert client.get(hidden.get_absolute_url()).status_code == 404
    assert client.get(reverse("procedures:detail", args=["9.999999"])).status_code == 404


def test_form_template_is_downloadable_but_only_for_its_procedure(client, khai_sinh):
    document = khai_sinh.documents.first()
    document.form_template.save("to-khai.pdf", ContentFile(b"%PDF-1.4 mau"))
    url = reverse("procedures:form_template", args=[khai_sinh.code, document.id])
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"%PDF-1.4 mau"
    other = ProcedureFactory()
    wrong = reverse("procedures:form_template", args=[other.code, document.id])
    assert client.get(wrong).status_code == 404


def _count_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize(
    "url_name", ["home", "procedures:list", "procedures:detail"], ids=["home", "list", "detail"]
)
def test_catalogue_pages_cost_the_same_queries_whatever_the_size(client, db, url_name):
    def url():
        procedure = ProcedureFactory(sector=SectorFactory(code="ho-tich", name="Hộ tịch"))
        RequiredDocumentFactory.create_batch(3, procedure=procedure)
        if url_name == "procedures:detail":
            return procedure.get_absolute_url()
        return reverse(url_name)

    small = _count_queries(client, url())
    for n in range(30):
        sector = SectorFactory(code=f"s{n % 6}", name=f"Lĩnh vực {n % 6}")
        procedure = ProcedureFactory(sector=sector)
        RequiredDocumentFactory.create_batch(4, procedure=procedure)
    large = _count_queries(client, url())
    assert small == large
    assert large <= 4


def test_healthz_checks_the_database(client, db):
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


def test_a_paper_on_a_set_form_without_a_file_says_where_to_get_it(client, khai_sinh):
    from procedures.models import RequiredDocument

    RequiredDocument.objects.create(procedure=khai_sinh, name="Đơn đề nghị theo mẫu", order=9)
    client.cookies["ngon_ngu"] = "en"
    page = client.get(khai_sinh.get_absolute_url()).text
    assert "dichvucong.gov.vn" in page
