"""Logs as JSON lines: one per request and one per task, with the dossier code where there is
one, and nothing personal (no query string, no name, phone or secret link)."""

import json
import logging

import pytest
from django.urls import reverse

from dossiers import services
from myphong import roles
from myphong.logging import JsonFormatter
from tests.factories import DossierFactory, UserFactory


@pytest.fixture
def request_log(settings, caplog):
    settings.MIDDLEWARE = ["myphong.logging.RequestLogMiddleware", *settings.MIDDLEWARE]
    caplog.set_level(logging.INFO, logger="myphong")
    formatter = JsonFormatter()

    def lines(logger):
        return [json.loads(formatter.format(r)) for r in caplog.records if r.name == logger]

    return lines


@pytest.fixture
def clerk(db):
    return UserFactory(username="tiepnhan", roles=[roles.CLERK])


def test_a_search_is_logged_without_what_was_searched(client, db, request_log):
    client.get(reverse("procedures:list"), {"q": "khai sinh Nguyễn Thị Hoa"})
    [line] = request_log("myphong.request")
    assert line["event"] == "request"
    assert line["method"] == "GET"
    assert line["path"] == "/thu-tuc/"
    assert line["route"] == "procedures:list"
    assert line["status"] == 200
    assert line["duration_ms"] > 0
    assert "khai" not in json.dumps(line)


def test_a_dossier_page_is_logged_with_the_dossier_code(client, clerk, request_log):
    dossier = DossierFactory(agency=clerk.profile.agency)
    services.accept(dossier, clerk)
    dossier.refresh_from_db()
    client.force_login(clerk)
    client.get(reverse("dossiers:office_dossier", args=[dossier.pk]))
    [line] = request_log("myphong.request")
    assert line["dossier"] == dossier.code
    assert line["status"] == 200
    text = json.dumps(line, ensure_ascii=False)
    assert dossier.applicant_name not in text
    assert dossier.applicant_phone not in text


def test_an_email_confirmation_link_is_logged_without_its_token(client, db, request_log):
    client.get("/dang-ky/xac-nhan/MQ/abc123-secret-token/")
    [line] = request_log("myphong.request")
    assert "secret-token" not in line["path"]
    assert line["path"] == "/dang-ky/xac-nhan/…/…/"


def test_each_follow_up_task_is_one_line_with_the_dossier_code(
    clerk, caplog, django_capture_on_commit_callbacks
):
    caplog.set_level(logging.INFO, logger="myphong.task")
    dossier = DossierFactory(agency=clerk.profile.agency)
    with django_capture_on_commit_callbacks(execute=True):
        services.accept(dossier, clerk)
    dossier.refresh_from_db()
    formatter = JsonFormatter()
    lines = [json.loads(formatter.format(r)) for r in caplog.records if r.name == "myphong.task"]
    assert lines, "no task was logged"
    line = lines[0]
    assert line["event"] == "task"
    assert line["task"] == "dossiers.tasks.process_event"
    assert line["state"] == "SUCCESS"
    assert line["dossier"] == dossier.code
    assert line["duration_ms"] >= 0
    assert dossier.applicant_name not in json.dumps(lines, ensure_ascii=False)
