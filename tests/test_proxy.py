"""Behind nginx (BEHIND_PROXY=1) lookups and logins are counted per visitor, not per proxy."""

from django.test import RequestFactory

from dossiers.lookup import client_ip
from myphong.proxy import client_ip as forwarded_ip


def _request(forwarded):
    return RequestFactory().get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=forwarded)


def test_the_address_nginx_saw_is_the_visitors(settings):
    settings.AXES_CLIENT_IP_CALLABLE = "myphong.proxy.client_ip"
    assert client_ip(_request("203.0.113.7")) == "203.0.113.7"


def test_an_address_a_client_made_up_is_ignored():
    assert forwarded_ip(_request("198.51.100.1, 203.0.113.7")) == "203.0.113.7"


def test_without_a_proxy_the_header_is_not_trusted(settings):
    settings.AXES_CLIENT_IP_CALLABLE = None
    assert client_ip(_request("203.0.113.7")) == "127.0.0.1"
