"""Django's database sessions, read by a query compiled once per process (myphong.compiled).

Reading the session is the first query of every signed-in page; through the ORM it cost ~1 ms of
Python each time. The session still lives in the database only, as before: a logout or an expiry
counts at the next request, and a Redis outage changes nothing for it.
"""

import datetime

from django.contrib.sessions.backends.db import SessionStore as DatabaseStore
from django.contrib.sessions.models import Session
from django.utils import timezone

from .compiled import CompiledQuery

_CURRENT = CompiledQuery(
    Session,
    lambda key, now: Session.objects.filter(session_key=key, expire_date__gt=now),
    key=str,
    now=datetime.datetime,
)


class SessionStore(DatabaseStore):
    def _get_session_from_db(self):
        session = _CURRENT.first(key=self.session_key, now=timezone.now())
        if session is None:
            self._session_key = None
        return session
