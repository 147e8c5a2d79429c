"""Rarely changing public pages are cached for anonymous visitors, per language, dropped when the
catalogue or the calendar changes, and a reload with the page's ETag costs a 304."""

import datetime

import pytest
from django.conf import settings
from django.urls import reverse

from dossiers import services
from dossiers.models import CalendarException
from myphong import roles
from tests.factories import (
    DossierFactory,
    ProcedureFactory,
    RequiredDocumentFactory,
    UserFactory,
)


@pytest.fixture
def procedure(db):
    procedure = ProcedureFactory(name="Đăng ký khai sinh")
    RequiredDocumentFactory(procedure=procedure, name="Giấy chứng sinh")
    return procedure


def test_second_visit_to_a_procedure_page_runs_no_query(
    client, procedure, django_assert_num_queries
):
    url = procedure.get_absolute_url()
    assert client.get(url).status_code == 200
    with django_assert_num_queries(0):
        response = client.get(url)
    assert "Giấy chứng sinh" in response.text


def test_renamed_procedure_shows_at_once(client, procedure):
    url = procedure.get_absolute_url()
    assert "Đăng ký khai sinh" in client.get(url).text
    procedure.name = "Đăng ký khai sinh có yếu tố nước ngoài"
    procedure.save()
    assert "có yếu tố nước ngoài" in client.get(url).text
    assert "có yếu tố nước ngoài" in client.get(reverse("procedures:list")).text


def test_deleted_paper_disappears_from_the_cached_page(client, procedure):
    url = procedure.get_absolute_url()
    assert "Giấy chứng sinh" in client.get(url).text
    procedure.documents.get().delete()
    assert "Giấy chứng sinh" not in client.get(url).text


def test_a_new_day_off_drops_the_cached_pages(client, procedure, django_assert_max_num_queries):
    url = reverse("procedures:list")
    assert client.get(url).status_code == 200
    CalendarException.objects.create(
        date=datetime.date(2026, 12, 31), is_working_day=False, note="Nghỉ bù"
    )
    with django_assert_max_num_queries(10) as queries:
        second = client.get(url)
    assert len(queries) > 0, "the page was rendered again"
    assert second.status_code == 200


def test_reload_with_the_etag_is_answered_304(client, procedure):
    url = reverse("home")
    first = client.get(url)
    assert first.status_code == 200
    assert first["Cache-Control"] == "private, no-cache"
    again = client.get(url, headers={"if-none-match": first["ETag"]})
    assert again.status_code == 304
    assert again.content == b""
    by_date = client.get(url, headers={"if-modified-since": first["Last-Modified"]})
    assert by_date.status_code == 304


def test_after_a_catalogue_change_the_old_etag_gets_the_new_page(client, procedure):
    url = procedure.get_absolute_url()
    first = client.get(url)
    procedure.name = "Đăng ký lại khai sinh"
    procedure.save()
    again = client.get(url, headers={"if-none-match": first["ETag"]})
    assert again.status_code == 200
    assert "Đăng ký lại khai sinh" in again.text


def test_each_language_has_its_own_copy(client, procedure):
    url = reverse("procedures:list")
    vietnamese = client.get(url).text
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = client.get(url).text
    assert 'lang="vi"' in vietnamese
    assert 'lang="en"' in english


def test_searches_are_cached_apart(client, db):
    ProcedureFactory(name="Đăng ký khai sinh")
    ProcedureFactory(name="Chứng thực chữ ký")
    url = reverse("procedures:list")
    assert "Chứng thực" not in client.get(url, {"q": "khai sinh"}).text
    assert "khai sinh" not in client.get(url, {"q": "chứng thực"}).text.split("<main")[1]


def test_each_visitor_gets_a_csrf_token_of_their_own_that_works(procedure):
    from django.test import Client

    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    first.get(reverse("home"))
    page = second.get(reverse("home"))
    token = page.text.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
    assert second.cookies[settings.CSRF_COOKIE_NAME].value
    response = second.post(
        reverse("set_language"), {"language": "en", "next": "/", "csrfmiddlewaretoken": token}
    )
    assert response.status_code == 302


def test_logged_in_staff_see_their_own_menu_not_a_cached_page(client, procedure):
    client.get(reverse("home"))
    client.force_login(UserFactory(username="tiepnhan", roles=[roles.CLERK]))
    page = client.get(reverse("home")).text
    assert reverse("dossiers:counter_intake") in page
    assert "ETag" not in client.get(reverse("home")).headers


def test_a_waiting_message_is_shown_to_its_visitor_only(client, procedure):
    from django.test import Client

    client.get(reverse("dossiers:lookup_result"))  # no lookup: a message, then the form
    with_message = client.get(reverse("home")).text
    stranger = Client().get(reverse("home")).text
    assert 'class="alert alert-info" role="status"' in with_message
    assert 'class="alert alert-info" role="status"' not in stranger


def test_the_blank_lookup_form_is_cached_but_a_lookup_never_is(db, settings):
    from django.core.cache import cache
    from django.test import Client

    settings.LOOKUP_MIN_SECONDS = 0
    cache.clear()  # no throttle counts left by another test or run from this address

    clerk = UserFactory(username="tiepnhan", roles=[roles.CLERK])
    dossier = DossierFactory(agency=clerk.profile.agency)
    services.accept(dossier, clerk)
    dossier.refresh_from_db()
    visitor = Client(enforce_csrf_checks=True)
    url = reverse("dossiers:lookup")
    first = visitor.get(url)
    assert first.has_header("ETag")
    assert visitor.get(url, headers={"if-none-match": first["ETag"]}).status_code == 304
    token = first.text.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
    response = visitor.post(
        url,
        {"code": dossier.code, "factor": dossier.applicant_phone, "csrfmiddlewaretoken": token},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("dossiers:lookup_result")
    assert not response.has_header("ETag")
