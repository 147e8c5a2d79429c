"""The citizen's side: an account, online submission, "my dossiers" and supplements.

Thin: parse the request, call a form or a service, render. Every dossier is opened through
`selectors.visible_dossiers`, so another person's dossier answers 404.
"""

from functools import wraps

from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.tokens import default_token_generator
from django.contrib.auth.views import redirect_to_login
from django.db.models import Exists, OuterRef, Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlsafe_base64_decode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from myphong import accounts, roles
from procedures.selectors import procedure_detail

from .. import permissions, services
from ..forms.citizen import (
    OnlineSubmissionForm,
    RegistrationForm,
    ResendConfirmationForm,
    SupplementForm,
    link_validity,
    registration_fingerprint,
    send_already_registered_email,
    send_confirmation_email,
)
from ..forms.lookup import WithdrawForm
from ..lookup.progress import citizen_timeline, where_to_collect
from ..lookup.rating import may_rate
from ..models import Attachment, DossierEvent, Rating
from ..printing.slips import issued_forms
from ..printing.wording import appointment, payment_due
from ..selectors import supplement_items, visible_dossiers
from ..workflow import RESULT_READY, Event, Status

# Session key: the registration this browser made (see confirm_email).
REGISTERED_IN_THIS_BROWSER = "dossiers.registered"


MAIL_FAILED = gettext_lazy(
    "We could not send the email just now. Please ask for the link again in a few minutes."
)


def _citizens_only(request):
    return render(request, "dossiers/citizen/citizens_only.html", status=403)


def citizen_required(view):
    """Logged in (else to the login page) and a citizen (staff get 403 with an explanation)."""

    @wraps(view)
    @login_required
    def wrapper(request, *args, **kwargs):
        if not roles.has_role(request.user, roles.CITIZEN):
            return _citizens_only(request)
        return view(request, *args, **kwargs)

    return wrapper


def _next_url(request):
    url = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return ""


# --- Account -------------------------------------------------------------------------------


def register(request):
    """The same answer whether the address is new, waiting or taken; one mail per address per
    few minutes; a limited number of registrations per client address."""
    if request.user.is_authenticated:
        return redirect("dossiers:my_dossiers")
    form = RegistrationForm(request.POST or None)
    context = {"form": form, "next": _next_url(request)}
    if request.method == "POST" and accounts.over_limit(request):
        return accounts.refuse(request, "registration/register.html", context)
    if request.method == "POST" and form.is_valid():
        accounts.count_request(request)
        user = form.save()
        if user is not None:
            request.session[REGISTERED_IN_THIS_BROWSER] = registration_fingerprint(user)
            if accounts.may_mail(user.email) and not send_confirmation_email(
                user, _next_url(request)
            ):
                messages.warning(request, MAIL_FAILED)
        elif form.existing is not None and accounts.may_mail(form.existing.email):
            send_already_registered_email(form.existing)
        return redirect("dossiers:registration_sent")
    return render(request, "registration/register.html", context)


def registration_sent(request):
    return render(request, "registration/register_sent.html", {"valid_for": link_validity()})


def resend_confirmation(request):
    form = ResendConfirmationForm(request.POST or None)
    if request.method == "POST" and accounts.over_limit(request):
        return accounts.refuse(request, "registration/resend.html", {"form": form})
    if request.method == "POST" and form.is_valid():
        accounts.count_request(request)
        form.save(_next_url(request))
        return redirect("dossiers:registration_sent")
    return render(request, "registration/resend.html", {"form": form})


@require_http_methods(["GET", "POST"])
def confirm_email(request, uidb64, token):
    """The link opens a page with a button; only the button (a POST) activates the account.

    Mail scanners open every link in a message with a GET: an account someone registered with
    another person's address must not be activated by the scanner of that person's mailbox.
    A used or expired link says so and offers a new one.

    The link logs in only the browser that registered with the current password. Opened
    elsewhere it confirms the address and asks for the password: someone who registered
    another person's email cannot have that person work, unknowingly, in an account whose
    password they know.
    """
    try:
        pk = int(urlsafe_base64_decode(uidb64).decode())
        user = get_user_model().objects.get(pk=pk, groups__name=roles.CITIZEN)
    except (ValueError, UnicodeDecodeError, get_user_model().DoesNotExist):
        user = None
    if user is not None and default_token_generator.check_token(user, token):
        if request.method != "POST":
            return render(request, "registration/confirm_email.html", {"next": _next_url(request)})
        user.is_active = True
        user.save(update_fields=["is_active"])
        next_url = _next_url(request)
        if request.session.get(REGISTERED_IN_THIS_BROWSER) == registration_fingerprint(user):
            login(request, user, backend="myphong.roles.PortalBackend")
            messages.success(request, _("Your email address is confirmed. Welcome!"))
            return redirect(next_url or "dossiers:my_dossiers")
        messages.success(
            request, _("Your email address is confirmed. Log in with your email and password.")
        )
        return redirect_to_login(next_url or reverse("dossiers:my_dossiers"))
    if user is not None and user.is_active:
        # A mail scanner may have opened the link first; the account is confirmed all the same.
        messages.info(request, _("Your email address is already confirmed. Please log in."))
        return redirect("login")
    return render(request, "registration/confirm_invalid.html", status=400)


# --- Online submission ---------------------------------------------------------------------


def submit(request, code):
    """The online form of a procedure: applicant, request, one file slot per paper."""
    procedure = procedure_detail(code)
    if procedure is None or not procedure.allows_online_submission:
        raise Http404
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not roles.has_role(request.user, roles.CITIZEN):
        return _citizens_only(request)
    documents = procedure.documents.all()
    if request.method != "POST":
        form = OnlineSubmissionForm(
            user=request.user,
            documents=documents,
            initial=OnlineSubmissionForm.initial_for(request.user),
        )
        return render(request, "dossiers/citizen/submit.html", _submit_context(procedure, form))

    form = OnlineSubmissionForm(request.POST, request.FILES, user=request.user, documents=documents)
    # The same form sent twice (a double click, a reload) shows the dossier it already made.
    done = _own_dossiers(request.user).filter(intake_token=form.token).first()
    if done is not None:
        return redirect("dossiers:submitted", pk=done.pk)
    form.is_valid()
    kept = form.keep_uploads()
    if form.sent_twice:
        # The other request of a double click may have made the dossier meanwhile.
        done = _own_dossiers(request.user).filter(intake_token=form.token).first()
        if done is not None:
            return redirect("dossiers:submitted", pk=done.pk)
    if form.is_valid():  # keeping the files may have found a problem of its own
        try:
            dossier = services.submit_online(
                procedure,
                request.user,
                applicant=form.applicant(),
                request=form.cleaned_data["request_text"],
                token=form.token,
                pending_uploads=kept,
                result_delivery=form.cleaned_data["result_delivery"],
                delivery_address=form.cleaned_data["delivery_address"],
            )
        except services.ActionRefused as refused:
            messages.error(request, refused.message)
        else:
            return redirect("dossiers:submitted", pk=dossier.pk)
    return render(request, "dossiers/citizen/submit.html", _submit_context(procedure, form))


def _submit_context(procedure, form):
    return {"procedure": procedure, "form": form, "paper_count": len(form.documents)}


def _own_dossiers(user):
    return visible_dossiers(user).filter(applicant=user)


@never_cache
@citizen_required
def submitted(request, pk):
    dossier = get_object_or_404(_own_dossiers(request.user), pk=pk)
    return render(
        request,
        "dossiers/citizen/submitted.html",
        {
            "dossier": dossier,
            "attachments": dossier.attachments.select_related("required_document"),
        },
    )


# --- My dossiers ---------------------------------------------------------------------------


@never_cache
@citizen_required
def my_dossiers(request):
    dossiers = (
        _own_dossiers(request.user)
        .annotate(rated=Exists(Rating.objects.filter(dossier=OuterRef("pk"))))
        .prefetch_related(
            Prefetch(
                "events",
                queryset=DossierEvent.objects.filter(action=Event.REQUEST_PAYMENT).order_by(
                    "at", "pk"
                ),
                to_attr="payment_requests",
            )
        )
        .order_by("-submitted_at", "-pk")
    )
    dossiers = list(dossiers)
    for dossier in dossiers:
        dossier.can_withdraw = permissions.may(request.user, dossier, Event.WITHDRAW)
        requests = dossier.payment_requests
        dossier.payment = payment_due(dossier, requests[-1] if requests else None)
    return render(request, "dossiers/citizen/my_dossiers.html", {"dossiers": dossiers})


@never_cache
@citizen_required
def my_dossier(request, pk):
    """One dossier: summary, files, history and — when asked for — the supplement form."""
    dossier = get_object_or_404(_own_dossiers(request.user), pk=pk)
    events = list(dossier.events.all())
    asked = _latest(events, Event.REQUEST_SUPPLEMENT)
    form = None
    if dossier.status == Status.AWAITING_SUPPLEMENT:
        documents = list(dossier.procedure.documents.all())
        form_kwargs = {
            "user": request.user,
            "documents": documents,
            "items": supplement_items(asked.data.get("items", []) if asked else [], documents),
        }
        if request.method == "POST":
            form = SupplementForm(request.POST, request.FILES, **form_kwargs)
            form.is_valid()
            kept = form.keep_uploads()
            if form.is_valid():  # keeping the files may have found a problem of its own
                try:
                    services.add_supplement(
                        dossier, request.user, pending_uploads=kept, note=form.cleaned_data["note"]
                    )
                except services.ActionRefused as refused:
                    messages.error(request, refused.message)
                else:
                    messages.success(
                        request,
                        _("Thank you. Your papers were sent; the office will check the dossier."),
                    )
                return redirect("dossiers:my_dossier", pk=dossier.pk)
        else:
            form = SupplementForm(**form_kwargs)
    elif request.method == "POST":
        messages.info(request, _("This dossier is no longer waiting for supplements."))
        return redirect("dossiers:my_dossier", pk=dossier.pk)
    return render(
        request,
        "dossiers/citizen/my_dossier.html",
        {
            "dossier": dossier,
            "attachments": dossier.attachments.exclude(kind=Attachment.Kind.RESULT).select_related(
                "required_document"
            ),
            "timeline": citizen_timeline(events),
            "asked": asked,
            "asked_items": asked.data.get("items", []) if asked else [],
            "payment": payment_due(dossier, _latest(events, Event.REQUEST_PAYMENT)),
            "form": form,
            **_actions(request.user, dossier, events),
        },
    )


def _actions(user, dossier, events):
    """What the owner can do besides adding papers: receipt, result files, withdraw, rate."""
    finished = dossier.status in RESULT_READY
    rating = Rating.objects.filter(dossier=dossier).first()
    return {
        "has_receipt": any(event.action == Event.ACCEPT for event in events),
        "slips": issued_forms(events),
        "appointment": appointment(dossier),
        "results": dossier.attachments.filter(kind=Attachment.Kind.RESULT) if finished else [],
        "collect": where_to_collect(dossier) if dossier.status == Status.RESOLVED else None,
        "can_withdraw": permissions.may(user, dossier, Event.WITHDRAW),
        "rating": rating,
        "can_rate": may_rate(dossier, rating),
    }


@never_cache
@citizen_required
def withdraw(request, pk):
    """Confirm, then withdraw the dossier (services.withdraw, with the version seen)."""
    dossier = get_object_or_404(_own_dossiers(request.user), pk=pk)
    if not permissions.may(request.user, dossier, Event.WITHDRAW):
        messages.info(request, _("This dossier can no longer be withdrawn."))
        return redirect("dossiers:my_dossier", pk=dossier.pk)
    form = WithdrawForm(request.POST or None, initial={"version": dossier.version})
    if request.method == "POST" and form.is_valid():
        try:
            services.withdraw(
                dossier,
                request.user,
                reason=form.cleaned_data["reason"],
                expected_version=form.cleaned_data["version"],
            )
        except services.ActionRefused as refused:
            messages.error(request, refused.message)
        else:
            messages.success(request, _("Your dossier was withdrawn."))
        return redirect("dossiers:my_dossier", pk=dossier.pk)
    return render(request, "dossiers/citizen/withdraw.html", {"dossier": dossier, "form": form})


def _latest(events, action):
    return next((e for e in reversed(events) if e.action == action), None)
