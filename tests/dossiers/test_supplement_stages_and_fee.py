"""Two separate supplement stages (the clerk's guidance before receipt, the competent body's one
request while processing), and the fee pause: at most once, never for a fee paid at submission."""

from datetime import datetime

import pytest
from freezegun import freeze_time

from dossiers import permissions, services
from dossiers.calendar.engine import TZ
from dossiers.workflow import Event, Status
from tests.dossiers.test_back_office_services import fresh, in_progress
from tests.dossiers.test_back_office_services import procedure as procedure
from tests.factories import DossierFactory

MONDAY = datetime(2025, 6, 9, 8, 0, tzinfo=TZ)


def test_the_clerks_guidance_does_not_use_up_the_processing_request(procedure, clerk, specialist):
    dossier = DossierFactory(procedure=procedure)
    with freeze_time(MONDAY):
        services.request_supplement(dossier, clerk, items=["Tờ khai"], reason="Thiếu tờ khai")
        with pytest.raises(services.ActionRefused):  # the clerk asks once, completely
            services.request_supplement(dossier, clerk, items=["Giấy khác"], reason="Thiếu")
        services.add_supplement(dossier, clerk, pending_uploads=[], note="Đã nộp tờ khai")
        services.accept(dossier, clerk)
        services.assign(dossier, clerk, specialist=specialist)
        services.start_processing(dossier, specialist)
        # The competent body still has its own one request during processing.
        services.request_supplement(
            dossier, specialist, items=["Giấy xác nhận cư trú"], reason="Cần xác minh"
        )
    assert fresh(dossier).status == Status.AWAITING_SUPPLEMENT
    with freeze_time(MONDAY.replace(hour=9)):
        services.add_supplement(dossier, clerk, pending_uploads=[], note="Đã nộp")
        with pytest.raises(services.ActionRefused):  # and only one
            services.request_supplement(dossier, specialist, items=["Khác"], reason="Thiếu")


def test_the_fee_pauses_processing_only_once(procedure, clerk, leader, specialist):
    dossier = in_progress(procedure, clerk, leader, specialist)
    services.request_payment(dossier, specialist, amount=8000)
    services.confirm_payment(dossier, clerk)
    dossier = fresh(dossier)
    assert not permissions.may(specialist, dossier, Event.REQUEST_PAYMENT)
    with pytest.raises(services.ActionRefused, match="một lần"):
        services.request_payment(dossier, specialist, amount=8000)


def test_a_fee_paid_at_submission_never_pauses_processing(procedure, clerk, leader, specialist):
    procedure.fee_paid_at_submission = True
    procedure.save()
    dossier = in_progress(procedure, clerk, leader, specialist)
    assert not permissions.may(specialist, dossier, Event.REQUEST_PAYMENT)
    with pytest.raises(services.ActionRefused, match="khi nộp hồ sơ"):
        services.request_payment(dossier, specialist, amount=8000)
    assert fresh(dossier).status == Status.IN_PROGRESS
