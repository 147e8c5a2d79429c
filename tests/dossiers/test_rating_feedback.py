"""Rating the service (Circular 01/2018 art. 13), and feedback to the leaders (phản ánh,
kiến nghị)."""

import threading
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import IntegrityError, connection, connections, transaction
from django.urls import reverse
from django.utils import timezone
from freezegun import freeze_time

from dossiers import services
from dossiers import urls as dossier_urls
from dossiers.lookup import feedback, guard, rating
from dossiers.models import Feedback, Rating
from dossiers.selectors import rating_summary
from myphong import roles
from tests.dossiers import test_lookup as shared
from tests.dossiers.test_lookup import (
    CSRF,
    PHONE,
    look_up,
    resolve,
    return_result,
    vi,
)
from tests.factories import AgencyFactory, DossierFactory, UserFactory

VN = ZoneInfo("Asia/Ho_Chi_Minh")
ALL_GOOD = dict.fromkeys(Rating.FIELDS, 2)

# The lookup tests' fixtures: an agency with an address and its procedure (the shared `clerk`
# and `leader` of tests/dossiers/conftest.py work there), a received dossier, no padding and
# no stale throttle counters.
_fast_and_fresh = shared._fast_and_fresh
agency = shared.agency
procedure = shared.procedure
dossier = shared.dossier


def answers(**overrides):
    data = dict.fromkeys(Rating.FIELDS, "2")
    data.update({"comment": "Cán bộ hướng dẫn tận tình."})
    data.update(overrides)
    return data


@pytest.fixture
def citizen(db):
    return UserFactory(username="hoa@example.vn", roles=[roles.CITIZEN])


@pytest.fixture
def own_dossier(procedure, clerk, citizen):
    """An online dossier of the citizen's account, received by the office."""
    submitted = DossierFactory(procedure=procedure, applicant=citizen, applicant_phone=PHONE)
    return services.accept(submitted, clerk)


@pytest.fixture
def returned(own_dossier, leader, clerk):
    return return_result(own_dossier, leader, clerk)


# --- Rating from "my dossiers" ---------------------------------------------------------------


def test_the_form_asks_the_nine_indicators_with_three_plain_answers(client, citizen, returned):
    client.force_login(citizen)
    response = client.get(reverse("dossiers:rate", args=[returned.pk]))
    assert response.status_code == 200
    form = response.context["form"]
    assert [f.name for f in form.indicator_fields()] == list(Rating.FIELDS)
    for field in form.indicator_fields():
        assert [value for value, _label in field.field.choices] == [0, 1, 2]
    assert response.text.count("<fieldset") == 9
    assert response.text.count('type="radio"') == 27


def test_the_owner_rates_a_returned_dossier_once(client, citizen, returned):
    client.force_login(citizen)
    url = reverse("dossiers:rate", args=[returned.pk])
    response = client.post(url, answers(contacts="1", online_service="0"))
    assert response.status_code == 302
    assert response["Location"] == reverse("dossiers:my_dossier", args=[returned.pk])
    rating = Rating.objects.get()
    assert rating.dossier == returned
    assert rating.channel == Rating.Channel.ACCOUNT
    assert (rating.contacts, rating.online_service, rating.total_time) == (1, 0, 2)
    assert rating.comment == "Cán bộ hướng dẫn tận tình."
    # A second attempt is refused and changes nothing.
    again = client.post(url, answers(contacts="0"), follow=True)
    assert vi("This dossier has already been rated. Thank you.") in again.text
    assert Rating.objects.count() == 1
    assert Rating.objects.get().contacts == 1


def test_every_question_must_be_answered(client, citizen, returned):
    client.force_login(citizen)
    data = answers()
    del data["staff_attitude"]
    response = client.post(reverse("dossiers:rate", args=[returned.pk]), data)
    assert response.status_code == 200
    assert 'href="#id_staff_attitude_0"' in response.text
    assert not Rating.objects.exists()


def test_a_score_outside_0_to_2_is_refused_by_the_form(client, citizen, returned):
    client.force_login(citizen)
    client.post(reverse("dossiers:rate", args=[returned.pk]), answers(publicity="3"))
    assert not Rating.objects.exists()


def test_the_database_keeps_one_rating_per_dossier_and_scores_0_to_2(returned):
    Rating.objects.create(dossier=returned, channel="account", **ALL_GOOD)
    with pytest.raises(IntegrityError), transaction.atomic():
        Rating.objects.create(dossier=returned, channel="lookup", **ALL_GOOD)
    other = DossierFactory(procedure=returned.procedure)
    with pytest.raises(IntegrityError), transaction.atomic():
        Rating.objects.create(dossier=other, channel="lookup", **{**ALL_GOOD, "publicity": 3})


def test_only_after_the_result_is_returned(client, citizen, own_dossier, leader):
    resolved = resolve(own_dossier, leader)
    client.force_login(citizen)
    url = reverse("dossiers:rate", args=[resolved.pk])
    response = client.get(url, follow=True)
    assert vi("The service can be rated once the result has been returned.") in response.text
    client.post(url, answers())
    assert not Rating.objects.exists()
    with pytest.raises(services.ActionRefused):
        rating.rate(resolved, ALL_GOOD)


def test_my_dossier_offers_the_rating_until_it_is_given(client, citizen, returned):
    client.force_login(citizen)
    page = client.get(reverse("dossiers:my_dossier", args=[returned.pk])).text
    assert reverse("dossiers:rate", args=[returned.pk]) in page
    listing = client.get(reverse("dossiers:my_dossiers")).text
    assert reverse("dossiers:rate", args=[returned.pk]) in listing
    rating.rate(returned, ALL_GOOD)
    page = client.get(reverse("dossiers:my_dossier", args=[returned.pk])).text
    assert reverse("dossiers:rate", args=[returned.pk]) not in page
    listing = client.get(reverse("dossiers:my_dossiers")).text
    assert reverse("dossiers:rate", args=[returned.pk]) not in listing


def test_another_citizen_cannot_rate_my_dossier(client, returned):
    client.force_login(UserFactory(username="binh@example.vn", roles=[roles.CITIZEN]))
    url = reverse("dossiers:rate", args=[returned.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, answers()).status_code == 404
    assert not Rating.objects.exists()


# --- Rating from the lookup page -------------------------------------------------------------


def test_a_counter_dossier_is_rated_with_the_lookup_grant(client, dossier, leader, clerk):
    returned = return_result(dossier, leader, clerk)
    url = reverse("dossiers:lookup_rate")
    assert client.get(url)["Location"] == reverse("dossiers:lookup")  # no grant yet
    look_up(client, returned.code, PHONE)
    page = client.get(reverse("dossiers:lookup_result")).text
    assert url in page
    assert client.get(url).status_code == 200
    response = client.post(url, answers(staff_attitude="1"))
    assert response["Location"] == reverse("dossiers:lookup_result")
    rating = Rating.objects.get()
    assert (rating.dossier, rating.channel, rating.staff_attitude) == (returned, "lookup", 1)
    assert client.post(url, answers()).status_code == 302
    assert Rating.objects.count() == 1


def test_the_lookup_grant_ends_and_so_does_rating(client, dossier, leader, clerk):
    returned = return_result(dossier, leader, clerk)
    with freeze_time(timezone.now()) as frozen:
        look_up(client, returned.code, PHONE)
        frozen.tick(timedelta(minutes=31))
        response = client.post(reverse("dossiers:lookup_rate"), answers())
    assert response["Location"] == reverse("dossiers:lookup")
    assert not Rating.objects.exists()


# --- Staff never edit ratings ----------------------------------------------------------------


def test_the_admin_shows_ratings_but_never_changes_them(client, returned):
    rating = Rating.objects.create(dossier=returned, channel="account", **ALL_GOOD)
    admin = UserFactory(username="quantri", is_staff=True, is_superuser=True)
    client.force_login(admin)
    assert client.get(reverse("admin:dossiers_rating_changelist")).status_code == 200
    change = reverse("admin:dossiers_rating_change", args=[rating.pk])
    page = client.get(change)
    assert page.status_code == 200
    assert 'name="_save"' not in page.text
    assert client.post(change, {**ALL_GOOD, "total_time": 0}).status_code == 403
    assert client.get(reverse("admin:dossiers_rating_add")).status_code == 403
    delete = reverse("admin:dossiers_rating_delete", args=[rating.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert Rating.objects.get().total_time == 2


def test_no_staff_page_changes_a_rating(client, returned, clerk, leader):
    Rating.objects.create(dossier=returned, channel="account", **ALL_GOOD)
    for user in [clerk, leader]:
        client.force_login(user)
        # The citizen's rating pages are for citizens (the owner) only.
        assert (
            client.post(reverse("dossiers:rate", args=[returned.pk]), answers()).status_code == 403
        )
        assert Rating.objects.get().total_time == 2
        page = client.get(reverse("dossiers:office_dossier", args=[returned.pk])).text
        assert "danh-gia" not in page
    rating_views = [p.name for p in dossier_urls.urlpatterns if "danh-gia" in str(p.pattern)]
    assert sorted(rating_views) == ["lookup_rate", "rate"]


# --- Statistics ------------------------------------------------------------------------------


def test_rating_summary_averages_each_indicator_in_one_query(
    procedure, clerk, leader, django_assert_num_queries
):
    other_agency = AgencyFactory(code="000.17.22.H57", name="UBND xã bên")
    dossiers = [DossierFactory(procedure=procedure) for _ in range(3)]
    elsewhere = DossierFactory(procedure=procedure, agency=other_agency)
    inside = datetime(2026, 3, 10, 9, 0, tzinfo=VN)
    with freeze_time(inside):
        Rating.objects.create(dossier=dossiers[0], channel="account", **ALL_GOOD)
        Rating.objects.create(
            dossier=dossiers[1], channel="lookup", **{**ALL_GOOD, "contacts": 1, "one_stop": 0}
        )
        Rating.objects.create(dossier=elsewhere, channel="lookup", **dict.fromkeys(ALL_GOOD, 0))
    with freeze_time(datetime(2026, 4, 1, 0, 30, tzinfo=VN)):  # after the period
        Rating.objects.create(dossier=dossiers[2], channel="lookup", **dict.fromkeys(ALL_GOOD, 0))
    with django_assert_num_queries(1):
        summary = rating_summary(procedure.agency, date(2026, 3, 1), date(2026, 3, 31))
    assert summary["count"] == 2
    assert summary["contacts"] == pytest.approx(1.5)
    assert summary["one_stop"] == pytest.approx(1.0)
    assert summary["total_time"] == pytest.approx(2.0)
    everyone = rating_summary(None, date(2026, 3, 1), date(2026, 3, 31))
    assert everyone["count"] == 3
    assert rating_summary(procedure.agency, date(2026, 5, 1), date(2026, 5, 31)) == {
        "count": 0,
        **dict.fromkeys(Rating.FIELDS),
    }


# --- Feedback: sending --------------------------------------------------------------------------


def feedback_data(agency, **overrides):
    data = {
        "category": Feedback.Category.PROCEDURE,
        "agency": agency.pk,
        "content": "Thủ tục đăng ký khai sinh yêu cầu giấy tờ không có trong danh mục.",
        "dossier_code": "",
        "sender_name": "",
        "sender_phone": "",
        "website": "",
    }
    data.update(overrides)
    return data


def send(client, agency, ip="203.0.113.30", **overrides):
    return client.post(
        reverse("dossiers:feedback"), feedback_data(agency, **overrides), REMOTE_ADDR=ip
    )


def test_anonymous_feedback_gets_a_code_and_a_lookup_key(client, agency):
    with freeze_time(datetime(2026, 2, 13, 9, 0, tzinfo=VN)):
        response = send(client, agency)
        page = client.get(response["Location"]).text
    assert response["Location"] == reverse("dossiers:feedback_sent")
    feedback = Feedback.objects.get()
    assert feedback.code == "PAKN-260213-0001"
    assert (feedback.sender_name, feedback.sender_phone) == ("", "")
    assert feedback.agency == agency
    assert feedback.code in page
    assert feedback.lookup_key in page
    assert (
        vi("You gave no phone number: keep the lookup key, it is the only way to read the answer.")
        in page
    )


def test_named_feedback_keeps_the_name_and_the_normalised_phone(client, agency):
    send(
        client,
        agency,
        sender_name="  Trần   Văn Bình ",
        sender_phone="+84 987 654 321",
        category=Feedback.Category.CONDUCT,
        dossier_code="000.17.22.h56-260213-0001",
    )
    feedback = Feedback.objects.get()
    assert feedback.sender_name == "Trần Văn Bình"
    assert feedback.sender_phone == "0987654321"
    assert feedback.category == Feedback.Category.CONDUCT
    assert feedback.dossier_code == "000.17.22.H56-260213-0001"


def test_feedback_codes_follow_the_vietnam_date_and_restart_each_day(agency):
    def code_at(moment):
        with freeze_time(moment):
            return feedback.send_feedback(agency, "other", "Đề xuất").code

    assert code_at(datetime(2026, 2, 13, 8, 0, tzinfo=VN)) == "PAKN-260213-0001"
    assert code_at(datetime(2026, 2, 13, 16, 0, tzinfo=VN)) == "PAKN-260213-0002"
    # 23:30 UTC on 13/02 is 06:30 on 14/02 in Vietnam.
    assert code_at(datetime(2026, 2, 13, 23, 30, tzinfo=ZoneInfo("UTC"))) == "PAKN-260214-0001"


def test_a_feedback_code_is_taken_inside_a_transaction_only(transactional_db):
    with pytest.raises(RuntimeError):
        feedback.issue_feedback_code(timezone.now())


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
def test_concurrent_feedback_get_distinct_gap_free_codes(transactional_db):
    agency = AgencyFactory()
    barrier = threading.Barrier(20)
    errors = []

    def sender():
        try:
            barrier.wait(timeout=30)
            feedback.send_feedback(agency, "other", "Đề xuất")
        except Exception as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=sender) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    codes = sorted(Feedback.objects.values_list("code", flat=True))
    if len({code.rsplit("-", 1)[0] for code in codes}) == 1:
        assert [int(code.rsplit("-", 1)[1]) for code in codes] == list(range(1, 21))


def test_the_hidden_field_turns_robots_away(client, agency):
    response = send(client, agency, website="http://spam.example")
    assert response.status_code == 200
    assert not Feedback.objects.exists()


def test_a_flood_from_one_address_is_refused(client, agency, settings):
    for _n in range(settings.LOOKUP_MAX_FAILURES):
        send(client, agency, ip="198.51.100.77")
    response = send(client, agency, ip="198.51.100.77")
    assert response.status_code == 429
    message = vi(guard.SUBMISSIONS_PAUSED) % {"minutes": settings.LOOKUP_LOCK_MINUTES}
    assert message in response.text
    assert Feedback.objects.count() == settings.LOOKUP_MAX_FAILURES
    assert send(client, agency, ip="198.51.100.78").status_code == 302


def test_the_form_explains_what_is_wrong(client, agency):
    response = send(client, agency, category="", content="")
    assert response.status_code == 200
    assert 'href="#id_category_0"' in response.text
    assert 'href="#id_content"' in response.text
    assert not Feedback.objects.exists()


# --- Feedback: the sender's lookup ------------------------------------------------------------


def feedback_lookup(client, code, factor, ip="203.0.113.31"):
    return client.post(
        reverse("dossiers:feedback_lookup"), {"code": code, "factor": factor}, REMOTE_ADDR=ip
    )


@pytest.fixture
def named(agency):
    return feedback.send_feedback(agency, "conduct", "Cán bộ thiếu nhiệt tình.", "Bình", PHONE)


@pytest.fixture
def anonymous(agency):
    return feedback.send_feedback(agency, "harassment", "Bị yêu cầu nộp thêm 200.000 đồng.")


@pytest.mark.parametrize("factor", [PHONE, "+84 912 345 678", "key"])
def test_the_sender_follows_with_the_code_and_phone_or_key(client, named, factor):
    factor = named.lookup_key.lower() if factor == "key" else factor
    response = feedback_lookup(client, named.code.lower(), factor)
    assert response["Location"] == reverse("dossiers:feedback_result")
    page = client.get(response["Location"])
    assert page.context["feedback"] == named
    assert vi("The leaders have not answered yet. Please look again later.") in page.text


def test_anonymous_feedback_opens_with_its_key_only(client, anonymous):
    assert feedback_lookup(client, anonymous.code, "").status_code == 200  # no empty match
    assert feedback_lookup(client, anonymous.code, anonymous.lookup_key).status_code == 302


def test_feedback_lookup_failures_are_all_the_same(client, named, anonymous):
    with freeze_time(timezone.now()):
        failures = [
            feedback_lookup(client, named.code, "0987654321"),
            feedback_lookup(client, named.code, anonymous.lookup_key),
            feedback_lookup(client, "PAKN-991231-9999", PHONE),
            feedback_lookup(client, anonymous.code, ""),
            feedback_lookup(client, "", ""),
        ]
    reference = failures[0]
    assert vi(guard.FAILED) in reference.text
    for response in failures:
        assert response.status_code == 200
        assert CSRF.sub(b"", response.content) == CSRF.sub(b"", reference.content)
        assert dict(response.headers) == dict(reference.headers)


def test_feedback_lookup_is_throttled_like_the_dossier_lookup(client, named, settings):
    for n in range(settings.LOOKUP_MAX_FAILURES):
        feedback_lookup(client, f"PAKN-991231-{n:04d}", PHONE, ip="198.51.100.99")
    assert feedback_lookup(client, named.code, PHONE, ip="198.51.100.99").status_code == 429


# --- Feedback: the leaders ----------------------------------------------------------------------


def test_the_leader_answers_and_the_sender_reads_the_answer(client, leader, named):
    client.force_login(leader)
    queue = client.get(reverse("dossiers:feedback_queue"))
    assert queue.status_code == 200
    assert named.code in queue.text
    url = reverse("dossiers:feedback_answer", args=[named.pk])
    page = client.get(url).text
    assert "Cán bộ thiếu nhiệt tình." in page and "Bình" in page and PHONE in page
    response = client.post(url, {"answer": "UBND xã đã nhắc nhở cán bộ. Xin cảm ơn ông/bà."})
    assert response.status_code == 302
    named.refresh_from_db()
    assert named.answered_by == leader and named.answered_at is not None
    # Answered once: a second answer changes nothing.
    client.post(url, {"answer": "Khác"})
    named.refresh_from_db()
    assert named.answer == "UBND xã đã nhắc nhở cán bộ. Xin cảm ơn ông/bà."
    client.logout()
    feedback_lookup(client, named.code, PHONE)
    result = client.get(reverse("dossiers:feedback_result")).text
    assert "UBND xã đã nhắc nhở cán bộ. Xin cảm ơn ông/bà." in result


def test_money_and_harassment_are_flagged_and_come_first(client, leader, named, anonymous):
    client.force_login(leader)
    response = client.get(reverse("dossiers:feedback_queue"))
    rows = list(response.context["page"].object_list)
    assert rows == [anonymous, named]
    assert response.context["flagged_waiting"] == 1
    assert vi("Harassment or money") in response.text
    page = client.get(reverse("dossiers:feedback_answer", args=[anonymous.pk])).text
    assert vi("Report of harassment or money asked for.") in page
    assert vi("Anonymous") in page


def test_only_leaders_open_the_feedback_pages(client, agency, clerk, citizen, named):
    specialist = UserFactory(username="chuyenvien", roles=[roles.SPECIALIST], roles__agency=agency)
    urls = [
        reverse("dossiers:feedback_queue"),
        reverse("dossiers:feedback_answer", args=[named.pk]),
    ]
    for user in [clerk, specialist, citizen]:
        client.force_login(user)
        for url in urls:
            assert client.get(url).status_code == 403, (user, url)
        assert client.post(urls[1], {"answer": "x"}).status_code == 403
    client.logout()
    for url in urls:
        assert client.get(url)["Location"].startswith(reverse("login"))
    named.refresh_from_db()
    assert named.answered_at is None


def test_other_agencies_feedback_is_hidden(client, named):
    other = AgencyFactory(code="000.17.22.H57", name="UBND xã bên")
    client.force_login(
        UserFactory(username="lanhdao-ben", roles=[roles.LEADER], roles__agency=other)
    )
    queue = client.get(reverse("dossiers:feedback_queue", query={"hang": "all"}))
    assert named.code not in queue.text
    url = reverse("dossiers:feedback_answer", args=[named.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, {"answer": "x"}).status_code == 404


def test_the_queue_costs_the_same_queries_for_one_or_many(
    client, leader, agency, named, django_assert_max_num_queries
):
    from django.test.utils import CaptureQueriesContext

    client.force_login(leader)
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("dossiers:feedback_queue"))
    for n in range(5):
        feedback.send_feedback(agency, "other", f"Đề xuất {n}")
    with django_assert_max_num_queries(len(one)):
        client.get(reverse("dossiers:feedback_queue"))


def test_leaders_find_the_queue_in_the_menu(client, leader, clerk):
    client.force_login(leader)
    assert reverse("dossiers:feedback_queue") in client.get("/").text
    client.force_login(clerk)
    assert reverse("dossiers:feedback_queue") not in client.get("/").text
