import threading
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext

from dossiers import codes, services
from dossiers.models import Dossier, DossierEvent
from tests.factories import AgencyFactory, DossierFactory, ProcedureFactory, UserFactory

VN = ZoneInfo("Asia/Ho_Chi_Minh")


def test_code_is_agency_date_and_four_digit_sequence():
    assert codes.format_code("000.17.22.H56", date(2026, 2, 13), 7) == "000.17.22.H56-260213-0007"


def test_sequence_restarts_each_day_and_per_agency(db):
    mine = AgencyFactory(code="000.17.22.H56")
    other = AgencyFactory(code="000.17.22.H57", name="UBND xã bên cạnh")
    with transaction.atomic():
        first = codes.issue_code(mine, datetime(2026, 2, 13, 9, 0, tzinfo=VN))
        second = codes.issue_code(mine, datetime(2026, 2, 13, 10, 0, tzinfo=VN))
        elsewhere = codes.issue_code(other, datetime(2026, 2, 13, 10, 0, tzinfo=VN))
        next_day = codes.issue_code(mine, datetime(2026, 2, 23, 7, 0, tzinfo=VN))
    assert first == "000.17.22.H56-260213-0001"
    assert second == "000.17.22.H56-260213-0002"
    assert elsewhere == "000.17.22.H57-260213-0001"
    assert next_day == "000.17.22.H56-260223-0001"


def test_code_date_is_vietnam_date_not_utc(db):
    agency = AgencyFactory()
    # 23:30 UTC on 12/02 is already 06:30 on 13/02 in Vietnam.
    with transaction.atomic():
        code = codes.issue_code(agency, datetime(2026, 2, 12, 23, 30, tzinfo=ZoneInfo("UTC")))
    assert code.endswith("-260213-0001")


def test_code_outside_a_transaction_is_refused(transactional_db):
    with pytest.raises(RuntimeError):
        codes.next_sequence(AgencyFactory(), date(2026, 2, 13))


def test_rolled_back_acceptance_gives_its_number_back(db):
    agency = AgencyFactory()
    day = date(2026, 2, 13)
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        codes.next_sequence(agency, day)
        1 / 0  # noqa: B018 - the acceptance fails after taking a number
    with transaction.atomic():
        assert codes.next_sequence(agency, day) == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
def test_fifty_concurrent_acceptances_get_fifty_distinct_gap_free_codes(transactional_db):
    procedure = ProcedureFactory()
    clerk = UserFactory(roles=["Clerk"])
    dossiers = [DossierFactory(procedure=procedure) for _ in range(50)]
    barrier = threading.Barrier(50)
    errors = []

    def accept(dossier):
        try:
            barrier.wait(timeout=30)
            services.accept(dossier, clerk)
        except Exception as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=accept, args=(d,)) for d in dossiers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    issued = sorted(Dossier.objects.values_list("code", flat=True))
    assert len(set(issued)) == 50
    prefixes = {code.rsplit("-", 1)[0] for code in issued}
    if len(prefixes) == 1:  # all on one day (the test did not straddle midnight)
        assert [int(code.rsplit("-", 1)[1]) for code in issued] == list(range(1, 51))


def _statements_from_the_first_number(context):
    """The statements from the first counter upsert on, savepoints left out."""
    statements = [
        query["sql"]
        for query in context.captured_queries
        if "SAVEPOINT" not in query["sql"] and query["sql"] not in ("BEGIN", "COMMIT")
    ]
    first = next(i for i, sql in enumerate(statements) if _kind(sql).endswith("counter"))
    return statements[first:]


def _kind(sql):
    table = sql.split('"')[1]
    return f"{sql.split()[0]} {table}"


def test_a_counter_reception_takes_its_numbers_last_so_the_counters_are_locked_briefly(db):
    """Every other reception of the agency waits on its counter rows until this one commits:
    after the first number only the other numbers, the dossier's and the event's writes follow."""
    procedure = ProcedureFactory()
    clerk = UserFactory(roles=["Clerk"], roles__agency=procedure.agency)
    papers = [services.PaperCount(name="Tờ khai", originals=1)]
    applicant = services.Applicant(name="Nguyễn Thị Hoa", phone="0912345678")
    with CaptureQueriesContext(connection) as context:
        dossier = services.register_at_counter(procedure, clerk, applicant=applicant, papers=papers)
    assert [_kind(sql) for sql in _statements_from_the_first_number(context)] == [
        "INSERT dossiers_dossiercodecounter",
        "INSERT dossiers_formnumbercounter",
        "UPDATE dossiers_dossier",
        "INSERT dossiers_formnumbercounter",
        "INSERT dossiers_dossierevent",
    ]
    dossier.refresh_from_db()
    assert dossier.code.endswith("-0001") and dossier.register_number == 1
    assert dossier.events.get().data["form_number"] == 1
    assert dossier.papers.count() == 1


def test_an_online_dossier_accepted_takes_its_numbers_last_too(db):
    procedure = ProcedureFactory()
    clerk = UserFactory(roles=["Clerk"], roles__agency=procedure.agency)
    dossier = DossierFactory(procedure=procedure)
    with CaptureQueriesContext(connection) as context:
        services.accept(dossier, clerk)
    assert [_kind(sql) for sql in _statements_from_the_first_number(context)] == [
        "INSERT dossiers_dossiercodecounter",
        "INSERT dossiers_formnumbercounter",
        "UPDATE dossiers_dossier",
        "INSERT dossiers_formnumbercounter",
        "INSERT dossiers_dossierevent",
    ]
    dossier.refresh_from_db()
    assert dossier.code and dossier.register_number == 1


def test_a_reception_that_fails_after_its_numbers_gives_them_all_back(db, monkeypatch):
    procedure = ProcedureFactory()
    clerk = UserFactory(roles=["Clerk"], roles__agency=procedure.agency)
    applicant = services.Applicant(name="Nguyễn Thị Hoa", phone="0912345678")

    def broken(*args, **kwargs):
        raise ConnectionError("the forward failed")

    monkeypatch.setattr(services, "_forward_if_received_on_behalf", broken)
    with pytest.raises(ConnectionError):
        services.register_at_counter(procedure, clerk, applicant=applicant, papers=[])
    monkeypatch.undo()
    assert not Dossier.objects.exists()
    dossier = services.register_at_counter(procedure, clerk, applicant=applicant, papers=[])
    assert dossier.code.endswith("-0001") and dossier.register_number == 1
    assert dossier.events.get().data["form_number"] == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
def test_thirty_concurrent_counter_receptions_get_gap_free_codes_rows_and_receipts(
    transactional_db,
):
    procedure = ProcedureFactory()
    clerk = UserFactory(roles=["Clerk"], roles__agency=procedure.agency)
    applicant = services.Applicant(name="Nguyễn Thị Hoa", phone="0912345678")
    barrier = threading.Barrier(30)
    errors = []

    def register():
        try:
            barrier.wait(timeout=30)
            services.register_at_counter(procedure, clerk, applicant=applicant, papers=[])
        except Exception as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=register) for _ in range(30)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    rows = list(Dossier.objects.values_list("code", "register_number"))
    assert sorted(number for _code, number in rows) == list(range(1, 31))
    receipts = sorted(
        DossierEvent.objects.filter(action="accept").values_list("data__form_number", flat=True)
    )
    assert receipts == list(range(1, 31))
    codes_issued = sorted(code for code, _number in rows)
    if len({code.rsplit("-", 1)[0] for code in codes_issued}) == 1:  # not across midnight
        assert [int(code.rsplit("-", 1)[1]) for code in codes_issued] == list(range(1, 31))
