"""Last month's report reaches the leaders on the first working day of the month, once."""

from datetime import date, datetime
from decimal import Decimal

import pytest
from freezegun import freeze_time

from dossiers import services, tasks
from dossiers.calendar.engine import TZ
from dossiers.models import Dossier, MonthlyReport
from dossiers.monthly_reports import first_working_day, send_monthly_reports
from myphong import roles
from tests.doubles import poppler
from tests.factories import AgencyFactory, DossierFactory, ProcedureFactory, UserFactory


@pytest.fixture
def agency(db):
    return AgencyFactory(code="000.17.22.H56", name="UBND xã Mỹ Phong")


@pytest.fixture
def leader(agency):
    return UserFactory(
        username="lanhdao",
        email="lanhdao@example.invalid",
        roles=[roles.LEADER],
        roles__agency=agency,
    )


@pytest.fixture
def january_dossier(agency):
    clerk = UserFactory(username="tiepnhan", roles=[roles.CLERK], roles__agency=agency)
    procedure = ProcedureFactory(agency=agency, processing_time=Decimal("3"))
    dossier = DossierFactory(procedure=procedure, channel=Dossier.Channel.COUNTER)
    with freeze_time(datetime(2026, 1, 12, 9, tzinfo=TZ)):
        return services.accept(dossier, clerk)


def test_the_first_working_day_skips_new_year_and_weekends(db):
    assert first_working_day(date(2026, 1, 1)) == date(2026, 1, 2)
    assert first_working_day(date(2026, 2, 1)) == date(2026, 2, 2)  # 1/2/2026 is a Sunday
    assert first_working_day(date(2026, 3, 1)) == date(2026, 3, 2)


def test_leaders_get_last_month_s_report_once_even_if_the_task_runs_twice(
    leader, january_dossier, mailoutbox, tmp_path
):
    assert send_monthly_reports(date(2026, 2, 2)) == 1
    assert send_monthly_reports(date(2026, 2, 2)) == 0
    with freeze_time(datetime(2026, 2, 2, 7, tzinfo=TZ)):
        tasks.send_monthly_reports.apply().get()
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == ["lanhdao@example.invalid"]
    assert "tháng 01/2026" in mail.subject
    (name, content, mimetype) = mail.attachments[0]
    assert mimetype == "application/pdf"
    pdf = tmp_path / name
    pdf.write_bytes(content)
    text = poppler("pdftotext", "-layout", str(pdf), "-")
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text
    assert "01/01/2026" in text and "31/01/2026" in text
    row = MonthlyReport.objects.get()
    assert row.month == date(2026, 1, 1) and row.sent_at is not None


def test_nothing_is_sent_on_other_days_or_without_a_leader_address(
    agency, leader, january_dossier, mailoutbox
):
    assert send_monthly_reports(date(2026, 2, 3)) == 0
    assert send_monthly_reports(date(2026, 1, 1)) == 0  # New Year's Day: the 2nd is the day
    leader.email = ""
    leader.save()
    assert send_monthly_reports(date(2026, 2, 2)) == 0
    assert mailoutbox == []
