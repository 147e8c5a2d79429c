import threading
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import connection, connections, transaction

from dossiers import codes, services
from dossiers.models import Dossier
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
