"""Accounts' own safety: how often mail goes to an address, how many account requests one client
may make, and password reset and change (Django's views, with those limits).

Every path that mails an address about its account — registration, "send the link again",
password reset — asks `may_mail` first: one mail per address per ACCOUNT_MAIL_INTERVAL_MINUTES,
so the forms cannot be used to flood someone's inbox. Each path answers the same whether the
address has an account or not.
"""

from django.conf import settings
from django.contrib.auth import forms as auth_forms
from django.contrib.auth import get_user_model
from django.contrib.auth import views as auth_views
from django.shortcuts import render
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _

from . import roles, throttle

TOO_MANY = _(
    "Too many requests were sent from here in a short time. Please try again in an hour, or "
    "call the one-stop office."
)


def unconfirmed_citizens():
    """Citizens' accounts registered but never confirmed: inactive, never logged in."""
    return get_user_model().objects.filter(
        is_active=False, last_login__isnull=True, groups__name=roles.CITIZEN
    )


def may_mail(address):
    """True at most once per ACCOUNT_MAIL_INTERVAL_MINUTES for this email address."""
    seconds = settings.ACCOUNT_MAIL_INTERVAL_MINUTES * 60
    return throttle.once_per("account-mail", (address or "").strip().lower(), seconds)


def over_limit(request):
    """True when this client made ACCOUNT_LIMIT_PER_HOUR account requests within the hour."""
    used = throttle.count("account", throttle.client_network(request))
    return used >= settings.ACCOUNT_LIMIT_PER_HOUR


def count_request(request):
    throttle.hit("account", throttle.client_network(request), 3600)


def refuse(request, template, context):
    """The form again with the one message for a client over its limit (429)."""
    return render(request, template, {**context, "refused": TOO_MANY}, status=429)


# --- Password reset and change -------------------------------------------------------------


class PasswordResetForm(auth_forms.PasswordResetForm):
    def send_mail(self, subject_template_name, email_template_name, context, from_email,
                  to_email, html_email_template_name=None):  # fmt: skip
        if may_mail(to_email):
            super().send_mail(
                subject_template_name,
                email_template_name,
                context,
                from_email,
                to_email,
                html_email_template_name,
            )


class PasswordResetView(auth_views.PasswordResetView):
    """Always "check your email", known address or not; the link points at PORTAL_BASE_URL,
    never at the Host header a stranger sent."""

    form_class = PasswordResetForm
    template_name = "registration/password_reset_form.html"
    email_template_name = "emails/password_reset.txt"
    subject_template_name = "emails/password_reset_subject.txt"
    success_url = reverse_lazy("password_reset_done")

    def post(self, request, *args, **kwargs):
        if over_limit(request):
            return refuse(request, self.template_name, {"form": self.get_form()})
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        count_request(self.request)
        self.extra_email_context = {
            "base_url": settings.PORTAL_BASE_URL,
            "agency_name": settings.PORTAL_AGENCY_NAME,
            "hotline": settings.PORTAL_HOTLINE,
        }
        return super().form_valid(form)


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "registration/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "registration/password_reset_confirm.html"
    success_url = reverse_lazy("password_reset_complete")


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "registration/password_reset_complete.html"


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "registration/password_change_form.html"
    success_url = reverse_lazy("password_change_done")


class PasswordChangeDoneView(auth_views.PasswordChangeDoneView):
    template_name = "registration/password_change_done.html"


# --- Login slow-down -----------------------------------------------------------------------


def login_delay(username):
    """Seconds to wait before checking a password for `username`.

    django-axes locks a (username, address) pair; this slows a username attacked from many
    addresses without ever locking its owner out.
    """
    if throttle.count("login", (username or "").lower()) >= settings.LOGIN_SLOW_AFTER:
        return settings.LOGIN_SLOW_SECONDS
    return 0.0


def count_login_failure(username):
    throttle.hit("login", (username or "").lower(), int(settings.LOGIN_SLOW_HOURS * 3600))
