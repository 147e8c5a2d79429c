"""The one-stop counter: register a paper dossier in under a minute, check online dossiers."""

from django.contrib import messages
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from myphong import roles
from procedures.models import Procedure

from .. import services
from ..forms.counter import (
    CounterGuidanceForm,
    CounterIntakeForm,
    RefusalForm,
    SupplementRequestForm,
)
from ..models import CounterGuidance
from ..printing import slips
from ..selectors import reception_queue, visible_dossiers
from ..workflow import Event, Status

clerk_only = roles.role_required(roles.CLERK)


def _counter_procedures():
    return Procedure.objects.filter(is_active=True, accepts_counter=True).select_related("sector")


@clerk_only
def intake(request):
    """Pick the procedure by typing, fill the applicant, tick the papers, Save: accepted."""
    code = request.POST.get("procedure") or request.GET.get("thu-tuc")
    procedure = None
    if code:
        procedure = _counter_procedures().prefetch_related("documents").filter(code=code).first()
        if procedure is None:
            messages.error(request, _("Choose a procedure from the list."))
    form = None
    if procedure is not None:
        form = CounterIntakeForm(
            request.POST or None,
            request.FILES or None,
            procedure=procedure,
            initial={"request_text": procedure.name},
        )
        if request.method == "POST" and form.is_valid():
            dossier = services.register_at_counter(
                procedure,
                request.user,
                applicant=form.applicant(),
                papers=form.papers(),
                request=form.cleaned_data["request_text"],
                sets=form.cleaned_data["sets"],
                token=form.cleaned_data["token"],
                scans=form.checked_scans,
                channel=form.cleaned_data["channel"],
                result_delivery=form.cleaned_data["result_delivery"],
                delivery_address=form.cleaned_data["delivery_address"],
            )
            return redirect("dossiers:counter_receipt", pk=dossier.pk)
    return render(
        request,
        "dossiers/counter/intake.html",
        {"procedures": _counter_procedures(), "procedure": procedure, "form": form},
    )


@clerk_only
def receipt(request, pk):
    """After Save: the code, the due time and the receipt ready to print."""
    dossier = get_object_or_404(visible_dossiers(request.user), pk=pk, received_at__isnull=False)
    # The worker renders it after the commit; while the broker is down it waits for the
    # periodic catch-up, and the page says it will follow (the dossier itself is saved).
    ready = dossier.slips.filter(form="01").exists()
    return render(
        request, "dossiers/counter/receipt.html", {"dossier": dossier, "receipt_ready": ready}
    )


@clerk_only
def queue(request):
    """Online dossiers waiting for the clerk's check, oldest first."""
    return render(
        request, "dossiers/counter/queue.html", {"dossiers": reception_queue(request.user)}
    )


@clerk_only
def review(request, pk):
    """Check an online dossier: accept it, ask once for what is missing, or refuse it."""
    dossier = get_object_or_404(
        visible_dossiers(request.user).prefetch_related("attachments", "papers"), pk=pk
    )
    supplement_form = SupplementRequestForm(prefix="bs", initial={"version": dossier.version})
    refusal_form = RefusalForm(prefix="tc", initial={"version": dossier.version})
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == Event.ACCEPT:
                services.accept(dossier, request.user, expected_version=request.POST.get("version"))
                # The receipt page says "Dossier received" itself: no second message.
                return redirect("dossiers:counter_receipt", pk=dossier.pk)
            if action == Event.SUPPLEMENT:
                supplement_form = SupplementRequestForm(request.POST, prefix="bs")
                if supplement_form.is_valid():
                    services.request_supplement(
                        dossier,
                        request.user,
                        items=supplement_form.item_list(),
                        reason=supplement_form.cleaned_data["reason"],
                        expected_version=supplement_form.cleaned_data["version"],
                    )
                    messages.success(request, _("The supplement request was sent."))
                    return redirect("dossiers:counter_queue")
            elif action == Event.REFUSE:
                refusal_form = RefusalForm(request.POST, prefix="tc")
                if refusal_form.is_valid():
                    services.refuse(
                        dossier,
                        request.user,
                        reason=refusal_form.cleaned_data["reason"],
                        expected_version=refusal_form.cleaned_data["version"],
                    )
                    messages.success(request, _("The dossier was refused."))
                    return redirect("dossiers:counter_queue")
            else:
                raise Http404
        except services.ActionRefused as refused:
            messages.error(request, refused.message)
            return redirect("dossiers:counter_review", pk=dossier.pk)
    return render(
        request,
        "dossiers/counter/review.html",
        {
            "dossier": dossier,
            "can_decide": dossier.status == Status.SUBMITTED,
            "supplement_form": supplement_form,
            "refusal_form": refusal_form,
        },
    )


@clerk_only
def guidance(request):
    """Papers missing at the counter: print Form 02 or Form 03 now, without receiving a dossier."""
    code = request.POST.get("procedure") or request.GET.get("thu-tuc")
    procedure = get_object_or_404(_counter_procedures(), code=code) if code else None
    if procedure is None:
        return redirect("dossiers:counter_intake")
    form = CounterGuidanceForm(request.POST or None, initial={"kind": request.GET.get("mau")})
    if request.method == "POST" and form.is_valid():
        try:
            issued = services.guide_at_counter(
                procedure,
                request.user,
                kind=form.cleaned_data["kind"],
                applicant=form.applicant(),
                items=form.item_list(),
                reason=form.cleaned_data["reason"],
                request=procedure.name,
            )
        except services.ActionRefused as refused:
            form.add_error(None, refused.message)
        else:
            return redirect("dossiers:counter_guidance_done", pk=issued.pk)
    return render(request, "dossiers/counter/guidance.html", {"procedure": procedure, "form": form})


def _own_guidance(request, pk):
    agency = getattr(getattr(request.user, "profile", None), "agency", None)
    return get_object_or_404(
        CounterGuidance.objects.select_related("procedure"), pk=pk, agency=agency
    )


@clerk_only
def guidance_done(request, pk):
    """The printed Form 02/03: its number, and the way back to register the complete dossier."""
    return render(
        request, "dossiers/counter/guidance_done.html", {"guidance": _own_guidance(request, pk)}
    )


@clerk_only
def guidance_pdf(request, pk):
    issued = _own_guidance(request, pk)
    stored = slips.guidance_slip(issued)
    response = FileResponse(stored.open("rb"), content_type="application/pdf")
    name = f"mau-{issued.kind}-{issued.number}-{issued.year}.pdf"
    response["Content-Disposition"] = f'inline; filename="{name}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
