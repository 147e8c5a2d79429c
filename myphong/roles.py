"""The people of the office, as Django auth groups.

The group names are stored in the database by a data migration; code refers to them through these
constants only.
"""

from functools import wraps

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.views import redirect_to_login
from django.contrib.postgres.aggregates import ArrayAgg
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .compiled import CompiledQuery

CITIZEN = "Citizen"
CLERK = "Clerk"
SPECIALIST = "Specialist"
LEADER = "Leader"
ALL = (CITIZEN, CLERK, SPECIALIST, LEADER)
STAFF = (CLERK, SPECIALIST, LEADER)
LABELS = {
    CITIZEN: _("Citizen"),
    CLERK: _("Reception clerk"),
    SPECIALIST: _("Specialist"),
    LEADER: _("Leader"),
}


def user_roles(user):
    """The user's role names, read once per user object (a superuser has them all)."""
    if not (user and user.is_authenticated and user.is_active):
        return frozenset()
    cached = getattr(user, "_portal_roles", None)
    if cached is None:
        if user.is_superuser:
            cached = frozenset(ALL)
        else:
            cached = frozenset(user.groups.values_list("name", flat=True))
        user._portal_roles = cached
    return cached


def _signed_in(pk):
    users = get_user_model()._default_manager.select_related("profile__agency")
    if connection.vendor == "postgresql":
        users = users.annotate(
            portal_roles=ArrayAgg("groups__name", filter=Q(groups__name__isnull=False))
        )
    return users.filter(pk=pk)


class PortalBackend(ModelBackend):
    """Django's ModelBackend, which reads the signed-in user of each request with their profile,
    agency and (on PostgreSQL) role names in one query: it was four (the user, the groups, the
    profile and the agency), asked by nearly every staff page. The query is compiled once per
    process (myphong.compiled): building it took 2.3 ms of each request, running it 0.6 ms."""

    signed_in = None  # the CompiledQuery, made at the first request (the user model is known)

    def get_user(self, user_id):
        if PortalBackend.signed_in is None:
            PortalBackend.signed_in = CompiledQuery(get_user_model(), _signed_in, pk=int)
        try:
            pk = get_user_model()._meta.pk.to_python(user_id)
        except ValidationError:
            return None
        user = PortalBackend.signed_in.first(pk=pk)
        if user is None or not self.user_can_authenticate(user):
            return None
        with_roles = hasattr(user, "portal_roles")
        if with_roles and not user.is_superuser:  # user_roles gives a superuser them all
            user._portal_roles = frozenset(user.portal_roles or ())
        return user


def has_role(user, *roles):
    """True when the user is active and belongs to one of `roles` (a superuser has them all)."""
    return bool(user_roles(user) & set(roles))


def lacks_agency(user):
    """True for staff whose profile names no agency (administrators excepted).

    Everything staff do is bound to their agency: without one they can do nothing, rather than
    fall back on some other agency (an account made in the admin starts this way).
    """
    if user.is_superuser:
        return False
    profile = getattr(user, "profile", None)
    return profile is None or profile.agency_id is None


def role_required(*roles):
    """View decorator: anonymous users go to the login page, others without the role get 403,
    and so do staff whose account has no agency yet."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            held = user_roles(request.user) & set(roles)
            if not held:
                raise PermissionDenied(_("Your account cannot open this page."))
            if held <= set(STAFF) and lacks_agency(request.user):
                raise PermissionDenied(
                    _(
                        "Your account is not attached to an agency yet. Ask the administrator "
                        "to set your agency."
                    )
                )
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


# Where each role starts its day after logging in: the URL names of their work.
LANDING_PAGES = (
    (SPECIALIST, "dossiers:office_queue"),
    (LEADER, "dossiers:office_queue"),
    (CLERK, "dossiers:counter_queue"),
    (CITIZEN, "dossiers:my_dossiers"),
)


def landing_page(user):
    """The URL name a user lands on after login (an explicit ?next= wins over it): staff on
    their work, citizens on their dossiers, the administrator on the administration."""
    if user.is_superuser:
        return "admin:index"
    held = user_roles(user)
    for role, page in LANDING_PAGES:
        if role in held:
            return page
    return "home"
