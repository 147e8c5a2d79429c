"""Who is asking, and how often: the client's address and counters in the cache.

One definition of the client's address serves the login lockout (django-axes, through
AXES_CLIENT_IP_CALLABLE), the public lookup, registration, password reset and feedback.

Behind a reverse proxy every request comes from the proxy. Only when REMOTE_ADDR is one of
TRUSTED_PROXIES is X-Forwarded-For believed, and then only from the right, hop by hop through
our own proxies: what a client writes into the header further left is never read. Without
TRUSTED_PROXIES the header is ignored and REMOTE_ADDR is the client.

An IPv6 client holds a whole /64 (one home, one phone), so IPv6 addresses are counted by their
/64 network: changing the last 64 bits does not buy new attempts.
"""

import hashlib
import ipaddress
from functools import lru_cache
from types import SimpleNamespace

from django.conf import settings
from django.core.cache import cache
from ipware import get_client_ip

IPV6_PREFIX = 64


@lru_cache(maxsize=8)
def _networks(proxies):
    return tuple(ipaddress.ip_network(proxy, strict=False) for proxy in proxies)


def _address(text):
    try:
        address = ipaddress.ip_address((text or "").strip())
    except ValueError:
        return None
    if address.version == 6 and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


def _from_trusted_proxy(remote):
    proxies = tuple(getattr(settings, "TRUSTED_PROXIES", ()) or ())
    return remote is not None and any(remote in network for network in _networks(proxies))


def _parse(entry):
    """One X-Forwarded-For entry ("1.2.3.4:5555", "[2001:db8::1]:443") as an address."""
    ip, _routable = get_client_ip(
        SimpleNamespace(META={"HTTP_X_FORWARDED_FOR": entry}),
        request_header_order=["HTTP_X_FORWARDED_FOR"],
    )
    return _address(ip)


def client_ip(request):
    """The client's address as text, or None when there is none that parses.

    From the right of X-Forwarded-For, each hop that is a trusted proxy hands over to the
    address it saw; the first hop that is not one of ours is the client.
    """
    client = _address(request.META.get("REMOTE_ADDR"))
    hops = [hop for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    while hops and _from_trusted_proxy(client):
        seen = _parse(hops.pop())
        if seen is None:
            break
        client = seen
    return str(client) if client is not None else None


def network_of(ip):
    """What a client is counted as: an IPv4 address, or the first address of an IPv6 /64."""
    address = _address(ip)
    if address is None:
        return "unknown"
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/{IPV6_PREFIX}", strict=False).network_address)
    return str(address)


def client_network(request):
    return network_of(client_ip(request))


def axes_client_ip(request):
    """AXES_CLIENT_IP_CALLABLE: the login lockout counts clients as every other limit does."""
    ip = client_ip(request)
    return network_of(ip) if ip else None


# --- Counters ------------------------------------------------------------------------------


def _key(scope, value):
    digest = hashlib.sha256(str(value).encode()).hexdigest()[:32]
    return f"throttle:{scope}:{digest}"


def count(scope, value):
    """How many hits `value` has in `scope`'s current window."""
    return cache.get(_key(scope, value)) or 0


def hit(scope, value, window_seconds):
    """One more hit; the window starts at the first hit and does not slide. Returns the count."""
    key = _key(scope, value)
    if cache.add(key, 1, window_seconds):
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # expired between add() and incr()
        cache.set(key, 1, window_seconds)
        return 1


def once_per(scope, value, seconds):
    """True the first time in `seconds` for `value`, False until they have passed."""
    return cache.add(_key(scope, value), 1, seconds)
