"""The back office: the work queues, a dossier's page, and one POST view for every action.

Thin on purpose: the rules live in services (what may happen), permissions (who may do it) and
selectors (what a queue holds). A dossier the user may not see answers 404; an action they may
not take on a dossier they see, 403; a refusal of the service (someone acted first, a deadline
passed) is shown as a message on the dossier's page.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from myphong import roles
from procedures.models import Procedure

from .. import deadlines, permissions, services, workcache
from ..forms.office import FORMS, QueueFilterForm, action_form
from ..printing.slips import issued_forms
from ..printing.wording import apology_advice, time_left
from ..selectors import QUEUES, queue_counts, visible_dossiers, work_queue
from ..workflow import ACTIONS, Event

staff_only = roles.role_required(*roles.STAFF)

PAGE_SIZE = 25
QUEUE_LABELS = {
    "mine": gettext_lazy("Mine"),
    "approval": gettext_lazy("Waiting for approval"),
    "unassigned": gettext_lazy("Not assigned"),
    "due_soon": gettext_lazy("Due within a working day"),
    "overdue": gettext_lazy("Overdue"),
    "supplement": gettext_lazy("Waiting for supplements"),
    "transferred": gettext_lazy("Inter-agency transfers"),
    "to_return": gettext_lazy("Results to return"),
    "all": gettext_lazy("All"),
}


def _default_queue(user, counts):
    """Specialists start with their own dossiers, leaders with what waits for their signature
    (else what to assign), clerks with results to hand over."""
    held = permissions.user_roles(user)
    if roles.SPECIALIST in held:
        return "mine"
    if roles.LEADER in held:
        return "approval" if counts["approval"] else "unassigned"
    return "to_return"


@require_GET
@staff_only
@workcache.kept_page("queue", lambda request: permissions.user_agency_id(request.user))
def queue(request):
    """One queue, filtered, sorted and paginated, with the count of every queue on its tab."""
    user = request.user
    now = timezone.now()
    visible = visible_dossiers(user)
    # The choices show "code name" only: the procedures' long texts are not read.
    procedures = (
        Procedure.objects.filter(Exists(visible.filter(procedure=OuterRef("pk"))))
        .only("pk", "code", "name")
        .order_by("name")
    )
    form = QueueFilterForm(request.GET, procedures=procedures)
    form.is_valid()  # a wrong value drops that filter only (its error is shown), never a 500
    filters = form.cleaned_data
    counts = queue_counts(user, now)
    name = filters.get("hang") or _default_queue(user, counts)
    dossiers = work_queue(user, name, filters, now=now)
    paginator = Paginator(dossiers, PAGE_SIZE)
    if not any(value for key, value in filters.items() if key not in ("hang", "sort")):
        # Unfiltered, the list is the tab's queue: its count is known, no second COUNT.
        paginator.count = counts[name]
    page = paginator.get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("hang", None)
    return render(
        request,
        "dossiers/office/queue.html",
        {
            "form": form,
            "queue": name,
            "queue_label": QUEUE_LABELS[name],
            "tabs": [(key, QUEUE_LABELS[key], counts[key]) for key in QUEUES],
            "page": page,
            "now": now,
            "agency_id": permissions.user_agency_id(user),
            "filters_query": query.urlencode(),
            "filtered": any(value for key, value in filters.items() if key != "hang"),
        },
    )


def _visible_dossier(user, pk):
    dossiers = visible_dossiers(user).select_related(
        "procedure__sector", "assigned_to", "transferred_to", "approved_by"
    )
    return get_object_or_404(dossiers, pk=pk)


def _dossier_page(request, dossier, bound=None):
    """The page of a dossier; `bound` is a submitted action form to show with its errors."""
    user = request.user
    now = timezone.now()
    events = list(dossier.events.all())
    forms = []
    for name in permissions.allowed_actions(user, dossier):
        if name not in FORMS:
            continue
        form = bound if bound is not None and bound.action == name else None
        forms.append((name, ACTIONS[name].label, form or action_form(name, dossier, user)))
    names = {name for name, _label, _form in forms}
    slips = issued_forms(events)
    info = time_left(dossier, now)
    proposal = deadlines.apology_proposal(dossier, now) if Event.RESCHEDULE in names else None
    return render(
        request,
        "dossiers/office/dossier.html",
        {
            "dossier": dossier,
            "events": events,
            "papers": dossier.papers.all(),
            "attachments": dossier.attachments.all(),
            "slips": slips,
            "time_left": info,
            "proposal": proposal,
            "apology_advice": apology_advice(proposal, dossier),
            "forms": forms,
            "open_action": bound.action if bound is not None else "",
            "can_check_at_counter": permissions.may(user, dossier, Event.ACCEPT),
            "now": now,
        },
    )


@require_GET
@staff_only
def dossier(request, pk):
    """Everything about one dossier, and the actions the user may take on it now."""
    return _dossier_page(request, _visible_dossier(request.user, pk))


@require_POST
@staff_only
def act(request, pk, action):
    """Take one action: parse its small form, call its service, come back to the dossier."""
    if action not in FORMS:
        raise Http404
    user = request.user
    dossier = _visible_dossier(user, pk)
    if not permissions.user_roles(user) & ACTIONS[action].roles:
        raise PermissionDenied
    seen = request.POST.get("version", "")
    if not seen.isdigit():
        return HttpResponseBadRequest()
    # On the version the user saw, a refusal is theirs (403). On an older one, the dossier
    # changed under them, and a step not done yet has its own reason: the service says so.
    if int(seen) == dossier.version and not permissions.may(
        user, dossier, action, check_ready=False
    ):
        raise PermissionDenied
    form = action_form(action, dossier, user, request.POST, request.FILES)
    if not form.is_valid():
        return _dossier_page(request, dossier, bound=form)
    try:
        form.perform()
    except services.ActionRefused as refused:
        messages.error(request, refused.message)
        return redirect("dossiers:office_dossier", pk=dossier.pk)
    messages.success(request, _("Done: %(action)s.") % {"action": ACTIONS[action].label})
    if visible_dossiers(user).filter(pk=dossier.pk).exists():
        return redirect("dossiers:office_dossier", pk=dossier.pk)
    # Handed back after a transfer: the dossier is no longer this agency's to see.
    return redirect("dossiers:office_queue")
