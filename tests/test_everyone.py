"""What every page shares: a description, a favicon, compressed Bootstrap, one date-time order,
and <time> values the HTML checker accepts."""

import re
from datetime import UTC, datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from dossiers.printing.wording import local_text
from procedures.models import Procedure
from tests.factories import ProcedureFactory

BOOTSTRAP_CSS = "/static/vendor/bootstrap-5.3.8/bootstrap.min.css"


def test_every_page_has_a_description_and_a_favicon(client, db):
    page = client.get(reverse("home")).text
    assert re.search(r'<meta name="description" content="[^"]{40,}">', page)
    assert 'rel="icon"' in page
    icon = re.search(r'<link rel="icon" href="([^"]+\.svg)"', page)[1]
    assert client.get(icon).status_code == 200


@pytest.mark.parametrize(("accepts", "encoding"), [("br, gzip", "br"), ("gzip", "gzip")])
def test_bootstrap_is_served_compressed(client, db, accepts, encoding):
    response = client.get(BOOTSTRAP_CSS, HTTP_ACCEPT_ENCODING=accepts)
    assert response.status_code == 200
    assert response["Content-Encoding"] == encoding
    assert int(response["Content-Length"]) < 40_000  # 226 KB uncompressed


def test_date_and_time_read_hour_then_date_in_both_languages(client, db):
    instant = datetime(2026, 11, 27, 7, 0, tzinfo=UTC)
    assert local_text(instant) == "14:00, 27/11/2026"
    from django.utils import formats, translation

    for language in ("vi", "en"):
        with translation.override(language):
            shown = formats.date_format(timezone.localtime(instant), "DATETIME_FORMAT")
            assert shown == "14:00, 27/11/2026"


def test_same_day_procedures_read_naturally_in_english(client, db):
    procedure = ProcedureFactory(processing_time_unit=Procedure.TimeUnit.SAME_DAY)
    client.cookies["ngon_ngu"] = "en"
    page = client.get(procedure.get_absolute_url()).text
    assert "Same working day" in page
    assert "In the day" not in page


def test_time_elements_carry_no_microseconds(client, db):
    from dossiers import services
    from myphong import roles
    from tests.factories import DossierFactory, UserFactory

    procedure = ProcedureFactory()
    clerk = UserFactory(username="tiepnhan", roles=[roles.CLERK], roles__agency=procedure.agency)
    leader = UserFactory(username="lanhdao", roles=[roles.LEADER], roles__agency=procedure.agency)
    dossier = services.accept(DossierFactory(procedure=procedure), clerk)
    assert dossier.due_at.microsecond or dossier.received_at.microsecond
    client.force_login(leader)
    for url in (
        reverse("dossiers:office_queue") + "?hang=all",
        reverse("dossiers:office_dossier", args=[dossier.pk]),
    ):
        values = re.findall(r'<time datetime="([^"]+)"', client.get(url).text)
        assert values
        for value in values:
            assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d{4}", value), value
