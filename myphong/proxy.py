"""The visitor's address behind nginx (BEHIND_PROXY=1).

Behind a proxy every request comes from 127.0.0.1, so the login lockout and the lookup throttle
(both count per address, through django-axes' AXES_CLIENT_IP_CALLABLE) would lock everybody out
together. nginx appends the address it saw to X-Forwarded-For (deploy/nginx.conf); the last
entry is the one our proxy wrote, whatever a client put before it.
"""


def client_ip(request):
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    last = forwarded.split(",")[-1].strip()
    return last or request.META.get("REMOTE_ADDR")
