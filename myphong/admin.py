"""The administrator's user page also edits the profile: a staff member made in the admin gets
their agency (and role, through the groups) on the same page, so the account is usable."""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _

from . import roles
from .models import Profile

User = get_user_model()


class ProfileInline(admin.StackedInline):
    model = Profile
    can_delete = False
    fields = ("agency", "phone")
    verbose_name_plural = _("profile")


@admin.display(description=_("agency"))
def agency_of(user):
    profile = getattr(user, "profile", None)
    return profile.agency if profile is not None and profile.agency else "—"


@admin.display(description=_("roles"))
def roles_of(user):
    return ", ".join(str(roles.LABELS.get(g.name, g.name)) for g in user.groups.all())


admin.site.unregister(User)


@admin.register(User)
class PortalUserAdmin(UserAdmin):
    inlines = [ProfileInline]
    list_display = (
        "username",
        "email",
        "last_name",
        "first_name",
        roles_of,
        agency_of,
        "is_active",
    )
    list_select_related = ("profile__agency",)

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("groups")

    def get_inline_instances(self, request, obj=None):
        # The add page asks for a username and password first; the profile follows on the next.
        return super().get_inline_instances(request, obj) if obj is not None else []


class ReadOnlyAdmin(admin.ModelAdmin):
    """Seen in the admin, never added, changed or deleted there (not even by a superuser)."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
