"""Leaders' on-time statistics: each figure against a hand-built June 2025, played through the
services with the clock frozen.

June 2025 has no public holiday. A dossier received Mon 09/06/2025 08:00 for 3 working days is
due Thu 12/06/2025 08:00. The set (agency Mỹ Phong, period 01/06-30/06/2025):

  on_due     received 09/06, resolved 12/06 16:00 (the due date)        → on time, returned 13/06
  early      received 09/06, resolved 11/06                             → early
  late       received 09/06, resolved 13/06                             → late
  paused     received 09/06, supplements asked 09/06, back 16/06 08:00
             (the time restarts: due 19/06), resolved 18/06             → early
  apology    received 09/06, Form 04 on 10/06 moves the due to 16/06,
             resolved 16/06                                             → late (promised 12/06)
  transfer   received 09/06, transferred 10/06, taken back 11/06,
             resolved 11/06                                             → early, counted here
  carried    received Wed 28/05 (due 02/06), resolved 03/06             → carried over, late
  old        received 20/05, resolved 22/05                             → not in June at all
  overdue    received 25/06 (due 30/06), resolved 03/07                 → in progress, overdue
  not_due    received 27/06 (due 02/07), still open                     → in progress, not due
  refused    submitted online, refused 10/06                            → refused
  withdrawn  received 09/06 (by post), withdrawn 10/06                  → withdrawn
  stopped    received 09/06, stopped 11/06                              → stopped
"""

import io
import json
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from django.core.management import call_command
from django.urls import reverse
from freezegun import freeze_time

from dossiers import services, statistics
from dossiers.lookup import rating
from dossiers.models import Dossier, DossierFigures, Rating
from myphong import roles
from tests.factories import (
    AgencyFactory,
    DossierFactory,
    ProcedureFactory,
    SectorFactory,
    UserFactory,
)

VN = ZoneInfo("Asia/Ho_Chi_Minh")
JUNE = (date(2025, 6, 1), date(2025, 6, 30))
JULY = (date(2025, 7, 1), date(2025, 7, 31))


def at(day, hour, minute=0, month=6):
    return datetime(2025, month, day, hour, minute, tzinfo=VN)


@pytest.fixture
def neighbour(db):
    return AgencyFactory(code="000.17.23.H56", name="UBND xã Mỹ Hòa")


@pytest.fixture
def civil_status(db):
    return SectorFactory(code="ho-tich", name="Hộ tịch")


@pytest.fixture
def procedure(agency, civil_status):
    return ProcedureFactory(
        code="1.001193",
        name="Đăng ký khai sinh",
        processing_time=Decimal("3"),
        agency=agency,
        sector=civil_status,
    )


@pytest.fixture
def certification(agency):
    return ProcedureFactory(
        code="2.000815",
        name="Chứng thực bản sao từ bản chính",
        processing_time=Decimal("3"),
        agency=agency,
        sector=SectorFactory(code="chung-thuc", name="Chứng thực"),
    )


def receive(procedure, clerk, when, channel=Dossier.Channel.COUNTER):
    dossier = DossierFactory(procedure=procedure, channel=channel)
    with freeze_time(when):
        return services.accept(dossier, clerk)


def start(dossier, leader, specialist, when):
    with freeze_time(when):
        dossier = services.assign(dossier, leader, specialist=specialist)
        return services.start_processing(dossier, specialist)


def resolve(dossier, leader, specialist, when):
    with freeze_time(when):
        dossier = services.record_result(dossier, specialist, number="12/GKS", summary="Cấp GKS")
        dossier = services.approve(dossier, leader)
        return services.mark_resolved(dossier, specialist)


def processed(procedure, clerk, leader, specialist, received, resolved, **fields):
    dossier = receive(procedure, clerk, received, **fields)
    dossier = start(dossier, leader, specialist, received + timedelta(hours=1))
    return resolve(dossier, leader, specialist, resolved)


@pytest.fixture
def june(procedure, certification, neighbour, clerk, leader, specialist, settings):
    """The month of the module docstring; returns the dossiers by name.

    Built under the supplement rule that restarts the legal time (the pause rule's arithmetic
    has its own tests in test_supplement_rule.py): the paused dossier is due on 19/06.
    """
    settings.DEADLINE_SUPPLEMENT_RULE = "restart"
    d = {}
    d["on_due"] = processed(
        procedure, clerk, leader, specialist, at(9, 8), at(12, 16), channel="online"
    )
    with freeze_time(at(13, 9)):
        d["on_due"] = services.mark_returned(
            d["on_due"], clerk, collected_by="Nguyễn Thị Hoa", method="counter"
        )
    d["early"] = processed(procedure, clerk, leader, specialist, at(9, 8), at(11, 10))
    d["late"] = processed(certification, clerk, leader, specialist, at(9, 8), at(13, 10))

    paused = receive(procedure, clerk, at(9, 8))
    with freeze_time(at(9, 10)):
        paused = services.request_supplement(
            paused, clerk, items=["Bản sao CCCD"], reason="Thiếu CCCD"
        )
    with freeze_time(at(16, 8)):
        paused = services.add_supplement(paused, clerk, pending_uploads=[], note="Đã nộp CCCD")
    assert paused.due_at == at(19, 8)
    with freeze_time(at(16, 9)):
        paused = services.assign(paused, leader, specialist=specialist)
    d["paused"] = resolve(paused, leader, specialist, at(18, 10))

    apology = receive(procedure, clerk, at(9, 8))
    apology = start(apology, leader, specialist, at(9, 9))
    with freeze_time(at(10, 10)):
        apology = services.reschedule(
            apology, specialist, new_due=at(16, 10), reason="Chờ xác minh"
        )
    d["apology"] = resolve(apology, leader, specialist, at(16, 9))

    transfer = receive(procedure, clerk, at(9, 8))
    transfer = start(transfer, leader, specialist, at(9, 9))
    with freeze_time(at(10, 9)):
        transfer = services.transfer_to_agency(transfer, specialist, agency=neighbour)
    with freeze_time(at(11, 8)):
        transfer = services.take_back(transfer, clerk)
    d["transfer"] = resolve(transfer, leader, specialist, at(11, 10))

    d["carried"] = processed(procedure, clerk, leader, specialist, at(28, 9, month=5), at(3, 10))
    d["old"] = processed(
        procedure, clerk, leader, specialist, at(20, 8, month=5), at(22, 10, month=5)
    )
    d["overdue"] = start(receive(procedure, clerk, at(25, 8)), leader, specialist, at(25, 9))
    d["not_due"] = start(receive(procedure, clerk, at(27, 8)), leader, specialist, at(27, 9))

    refused = DossierFactory(procedure=procedure, submitted_at=at(9, 7))
    with freeze_time(at(10, 9)):
        d["refused"] = services.refuse(refused, clerk, reason="Không thuộc thẩm quyền")
    withdrawn = receive(procedure, clerk, at(9, 8), channel="post")
    with freeze_time(at(10, 9)):
        d["withdrawn"] = services.withdraw(withdrawn, clerk, reason="Người nộp xin rút")
    stopped = start(receive(certification, clerk, at(9, 8)), leader, specialist, at(9, 9))
    with freeze_time(at(11, 9)):
        d["stopped"] = services.stop_processing(stopped, leader, reason="Người nộp đã mất")
    with freeze_time(at(14, 9)):
        rating.rate(d["on_due"], dict.fromkeys(Rating.FIELDS, 2))
    return d


def june_report(agency, **scope):
    return statistics.report(statistics.Scope(agencies=(agency.pk,), **scope), *JUNE)


EXPECTED_JUNE = {
    "carried_over": 1,
    "received": 10,
    "received_online": 1,
    "received_counter": 8,
    "received_post": 1,
    "to_process": 11,
    "resolved": 7,
    "resolved_early": 3,
    "resolved_on_time": 1,
    "resolved_late": 3,
    "in_progress": 2,
    "in_progress_not_due": 1,
    "in_progress_overdue": 1,
    "returned": 1,
    "refused": 1,
    "withdrawn": 1,
    "stopped": 1,
}


def test_each_figure_of_the_month_counts_the_hand_built_dossiers(agency, june):
    totals = june_report(agency).totals

    assert {key: totals[key] for key in statistics.COUNT_KEYS} == EXPECTED_JUNE
    assert totals["on_time_rate"] == pytest.approx(4 / 7)
    assert totals["late_rate"] == pytest.approx((3 + 1) / 11)
    assert totals["online_rate"] == pytest.approx(1 / 10)
    assert (totals["ratings"], totals["rating_average"]) == (1, 18)


def dossiers_of(agency, figure, period=JUNE):
    scope = statistics.Scope(agencies=(agency.pk,))
    return set(statistics.dossiers_behind(scope, figure, *period))


def test_dossier_resolved_on_its_due_date_counts_on_time(agency, june):
    assert dossiers_of(agency, "resolved_on_time") == {june["on_due"]}


def test_supplement_pause_moves_the_due_so_the_dossier_counts_early(agency, june):
    assert june["paused"] in dossiers_of(agency, "resolved_early")


def test_form_04_does_not_excuse_lateness_against_the_promised_due(agency, june):
    assert june["apology"].due_at.date() == june["apology"].resolved_at.date()
    assert dossiers_of(agency, "resolved_late") == {june["late"], june["apology"], june["carried"]}


def test_transferred_dossier_counts_for_the_receiving_agency_only(agency, neighbour, june):
    assert june["transfer"] in dossiers_of(agency, "resolved_early")
    assert june_report(neighbour).totals["received"] == 0


def test_dossier_received_last_month_is_carried_over_and_an_older_one_not_at_all(agency, june):
    assert dossiers_of(agency, "carried_over") == {june["carried"]}
    assert june["old"] not in dossiers_of(agency, "to_process")


def test_dossier_resolved_after_the_period_counts_in_progress_at_its_end(agency, june):
    assert dossiers_of(agency, "in_progress_overdue") == {june["overdue"]}
    assert dossiers_of(agency, "in_progress_not_due") == {june["not_due"]}


def test_past_period_does_not_change_when_its_open_dossiers_move_on(
    agency, june, leader, specialist
):
    before = june_report(agency).totals
    resolve(june["overdue"], leader, specialist, at(3, 10, month=7))

    assert june_report(agency).totals == before
    july = statistics.report(statistics.Scope(agencies=(agency.pk,)), *JULY).totals
    assert (july["carried_over"], july["resolved_late"], july["in_progress"]) == (2, 1, 1)


def test_refused_and_withdrawn_dossiers_count_in_their_own_figures_only(agency, june):
    assert dossiers_of(agency, "refused") == {june["refused"]}
    assert dossiers_of(agency, "withdrawn") == {june["withdrawn"]}
    assert dossiers_of(agency, "stopped") == {june["stopped"]}
    assert june["refused"] not in dossiers_of(agency, "to_process")
    assert june["withdrawn"] not in dossiers_of(agency, "in_progress")


def test_tables_by_sector_procedure_officer_and_month_add_up(agency, june, specialist):
    report = statistics.report(
        statistics.Scope(agencies=(agency.pk,)), date(2025, 5, 1), date(2025, 6, 30)
    )
    sectors = {row["sector_name"]: row for row in report.by_sector}
    assert sectors["Chứng thực"]["received"] == 2  # the late and the stopped one
    for key in ("received", "resolved_late", "stopped", "carried_over"):
        assert sum(row[key] for row in report.by_sector) == report.totals[key]
        assert sum(row[key] for row in report.by_procedure) == report.totals[key]
    officer, nobody = report.by_officer  # the withdrawn dossier was never assigned
    assert (officer["officer_username"], nobody["id"]) == (specialist.username, None)
    assert (officer["resolved"], nobody["withdrawn"]) == (8, 1)
    may, june_row = report.by_month
    assert (may["received"], may["resolved"], may["in_progress"]) == (2, 1, 1)
    assert june_row["carried_over"] == may["in_progress"] == 1
    assert {key: june_row[key] for key in statistics.COUNT_KEYS} == EXPECTED_JUNE


def test_rebuild_writes_the_same_rows_the_actions_kept(agency, june):
    kept = {f.pk: f for f in DossierFigures.objects.all()}
    fields = [f.name for f in DossierFigures._meta.concrete_fields]

    DossierFigures.objects.all().delete()
    assert statistics.rebuild() == len(kept)

    for row in DossierFigures.objects.all():
        assert [getattr(row, f) for f in fields] == [getattr(kept[row.pk], f) for f in fields]


# --- The page -----------------------------------------------------------------------------------


def june_page(client, **extra):
    params = {"period": "month", "year": "2025", "month": "6", **extra}
    return client.get(reverse("dossiers:statistics"), params)


def test_every_number_on_the_page_links_to_a_list_of_exactly_that_many_dossiers(
    client, leader, june
):
    import re

    client.force_login(leader)
    page = june_page(client).content.decode()
    links = re.findall(r'<a href="([^"]+)" data-figure="(\w+)">(\d+)</a>', page)
    assert len(links) > 60  # totals and the four tables
    for href, _figure, number in links:
        response = client.get(href.replace("&amp;", "&"))
        assert response.status_code == 200
        assert response.context["page"].paginator.count == int(number), href


def test_statistics_page_keeps_a_fixed_number_of_queries(
    client, leader, june, django_assert_max_num_queries
):
    client.force_login(leader)
    # The header's "Cần chú ý" badge counts once a minute per user (cached); the figures
    # themselves are counted on every request.
    june_page(client)
    with django_assert_max_num_queries(20):
        response = june_page(client)
    assert response.status_code == 200


def test_a_commune_leader_sees_only_their_commune(client, neighbour, june):
    other_leader = UserFactory(
        username="lanhdao-myhoa", roles=[roles.LEADER], roles__agency=neighbour
    )
    client.force_login(other_leader)
    response = june_page(client)
    assert response.context["report"].totals["received"] == 0

    # Asking for the other commune by its id changes nothing: the field is not theirs.
    response = june_page(client, agency=june["early"].agency_id)
    assert response.context["report"].totals["received"] == 0
    listed = client.get(
        reverse("dossiers:statistics_dossiers"),
        {"period": "month", "year": "2025", "month": "6", "figure": "received"},
    )
    assert listed.context["page"].paginator.count == 0


def test_a_province_leader_compares_every_agency(client, province_leader, agency, june):
    client.force_login(province_leader)
    assert june_page(client).context["report"].totals["received"] == 10
    assert june_page(client, agency=agency.pk).context["report"].totals["received"] == 10


def test_specialists_and_clerks_cannot_open_the_statistics(client, specialist, clerk, june):
    for user in (specialist, clerk):
        client.force_login(user)
        assert june_page(client).status_code == 403


def test_period_picker_reads_quarters_first_months_and_ranges(client, leader, june):
    client.force_login(leader)
    quarter = june_page(client, period="quarter", quarter="2").context["report"]
    assert (quarter.start, quarter.end) == (date(2025, 4, 1), date(2025, 6, 30))
    first = june_page(client, period="first_months", months="5").context["report"]
    assert (first.start, first.end) == (date(2025, 1, 1), date(2025, 5, 31))
    assert first.totals["received"] == 2
    ranged = june_page(client, period="range", start="09/06/2025", end="09/06/2025")
    assert ranged.context["report"].totals["received"] == 8


# --- Files --------------------------------------------------------------------------------------


def test_xlsx_holds_the_figures_with_sums_as_formulas_and_text_as_text(
    client, leader, june, civil_status
):
    civil_status.name = '=HYPERLINK("http://evil")'
    civil_status.save()
    client.force_login(leader)
    response = june_page(client, tai="xlsx")
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    summary = workbook["Tổng hợp"]
    values = {
        summary.cell(row=r, column=2).value: summary.cell(row=r, column=3).value
        for r in range(6, 30)
    }
    assert values["Tiếp nhận trong kỳ"] == 10
    sectors = workbook["Theo lĩnh vực"]
    names = [sectors.cell(row=r, column=1) for r in range(6, 9)]
    evil = next(cell for cell in names if cell.value and "HYPERLINK" in cell.value)
    assert evil.data_type == "s"
    total_row = next(r for r in range(6, 12) if sectors.cell(row=r, column=1).value == "Tổng cộng")
    assert sectors.cell(row=total_row, column=3).value == f"=SUM(C6:C{total_row - 1})"


def test_pdf_report_has_the_national_header_agency_period_and_signatures(
    client, leader, june, tmp_path
):
    from tests.dossiers.test_records import pdf_text

    client.force_login(leader)
    response = june_page(client, tai="pdf")
    text = pdf_text(response.content, tmp_path)
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text
    assert "Độc lập - Tự do - Hạnh phúc" in text
    assert "UBND XÃ MỸ PHONG" in text
    assert "Từ ngày 01/06/2025 đến ngày 30/06/2025" in text
    assert "THỦ TRƯỞNG CƠ QUAN" in text


# --- The command --------------------------------------------------------------------------------


def test_report_command_prints_the_keys_scripts_read(agency, june):
    out = io.StringIO()
    call_command(
        "report", "--from", "2025-06-01", "--to", "2025-06-30", "--agency", agency.code, stdout=out
    )
    data = json.loads(out.getvalue())
    assert (data["agency"], data["from"], data["to"]) == (agency.code, "2025-06-01", "2025-06-30")
    assert {key: data["totals"][key] for key in EXPECTED_JUNE} == EXPECTED_JUNE
    for key in ("on_time_rate", "late_rate", "online_rate"):
        assert key in data["totals"]
    assert {row["sector"] for row in data["by_sector"]} == {"Hộ tịch", "Chứng thực"}
    assert {row["procedure"] for row in data["by_procedure"]} == {"1.001193", "2.000815"}
    assert [row["officer"] for row in data["by_officer"]] == ["chuyenvien", None]
    assert [row["month"] for row in data["by_month"]] == ["2025-06"]


def test_report_command_writes_xlsx_and_pdf_files(agency, june, tmp_path):
    for kind, magic in (("xlsx", b"PK"), ("pdf", b"%PDF-")):
        path = tmp_path / f"bao-cao.{kind}"
        call_command(
            "report",
            "--from",
            "2025-06-01",
            "--to",
            "2025-06-30",
            "--format",
            kind,
            "--output",
            str(path),
        )
        assert path.read_bytes().startswith(magic)


# --- Public page and synthetic history --------------------------------------------------------


def test_public_page_shows_this_years_figures_without_personal_data(client, agency, june):
    from django.core.cache import cache

    cache.clear()
    with freeze_time(at(1, 10, month=7)):
        response = client.get(reverse("dossiers:public_statistics"))
    page = response.content.decode()
    assert response.status_code == 200
    ((shown, _sectors, total),) = response.context["agencies"]
    assert shown == agency
    assert (total["received"], total["resolved"]) == (12, 8)
    assert total["on_time_rate"] == pytest.approx(5 / 8)
    assert "Hộ tịch" in page and "Đăng ký khai sinh" in page
    assert "Nguyễn Thị Hoa" not in page and "0912345678" not in page


def test_seeded_history_writes_the_rows_a_rebuild_would(db):
    call_command(
        "seed_bulk", "--dossiers", "300", "--agencies", "2", "--years", "1", stdout=io.StringIO()
    )
    seeded = {row.pk: row for row in DossierFigures.objects.all()}
    assert len(seeded) >= 290  # refused dossiers count too; none is left out
    fields = [f.name for f in DossierFigures._meta.concrete_fields]

    DossierFigures.objects.all().delete()
    statistics.rebuild()

    for row in DossierFigures.objects.all():
        assert [getattr(row, f) for f in fields] == [getattr(seeded[row.pk], f) for f in fields]


def test_ratings_add_up_by_indicator_sector_officer_and_month(agency, june, specialist):
    """Two ratings in two months of a quarter, on two sectors' dossiers: every table averages
    the ratings of its own row, and each indicator is averaged over all of them."""
    low = dict.fromkeys(Rating.FIELDS, 1) | {"total_time": 0}
    with freeze_time(at(3, 9, month=7)):
        # Rated at the counter's kiosk, say: rate() would refuse a dossier not yet returned.
        statistics.add_rating(Rating.objects.create(dossier=june["early"], channel="lookup", **low))
    quarter = statistics.report(
        statistics.Scope(agencies=(agency.pk,)), date(2025, 6, 1), date(2025, 7, 31)
    )

    assert (quarter.totals["ratings"], quarter.totals["rating_average"]) == (2, 13)
    assert quarter.satisfaction["total_time"] == 1.0
    assert quarter.satisfaction["agency_time"] == 1.5
    by_month = {row["start"].month: row for row in quarter.by_month}
    assert (by_month[6]["ratings"], by_month[6]["rating_average"]) == (1, 18)
    assert (by_month[7]["ratings"], by_month[7]["rating_average"]) == (1, 8)
    by_officer = {row["id"]: row for row in quarter.by_officer}
    assert by_officer[specialist.pk]["ratings"] == 2
    by_procedure = {row["procedure_code"]: row for row in quarter.by_procedure}
    assert by_procedure[june["early"].procedure.code]["ratings"] == 2
