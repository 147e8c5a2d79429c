"""Vietnamese is the default for everyone; English only when the reader chooses it."""

from django.urls import reverse


def test_a_browser_set_to_english_still_starts_in_vietnamese(client, db):
    page = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert '<html lang="vi">' in page.text
    assert page["Content-Language"] == "vi"
    assert "Accept-Language" not in page.get("Vary", "")


def test_the_language_switch_is_remembered_for_a_year(client, db, settings):
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    cookie = response.cookies[settings.LANGUAGE_COOKIE_NAME]
    assert cookie.value == "en"
    assert int(cookie["max-age"]) == 365 * 24 * 60 * 60
    page = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="vi")
    assert '<html lang="en">' in page.text
    client.post(reverse("set_language"), {"language": "vi", "next": "/"})
    assert '<html lang="vi">' in client.get(reverse("home")).text


def test_an_unknown_language_in_the_cookie_means_vietnamese(client, db, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    assert '<html lang="vi">' in client.get(reverse("home")).text
