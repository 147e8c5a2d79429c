"""The documented production settings pass Django's deployment checks, pages forbid inline
scripts and styles, staff sessions end, and the demo passwords stay out of production
(issue 13, item 10)."""

import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from freezegun import freeze_time

from myphong import roles
from myphong.middleware import STAFF_SINCE
from tests.factories import AgencyFactory, UserFactory

ROOT = Path(__file__).resolve().parents[2]
# README, "Production": the least a deployment sets.
PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": "k" * 20 + "Qz7-x_9Lm2Vb8Nc4Rt6Ys1Wd3Fg5Hj0Kp",
    "ALLOWED_HOSTS": "motcua.myphong.gov.vn",
    "HTTPS": "1",
    "TRUSTED_PROXIES": "127.0.0.1",
}


def manage(*args, **env):
    clean = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "DATABASE_URL")}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_documented_production_settings_pass_check_deploy_without_a_warning():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_without_https_check_deploy_warns():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **{**PRODUCTION, "HTTPS": "0"})
    assert result.returncode != 0
    assert "SECURE_HSTS_SECONDS" in result.stderr + result.stdout


# --- Content-Security-Policy ------------------------------------------------------------------


def test_pages_carry_a_policy_without_unsafe_inline(client, db):
    policy = client.get("/")["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "style-src 'self'" in policy
    assert "unsafe-inline" not in policy


INLINE = re.compile(
    r"<script(?![^>]*\bsrc=)[^>]*>|<style\b|\sstyle=|\son[a-z]+=|javascript:", re.IGNORECASE
)


def test_no_served_template_has_an_inline_script_style_or_handler():
    """The policy would block them; PDFs (WeasyPrint) and emails are not pages."""
    offenders = []
    for path in sorted((ROOT / "templates").rglob("*.html")):
        if path.relative_to(ROOT / "templates").parts[0] in ("pdf", "emails"):
            continue
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            # JSON data for scripts is not run; neither is a <script type="application/json">.
            if INLINE.search(line) and "application/json" not in line:
                offenders.append(f"{path.relative_to(ROOT)}:{number}")
    assert offenders == []


# --- Staff sessions ---------------------------------------------------------------------------


@pytest.fixture
def clerk(db):
    return UserFactory(username="tiepnhan", roles=[roles.CLERK], roles__agency=AgencyFactory())


def test_a_staff_session_ends_when_the_browser_closes(client, clerk):
    client.force_login(clerk)
    client.get("/xu-ly/")
    assert client.session.get_expire_at_browser_close()
    assert client.cookies["sessionid"]["expires"] == ""


def test_a_staff_session_ends_after_a_working_day(client, clerk, settings):
    with freeze_time("2026-03-02 07:30:00+07:00") as frozen:
        client.force_login(clerk)
        assert client.get("/xu-ly/").status_code == 200
        frozen.tick(settings.STAFF_SESSION_HOURS * 3600 - 60)
        assert client.get("/xu-ly/").status_code == 200
        frozen.tick(120)
        response = client.get("/xu-ly/")
    assert response.status_code == 302
    assert response["Location"].startswith("/dang-nhap/")
    assert STAFF_SINCE not in client.session


def test_a_citizens_session_is_not_cut(client, db):
    citizen = UserFactory(username="hoa@example.vn", roles=[roles.CITIZEN])
    client.force_login(citizen)
    client.get("/ho-so-cua-toi/")
    assert not client.session.get_expire_at_browser_close()


# --- Demo accounts ------------------------------------------------------------------------------


def test_seed_demo_refuses_to_run_with_debug_off(db, settings):
    settings.DEBUG = False
    with pytest.raises(CommandError):
        call_command("seed_demo", stdout=io.StringIO())
    assert not get_user_model().objects.filter(username="admin").exists()


def test_seed_demo_runs_with_debug_on_as_make_run_does(db, settings):
    settings.DEBUG = True
    call_command("seed_demo", stdout=io.StringIO())
    assert get_user_model().objects.filter(username="admin").exists()


def test_migrations_create_no_account(db):
    assert not get_user_model().objects.exists()
