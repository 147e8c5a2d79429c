"""Site-wide pages: home, login for staff and citizens (health checks: myphong/health.py)."""

import time

from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.shortcuts import render, resolve_url
from django.utils.translation import gettext_lazy as _

from procedures.selectors import home_sectors

from . import accounts, roles
from .pagecache import public_page


@public_page
def home(request):
    return render(request, "home.html", {"sectors": home_sectors()})


class LoginForm(AuthenticationForm):
    """Staff log in with their username; citizens with their email, which is their username.

    Citizens' usernames are stored lower-cased, so an email is lower-cased here: "Lan@Example.vn"
    logs in as "lan@example.vn". Staff usernames are left as typed.
    """

    error_messages = {
        **AuthenticationForm.error_messages,
        "unconfirmed": _(
            "Your email address is not confirmed yet. Open the link in the email we sent you, "
            "or ask for a new link below."
        ),
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].label = _("Email or username")
        self.fields["username"].widget.attrs["autocomplete"] = "username"

    def clean_username(self):
        username = self.cleaned_data["username"].strip()
        return username.lower() if "@" in username else username

    def clean(self):
        username = self.cleaned_data.get("username")
        time.sleep(accounts.login_delay(username))
        try:
            return super().clean()
        except ValidationError:
            if username:
                accounts.count_login_failure(username)
            # Said only to whoever knows the password, so it reveals nothing about the address.
            if self._unconfirmed_citizen():
                raise ValidationError(
                    self.error_messages["unconfirmed"], code="unconfirmed"
                ) from None
            raise

    def _unconfirmed_citizen(self):
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if not (username and password):
            return False
        user = accounts.unconfirmed_citizens().filter(username=username).first()
        return user is not None and user.check_password(password)


class LoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    form_class = LoginForm
    redirect_authenticated_user = True

    def get_default_redirect_url(self):
        """Without ?next=, everyone lands on their own work (roles.landing_page)."""
        return resolve_url(roles.landing_page(self.request.user))


class LogoutView(auth_views.LogoutView):
    pass
