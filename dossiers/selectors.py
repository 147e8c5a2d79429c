"""Read-side queries of dossiers: who may see what, work queues, lookup, statistics."""

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.db.models import Avg, BooleanField, Count, ExpressionWrapper, F, Q
from django.utils import timezone

from myphong import roles
from procedures.text import fold

from . import deadlines
from .models import Dossier, Rating
from .workflow import CLOCK_STOPPED, OPEN, Status


def staff_agency(user):
    """The agency a staff member works for, or None."""
    profile = getattr(user, "profile", None)
    return profile.agency if profile is not None else None


def visible_dossiers(user):
    """The dossiers `user` may see: a citizen their own, staff their agency's, admins all.

    Every view that opens a dossier or one of its files starts from this queryset, so a dossier
    outside it answers 404 — the same as one that does not exist.
    """
    dossiers = Dossier.objects.select_related("procedure", "agency")
    if not (user and user.is_authenticated and user.is_active):
        return dossiers.none()
    if user.is_superuser:
        return dossiers
    if roles.has_role(user, *roles.STAFF):
        agency = staff_agency(user)
        if agency is None:
            return dossiers.none()
        # The receiving centre, the competent agency of a dossier received on its behalf
        # (boundary-free reception), and an agency it was transferred to.
        return dossiers.filter(
            Q(agency=agency) | Q(procedure__agency=agency) | Q(transferred_to=agency)
        )
    return dossiers.filter(applicant=user)


def reception_queue(user):
    """Online dossiers of the clerk's agency waiting for their check, oldest first."""
    return (
        visible_dossiers(user)
        .filter(status=Status.SUBMITTED)
        .select_related("procedure__sector")
        .order_by("submitted_at", "pk")
    )


@dataclass(frozen=True)
class SupplementItem:
    """One thing a supplement request asked for, in its words, and the procedure's paper it
    names (None when it names none: "Bản sao sổ hộ khẩu" for a procedure that lists no such
    paper)."""

    text: str
    document: object = None


def supplement_items(items, documents):
    """The items of a supplement request (one line each), each with the paper it names: a
    paper whose name, without case and diacritics, is in the item's words."""
    documents = list(documents)
    found = []
    for text in items:
        words = fold(text)
        document = next((d for d in documents if fold(d.name) in words), None)
        found.append(SupplementItem(text, document))
    return found


# --- Work queues of the back office ---------------------------------------------------------

# The lists a specialist, a leader or a clerk opens every morning, in the order of the tabs.
QUEUES = (
    "mine",
    "approval",
    "unassigned",
    "due_soon",
    "overdue",
    "supplement",
    "transferred",
    "to_return",
    "all",
)
# Queue sort keys (?sort=…; a leading "-" reverses), each with a unique tie-breaker so pages
# never repeat or skip a row.
SORTS = {
    "received": ("received_at", "pk"),
    "due": ("due_at", "pk"),
    "code": ("code", "pk"),
}
RUNNING = OPEN - CLOCK_STOPPED
# A queue row shows the procedure's name and sector, never its long texts: not read.
PROCEDURE_TEXTS = (
    "steps",
    "applicants",
    "result",
    "fee_note",
    "shown_documents",
    "conditions",
    "legal_basis",
    "note",
    "search_text",
)


def _queue_conditions(user, now):
    """The condition of each queue (within `visible_dossiers`), and the instants they compare.

    Deadlines are compared with the stored `due_at` (one indexed filter, no loop). The instants
    come from the user's agency calendar, computed once. Dossiers whose clock is stopped
    (waiting for supplements or for the fee) are neither "due soon" nor "overdue": the time
    they wait is not counted, and their stored due moves when they resume.

    Inter-agency transfers (liên thông): "transferred" holds the dossiers in that status in
    both directions — those this agency sent out (waiting at the other agency) and those sent
    to it (its work, which it records the result of and hands back). "mine" and "unassigned"
    are about assignment inside the dossier's own agency, so a dossier received through a
    transfer is found under "transferred", "all", "due_soon" and "overdue".
    """
    agency = staff_agency(user)
    calendar = deadlines.default_calendar(agency)
    day = calendar.working_day_length
    within_a_day = calendar.add_working_time(now, day)
    last_chance, proposal_from = deadlines.apology_window(calendar, now)
    running = Q(status__in=RUNNING)
    # Assignment is the processing agency's: a dossier received on its behalf elsewhere too.
    own = Q(procedure__agency=agency) if agency is not None else Q()
    conditions = {
        "mine": Q(status__in=OPEN, assigned_to=user),
        # The result waits for the leader's signature (services.send_for_approval).
        "approval": Q(
            status=Status.IN_PROGRESS,
            approval_requested_at__isnull=False,
            approved_at__isnull=True,
        ),
        "unassigned": own
        & Q(
            status__in=OPEN - {Status.TRANSFERRED},
            received_at__isnull=False,
            assigned_to__isnull=True,
        ),
        "due_soon": running & Q(due_at__gte=now, due_at__lte=within_a_day),
        "overdue": running & Q(due_at__lt=now),
        "supplement": Q(status=Status.AWAITING_SUPPLEMENT),
        "transferred": Q(status=Status.TRANSFERRED),
        "to_return": Q(status=Status.RESOLVED),
        "all": None,
    }
    flags = {
        "is_overdue": conditions["overdue"],
        "awaits_approval": conditions["approval"],
        # Form 04 proposed (deadlines.apology_window), and not rescheduled yet (only once).
        "apology_proposed": running
        & Q(
            due_at__gte=last_chance,
            due_at__lte=proposal_from,
            due_before_apology__isnull=True,
        ),
    }
    return conditions, flags


def _local_midnight(day):
    return datetime.combine(day, time.min, tzinfo=deadlines.TZ)


def work_queue(user, queue, filters=None, now=None):
    """The dossiers of one queue (see QUEUES) that `user` may see, filtered and sorted.

    `filters` (all optional): sector, procedure (instances or ids), channel, received_from and
    received_to (dates, inclusive), q (a code, or the applicant's name with or without
    diacritics), sort (a key of SORTS, "-" for descending). The rows carry `is_overdue`,
    `awaits_approval` and `apology_proposed`, and everything a queue row shows, in one query.
    """
    if queue not in QUEUES:
        raise ValueError(f"unknown queue {queue!r}; use one of {QUEUES}")
    now = now or timezone.now()
    filters = filters or {}
    conditions, flags = _queue_conditions(user, now)
    dossiers = (
        visible_dossiers(user)
        .select_related("procedure__sector", "assigned_to", "agency", "transferred_to")
        .defer(*(f"procedure__{name}" for name in PROCEDURE_TEXTS))
    )
    if conditions[queue] is not None:
        dossiers = dossiers.filter(conditions[queue])
    dossiers = dossiers.annotate(
        **{name: ExpressionWrapper(q, output_field=BooleanField()) for name, q in flags.items()}
    )
    if filters.get("sector"):
        dossiers = dossiers.filter(procedure__sector=filters["sector"])
    if filters.get("procedure"):
        dossiers = dossiers.filter(procedure=filters["procedure"])
    if filters.get("channel"):
        dossiers = dossiers.filter(channel=filters["channel"])
    if filters.get("received_from"):
        dossiers = dossiers.filter(received_at__gte=_local_midnight(filters["received_from"]))
    if filters.get("received_to"):
        end = _local_midnight(filters["received_to"] + timedelta(days=1))
        dossiers = dossiers.filter(received_at__lt=end)
    text = (filters.get("q") or "").strip()
    if text:
        dossiers = dossiers.filter(
            Q(code__icontains=text) | Q(applicant_name_folded__contains=fold(text))
        )
    return dossiers.order_by(*_ordering(filters.get("sort") or default_sort(queue)))


def default_sort(queue):
    """Work lists put the nearest due first; the full list and the results the newest first."""
    return "-received" if queue in ("all", "to_return") else "due"


def _ordering(sort):
    descending = sort.startswith("-")
    field, tie_breaker = SORTS.get(sort.lstrip("-"), SORTS["due"])
    if descending:
        return [F(field).desc(nulls_last=True), f"-{tie_breaker}"]
    return [F(field).asc(nulls_last=True), tie_breaker]


def queue_counts(user, now=None):
    """How many dossiers each queue holds, for the tabs: one aggregate query."""
    now = now or timezone.now()
    conditions, _flags = _queue_conditions(user, now)
    return visible_dossiers(user).aggregate(
        **{
            name: Count("pk", filter=condition) if condition is not None else Count("pk")
            for name, condition in conditions.items()
        }
    )


# --- Satisfaction (Circular 01/2018 art. 13) -------------------------------------------------


def rating_summary(agency, start, end):
    """The average of each of the nine indicators and the number of ratings, in one query.

    Ratings of dossiers received by `agency` (None: every agency) given from `start` to `end`
    (dates in Vietnam's time, both included). An average is None when nobody rated.
    """
    ratings = Rating.objects.filter(
        created_at__gte=_local_midnight(start),
        created_at__lt=_local_midnight(end + timedelta(days=1)),
    )
    if agency is not None:
        ratings = ratings.filter(dossier__agency=agency)
    return ratings.aggregate(count=Count("pk"), **{field: Avg(field) for field in Rating.FIELDS})
