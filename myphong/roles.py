"""The people of the office, as Django auth groups.

The group names are stored in the database by a data migration; code refers to them through these
constants only.
"""

CITIZEN = "Citizen"
CLERK = "Clerk"
SPECIALIST = "Specialist"
LEADER = "Leader"
ALL = (CITIZEN, CLERK, SPECIALIST, LEADER)
STAFF = (CLERK, SPECIALIST, LEADER)


def has_role(user, *roles):
    """True when the user is active and belongs to one of `roles` (a superuser has them all)."""
    if not (user and user.is_authenticated and user.is_active):
        return False
    if user.is_superuser:
        return True
    return user.groups.filter(name__in=roles).exists()
