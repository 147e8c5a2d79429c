"""The public lookup of a dossier (`/tra-cuu/`), its result page and the rating of the service.

Thin: the uniform answers, the throttle and the session grant live in dossiers.lookup. The
receipt's QR code opens the form with the code filled in (`?ma=<code>`); the second factor is
only ever posted, never put in a URL.
"""

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from ..forms.lookup import LookupForm, RatingForm
from ..lookup import guard, progress
from ..lookup.progress import citizen_timeline
from ..lookup.rating import may_rate, rate
from ..models import Dossier, Rating
from ..printing.slips import issued_forms
from ..printing.wording import appointment, payment_due
from ..selectors import visible_dossiers
from ..services import ActionRefused
from ..workflow import Event, Status
from . import files
from .citizen import citizen_required

DOSSIER = "dossier"


def lookup_page(request, form_class, template, *, failed=False, locked=False, status=200):
    """The lookup form: blank after a failure, so every failure gives the same bytes."""
    initial = {} if request.method == "POST" else {"code": request.GET.get("ma", "")[:60]}
    context = {
        "form": form_class(initial=initial, failed=failed or locked),
        "failed": failed,
        "locked": locked,
        "failure": guard.locked_message() if locked else guard.FAILED,
    }
    return render(request, template, context, status=status)


def run_lookup(request, queryset, phone_field, kind, form_class, template, success_url):
    """POST: check code + factor, then grant and redirect, or the one failure page; padded."""
    outcome = guard.look_up(
        request,
        queryset,
        phone_field,
        request.POST.get("code", ""),
        request.POST.get("factor", ""),
    )
    if outcome.locked:
        response = lookup_page(request, form_class, template, locked=True, status=429)
    elif outcome.pk is None:
        response = lookup_page(request, form_class, template, failed=True)
    else:
        guard.grant(request, kind, outcome.pk)
        response = HttpResponseRedirect(success_url)
    outcome.pad()
    return response


@never_cache
@require_http_methods(["GET", "POST"])
def lookup_dossier(request):
    """Dossier code and the phone number on the dossier, or the receipt's lookup key."""
    template = "dossiers/lookup/form.html"
    if request.method != "POST":
        return lookup_page(request, LookupForm, template)
    return run_lookup(
        request,
        Dossier.objects.filter(code__isnull=False),
        "applicant_phone",
        DOSSIER,
        LookupForm,
        template,
        reverse("dossiers:lookup_result"),
    )


def _granted_dossier(request):
    pk = guard.granted(request, DOSSIER)
    if pk is None:
        return None
    return Dossier.objects.select_related("procedure", "agency").filter(pk=pk).first()


def _lookup_ended(request):
    messages.info(
        request,
        _(
            "For your privacy, a lookup is shown for a limited time. Please enter the code and "
            "the phone number or lookup key again."
        ),
    )
    return redirect("dossiers:lookup")


@never_cache
def lookup_result(request):
    """What the citizen may know of their dossier: no phone, ID number, address or email."""
    dossier = _granted_dossier(request)
    if dossier is None:
        return _lookup_ended(request)
    events = list(dossier.events.all())
    asked = next((e for e in reversed(events) if e.action == Event.REQUEST_SUPPLEMENT), None)
    fee = next((e for e in reversed(events) if e.action == Event.REQUEST_PAYMENT), None)
    rating = Rating.objects.filter(dossier=dossier).first()
    return render(
        request,
        "dossiers/lookup/result.html",
        {
            "dossier": dossier,
            "masked_name": progress.mask_name(dossier.applicant_name),
            "progress": progress.progress(dossier),
            "timeline": citizen_timeline(events, public=True),
            "asked_items": asked.data.get("items", []) if asked else [],
            "collect": progress.where_to_collect(dossier),
            "payment": payment_due(dossier, fee),
            "can_rate": may_rate(dossier, rating),
            "rating": rating,
            "grant_minutes": settings.LOOKUP_GRANT_MINUTES,
            "appointment": appointment(dossier),
            "slips": issued_forms(events),
        },
    )


@never_cache
def lookup_slip(request, form, event_id):
    """A form issued to the applicant (01-05), downloaded with the lookup's grant."""
    dossier = _granted_dossier(request)
    if dossier is None:
        return _lookup_ended(request)
    return files.slip_response(dossier, form, event_id)


@require_POST
def lookup_end(request):
    """Forget the lookup in this browser (a shared computer at the office, a relative's phone)."""
    guard.end_grant(request, DOSSIER)
    messages.info(request, _("The lookup is closed in this browser."))
    return redirect("dossiers:lookup")


@never_cache
@require_http_methods(["GET", "POST"])
def lookup_rate(request):
    """Rate the service from the lookup page, with the grant the code and factor gave."""
    dossier = _granted_dossier(request)
    if dossier is None:
        return _lookup_ended(request)
    return rating_page(request, dossier, Rating.Channel.LOOKUP, reverse("dossiers:lookup_result"))


@never_cache
@citizen_required
@require_http_methods(["GET", "POST"])
def rate_my_dossier(request, pk):
    """Rate the service from "my dossiers": the owner's own dossier, else 404."""
    dossier = get_object_or_404(
        visible_dossiers(request.user).filter(applicant=request.user), pk=pk
    )
    return rating_page(
        request, dossier, Rating.Channel.ACCOUNT, reverse("dossiers:my_dossier", args=[pk])
    )


def rating_page(request, dossier, channel, back_url):
    """The nine questions, once per dossier and only after the result was returned.

    Used from "my dossiers" (the owner's account) and from the lookup page (the grant); the
    caller has checked who asks.
    """
    if not may_rate(dossier):
        if dossier.status == Status.RETURNED:
            messages.info(request, _("This dossier has already been rated. Thank you."))
        else:
            messages.info(request, _("The service can be rated once the result has been returned."))
        return redirect(back_url)
    form = RatingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            rate(dossier, form.scores(), form.cleaned_data["comment"], channel)
        except ActionRefused as refused:
            messages.error(request, refused.message)
        else:
            messages.success(request, _("Thank you for rating the service."))
        return redirect(back_url)
    return render(
        request,
        "dossiers/lookup/rate.html",
        {"form": form, "dossier": dossier, "back_url": back_url},
    )
