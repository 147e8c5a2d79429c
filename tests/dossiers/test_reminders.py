"""Reminders to officers: the morning digest per role and agency, the overdue and Form 04
notices, each message once, never on a day off."""

import threading
from datetime import date, datetime, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection

from dossiers import deadlines, reminders
from dossiers.models import CalendarException, Reminder
from dossiers.workflow import Status
from myphong import roles
from tests.factories import DossierFactory, ProcedureFactory, SectorFactory, UserFactory

VN = ZoneInfo("Asia/Ho_Chi_Minh")
# Tue 01/12/2026 07:30, the default digest time on an ordinary working day.
TUESDAY_0730 = datetime(2026, 12, 1, 7, 30, tzinfo=VN)


def at(day, hour, minute=0, month=12, year=2026):
    return datetime(year, month, day, hour, minute, tzinfo=VN)


_codes = iter(range(1, 100_000))


def a_dossier(agency, *, due, status=Status.IN_PROGRESS, assigned_to=None, sector=None, **extra):
    """A dossier already in `status` (reminders only read dossiers, so the state is set here
    directly rather than played through the services)."""
    procedure = ProcedureFactory(agency=agency, **({"sector": sector} if sector else {}))
    return DossierFactory(
        procedure=procedure,
        status=status,
        code=f"{agency.code}-261120-{next(_codes):04d}",
        received_at=due - timedelta(days=7),
        clock_started_at=due - timedelta(days=7),
        due_at=due,
        assigned_to=assigned_to,
        **extra,
    )


def digest_of(user):
    return next(m for m in mail.outbox if m.to == [user.email])


@pytest.fixture
def office(agency, clerk, specialist, other_specialist, leader):
    """One commune office on Tue 01/12/2026 07:30, its dossiers named by what they are."""
    civil = SectorFactory(code="ho-tich", name="Hộ tịch")
    land = SectorFactory(code="dat-dai", name="Đất đai")
    return {
        "due_this_morning": a_dossier(agency, due=at(1, 10), assigned_to=specialist, sector=civil),
        "overdue": a_dossier(agency, due=at(30, 16, month=11), assigned_to=specialist, sector=land),
        "due_tomorrow_early": a_dossier(agency, due=at(2, 7), assigned_to=specialist),
        "due_friday": a_dossier(agency, due=at(4, 10), assigned_to=specialist),
        "waiting_for_papers": a_dossier(
            agency,
            due=at(27, 10, month=11),
            assigned_to=specialist,
            status=Status.AWAITING_SUPPLEMENT,
        ),
        "colleagues": a_dossier(agency, due=at(1, 9), assigned_to=other_specialist, sector=civil),
        "unassigned_due_today": a_dossier(
            agency, due=at(1, 15), status=Status.RECEIVED, sector=land
        ),
        "result_waiting_long": a_dossier(
            agency,
            due=at(26, 10, month=11),
            status=Status.RESOLVED,
            resolved_at=at(25, 10, month=11),
        ),
        "result_waiting_short": a_dossier(
            agency,
            due=at(30, 10, month=11),
            status=Status.RESOLVED,
            resolved_at=at(27, 10, month=11),
        ),
    }


def test_specialist_digest_lists_own_dossiers_due_within_a_working_day_and_overdue(
    office, specialist
):
    outcome = reminders.send_morning_digests(TUESDAY_0730)

    assert outcome.sent >= 1
    body = digest_of(specialist).body
    for name in ("due_this_morning", "overdue", "due_tomorrow_early"):
        assert office[name].code in body, name
    for name in ("due_friday", "waiting_for_papers", "colleagues", "unassigned_due_today"):
        assert office[name].code not in body, name
    assert "1 quá hạn, 2 đến hạn trong một ngày làm việc" in body
    assert digest_of(specialist).subject == "Hồ sơ cần chú ý ngày 01/12/2026: 3 hồ sơ"


def test_leader_digest_groups_overdue_and_due_today_by_sector_and_officer_with_unassigned(
    office, leader, province, province_leader
):
    a_dossier(province, due=at(30, 9, month=11))  # another agency's overdue dossier

    reminders.send_morning_digests(TUESDAY_0730)

    body = digest_of(leader).body
    for name in ("due_this_morning", "overdue", "colleagues", "unassigned_due_today"):
        assert office[name].code in body, name
    for name in ("due_tomorrow_early", "due_friday", "waiting_for_papers"):
        assert office[name].code not in body, name
    assert "HỒ SƠ CỦA CƠ QUAN: 1 quá hạn, 3 đến hạn hôm nay" in body
    assert "Chưa phân công: 1 hồ sơ" in body
    assert "- Đất đai · CHƯA PHÂN CÔNG: 0 quá hạn, 1 đến hạn hôm nay" in body
    assert "- Đất đai · Trần Văn Minh: 1 quá hạn, 0 đến hạn hôm nay" in body
    province_body = digest_of(province_leader).body
    assert office["overdue"].code not in province_body
    assert "1 quá hạn, 0 đến hạn hôm nay" in province_body


def test_clerk_digest_lists_results_waiting_more_than_three_working_days(office, clerk):
    reminders.send_morning_digests(TUESDAY_0730)

    body = digest_of(clerk).body
    assert office["result_waiting_long"].code in body
    assert office["result_waiting_short"].code not in body
    assert office["overdue"].code not in body


def test_no_digest_on_tet(office):
    tet = datetime(2026, 2, 17, 7, 30, tzinfo=VN)

    outcome = reminders.send_morning_digests(tet)

    assert "day off" in outcome.skipped
    assert mail.outbox == []
    assert not Reminder.objects.exists()


def test_no_digest_on_an_ordinary_sunday(office):
    assert reminders.send_morning_digests(at(6, 7, 30)).skipped
    assert mail.outbox == []


def test_the_make_up_saturday_of_the_library_gets_a_digest(agency, specialist):
    # The holidays library lists Sat 22/08/2026 as a weekend day worked in exchange.
    saturday = datetime(2026, 8, 22, 7, 30, tzinfo=VN)
    late = a_dossier(agency, due=datetime(2026, 8, 21, 10, tzinfo=VN), assigned_to=specialist)

    reminders.send_morning_digests(saturday)

    assert late.code in digest_of(specialist).body


def test_a_make_up_saturday_decided_by_the_admin_gets_a_digest(agency, specialist):
    saturday = date(2026, 12, 12)
    CalendarException.objects.create(date=saturday, is_working_day=True, note="Làm bù")
    late = a_dossier(agency, due=at(11, 10), assigned_to=specialist)

    reminders.send_morning_digests(at(12, 7, 30))

    assert late.code in digest_of(specialist).body


def test_an_extra_day_off_decided_by_the_admin_has_no_digest(office):
    CalendarException.objects.create(date=date(2026, 12, 1), is_working_day=False, note="Nghỉ")

    assert reminders.send_morning_digests(TUESDAY_0730).skipped
    assert mail.outbox == []


def test_no_digest_for_an_officer_with_nothing_to_say(agency, specialist, leader):
    a_dossier(agency, due=at(10, 10), assigned_to=specialist)  # due next week

    reminders.send_morning_digests(TUESDAY_0730)

    assert mail.outbox == []
    assert not Reminder.objects.exists()


def test_the_digest_is_sent_once_however_often_it_runs(office, specialist, leader, clerk):
    reminders.send_morning_digests(TUESDAY_0730)
    first = len(mail.outbox)

    again = reminders.send_morning_digests(TUESDAY_0730 + timedelta(minutes=20))

    assert first == 4  # two specialists, the leader, the clerk
    assert len(mail.outbox) == first
    assert again.sent == 0
    assert Reminder.objects.filter(reason="digest", day=date(2026, 12, 1)).count() == 4
    # The next working day is another digest.
    reminders.send_morning_digests(at(2, 7, 30))
    assert len(mail.outbox) > first


class BrokenSmtp:
    """An email backend whose server is down for the first `failures` messages."""

    failures = 0
    sent = []

    def __init__(self, **kwargs):
        pass

    def send_messages(self, messages):
        if BrokenSmtp.failures > 0:
            BrokenSmtp.failures -= 1
            raise ConnectionRefusedError("SMTP server down")
        BrokenSmtp.sent.extend(messages)
        return len(messages)


def test_a_failed_email_is_recorded_and_sent_by_the_retry_once(settings, office, specialist):
    settings.EMAIL_BACKEND = "tests.dossiers.test_reminders.BrokenSmtp"
    BrokenSmtp.failures, BrokenSmtp.sent = 1, []

    first = reminders.send_morning_digests(TUESDAY_0730)
    failed = Reminder.objects.get(sent_at__isnull=True)
    retry = reminders.send_morning_digests(TUESDAY_0730 + timedelta(minutes=1))
    third = reminders.send_morning_digests(TUESDAY_0730 + timedelta(minutes=2))

    assert first.failed == 1 and first.sent == 3
    assert failed.attempts == 1 and "SMTP server down" in failed.last_error
    assert retry.sent == 1 and third.sent == 0
    assert len(BrokenSmtp.sent) == 4
    assert len({tuple(m.to) for m in BrokenSmtp.sent}) == 4
    assert not Reminder.objects.filter(sent_at__isnull=True).exists()


def test_the_task_retries_while_reminders_are_not_sent(settings, office):
    from dossiers import tasks

    settings.EMAIL_BACKEND = "tests.dossiers.test_reminders.BrokenSmtp"
    BrokenSmtp.failures, BrokenSmtp.sent = 100, []

    with pytest.raises(reminders.RemindersNotSent):
        tasks._run_reminders("overdue check", lambda: reminders.check_overdue(TUESDAY_0730))

    from dossiers.models import PeriodicRun

    run = PeriodicRun.objects.get(name="overdue check")
    assert run.finished_at is not None and not run.succeeded
    assert "failed" in run.summary


def test_an_officer_without_email_reads_the_digest_on_the_page_only(office, specialist):
    specialist.email = ""
    specialist.save()

    outcome = reminders.send_morning_digests(TUESDAY_0730)

    assert outcome.web_only == 1
    assert all(m.to != [""] for m in mail.outbox)
    assert Reminder.objects.get(recipient=specialist).sent_at is not None


# --- The overdue check ------------------------------------------------------------------


def test_a_dossier_that_becomes_overdue_is_told_to_its_specialist_and_leaders_once(
    agency, specialist, other_specialist, leader, province_leader
):
    late = a_dossier(agency, due=at(1, 10), assigned_to=specialist)

    before = reminders.check_overdue(at(1, 9, 45))
    just_after = reminders.check_overdue(at(1, 10, 15))
    later = reminders.check_overdue(at(1, 10, 30))

    assert before.sent == 0
    assert just_after.sent == 2 and later.sent == 0
    told = {m.to[0] for m in mail.outbox}
    assert told == {specialist.email, leader.email}
    message = digest_of(specialist)
    assert late.code in message.body
    assert message.subject == "1 hồ sơ vừa quá hạn"
    assert set(
        Reminder.objects.filter(dossier=late).values_list("recipient__username", flat=True)
    ) == {"chuyenvien", "lanhdao"}


def test_a_leader_gets_one_email_for_several_dossiers_overdue_at_once(agency, leader):
    dossiers = [a_dossier(agency, due=at(1, 10), status=Status.RECEIVED) for _ in range(3)]

    reminders.check_overdue(at(1, 10, 15))

    assert len(mail.outbox) == 1
    assert all(d.code in mail.outbox[0].body for d in dossiers)
    assert mail.outbox[0].subject == "3 hồ sơ vừa quá hạn"


def test_finished_and_long_overdue_dossiers_are_not_told_again(agency, specialist, leader):
    a_dossier(agency, due=at(1, 10), status=Status.RESOLVED, assigned_to=specialist)
    a_dossier(agency, due=at(20, 10, month=11), assigned_to=specialist)  # the digest lists it

    assert reminders.check_overdue(at(1, 10, 15)).recorded == 0
    assert mail.outbox == []


def test_the_form_04_window_is_told_to_the_specialist_once_unless_rescheduled(
    agency, specialist, leader
):
    # Due Thu 03/12 10:00: two working days before is Tue 01/12 10:00, the last moment to
    # issue Form 04 is Wed 02/12 10:00.
    at_risk = a_dossier(agency, due=at(3, 10), assigned_to=specialist)
    rescheduled = a_dossier(
        agency, due=at(3, 10), assigned_to=specialist, due_before_apology=at(1, 10)
    )

    too_early = reminders.check_overdue(at(1, 9, 45))
    window = reminders.check_overdue(at(1, 10, 15))
    again = reminders.check_overdue(at(2, 8))

    assert too_early.recorded == 0
    assert window.sent == 1 and again.sent == 0
    message = digest_of(specialist)
    assert at_risk.code in message.body and rescheduled.code not in message.body
    assert "Mẫu 04" in message.subject
    assert leader.email not in {m.to[0] for m in mail.outbox}


@pytest.mark.django_db(transaction=True)
def test_two_beats_checking_at_the_same_moment_send_each_message_once(agency, specialist, leader):
    for _ in range(5):
        a_dossier(agency, due=at(1, 10), assigned_to=specialist)
    barrier = threading.Barrier(2)
    errors = []

    def beat():
        try:
            barrier.wait()
            reminders.check_overdue(at(1, 10, 15))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=beat) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert sorted(m.to[0] for m in mail.outbox) == sorted([specialist.email, leader.email])
    assert Reminder.objects.count() == 10
    assert Reminder.objects.filter(sent_at__isnull=True).count() == 0


def test_the_digest_and_the_check_use_a_fixed_number_of_queries(
    django_assert_max_num_queries, agency, specialist, other_specialist, leader, clerk
):
    def run():
        deadlines.default_calendar(agency)  # the calendar's one query, cached by the process
        with django_assert_max_num_queries(40) as digest:
            reminders.send_morning_digests(TUESDAY_0730)
        with django_assert_max_num_queries(40) as check:
            reminders.check_overdue(TUESDAY_0730)
        Reminder.objects.all().delete()
        return len(digest.captured_queries), len(check.captured_queries)

    def add(count):
        for _ in range(count):
            a_dossier(agency, due=at(30, 16, month=11), assigned_to=specialist)
            a_dossier(agency, due=at(1, 9), assigned_to=other_specialist)
            a_dossier(agency, due=at(1, 9), status=Status.RECEIVED)
            a_dossier(
                agency,
                due=at(26, 10, month=11),
                status=Status.RESOLVED,
                resolved_at=at(25, 10, month=11),
            )

    add(1)
    few = run()
    add(30)
    many = run()

    assert many == few


# --- The command ----------------------------------------------------------------------------


def test_send_reminders_dry_run_prints_and_records_nothing(office, specialist):
    out = StringIO()

    call_command("send_reminders", "--now", "2026-12-01T07:30", "--dry-run", stdout=out)

    printed = out.getvalue()
    assert "Trần Văn Minh — digest" in printed
    assert office["overdue"].code in printed
    assert mail.outbox == []
    assert not Reminder.objects.exists()


def test_send_reminders_catches_up_a_missed_morning(office, specialist):
    out = StringIO()

    call_command("send_reminders", "--now", "2026-12-01T07:30", stdout=out)
    call_command("send_reminders", "--now", "2026-12-01T07:30", stdout=out)

    assert sum(1 for m in mail.outbox if m.to == [specialist.email] and "ngày 01/12" in m.subject)
    assert (
        Reminder.objects.filter(
            recipient=specialist, reason="digest", day=date(2026, 12, 1)
        ).count()
        == 1
    )
    assert "digest: 4 recorded, 4 emailed" in out.getvalue()


def test_send_reminders_on_tet_says_so(office):
    out = StringIO()

    call_command("send_reminders", "--now", "2026-02-17T07:30", "--only", "digest", stdout=out)

    assert "17/02/2026 is a day off" in out.getvalue()


# --- The page and the badge --------------------------------------------------------------------


@pytest.fixture
def logged_in(client):
    def login(user):
        client.force_login(user)
        return client

    return login


def test_the_header_badge_counts_the_specialists_dossiers(office, specialist, logged_in):
    from freezegun import freeze_time

    with freeze_time(TUESDAY_0730):
        page = logged_in(specialist).get("/xu-ly/").content.decode()

    assert 'id="can-chu-y"' in page
    assert '<span class="badge rounded-pill text-bg-warning">3<' in page


def test_the_attention_page_shows_the_digest_to_staff_without_email(
    office, leader, logged_in, django_assert_max_num_queries
):
    from freezegun import freeze_time

    leader.email = ""
    leader.save()
    client = logged_in(leader)
    with freeze_time(TUESDAY_0730), django_assert_max_num_queries(20):
        page = client.get("/xu-ly/can-chu-y/").content.decode()

    assert "Cần chú ý" in page
    assert office["unassigned_due_today"].code in page
    assert office["overdue"].code in page
    assert 'id="chua-phan-cong"' in page
    assert office["due_friday"].code not in page


def test_citizens_have_no_badge_and_no_attention_page(db, client):
    citizen = UserFactory(username="congdan", roles=[roles.CITIZEN])
    client.force_login(citizen)

    assert 'id="can-chu-y"' not in client.get("/").content.decode()
    assert client.get("/xu-ly/can-chu-y/").status_code == 403


def test_a_long_list_is_counted_in_full_and_named_in_part(agency, leader):
    for _ in range(reminders.LIST_LIMIT + 5):
        a_dossier(agency, due=at(1, 10), status=Status.RECEIVED)

    reminders.check_overdue(at(1, 10, 15))

    message = mail.outbox[0]
    assert message.subject == f"{reminders.LIST_LIMIT + 5} hồ sơ vừa quá hạn"
    assert message.body.count("/xu-ly/ho-so/") == reminders.LIST_LIMIT
    assert "… và các hồ sơ khác trên trang Cần chú ý." in message.body
