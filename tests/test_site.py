"""The portal shell: groups, staff login with lockout, languages, translations."""

from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.urls import reverse

from myphong import roles
from tests.factories import UserFactory

LOCALE = Path(settings.BASE_DIR) / "locale"


def test_role_groups_exist_after_migrations(db):
    assert set(Group.objects.values_list("name", flat=True)) >= set(roles.ALL)


def test_has_role_follows_groups(db):
    clerk = UserFactory(roles=[roles.CLERK])
    assert roles.has_role(clerk, roles.CLERK)
    assert not roles.has_role(clerk, roles.LEADER)
    clerk.is_active = False
    assert not roles.has_role(clerk, roles.CLERK)


def test_staff_log_in_at_a_readable_url(client, db):
    UserFactory(username="tiepnhan", roles=[roles.CLERK])
    assert reverse("login") == "/dang-nhap/"
    response = client.post(
        reverse("login"), {"username": "tiepnhan", "password": "mat-khau-dai-2026"}
    )
    assert response.status_code == 302
    assert client.session.get("_auth_user_id")


def test_wrong_password_is_told_in_vietnamese(client, db):
    UserFactory(username="tiepnhan")
    response = client.post(reverse("login"), {"username": "tiepnhan", "password": "sai"})
    assert response.status_code == 200
    assert "mật khẩu chính xác" in response.text  # Django's own Vietnamese catalogue


def test_repeated_failures_lock_the_account_out(client, db, settings):
    UserFactory(username="tiepnhan")
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": "tiepnhan", "password": "sai"})
    response = client.post(
        reverse("login"), {"username": "tiepnhan", "password": "mat-khau-dai-2026"}
    )
    assert response.status_code == 429
    assert "Tài khoản tạm thời bị khóa" in response.text
    assert not client.session.get("_auth_user_id")


def test_pages_are_vietnamese_by_default_and_english_on_request(client, db):
    home = client.get(reverse("home"))
    assert '<html lang="vi">' in home.text
    assert "Thủ tục theo lĩnh vực" in home.text
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert response.status_code == 302
    english = client.get(reverse("home"))
    assert '<html lang="en">' in english.text
    assert "Procedures by sector" in english.text


def test_header_and_footer_show_the_configured_office(client, db, settings):
    settings.PORTAL_AGENCY_NAME = "UBND xã Mỹ Phong"
    settings.PORTAL_HOTLINE = "0294 3855 123"
    page = client.get(reverse("home")).text
    assert "UBND xã Mỹ Phong" in page
    assert "0294 3855 123" in page


def test_vietnamese_catalogue_is_complete():
    """Every string has a Vietnamese translation: an untranslated one would show English."""
    po = polib.pofile(str(LOCALE / "vi" / "LC_MESSAGES" / "django.po"))
    assert po.untranslated_entries() == []
    assert po.fuzzy_entries() == []


@pytest.mark.parametrize("language", ["vi", "en"])
def test_compiled_catalogues_match_their_po_files(language):
    """The .mo files are committed (a fresh machine may lack gettext): they must be current."""
    folder = LOCALE / language / "LC_MESSAGES"
    po = polib.pofile(str(folder / "django.po"))
    mo = polib.mofile(str(folder / "django.mo"))
    compiled = {(e.msgctxt, e.msgid): (e.msgstr, e.msgstr_plural) for e in mo}
    for entry in po.translated_entries():
        assert compiled.get((entry.msgctxt, entry.msgid)) == (entry.msgstr, entry.msgstr_plural), (
            entry.msgid
        )
