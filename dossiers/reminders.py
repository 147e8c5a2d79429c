"""Reminders to officers: who is told what, when, and each message once.

The commune's control officer "checks the one-stop software regularly so that no dossier is
late"; this module does that checking for every officer:

- The morning digest (settings.REMINDER_DIGEST_TIME, never on a day off of the working calendar;
  a make-up Saturday gets one): a specialist, their dossiers due within one working day and
  those already overdue; a leader, the agency's overdue dossiers and those due today, grouped by
  sector and officer, unassigned ones called out; a clerk, results ready to return for more
  than three working days. No digest when there is nothing to say.
- The overdue check (every REMINDER_CHECK_MINUTES): a dossier that has just become overdue is
  told to its specialist and the agency's leaders once; a dossier whose last working day to
  issue Form 04 has come (the window the office pages propose Form 04 in,
  deadlines.apology_window) and that was not
  rescheduled is told to its specialist (the leaders when nobody is assigned) once.

The same lists are shown on the "Cần chú ý" page and counted in the header's badge
(`attention_for`), so officers without email see them too.

Once only: every message is first inserted as a `Reminder` row under a unique key (dossier or
digest day, recipient, reason) and then sent while its row is locked; a retried task, a second
beat process or the command run by hand finds the row sent (or locked) and does nothing more. A
failed send is recorded on the row (attempts, last error) and retried by the next run.

Queries: a fixed number per run (officers, agencies, then one or two per kind of list), plus a
few per recipient to claim and mark their messages; never one per dossier.
"""

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import NamedTuple

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Count, Exists, F, OuterRef, Q, Window
from django.db.models.functions import RowNumber
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from myphong import roles
from procedures.models import Agency

from . import deadlines
from .models import Dossier, Reminder
from .printing.wording import Moment
from .selectors import RUNNING
from .workflow import Status

log = logging.getLogger(__name__)

# Dossiers named per list in an email (the page lists more); the counts are always complete.
LIST_LIMIT = 20
# After this many failed attempts a reminder is left to the admin page (its last error says why).
MAX_ATTEMPTS = 8

Reason = Reminder.Reason


class RemindersNotSent(Exception):
    """Some reminders could not be sent (recorded on their rows); worth a retry."""


# --- Who the officers are ------------------------------------------------------------------


@dataclass
class Officer:
    id: int
    name: str
    email: str
    agency_id: int
    roles: set = field(default_factory=set)


def officers(role_names, user_ids=None):
    """Active staff holding one of `role_names` and working for an agency, by id (one query)."""
    users = get_user_model().objects.filter(
        is_active=True, groups__name__in=role_names, profile__agency__isnull=False
    )
    if user_ids is not None:
        users = users.filter(pk__in=user_ids)
    found = {}
    rows = users.values_list(
        "pk", "username", "first_name", "last_name", "email", "profile__agency_id", "groups__name"
    )
    for pk, username, first, last, email, agency_id, role in rows:
        officer = found.get(pk)
        if officer is None:
            name = " ".join(part for part in (last, first) if part) or username
            officer = found[pk] = Officer(pk, name, email, agency_id)
        officer.roles.add(role)
    return found


# --- The instants each agency's lists compare with -------------------------------------------


@dataclass(frozen=True)
class Instants:
    now: datetime
    due_soon_until: datetime  # due within REMINDER_DUE_SOON_WORKING_DAYS working days
    end_of_today: datetime  # local midnight after today: "due today" is before it
    returnable_before: datetime  # resolved before it: waiting more than N working days
    last_chance: datetime  # due before it: too late for Form 04 (deadlines.apology_window)
    apology_from: datetime  # the office pages propose Form 04 from here


def working_days_back(calendar, now, days):
    """The same clock time `days` working days before `now` (days off skipped)."""
    local = timezone.localtime(now, deadlines.TZ)
    day = local.date()
    counted = 0
    while counted < days:
        day -= timedelta(days=1)
        if calendar.is_working_day(day):
            counted += 1
    return datetime.combine(day, local.time(), tzinfo=deadlines.TZ)


def instants(agency, now):
    """The instants of one agency's lists at `now`, on the agency's working calendar."""
    calendar = deadlines.default_calendar(agency)
    day = calendar.working_day_length
    last_chance, apology_from = deadlines.apology_window(calendar, now)
    local_today = timezone.localtime(now, deadlines.TZ).date()
    return Instants(
        now=now,
        due_soon_until=calendar.add_working_time(
            now, day * settings.REMINDER_DUE_SOON_WORKING_DAYS
        ),
        end_of_today=datetime.combine(local_today + timedelta(days=1), time.min, deadlines.TZ),
        returnable_before=working_days_back(
            calendar, now, settings.REMINDER_RETURN_AFTER_WORKING_DAYS
        ),
        last_chance=last_chance,
        apology_from=apology_from,
    )


def instants_by_agency(now):
    """{agency id: Instants} for every agency (one query; the calendars are cached)."""
    return {agency.pk: instants(agency, now) for agency in Agency.objects.all()}


def _per_agency(windows_, condition):
    """OR of condition(window) restricted to each agency: one filter for all agencies."""
    combined = Q(pk__in=[])
    for agency_id, instants in windows_.items():
        combined |= Q(agency_id=agency_id) & condition(instants)
    return combined


# --- What each officer must pay attention to -------------------------------------------------


@dataclass
class Row:
    """A dossier as a list shows it."""

    pk: int
    code: str
    procedure: str
    applicant: str
    sector: str
    assignee: str
    due_at: datetime | None
    resolved_at: datetime | None
    overdue: bool

    @property
    def due(self):
        return Moment.of(self.due_at)

    @property
    def resolved(self):
        return Moment.of(self.resolved_at)

    @property
    def url(self):
        return settings.PORTAL_BASE_URL + reverse("dossiers:office_dossier", args=[self.pk])


@dataclass
class Group:
    """A leader's count for one sector and one officer (None: not assigned)."""

    sector: str
    assignee: str | None
    overdue: int = 0
    due_today: int = 0


@dataclass
class Attention:
    """One officer's lists: their own dossiers, their agency's, results waiting to be returned."""

    officer: Officer
    mine: list = field(default_factory=list)
    mine_overdue: int = 0
    mine_due_soon: int = 0
    agency: list = field(default_factory=list)
    agency_overdue: int = 0
    agency_due_today: int = 0
    groups: list = field(default_factory=list)
    unassigned: int = 0
    to_return: list = field(default_factory=list)
    to_return_count: int = 0

    @property
    def total(self):
        """What the header's badge shows: dossiers on the officer's lists."""
        return (
            self.mine_overdue
            + self.mine_due_soon
            + self.agency_overdue
            + self.agency_due_today
            + self.to_return_count
        )

    @property
    def is_empty(self):
        return self.total == 0


ROW_FIELDS = (
    "pk",
    "code",
    "procedure__name",
    "applicant_name",
    "procedure__sector__name",
    "assigned_to__last_name",
    "assigned_to__first_name",
    "assigned_to__username",
    "due_at",
    "resolved_at",
)


def _rows(dossiers, partition, now, limit):
    """The first `limit` dossiers of each partition (nearest due first), in one query."""
    numbered = dossiers.annotate(
        place=Window(
            RowNumber(),
            partition_by=[F(partition)],
            order_by=[F("due_at").asc(nulls_last=True), F("pk").asc()],
        )
    ).filter(place__lte=limit)
    listed = defaultdict(list)
    for values in numbered.values(partition, *ROW_FIELDS).order_by(partition, "due_at", "pk"):
        listed[values[partition]].append(_row(values, now))
    return listed


def _row(values, now):
    """A Row from a dict of ROW_FIELDS."""
    last, first, username = (
        values["assigned_to__last_name"],
        values["assigned_to__first_name"],
        values["assigned_to__username"],
    )
    return Row(
        pk=values["pk"],
        code=values["code"] or "",
        procedure=values["procedure__name"],
        applicant=values["applicant_name"],
        sector=values["procedure__sector__name"] or "",
        assignee=" ".join(part for part in (last, first) if part) or (username or ""),
        due_at=values["due_at"],
        resolved_at=values["resolved_at"],
        overdue=values["due_at"] is not None and values["due_at"] < now,
    )


def collect(now, officers_, *, limit=LIST_LIMIT, with_rows=True):
    """{officer id: Attention} for the given officers, in a fixed number of queries."""
    windows_ = instants_by_agency(now)
    result = {pk: Attention(officer) for pk, officer in officers_.items()}
    specialists = [o.id for o in officers_.values() if roles.SPECIALIST in o.roles]
    leading = {o.agency_id for o in officers_.values() if roles.LEADER in o.roles}
    clerking = {o.agency_id for o in officers_.values() if roles.CLERK in o.roles}

    if specialists:
        mine = Dossier.objects.filter(status__in=RUNNING, assigned_to_id__in=specialists).filter(
            _per_agency(windows_, lambda w: Q(due_at__lte=w.due_soon_until))
        )
        counts = mine.values("assigned_to_id").annotate(
            overdue=Count("pk", filter=Q(due_at__lt=now)), total=Count("pk")
        )
        for row in counts.order_by():
            attention = result[row["assigned_to_id"]]
            attention.mine_overdue = row["overdue"]
            attention.mine_due_soon = row["total"] - row["overdue"]
        if with_rows:
            for pk, rows in _rows(mine, "assigned_to_id", now, limit).items():
                result[pk].mine = rows

    leaders_of = defaultdict(list)
    for officer in officers_.values():
        if roles.LEADER in officer.roles:
            leaders_of[officer.agency_id].append(result[officer.id])
    if leading:
        theirs = Dossier.objects.filter(status__in=RUNNING, agency_id__in=leading).filter(
            _per_agency(windows_, lambda w: Q(due_at__lt=w.end_of_today))
        )
        totals = defaultdict(lambda: [0, 0, 0, []])  # overdue, due today, unassigned, groups
        grouped = (
            theirs.values(
                "agency_id",
                "procedure__sector__name",
                "assigned_to_id",
                "assigned_to__last_name",
                "assigned_to__first_name",
                "assigned_to__username",
            )
            .annotate(overdue=Count("pk", filter=Q(due_at__lt=now)), total=Count("pk"))
            .order_by("procedure__sector__name", "assigned_to__last_name", "assigned_to_id")
        )
        for row in grouped:
            agency_total = totals[row["agency_id"]]
            assignee = None
            if row["assigned_to_id"] is not None:
                assignee = (
                    " ".join(
                        part
                        for part in (row["assigned_to__last_name"], row["assigned_to__first_name"])
                        if part
                    )
                    or row["assigned_to__username"]
                )
            else:
                agency_total[2] += row["total"]
            agency_total[0] += row["overdue"]
            agency_total[1] += row["total"] - row["overdue"]
            agency_total[3].append(
                Group(
                    row["procedure__sector__name"] or "",
                    assignee,
                    row["overdue"],
                    row["total"] - row["overdue"],
                )
            )
        listed = _rows(theirs, "agency_id", now, limit) if with_rows else {}
        for agency_id, attentions in leaders_of.items():
            overdue, today, unassigned, groups = totals.get(agency_id, (0, 0, 0, []))
            for attention in attentions:
                attention.agency_overdue, attention.agency_due_today = overdue, today
                attention.unassigned, attention.groups = unassigned, groups
                attention.agency = listed.get(agency_id, [])

    if clerking:
        waiting = Dossier.objects.filter(status=Status.RESOLVED, agency_id__in=clerking).filter(
            _per_agency(windows_, lambda w: Q(resolved_at__lt=w.returnable_before))
        )
        counts = dict(waiting.values_list("agency_id").annotate(Count("pk")).order_by())
        listed = _rows(waiting, "agency_id", now, limit) if with_rows else {}
        for officer in officers_.values():
            if roles.CLERK in officer.roles:
                attention = result[officer.id]
                attention.to_return_count = counts.get(officer.agency_id, 0)
                attention.to_return = listed.get(officer.agency_id, [])
    return result


def attention_for(user, now=None, *, with_rows=True):
    """The lists of one officer (the "Cần chú ý" page and the badge); None for non-staff."""
    found = officers(roles.STAFF, user_ids=[user.pk])
    if user.pk not in found:
        return None
    return collect(now or timezone.now(), found, with_rows=with_rows)[user.pk]


# --- Sending, once -------------------------------------------------------------------------


@dataclass
class Outcome:
    """What a run did (or, in a dry run, would do)."""

    skipped: str = ""
    dry_run: bool = False
    recorded: int = 0
    sent: int = 0
    web_only: int = 0
    failed: int = 0
    planned: list = field(default_factory=list)  # (recipient name, reason, dossier codes)

    def __str__(self):
        if self.skipped:
            return self.skipped
        if self.dry_run:
            return f"dry run: {len(self.planned)} messages would be sent"
        return (
            f"{self.recorded} recorded, {self.sent} emailed, {self.web_only} web only, "
            f"{self.failed} failed"
        )


def _email(template, context, address):
    with translation.override("vi"):
        subject = render_to_string(f"emails/{template}_subject.txt", context)
        body = render_to_string(f"emails/{template}.txt", context)
    return EmailMessage(
        " ".join(subject.split()),
        body.strip() + "\n",
        settings.DEFAULT_FROM_EMAIL,
        [address],
        headers={"Auto-Submitted": "auto-generated"},
    )


def _attention_url():
    return settings.PORTAL_BASE_URL + reverse("dossiers:attention")


class Claimed(NamedTuple):
    """A reminder row locked for sending."""

    pk: int
    reason: str
    dossier_id: int | None
    email: str


def _deliver(recipient_id, pending, build, outcome):
    """Send the recipient's pending reminders (matching `pending`) in one email, at most once.

    The rows stay locked while sending; another run skips them (SKIP LOCKED) instead of
    sending them again. A failure is recorded on the rows and counted.
    """
    with transaction.atomic():
        rows = [
            Claimed(*values)
            for values in Reminder.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(pending, recipient_id=recipient_id, sent_at__isnull=True)
            .filter(attempts__lt=MAX_ATTEMPTS)
            .order_by("pk")
            .values_list("pk", "reason", "dossier_id", "email")
        ]
        if not rows:
            return
        ids = [row.pk for row in rows]
        address = rows[0].email if settings.REMINDER_EMAIL else ""
        if not address:
            # No email: the "Cần chú ý" page is where this officer reads it.
            Reminder.objects.filter(pk__in=ids).update(sent_at=timezone.now())
            outcome.web_only += len(ids)
            return
        try:
            build(recipient_id, rows, address).send()
        except Exception as exc:
            log.warning(
                "%s reminders to officer %s not sent", len(ids), recipient_id, exc_info=True
            )
            Reminder.objects.filter(pk__in=ids).update(
                attempts=F("attempts") + 1, last_error=f"{type(exc).__name__}: {exc}"[:2000]
            )
            outcome.failed += len(ids)
            return
        Reminder.objects.filter(pk__in=ids).update(
            attempts=F("attempts") + 1, sent_at=timezone.now(), last_error=""
        )
        outcome.sent += len(ids)


def _local_day(now):
    return timezone.localtime(now, deadlines.TZ).date()


def send_morning_digests(now=None, *, dry_run=False):
    """Each officer's digest of the day, once; nothing on a day off or with nothing to say."""
    now = now or timezone.now()
    today = _local_day(now)
    if not deadlines.default_calendar().is_working_day(today):
        return Outcome(skipped=f"{today:%d/%m/%Y} is a day off: no digest")
    # A person with several roles gets the lists of the roles that are sent digests only: the
    # query reads only those roles.
    people = officers(settings.REMINDER_DIGEST_ROLES)
    attentions = {
        pk: attention for pk, attention in collect(now, people).items() if not attention.is_empty
    }
    outcome = Outcome(dry_run=dry_run)
    if dry_run:
        for attention in attentions.values():
            codes = [row.code for row in attention.mine + attention.agency + attention.to_return]
            outcome.planned.append((attention.officer.name, Reason.DIGEST, codes))
        return outcome
    today_digest = Q(reason=Reason.DIGEST, day=today)
    started = timezone.now()
    Reminder.objects.bulk_create(
        [
            Reminder(recipient_id=pk, reason=Reason.DIGEST, day=today, email=a.officer.email)
            for pk, a in attentions.items()
        ],
        ignore_conflicts=True,  # recorded by an earlier run or another beat: theirs stands
    )
    outcome.recorded = Reminder.objects.filter(today_digest, created_at__gte=started).count()

    def build(recipient_id, rows, address):
        attention = attentions[recipient_id]
        context = {
            "a": attention,
            "day": f"{today:%d/%m/%Y}",
            "attention_url": _attention_url(),
            "agency_name": settings.PORTAL_AGENCY_NAME,
            "return_after": settings.REMINDER_RETURN_AFTER_WORKING_DAYS,
        }
        return _email("reminder_digest", context, address)

    for pk in _waiting(today_digest):
        if pk in attentions:
            _deliver(pk, today_digest, build, outcome)
    return outcome


def _waiting(pending):
    """Recipients with reminders still to send (one query, so a run with nothing to do is
    cheap)."""
    return list(
        Reminder.objects.filter(pending, sent_at__isnull=True, attempts__lt=MAX_ATTEMPTS)
        .values_list("recipient_id", flat=True)
        .order_by()
        .distinct()
    )


def _events(now):
    """(dossier id, recipient id, reason) of every dossier-event reminder due at `now`."""
    people = officers(set(settings.REMINDER_OVERDUE_ROLES) | {roles.SPECIALIST, roles.LEADER})
    leaders_of = defaultdict(list)
    for officer in people.values():
        if roles.LEADER in officer.roles:
            leaders_of[officer.agency_id].append(officer.id)
    tell_specialist = roles.SPECIALIST in settings.REMINDER_OVERDUE_ROLES
    tell_leaders = roles.LEADER in settings.REMINDER_OVERDUE_ROLES
    since = now - timedelta(hours=settings.REMINDER_OVERDUE_LOOKBACK_HOURS)
    told = Reminder.objects.filter(dossier=OuterRef("pk"))
    windows_ = instants_by_agency(now)

    keys = []
    # Became overdue since the last look (a longer outage: the digest lists the rest).
    overdue = (
        Dossier.objects.filter(status__in=RUNNING, due_at__lt=now, due_at__gte=since)
        .exclude(Exists(told.filter(reason=Reason.OVERDUE)))
        .values_list("pk", "agency_id", "assigned_to_id")
    )
    for pk, agency_id, assignee in overdue:
        if tell_specialist and assignee in people:
            keys.append((pk, assignee, Reason.OVERDUE))
        if tell_leaders:
            keys.extend((pk, leader, Reason.OVERDUE) for leader in leaders_of[agency_id])
    # The Form 04 window: the same bounds as the office pages' proposal (selectors), not yet
    # rescheduled (only once per dossier).
    apology = (
        Dossier.objects.filter(status__in=RUNNING, due_before_apology__isnull=True)
        .filter(
            _per_agency(
                windows_, lambda w: Q(due_at__gte=w.last_chance, due_at__lte=w.apology_from)
            )
        )
        .exclude(Exists(told.filter(reason=Reason.APOLOGY_WINDOW)))
        .values_list("pk", "agency_id", "assigned_to_id")
    )
    for pk, agency_id, assignee in apology:
        if assignee in people:
            keys.append((pk, assignee, Reason.APOLOGY_WINDOW))
        else:
            keys.extend((pk, leader, Reason.APOLOGY_WINDOW) for leader in leaders_of[agency_id])
    return keys, people


def check_overdue(now=None, *, dry_run=False):
    """Tell, once, who must know that a dossier became overdue or reached its Form 04 window."""
    now = now or timezone.now()
    keys, people = _events(now)
    outcome = Outcome(dry_run=dry_run)
    if dry_run:
        by_recipient = defaultdict(list)
        for dossier_id, recipient, reason in keys:
            by_recipient[(recipient, reason)].append(dossier_id)
        codes = dict(
            Dossier.objects.filter(pk__in={key[0] for key in keys}).values_list("pk", "code")
        )
        for (recipient, reason), ids in by_recipient.items():
            outcome.planned.append((people[recipient].name, reason, [codes[i] for i in ids]))
        return outcome
    about_dossiers = Q(reason__in=[Reason.OVERDUE, Reason.APOLOGY_WINDOW])
    if keys:
        started = timezone.now()
        Reminder.objects.bulk_create(
            [
                Reminder(
                    recipient_id=recipient,
                    reason=reason,
                    dossier_id=dossier_id,
                    email=people[recipient].email,
                )
                for dossier_id, recipient, reason in keys
            ],
            ignore_conflicts=True,  # recorded by another beat meanwhile: theirs stands
            batch_size=2000,
        )
        recorded = Reminder.objects.filter(about_dossiers, created_at__gte=started)
        outcome.recorded = recorded.count()
    for recipient_id in _waiting(about_dossiers):
        _deliver(recipient_id, about_dossiers, _dossier_email(now), outcome)
    return outcome


def _dossier_email(now):
    def build(recipient_id, rows, address):
        """One email for all of a recipient's dossier reminders; the first LIST_LIMIT of each
        kind are named (one query), the rest counted and left to the page."""
        by_reason = defaultdict(list)
        for row in rows:
            by_reason[row.reason].append(row.dossier_id)
        named = {reason: ids[:LIST_LIMIT] for reason, ids in by_reason.items()}
        found = {
            values["pk"]: _row(values, now)
            for values in Dossier.objects.filter(
                pk__in=[pk for ids in named.values() for pk in ids]
            ).values(*ROW_FIELDS)
        }

        def listed(reason):
            return [found[pk] for pk in named.get(reason, []) if pk in found]

        context = {
            "overdue": listed(Reason.OVERDUE),
            "overdue_count": len(by_reason[Reason.OVERDUE]),
            "apology": listed(Reason.APOLOGY_WINDOW),
            "apology_count": len(by_reason[Reason.APOLOGY_WINDOW]),
            "attention_url": _attention_url(),
            "agency_name": settings.PORTAL_AGENCY_NAME,
        }
        return _email("reminder_dossiers", context, address)

    return build
