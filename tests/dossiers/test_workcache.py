"""The work queue and the leaders' statistics kept in the cache (dossiers.workcache): served
again while nothing they show changed, never to another user, dropped by any change."""

import re
from decimal import Decimal

import pytest
from django.contrib import messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.backends.db import SessionStore
from django.core.cache import cache
from django.db import connection
from django.http import HttpResponse
from django.middleware.csrf import _does_token_match, get_token
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import reverse

from dossiers import services, workcache
from dossiers.lookup.rating import rate
from dossiers.models import Dossier, Rating
from dossiers.workflow import Status
from myphong import roles
from tests.factories import (
    AgencyFactory,
    DossierFactory,
    ProcedureFactory,
    SectorFactory,
    UserFactory,
)

QUEUE = reverse("dossiers:office_queue")
STATISTICS = reverse("dossiers:statistics")


@pytest.fixture
def procedure(agency):
    sector = SectorFactory(code="ho-tich", name="Hộ tịch")
    return ProcedureFactory(
        name="Đăng ký khai sinh", processing_time=Decimal("5"), agency=agency, sector=sector
    )


def receive(procedure, clerk, name):
    return services.accept(DossierFactory(procedure=procedure, applicant_name=name), clerk)


def page(client, user, url=QUEUE, **params):
    client.force_login(user)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params)
    assert response.status_code == 200
    return response.content.decode(), len(queries.captured_queries)


def test_a_second_visit_is_served_from_the_cache_with_the_same_body(
    client, procedure, clerk, leader
):
    receive(procedure, clerk, "Phạm Thị Lành")
    first, computed = page(client, leader, hang="all")
    second, served = page(client, leader, hang="all")
    assert "Phạm Thị Lành" in second
    assert served < computed  # no queue query: the session, the user and their roles only
    with override_settings(WORK_CACHE_SECONDS=0):
        fresh, _ = page(client, leader, hang="all")
    body = first.split("<main", 1)[1].split("</main>", 1)[0]
    assert body == second.split("<main", 1)[1].split("</main>", 1)[0]
    assert body == fresh.split("<main", 1)[1].split("</main>", 1)[0]


def test_a_colleagues_action_shows_at_once(client, procedure, clerk, leader, specialist):
    dossier = receive(procedure, clerk, "Phạm Thị Lành")
    before, _ = page(client, leader, hang="unassigned")
    assert "Phạm Thị Lành" in before
    services.assign(dossier, leader, specialist=specialist)
    after, _ = page(client, leader, hang="unassigned")
    assert "Phạm Thị Lành" not in after
    mine, _ = page(client, specialist, hang="mine")
    assert "Phạm Thị Lành" in mine
    receive(procedure, clerk, "Lê Văn Tám")
    assert "Lê Văn Tám" in page(client, leader, hang="unassigned")[0]


def test_one_users_page_is_never_served_to_another(
    client, procedure, clerk, specialist, other_specialist, leader
):
    """Same agency, same address: each sees their own "Mine"."""
    dossier = receive(procedure, clerk, "Phạm Thị Lành")
    services.assign(dossier, leader, specialist=specialist)
    assert "Phạm Thị Lành" in page(client, specialist, hang="mine")[0]
    assert "Phạm Thị Lành" not in page(client, other_specialist, hang="mine")[0]
    assert "Phạm Thị Lành" in page(client, specialist, hang="mine")[0]


def test_another_agencys_staff_never_get_the_page(client, procedure, clerk, leader):
    receive(procedure, clerk, "Phạm Thị Lành")
    assert "Phạm Thị Lành" in page(client, leader, hang="all")[0]
    other = AgencyFactory(code="000.00.99.H56", name="UBND xã Khác")
    stranger = UserFactory(username="lanhdao-khac", roles=[roles.LEADER], roles__agency=other)
    assert "Phạm Thị Lành" not in page(client, stranger, hang="all")[0]


def test_each_language_has_its_own_page(client, procedure, clerk, leader):
    receive(procedure, clerk, "Phạm Thị Lành")
    assert "Tất cả" in page(client, leader, hang="all")[0]
    client.cookies["ngon_ngu"] = "en"
    english, _ = page(client, leader, hang="all")
    assert "Dossier processing" in english
    assert "Tất cả" not in english


def test_the_end_of_a_transfer_leaves_the_other_agencys_queue_at_once(
    client, procedure, clerk, leader, specialist, province, province_specialist
):
    dossier = receive(procedure, clerk, "Phạm Thị Lành")
    services.assign(dossier, leader, specialist=specialist)
    dossier = services.start_processing(dossier, specialist)
    assert "Phạm Thị Lành" not in page(client, province_specialist, hang="all")[0]
    services.transfer_to_agency(dossier, specialist, agency=province)
    assert "Phạm Thị Lành" in page(client, province_specialist, hang="all")[0]
    # take_back reads the dossier again: the agency it leaves is known from that reading.
    services.take_back(Dossier.objects.get(pk=dossier.pk), province_specialist)
    assert "Phạm Thị Lành" not in page(client, province_specialist, hang="all")[0]


def test_statistics_change_with_an_action_and_a_rating(client, procedure, clerk, leader):
    dossier = receive(procedure, clerk, "Phạm Thị Lành")
    first, computed = page(client, leader, STATISTICS)
    again, served = page(client, leader, STATISTICS)
    assert served < computed
    assert again.split("<main", 1)[1] == first.split("<main", 1)[1]
    receive(procedure, clerk, "Lê Văn Tám")
    received, _ = page(client, leader, STATISTICS)
    assert received.split("<main", 1)[1] != again.split("<main", 1)[1]
    # A rating is no action on the dossier: it sets the version itself. (The status is set
    # without a save, so only the rating can have changed the page.)
    Dossier.objects.filter(pk=dossier.pk).update(status=Status.RETURNED)
    unchanged, _ = page(client, leader, STATISTICS)
    assert unchanged.split("<main", 1)[1] == received.split("<main", 1)[1]
    rate(Dossier.objects.get(pk=dossier.pk), dict.fromkeys(Rating.FIELDS, 2))
    rated, _ = page(client, leader, STATISTICS)
    assert rated.split("<main", 1)[1] != received.split("<main", 1)[1]


def test_a_change_commits_a_new_version(django_capture_on_commit_callbacks, agency):
    """The version set at the save is set again at the commit: a page another request computed
    in between (from the data before the commit) is not served after it."""
    other = AgencyFactory(code="000.00.99.H56", name="UBND xã Khác")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        workcache.changed_after_commit([agency.pk])
        during = cache.get(workcache.agency_key(agency.pk))
        workcache.changed_after_commit([agency.pk])  # a second save of the same action
        assert cache.get(workcache.agency_key(agency.pk)) == during
        workcache.changed_after_commit([agency.pk, other.pk])
    assert len(callbacks) == 2
    assert cache.get(workcache.agency_key(agency.pk)) > during
    assert cache.get(workcache.ALL) >= cache.get(workcache.agency_key(agency.pk))


def test_without_redis_the_pages_are_computed(client, procedure, clerk, leader):
    receive(procedure, clerk, "Phạm Thị Lành")
    dead = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:9/0",
        }
    }
    client.force_login(leader)
    with override_settings(CACHES=dead):
        response = client.get(QUEUE, {"hang": "all"})
    assert response.status_code == 200
    assert "Phạm Thị Lành" in response.content.decode()


# --- The decorator itself ---------------------------------------------------------------------


@pytest.fixture
def counted_view(agency):
    """A page kept by `kept_page`, which counts how often it is computed."""
    calls = []

    @workcache.kept_page("test", lambda request: agency.pk)
    def view(request):
        calls.append(request)
        if request.GET.get("status"):
            return HttpResponse("no", status=int(request.GET["status"]))
        template = (
            '<form method="post"><input type="hidden" name="csrfmiddlewaretoken" value="{}"></form>'
        )
        return HttpResponse(template.format(get_token(request)))

    view.calls = calls
    return view


def get(user, path="/trang/", message=None):
    request = RequestFactory().get(path)
    request.user = user
    request.session = SessionStore()
    request._messages = FallbackStorage(request)
    if message:
        messages.info(request, message)
    return request


def test_a_kept_page_is_computed_once_and_gives_each_browser_its_own_token(counted_view, leader):
    first, second = get(leader), get(leader)
    first_html = counted_view(first).content.decode()
    second_html = counted_view(second).content.decode()
    assert len(counted_view.calls) == 1
    token = re.compile(r'value="([^"]+)"')
    # Each masked token belongs to its own browser's secret.
    assert _does_token_match(token.search(first_html).group(1), first.META["CSRF_COOKIE"])
    assert _does_token_match(token.search(second_html).group(1), second.META["CSRF_COOKIE"])
    assert not _does_token_match(token.search(second_html).group(1), first.META["CSRF_COOKIE"])


def test_a_page_with_a_message_or_an_error_is_never_kept(counted_view, leader):
    counted_view(get(leader, message="Đã lưu"))
    counted_view(get(leader, message="Đã lưu"))
    assert len(counted_view.calls) == 2
    counted_view(get(leader, "/trang/?status=404"))
    counted_view(get(leader, "/trang/?status=404"))
    assert len(counted_view.calls) == 4


def test_an_old_page_is_renewed_by_one_request_while_the_others_get_it(
    counted_view, leader, agency
):
    counted_view(get(leader))
    key, _, entry = workcache._read(get(leader), "test", agency.pk)
    cache.set(key, {**entry, "fresh_until": 0}, 60)  # older than WORK_CACHE_SECONDS
    cache.add(f"{key}:renewing", 1, 30)  # another request is computing it
    counted_view(get(leader))
    assert len(counted_view.calls) == 1  # this one got the old page meanwhile
    cache.delete(f"{key}:renewing")
    counted_view(get(leader))  # this one renews it
    assert len(counted_view.calls) == 2
    counted_view(get(leader))
    assert len(counted_view.calls) == 2
