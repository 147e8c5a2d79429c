"""Feedback and petitions (phản ánh, kiến nghị): the public form, the sender's lookup, and the
leaders' queue where they answer.

Thin: codes, the throttle and the uniform lookup live in dossiers.lookup. A feedback may be
anonymous; the sender follows it with its code and their phone number or the lookup key shown
once after sending. Only leaders of the agency concerned read and answer it: feedback about
officers must not land on the desk of the officers concerned.
"""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from myphong import roles

from ..forms.lookup import FeedbackAnswerForm, FeedbackForm, FeedbackLookupForm
from ..lookup import feedback as desk
from ..lookup import guard
from ..models import Feedback
from ..services import ActionRefused
from .lookup import lookup_page, run_lookup

FEEDBACK = "feedback"
PAGE_SIZE = 25
QUEUE_LABELS = {
    "waiting": gettext_lazy("Waiting for an answer"),
    "answered": gettext_lazy("Answered"),
    "all": gettext_lazy("All"),
}

leader_only = roles.role_required(roles.LEADER)


@never_cache
@require_http_methods(["GET", "POST"])
def send(request):
    """The public form; robots (the hidden field) and floods (per address) are turned away."""
    if request.method == "POST" and guard.submission_refused(request):
        form = FeedbackForm()
        messages.error(request, guard.locked_message(guard.SUBMISSIONS_PAUSED))
        return render(request, "dossiers/feedback/form.html", {"form": form}, status=429)
    form = FeedbackForm(request.POST or None)
    if request.method == "POST" and form.is_robot:
        guard.record_submission(request)
        return render(request, "dossiers/feedback/form.html", {"form": FeedbackForm()})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        feedback = desk.send_feedback(
            data["agency"],
            data["category"],
            data["content"],
            sender_name=data["sender_name"],
            sender_phone=data["sender_phone"],
            sender_email=data["sender_email"],
            dossier_code=data["dossier_code"],
        )
        guard.record_submission(request)
        guard.grant(request, FEEDBACK, feedback.pk)
        return redirect("dossiers:feedback_sent")
    return render(request, "dossiers/feedback/form.html", {"form": form})


def _granted_feedback(request):
    pk = guard.granted(request, FEEDBACK)
    if pk is None:
        return None
    return Feedback.objects.select_related("agency").filter(pk=pk).first()


@never_cache
def sent(request):
    """The code and the lookup key, shown once after sending (and while the grant lasts)."""
    feedback = _granted_feedback(request)
    if feedback is None:
        return redirect("dossiers:feedback_lookup")
    return render(request, "dossiers/feedback/sent.html", {"feedback": feedback})


@never_cache
@require_http_methods(["GET", "POST"])
def lookup_feedback(request):
    """Feedback code and the sender's phone number or lookup key: the same uniform answers."""
    template = "dossiers/feedback/lookup.html"
    if request.method != "POST":
        return lookup_page(request, FeedbackLookupForm, template)
    return run_lookup(
        request,
        Feedback.objects.all(),
        "sender_phone",
        FEEDBACK,
        FeedbackLookupForm,
        template,
        reverse("dossiers:feedback_result"),
    )


@never_cache
def result(request):
    feedback = _granted_feedback(request)
    if feedback is None:
        messages.info(
            request,
            _(
                "For your privacy, a lookup is shown for a limited time. Please enter the code "
                "and the phone number or lookup key again."
            ),
        )
        return redirect("dossiers:feedback_lookup")
    return render(request, "dossiers/feedback/result.html", {"feedback": feedback})


# --- Leaders ---------------------------------------------------------------------------------


@require_GET
@leader_only
def queue(request):
    """The leader's feedback: waiting ones first, harassment and money flagged at the top."""
    name = request.GET.get("hang")
    if name not in desk.FEEDBACK_QUEUES:
        name = "waiting"
    counts = desk.feedback_counts(request.user)
    page = Paginator(desk.feedback_queue(request.user, name), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "dossiers/feedback/queue.html",
        {
            "queue": name,
            "queue_label": QUEUE_LABELS[name],
            "tabs": [(key, QUEUE_LABELS[key], counts[key]) for key in desk.FEEDBACK_QUEUES],
            "flagged_waiting": counts["flagged"],
            "page": page,
        },
    )


@never_cache
@require_http_methods(["GET", "POST"])
@leader_only
def answer(request, pk):
    """Read one feedback and answer it; another agency's feedback answers 404."""
    feedback = get_object_or_404(desk.feedback_for(request.user), pk=pk)
    form = None
    if feedback.answered_at is None:
        form = FeedbackAnswerForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                desk.answer_feedback(feedback, request.user, form.cleaned_data["answer"])
            except ActionRefused as refused:
                messages.error(request, refused.message)
            else:
                messages.success(request, _("The answer was saved; the sender can read it now."))
            return redirect("dossiers:feedback_answer", pk=feedback.pk)
    elif request.method == "POST":
        messages.info(request, _("This feedback has already been answered."))
        return redirect("dossiers:feedback_answer", pk=feedback.pk)
    return render(request, "dossiers/feedback/answer.html", {"feedback": feedback, "form": form})
