"""Who may open what: every URL pattern of the portal, walked as ten people (issue 13, tests).

ACCESS has one row per URL name (and one rule for the admin site). A URL added without a row
fails `test_every_url_has_a_row_in_the_access_table`, so whoever adds a page says who may see it.

To add a row: `"namespace:name": Row(who(...), kwargs)` where `who` starts from `everyone=` (or
a group below) and overrides groups or single people, in order:

    "dossiers:statistics": Row(who(everyone=LOGIN_OR_403, leaders=OK)),

People: anonymous, citizen_a (owns the dossier), citizen_b, clerk_a, specialist_a, leader_a
(the dossier's agency), clerk_b, specialist_b, leader_b (another agency), admin (superuser).
Groups: everyone, users (all but anonymous), citizens, staff, staff_a, staff_b, clerks,
specialists, leaders.

Outcomes are status codes, checked on GET (POST-only pages answer 405): what matters here is
that nobody reaches a page or a file that is not theirs.
"""

import re
from dataclasses import dataclass, field

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from freezegun import freeze_time

from dossiers import services
from dossiers.lookup import feedback as desk
from dossiers.models import Attachment, Feedback
from myphong import roles
from procedures.models import Procedure
from tests.factories import (
    AgencyFactory,
    DossierFactory,
    ProcedureFactory,
    RequiredDocumentFactory,
    UserFactory,
)

# --- Outcomes -----------------------------------------------------------------------------------

OK = 200
REDIRECT = 302  # anywhere
LOGIN = "login"  # 302 to the portal's login page
ADMIN_LOGIN = "admin login"  # 302 to the admin's login page
BAD = 400
FORBIDDEN = 403
NOT_FOUND = 404
NOT_ALLOWED = 405
MOVED = 301

PEOPLE = (
    "anonymous",
    "citizen_a",
    "citizen_b",
    "clerk_a",
    "specialist_a",
    "leader_a",
    "clerk_b",
    "specialist_b",
    "leader_b",
    "admin",
)
GROUPS = {
    "everyone": PEOPLE,
    "users": PEOPLE[1:],
    "citizens": ("citizen_a", "citizen_b"),
    "staff": ("clerk_a", "specialist_a", "leader_a", "clerk_b", "specialist_b", "leader_b"),
    "staff_a": ("clerk_a", "specialist_a", "leader_a"),
    "staff_b": ("clerk_b", "specialist_b", "leader_b"),
    "clerks": ("clerk_a", "clerk_b"),
    "specialists": ("specialist_a", "specialist_b"),
    "leaders": ("leader_a", "leader_b"),
}


def who(**outcomes):
    """{person: outcome} from groups and people, later keys overriding earlier ones."""
    table = {}
    for key, outcome in outcomes.items():
        for person in GROUPS.get(key, (key,)):
            assert person in PEOPLE, f"unknown person or group {key!r}"
            table[person] = outcome
    missing = set(PEOPLE) - set(table)
    assert not missing, f"no outcome for {sorted(missing)}"
    return table


@dataclass
class Row:
    outcomes: dict
    kwargs: callable = field(default=lambda world: {})


def dossier(world):
    return {"pk": world.dossier.pk}


PUBLIC = who(everyone=OK)
# The administrator holds every role, the citizen's too, but owns no dossier.
CITIZEN_OWN = who(
    everyone=NOT_FOUND, anonymous=LOGIN, citizen_a=OK, staff=FORBIDDEN, admin=NOT_FOUND
)
OFFICE_OF_A = who(everyone=NOT_FOUND, anonymous=LOGIN, citizens=FORBIDDEN, staff_a=OK, admin=OK)

ACCESS = {
    "home": Row(PUBLIC),
    "healthz": Row(PUBLIC),
    # For the proxy and monitoring; says nothing personal (tasks run in-process here: ready).
    "readyz": Row(PUBLIC),
    "login": Row(who(everyone=REDIRECT, anonymous=OK)),
    "logout": Row(who(everyone=NOT_ALLOWED)),
    "set_language": Row(who(everyone=REDIRECT)),
    "password_reset": Row(PUBLIC),
    "password_reset_done": Row(PUBLIC),
    "password_reset_confirm": Row(PUBLIC, lambda w: {"uidb64": "MA", "token": "sai-sai"}),
    "password_reset_complete": Row(PUBLIC),
    "password_change": Row(who(everyone=OK, anonymous=LOGIN)),
    "password_change_done": Row(who(everyone=OK, anonymous=LOGIN)),
    # The public catalogue
    "procedures:list": Row(PUBLIC),
    "procedures:detail": Row(PUBLIC, lambda w: {"code": w.procedure.code}),
    "procedures:form_template": Row(
        PUBLIC, lambda w: {"code": w.procedure.code, "document_id": w.document.pk}
    ),
    "procedures:submit_online": Row(
        who(everyone=FORBIDDEN, anonymous=LOGIN, citizens=OK, admin=OK),
        lambda w: {"code": w.procedure.code},
    ),
    # Citizens' accounts and dossiers
    "dossiers:register": Row(who(everyone=REDIRECT, anonymous=OK)),
    "dossiers:registration_sent": Row(PUBLIC),
    "dossiers:resend_confirmation": Row(PUBLIC),
    "dossiers:confirm_email": Row(
        who(everyone=BAD), lambda w: {"uidb64": "MA", "token": "sai-sai"}
    ),
    "dossiers:my_dossiers": Row(who(everyone=FORBIDDEN, anonymous=LOGIN, citizens=OK, admin=OK)),
    "dossiers:my_dossier": Row(CITIZEN_OWN, dossier),
    "dossiers:submitted": Row(CITIZEN_OWN, dossier),
    "dossiers:withdraw": Row(CITIZEN_OWN, dossier),  # GET: the confirmation page
    "dossiers:rate": Row({**CITIZEN_OWN, "citizen_a": REDIRECT}, dossier),  # not yet resolved
    # Files of a dossier: its applicant and its agency's staff
    "dossiers:attachment": Row(
        who(everyone=NOT_FOUND, anonymous=LOGIN, citizen_a=OK, staff_a=OK, admin=OK),
        lambda w: {"pk": w.dossier.pk, "attachment_id": w.attachment.pk},
    ),
    "dossiers:slip_of_event": Row(
        who(everyone=NOT_FOUND, anonymous=NOT_FOUND, citizen_a=OK, staff_a=OK, admin=OK),
        lambda w: {
            "pk": w.dossier.pk,
            "form": "01",
            "event_id": w.dossier.events.get(action="accept").pk,
        },
    ),
    "dossiers:slip": Row(
        who(everyone=NOT_FOUND, anonymous=NOT_FOUND, citizen_a=OK, staff_a=OK, admin=OK),
        lambda w: {"pk": w.dossier.pk, "form": "01"},
    ),
    # The counter (clerks)
    "dossiers:counter_queue": Row(who(everyone=FORBIDDEN, anonymous=LOGIN, clerks=OK, admin=OK)),
    "dossiers:counter_intake": Row(who(everyone=FORBIDDEN, anonymous=LOGIN, clerks=OK, admin=OK)),
    "dossiers:counter_review": Row(
        who(everyone=FORBIDDEN, anonymous=LOGIN, clerk_a=OK, clerk_b=NOT_FOUND, admin=OK),
        dossier,
    ),
    "dossiers:counter_receipt": Row(
        who(everyone=FORBIDDEN, anonymous=LOGIN, clerk_a=OK, clerk_b=NOT_FOUND, admin=OK),
        dossier,
    ),
    # A walk-in applicant turned away with Form 02 or 03: the clerk's agency only
    # Without a procedure chosen, back to the intake page to choose one.
    "dossiers:counter_guidance": Row(
        who(everyone=FORBIDDEN, anonymous=LOGIN, clerks=REDIRECT, admin=REDIRECT)
    ),
    "dossiers:counter_guidance_done": Row(
        who(everyone=FORBIDDEN, anonymous=LOGIN, clerk_a=OK, clerk_b=NOT_FOUND, admin=NOT_FOUND),
        lambda w: {"pk": w.guidance.pk},
    ),
    "dossiers:counter_guidance_pdf": Row(
        who(everyone=FORBIDDEN, anonymous=LOGIN, clerk_a=OK, clerk_b=NOT_FOUND, admin=NOT_FOUND),
        lambda w: {"pk": w.guidance.pk},
    ),
    # The back office
    "dossiers:office_queue": Row(who(everyone=OK, anonymous=LOGIN, citizens=FORBIDDEN)),
    "dossiers:office_dossier": Row(OFFICE_OF_A, dossier),
    "dossiers:control_sheet": Row(OFFICE_OF_A, dossier),
    # Form 05 of Circular 01/2018 is Form 06 now: the old address moved for good.
    "dossiers:control_sheet_old": Row(who(everyone=MOVED), dossier),
    # POST only, before anything else: a GET learns nothing.
    "dossiers:office_act": Row(
        who(everyone=NOT_ALLOWED), lambda w: {"pk": w.dossier.pk, "action": "assign"}
    ),
    "dossiers:register_book": Row(who(everyone=OK, anonymous=LOGIN, citizens=FORBIDDEN)),
    "dossiers:attention": Row(who(everyone=OK, anonymous=LOGIN, citizens=FORBIDDEN)),
    # Leaders' statistics; the list behind a number needs a figure, else 400.
    "dossiers:statistics": Row(who(everyone=FORBIDDEN, anonymous=LOGIN, leaders=OK, admin=OK)),
    "dossiers:statistics_dossiers": Row(
        who(everyone=FORBIDDEN, anonymous=LOGIN, leaders=BAD, admin=BAD)
    ),
    "dossiers:public_statistics": Row(PUBLIC),
    # The public lookup and feedback
    "dossiers:lookup": Row(PUBLIC),
    "dossiers:lookup_result": Row(who(everyone=REDIRECT)),
    "dossiers:lookup_slip": Row(
        who(everyone=REDIRECT),
        lambda w: {"form": "01", "event_id": w.dossier.events.get(action="accept").pk},
    ),
    "dossiers:lookup_rate": Row(who(everyone=REDIRECT)),  # back to the lookup
    "dossiers:lookup_end": Row(who(everyone=NOT_ALLOWED)),
    "dossiers:feedback": Row(PUBLIC),
    "dossiers:feedback_sent": Row(who(everyone=REDIRECT)),
    "dossiers:feedback_lookup": Row(PUBLIC),
    "dossiers:feedback_result": Row(who(everyone=REDIRECT)),
    "dossiers:feedback_queue": Row(who(everyone=FORBIDDEN, anonymous=LOGIN, leaders=OK, admin=OK)),
    "dossiers:feedback_answer": Row(
        who(everyone=FORBIDDEN, anonymous=LOGIN, leader_a=OK, leader_b=NOT_FOUND, admin=OK),
        lambda w: {"pk": w.feedback.pk},
    ),
}

# The admin site: only the administrator, whatever the page (a new ModelAdmin is covered).
ADMIN_PREFIX = "quan-tri/"
ADMIN_ONLY = who(everyone=ADMIN_LOGIN, admin="any")
ADMIN_EXCEPTIONS = {
    "admin:login": who(everyone=OK, admin=REDIRECT),
    # POST only; anyone else is sent to the admin's login page's neighbour, the portal.
    "admin:logout": who(everyone=REDIRECT, admin=NOT_ALLOWED),
}
ADMIN_SAMPLES = {
    "<path:object_id>": "1",
    "<path:content_type_id>": "1",
    "<id>": "1",
    "<int:year>": "2026",
    "<str:fmt>": "xlsx",
    "^(?P<app_label>auth|axes|procedures|dossiers)/$": "dossiers/",
    "(?P<url>.*)$": "khong-co-trang-nay/",
}


# --- The URL configuration ----------------------------------------------------------------------


def url_patterns(patterns=None, namespace=(), prefix=""):
    """(name or None, route) of every pattern, with its namespaces and prefix."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            inner = namespace + ((pattern.namespace,) if pattern.namespace else ())
            yield from url_patterns(pattern.url_patterns, inner, route)
        elif isinstance(pattern, URLPattern):
            name = ":".join((*namespace, pattern.name)) if pattern.name else None
            yield name, route


def admin_path(route):
    path = route
    for placeholder, sample in ADMIN_SAMPLES.items():
        path = path.replace(placeholder, sample)
    assert not re.search(r"[<>()^$]", path), f"give ADMIN_SAMPLES a value for {route!r}"
    return "/" + path


# --- The world the people live in -------------------------------------------------------------


@dataclass
class World:
    procedure: Procedure
    document: object
    dossier: object
    attachment: Attachment
    feedback: Feedback
    people: dict
    guidance: object = None


@pytest.fixture
def world(db, settings):
    settings.LOOKUP_MIN_SECONDS = 0
    agency_a = AgencyFactory()
    agency_b = AgencyFactory(code="000.17.23.H56", name="UBND xã Mỹ Hòa")
    people = {"anonymous": None}
    people["citizen_a"] = UserFactory(username="a@example.vn", roles=[roles.CITIZEN])
    people["citizen_b"] = UserFactory(username="b@example.vn", roles=[roles.CITIZEN])
    for letter, agency in (("a", agency_a), ("b", agency_b)):
        for role in ("clerk", "specialist", "leader"):
            group = {"clerk": roles.CLERK, "specialist": roles.SPECIALIST, "leader": roles.LEADER}
            people[f"{role}_{letter}"] = UserFactory(
                username=f"{role}-{letter}", roles=[group[role]], roles__agency=agency
            )
    people["admin"] = UserFactory(username="quantri", is_staff=True, is_superuser=True)

    procedure = ProcedureFactory(
        agency=agency_a, accepts_online=True, online_level=Procedure.OnlineLevel.FULL
    )
    document = RequiredDocumentFactory(procedure=procedure, name="Tờ khai")
    document.form_template.save("to-khai.pdf", ContentFile(b"%PDF-1.4 mau"), save=True)
    with freeze_time("2026-03-02 09:00:00+07:00"):
        dossier = DossierFactory(procedure=procedure, applicant=people["citizen_a"])
        dossier = services.accept(dossier, people["clerk_a"])
    attachment = Attachment(
        dossier=dossier,
        required_document=document,
        original_name="to-khai.pdf",
        size=12,
        content_type="application/pdf",
        sha256="0" * 64,
        uploaded_by=people["citizen_a"],
    )
    attachment.file.save("to-khai.pdf", ContentFile(b"%PDF-1.4 hoso"), save=True)
    feedback = desk.send_feedback(agency_a, Feedback.Category.PROCEDURE, "Chậm trả kết quả")
    guidance = services.guide_at_counter(
        procedure,
        people["clerk_a"],
        kind="02",
        applicant=services.Applicant("Nguyễn Thị Lan", "0912345678"),
        items=["Giấy chứng sinh"],
    )
    return World(procedure, document, dossier, attachment, feedback, people, guidance)


def outcome_of(response):
    if response.status_code == 302:
        location = response["Location"]
        if location.startswith(reverse("admin:login")):
            return ADMIN_LOGIN
        if location.startswith(reverse("login")):
            return LOGIN
        return REDIRECT
    return response.status_code


def walk(world, targets):
    """{(person, target): outcome} of GET requests, one client per person."""
    seen = {}
    for person in PEOPLE:
        client = Client(raise_request_exception=False)
        if world.people[person] is not None:
            client.force_login(world.people[person])
        for target, url in targets:
            seen[(person, target)] = outcome_of(client.get(url))
    return seen


# --- The tests ----------------------------------------------------------------------------------


def test_every_url_has_a_row_in_the_access_table():
    named = {name for name, route in url_patterns() if not route.startswith(ADMIN_PREFIX)}
    unnamed = [route for name, route in url_patterns() if name is None]
    assert sorted(named - set(ACCESS)) == [], "add a row to ACCESS for each new URL"
    assert sorted(set(ACCESS) - named) == [], "a row of ACCESS names a URL that is gone"
    assert [route for route in unnamed if not route.startswith(ADMIN_PREFIX)] == []


def test_every_person_gets_what_the_table_says_on_every_portal_page(world):
    targets = [(name, reverse(name, kwargs=row.kwargs(world))) for name, row in ACCESS.items()]
    seen = walk(world, targets)
    wrong = [
        f"{name} as {person}: expected {ACCESS[name].outcomes[person]}, got {got}"
        for (person, name), got in seen.items()
        if got != ACCESS[name].outcomes[person]
    ]
    assert not wrong, "\n".join(wrong)


def test_only_the_administrator_opens_the_admin_site(world):
    targets = [
        (name or route, admin_path(route))
        for name, route in url_patterns()
        if route.startswith(ADMIN_PREFIX)
    ]
    seen = walk(world, targets)
    wrong = []
    for (person, target), got in seen.items():
        expected = ADMIN_EXCEPTIONS.get(target, ADMIN_ONLY)[person]
        if expected == "any" and isinstance(got, int) and got >= 500:
            wrong.append(f"{target} as {person}: {got}")
        elif expected != "any" and got != expected:
            wrong.append(f"{target} as {person}: expected {expected}, got {got}")
    assert not wrong, "\n".join(wrong)
